"""A production install without the image (issue 24, item 5): `python -m build` makes a
wheel that carries the whole package (the playground's static files and specs, the
store's migrations, py.typed), and the `invite-bot` it installs works from an empty
folder, with no source tree anywhere on its path.

No podman needed: these run everywhere, CI included. Building needs setuptools in the
build's isolated environment, fetched by pip as for any `python -m build`.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import aiohttp
import pytest

from tests.support.harness import terminate
from tests.support.served import free_port

ROOT = Path(__file__).resolve().parents[2]
# Only `alembic revision` (development) reads it; an installed bot never does.
NOT_NEEDED_INSTALLED = {"invite_bot/store/migrations/script.py.mako"}
STATIC = ("playground.js", "playground.css", "blockkit.css")

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of what the wheel is built from: building writes build/ and *.egg-info
    beside the sources, and the checkout must stay as it is."""
    copy = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, copy / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.py[co]")
    shutil.copytree(ROOT / "invite_bot", copy / "invite_bot", ignore=ignore)
    return copy


@pytest.fixture(scope="module")
def wheel(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python -m build --wheel`, as docs/operations.md says to make one."""
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    (found,) = out.glob("invite_bot-*-py3-none-any.whl")
    return found


def test_the_wheel_has_every_file_of_the_package(wheel: Path, source: Path) -> None:
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    in_source = {
        path.relative_to(source).as_posix()
        for path in (source / "invite_bot").rglob("*")
        if path.is_file()
    }
    missing = sorted(in_source - in_wheel - NOT_NEEDED_INSTALLED)
    assert missing == [], (
        "add them to [tool.setuptools.package-data] in pyproject.toml: " + ", ".join(missing)
    )


def installed(wheel: Path, folder: Path) -> Path:
    """A new virtualenv in `folder` with the wheel installed (not editable, no
    dependencies); the dependencies come from the environment running the tests, which
    a `.pth` file puts after the virtualenv's own site-packages (no network, and no
    other copy of invite_bot: an editable install's finder is not carried over)."""
    venv.EnvBuilder(with_pip=True).create(folder)
    python = folder / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    outer = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "outer-environment.pth").write_text("\n".join(sorted(outer)) + "\n")
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return folder / "bin" / "invite-bot"


async def test_the_installed_playground_runs_from_an_empty_folder(
    wheel: Path, tmp_path: Path
) -> None:
    """The page, its static files, a command through the local Slack and the bot's
    invitation in the Gencove sandbox: the static files, the specs (the local Slack checks
    every call against them) and the migrations (the bot's database) all came from the
    wheel."""
    command = installed(wheel, tmp_path / "venv")
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "VIRTUAL_ENV") and not key.startswith(("SLACK_", "GENCOVE_"))
    }
    where = subprocess.run(
        [str(command.with_name("python")), "-c", "import invite_bot; print(invite_bot.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=empty,
        env=env,
    ).stdout.strip()
    assert Path(where).is_relative_to(tmp_path / "venv"), f"invite_bot imported from {where}"

    port = free_port()
    process = await asyncio.create_subprocess_exec(
        str(command),
        "playground",
        "--port",
        str(port),
        cwd=empty,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=120)).decode()
        address = f"http://127.0.0.1:{port}/"
        if address not in line:
            assert process.stderr is not None
            raise AssertionError(line + (await process.stderr.read()).decode(errors="replace"))
        async with aiohttp.ClientSession() as session:
            async with session.get(address) as response:
                assert response.status == 200
                assert "invite-bot playground" in await response.text()
            for asset in STATIC:
                async with session.get(f"{address}static/{asset}") as response:
                    assert response.status == 200, asset
                    assert len(await response.read()) > 100, asset
            typed = {"user": "admin", "channel": "general", "text": "invite ana@lab.org"}
            async with session.post(f"{address}playground/api/command", json=typed) as sent:
                assert sent.status == 200, await sent.text()
            for _ in range(600):
                async with session.get(f"{address}playground/api/gencove/invitations") as got:
                    rows = (await got.json())["invitations"]
                if any(row["email"] == "ana@lab.org" for row in rows):
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"the installed bot did not invite: {json.dumps(rows)}")
        await terminate(process)
        assert process.returncode == 0
        assert sorted(empty.iterdir()) == []  # its database was a temporary one
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
