"""The deployment tests: the files (Dockerfile, compose.yaml, the lock, the wheel) and the
image itself, built with podman (marked `podman`: skipped where podman or root is
missing, failed instead under CI=true)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.deploy.podman import Image, Rootfs, build_image, ensure_base, mounted, require_podman


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "podman: builds the image with podman on a local debootstrap base (needs root)",
    )


@pytest.fixture(scope="session")
def image() -> Image:
    """The repository's Dockerfile built on the cached local base, once per session."""
    require_podman()
    return build_image(base=ensure_base())


@pytest.fixture(scope="session")
def rootfs(image: Image) -> Iterator[Rootfs]:
    with mounted(image) as path:
        yield Rootfs(path, image)
