"""The deployment files, read as files: the Dockerfile, .dockerignore, requirements.lock
against pyproject.toml, compose.yaml, and the examples in docs/operations.md. No podman
needed: these run everywhere."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
REFRESH = (
    "uv pip compile pyproject.toml --universal --generate-hashes --output-file requirements.lock"
)
BOT_SERVICES = ("migrate", "web", "worker", "socket")
SECRET_NAMES = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY|APIKEY|CREDENTIAL", re.IGNORECASE)


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    joined: list[str] = []
    current = ""
    for line in dockerfile.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue
        current += line.rstrip()
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        joined.append(current.strip())
        current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in joined]


def test_the_dockerfile_is_multi_stage_on_a_python_base_given_as_an_argument() -> None:
    steps = instructions(ROOT / "Dockerfile")
    assert steps[0] == ("ARG", "PYTHON_IMAGE=python:3.12-slim")
    stages = [args for kind, args in steps if kind == "FROM"]
    assert len(stages) >= 2, "build the wheel in one stage, run it from another"
    assert all(args.split()[0] == "${PYTHON_IMAGE}" for args in stages), stages
    final = steps[max(i for i, (kind, _) in enumerate(steps) if kind == "FROM") :]
    copies = [args for kind, args in final if kind in ("COPY", "ADD")]
    assert copies, "the final stage copies the virtualenv from the build stage"
    assert all(args.startswith("--from=") for args in copies), (
        f"the final stage copies only from the build stage (no source tree): {copies}"
    )
    assert not any(
        kind == "RUN" and re.search(r"apt-get|apk |gcc|build-essential", args)
        for kind, args in final
    ), "no compiler or package installs in the final stage"


def test_the_dockerfile_runs_the_bot_as_a_user_with_a_healthcheck() -> None:
    steps = dict(instructions(ROOT / "Dockerfile")[::-1])  # the last of each kind wins
    assert json.loads(steps["ENTRYPOINT"]) == ["invite-bot"]
    assert json.loads(steps["CMD"]) == ["serve"]
    assert steps["EXPOSE"] == "3000"
    user = steps["USER"].split(":")[0]
    assert user not in ("root", "0"), steps["USER"]
    assert re.search(
        r"\bPYTHONUNBUFFERED=1\b",
        " ".join(a for k, a in instructions(ROOT / "Dockerfile") if k == "ENV"),
    )
    health = steps["HEALTHCHECK"]
    assert "/healthz" in health
    assert "PORT" in health
    assert "curl" not in health


def test_the_dockerfile_installs_from_the_lock_and_knows_no_proxy_or_certificate() -> None:
    text = (ROOT / "Dockerfile").read_text()
    runs = " ".join(args for kind, args in instructions(ROOT / "Dockerfile") if kind == "RUN")
    assert "--require-hashes" in runs
    assert "requirements.lock" in runs
    assert "-e " not in runs
    assert "--editable" not in runs
    # The machine's proxy certificate is a test-only build argument (tests/deploy/podman.py).
    for word in (
        "ca-certificates.crt",
        "PIP_CERT",
        "--cert",
        "SSL_CERT",
        "trusted-host",
        "REQUESTS_CA_BUNDLE",
        "index-url",
    ):
        assert word not in text, word


def test_the_build_context_is_only_what_the_image_is_built_from() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines[0] == "*", "everything is left out unless named"
    included = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert included == {"pyproject.toml", "README.md", "requirements.lock", "invite_bot"}


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in LOCK.read_text().splitlines():
        found = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line)
        if found:
            pins[canonicalize_name(found[1])] = str(found[2])
    return pins


def test_the_lock_pins_every_dependency_of_pyproject_with_hashes() -> None:
    """pyproject.toml changed without refreshing requirements.lock? This says so (the
    image's `pip check` would fail the build)."""
    header = LOCK.read_text().splitlines()[:3]
    assert any(REFRESH in line for line in header), header
    pins = _pins()
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    stale = []
    for dependency in map(Requirement, dependencies):
        version = pins.get(canonicalize_name(dependency.name))
        if version is None or not dependency.specifier.contains(version, prereleases=True):
            stale.append(f"{dependency} (locked: {version})")
    assert stale == [], f"requirements.lock is stale, refresh it with `{REFRESH}`: {stale}"
    blocks = re.split(r"\n(?=\S)", LOCK.read_text())
    unhashed = [b.split()[0] for b in blocks if "==" in b.split("\n")[0] and "--hash=" not in b]
    assert unhashed == []


def test_the_operations_guide_gives_the_refresh_command_and_valid_yaml() -> None:
    guide = (ROOT / "docs" / "operations.md").read_text()
    assert REFRESH in guide
    blocks = re.findall(r"```yaml\n(.*?)```", guide, re.DOTALL)
    assert blocks
    for block in blocks:
        assert list(yaml.safe_load_all(block)), block


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_compose_has_postgres_a_migration_web_worker_and_socket_mode(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", *BOT_SERVICES}
    commands = {name: services[name]["command"] for name in BOT_SERVICES}
    assert commands["migrate"] == ["migrate"]
    assert commands["web"][0] == "serve"
    assert "--no-watch" in commands["web"]
    assert commands["socket"][0] == "socket"
    assert "--no-watch" in commands["socket"]
    assert commands["worker"] == ["watch"]
    assert services["web"]["deploy"]["replicas"] == 2
    # Socket Mode replaces web: each in its own profile, the rest in every profile.
    assert services["web"]["profiles"] == ["http"]
    assert services["socket"]["profiles"] == ["socket"]
    for name in ("postgres", "migrate", "worker"):
        assert "profiles" not in services[name], name
    assert services["migrate"]["restart"] == "no"
    for name in BOT_SERVICES:
        assert services[name]["build"] == "."
        assert services[name]["image"] == "invite-bot"
        assert services[name]["env_file"] == ".env"
        assert "postgres:5432" in services[name]["environment"]["DATABASE_URL"]


def test_compose_waits_for_postgres_and_the_migration(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("web", "worker", "socket"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["postgres"] == {"condition": "service_healthy"}, name


def test_compose_health_checks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    postgres = services["postgres"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = postgres["volumes"][0].split(":")
    assert volume[0] in compose["volumes"]
    assert volume[1] == "/var/lib/postgresql/data"
    # web and worker serve /healthz on PORT: the image's HEALTHCHECK stays on for them.
    for name in ("web", "worker"):
        assert not services[name].get("healthcheck", {}).get("disable"), name
        assert services[name]["environment"]["PORT"] == "3000"
    # migrate only runs: the image's check is off for it.
    assert services["migrate"]["healthcheck"] == {"disable": True}
    # Socket Mode's health is its readiness: /readyz fails while the socket is down.
    socket = services["socket"]["healthcheck"]
    assert socket["test"][0] == "CMD", socket
    assert "/readyz" in " ".join(socket["test"])
    assert "PORT" in " ".join(socket["test"])
    # the image's own check, asking /readyz instead of /healthz (tests/deploy/test_image.py
    # runs it inside the image against a socket connected and dropped)
    image_check = dict(instructions(ROOT / "Dockerfile")[::-1])["HEALTHCHECK"]
    image_test = json.loads(image_check.split(" CMD ", 1)[1])
    assert socket["test"] == ["CMD", *(a.replace("/healthz", "/readyz") for a in image_test)]
    assert services["socket"]["environment"]["PORT"] == "3000"


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{path}[{index}]")
    elif node is not None:
        yield path, str(node)


def test_compose_writes_no_secret(compose: dict[str, Any]) -> None:
    """Secrets come from .env: a setting named like one is an ${interpolation}, the Slack
    and Gencove settings are not there at all, and no value looks like a token."""
    for path, value in _strings(compose):
        name = path.rsplit(".", 1)[-1]
        if SECRET_NAMES.search(name):
            assert re.fullmatch(r"\$\{[A-Z_]+(:?[?-][^}]*)?\}", value), (path, value)
        assert not re.search(r"xox[abp]-|xapp-|[A-Za-z0-9_-]{43}=", value), path
        if "://" in value:
            credentials = value.split("://", 1)[1].split("@", 1)
            if len(credentials) == 2 and ":" in credentials[0]:
                password = credentials[0].split(":", 1)[1]
                assert password.startswith("${"), path
    for name in BOT_SERVICES:
        environment = compose["services"][name]["environment"]
        assert not [key for key in environment if key.startswith(("SLACK_", "GENCOVE_"))]
        assert "INVITE_BOT_SECRET_KEY" not in environment


def test_the_procfile_migrates_in_the_release_phase_before_web_and_worker() -> None:
    """Heroku runs `release` once per deploy, before the new dynos start; migrate needs
    only DATABASE_URL there (the PostgreSQL add-on's)."""
    processes = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    assert {name: command.split() for name, command in processes.items()} == {
        "release": ["invite-bot", "migrate"],
        "web": ["invite-bot", "serve", "--no-watch"],
        "worker": ["invite-bot", "watch"],
    }
