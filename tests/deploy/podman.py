"""The image built with podman on a local Debian base, and commands run from inside it.

No container registry is reachable here and `podman run` cannot start a container, so:

- the base is Debian bookworm made by debootstrap (python3 3.11, venv, pip) and imported
  as a podman image; the tarball is cached outside the repository, keyed by what goes
  into it (`base_key`), and the imported image is kept under a tag carrying that key;
- the image is built from the repository's Dockerfile with chroot isolation and
  `--format docker` (the OCI format has no HEALTHCHECK), the base given as PYTHON_IMAGE;
  pip's downloads go through this machine's proxy, so the host's CA bundle is mounted
  into the build (a test-only argument: the Dockerfile knows nothing of it);
- "running the image" is `chroot --userspec=UID:GID` into the filesystem of a created
  (never started) container, with the image's environment, working directory and
  entrypoint, as `podman image inspect` gives them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE_SUITE = "bookworm"
BASE_VARIANT = "minbase"
BASE_PACKAGES = ("python3", "python3-venv", "python3-pip", "ca-certificates")
BASE_REPOSITORY = "localhost/invite-bot-test-base"
IMAGE = "localhost/invite-bot-test"
# Where Debian's pip, in the base, finds the certificates it trusts.
DEBIAN_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def unavailable(reason: str) -> NoReturn:
    """Skip, saying why; under CI=true fail instead: CI must build the image."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: the image tests must run; .ci/run installs podman)")
    pytest.skip(reason)


def require_podman() -> None:
    tool("podman")
    if os.geteuid() != 0:
        unavailable("building on a debootstrap base and chroot into the image need root")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "invite-bot-tests"


def base_key() -> str:
    """Names the base by everything that makes it: a new package list makes a new base."""
    recipe = [BASE_SUITE, BASE_VARIANT, sorted(BASE_PACKAGES), platform.machine()]
    return hashlib.sha256(json.dumps(recipe).encode()).hexdigest()[:12]


def tool(name: str) -> str:
    """The full path of a program this test needs (skipped, or failed in CI, without it)."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        unavailable(f"{name} is not installed (apt-get install podman debootstrap)")
    return found


def podman(
    *args: str, timeout: float = 300, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [tool("podman"), "--cgroup-manager=cgroupfs", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"podman {' '.join(args)} exited {result.returncode}:\n{result.stderr[-4000:]}"
        )
    return result


def ensure_base() -> str:
    """The local python base image's tag: imported from the cached tarball, which is made
    by debootstrap only when missing."""
    key = base_key()
    tag = f"{BASE_REPOSITORY}:{key}"
    if podman("image", "exists", tag, check=False).returncode == 0:
        return tag
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    tarball = cache / f"python-base-{key}.tar"
    if not tarball.is_file():
        with tempfile.TemporaryDirectory(dir=cache, prefix="debootstrap-") as work:
            root = Path(work) / "root"
            packages = ",".join(BASE_PACKAGES)
            made = subprocess.run(
                [
                    tool("debootstrap"),
                    f"--variant={BASE_VARIANT}",
                    f"--include={packages}",
                    BASE_SUITE,
                    str(root),
                ],
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            if made.returncode != 0:
                raise AssertionError(f"debootstrap failed:\n{made.stdout[-3000:]}{made.stderr}")
            partial = Path(work) / "base.tar"
            subprocess.run([tool("tar"), "-C", str(root), "-cf", str(partial), "."], check=True)
            partial.replace(tarball)
    podman("import", str(tarball), tag, timeout=600)
    return tag


def ca_bundle() -> str | None:
    """The CA bundle pip uses here (its `cert` setting, else the system's default)."""
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    for line in listed.splitlines():
        name, _, value = line.partition("=")
        if name.endswith(".cert") and value.strip("'\""):
            return value.strip("'\"")
    default = ssl.get_default_verify_paths().cafile
    return default if default and Path(default).is_file() else None


@dataclass(frozen=True)
class Image:
    id: str
    user: str
    env: dict[str, str]
    entrypoint: list[str]
    cmd: list[str]
    workdir: str
    exposed_ports: list[str]
    healthcheck: list[str]


def build_image(context: Path = ROOT, *, base: str) -> Image:
    """Build the Dockerfile as a user of it would, on `base`; the image replaces the last
    one this test built (no layer cache: nothing piles up between runs)."""
    before = podman("image", "inspect", "--format", "{{.Id}}", IMAGE, check=False).stdout.strip()
    args = [
        "build",
        "--isolation=chroot",
        "--format",
        "docker",
        "--layers=false",
        "--build-arg",
        f"PYTHON_IMAGE={base}",
        "-t",
        IMAGE,
    ]
    bundle = ca_bundle()
    if bundle is not None:
        args += ["-v", f"{bundle}:{bundle}:ro"]
        if bundle != DEBIAN_CA_BUNDLE:
            args += ["-v", f"{bundle}:{DEBIAN_CA_BUNDLE}:ro"]
    podman(*args, str(context), timeout=900)
    image = inspect(IMAGE)
    if before and before != image.id:
        podman("rmi", before, check=False)
    return image


def inspect(name: str) -> Image:
    data: dict[str, Any] = json.loads(podman("image", "inspect", name).stdout)[0]
    config: dict[str, Any] = data.get("Config") or {}
    env = dict(item.split("=", 1) for item in config.get("Env") or [])
    health = data.get("Healthcheck") or config.get("Healthcheck") or {}
    return Image(
        id=str(data["Id"]),
        user=str(config.get("User") or ""),
        env=env,
        entrypoint=list(config.get("Entrypoint") or []),
        cmd=list(config.get("Cmd") or []),
        workdir=str(config.get("WorkingDir") or "/"),
        exposed_ports=sorted(config.get("ExposedPorts") or {}),
        healthcheck=list(health.get("Test") or []),
    )


@contextlib.contextmanager
def mounted(image: Image) -> Iterator[Path]:
    """The filesystem of a container created (not started) from the image."""
    container = podman("create", "--no-healthcheck", image.id).stdout.strip()
    try:
        yield Path(podman("mount", container).stdout.strip())
    finally:
        podman("umount", container, check=False)
        podman("rm", "--force", container, check=False)


@dataclass(frozen=True)
class Rootfs:
    """A mounted container filesystem and the image it comes from."""

    path: Path
    image: Image

    def user_ids(self) -> tuple[int, int]:
        """The image's USER as numbers, looked up in its own /etc/passwd and /etc/group."""
        user, _, group = self.image.user.partition(":")
        passwd = self._table("etc/passwd")  # name:x:uid:gid:gecos:home:shell
        uid = int(user) if user.isdigit() else int(passwd[user][2])
        if group.isdigit():
            gid = int(group)
        elif group:
            gid = int(self._table("etc/group")[group][2])  # name:x:gid:members
        else:
            gid = next(int(row[3]) for row in passwd.values() if int(row[2]) == uid)
        return uid, gid

    def home(self, uid: int) -> str:
        rows = self._table("etc/passwd").values()
        return next((row[5] for row in rows if int(row[2]) == uid), "/")

    def _table(self, name: str) -> dict[str, list[str]]:
        rows = (line.split(":") for line in (self.path / name).read_text().splitlines() if line)
        return {row[0]: row for row in rows}

    def command(
        self, args: Sequence[str] | None = None, env: dict[str, str] | None = None
    ) -> list[str]:
        """The image's ENTRYPOINT with `args` (its CMD when None), as its user, in its
        working directory, with its environment (plus `env`), as a container would run."""
        cmd = self.image.cmd if args is None else args
        return self.as_user([*self.image.entrypoint, *cmd], env)

    def healthcheck(self, env: dict[str, str] | None = None) -> list[str]:
        """The image's HEALTHCHECK command, run as the container engine runs it."""
        kind, *argv = self.image.healthcheck
        assert kind == "CMD", f"HEALTHCHECK is {kind}, expected the exec form (CMD)"
        return self.as_user(argv, env)

    def as_user(self, argv: Sequence[str], env: dict[str, str] | None = None) -> list[str]:
        uid, gid = self.user_ids()
        full_env = {"HOME": self.home(uid), **self.image.env, **(env or {})}
        return [
            tool("chroot"),
            f"--userspec={uid}:{gid}",
            str(self.path),
            "/usr/bin/env",
            "-i",
            "-C",
            self.image.workdir,
            *(f"{key}={value}" for key, value in full_env.items()),
            *argv,
        ]
