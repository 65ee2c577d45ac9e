"""The wheel carries the whole package: every file under invite_bot/ (the playground's
static files and specs, the store's migrations, py.typed), so an install from it works
without the source tree (the image tests run its playground from one)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Only `alembic revision` (development) reads it; an installed bot never does.
NOT_NEEDED_INSTALLED = {"invite_bot/store/migrations/script.py.mako"}


@pytest.mark.timeout(600)
def test_the_wheel_has_every_file_of_the_package(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy: building writes build/ and *.egg-info beside it
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.py[co]")
    shutil.copytree(ROOT / "invite_bot", source / "invite_bot", ignore=ignore)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = tmp_path.glob("invite_bot-*.whl")
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
