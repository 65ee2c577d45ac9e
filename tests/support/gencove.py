"""What the Gencove client tests share: a quick client, the leak watch, the back-off
recorder. The fixtures themselves are in tests/gencove/conftest.py."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from invite_bot.gencove.client import GencoveClient
from invite_bot.gencove.errors import GencoveError
from invite_bot.playground.gencove import FakeGencove

INVITATIONS = "/api/v2/invitations/"
TOKENS = "/api/v2/invitations-token/"
USER = "/api/v2/user/"
ROLES = "/api/v2/roles/"

# Every credential a test uses matches this, so leaks are found by pattern.
SECRET_RE = re.compile(r"gc-(?:org|user|secret)-[\w-]+")

E = TypeVar("E", bound=BaseException)


def make_client(
    fake: FakeGencove | str,
    key: str | None = None,
    *,
    timeout: float = 2.0,
    max_retries: int = 3,
    deadline: float = 600.0,
    **kwargs: Any,
) -> GencoveClient:
    """A client with quick back-off. Its whole-call deadline is generous by default: most
    tests here are about tries and retries; the deadline tests (test_wire.py) set theirs."""
    url = fake if isinstance(fake, str) else fake.url
    if key is None:
        assert isinstance(fake, FakeGencove)
        key = fake.org_api_key
    return GencoveClient(
        url,
        key,
        timeout=timeout,
        backoff_base=0.01,
        backoff_max=0.05,
        max_retries=max_retries,
        deadline=deadline,
        **kwargs,
    )


async def client_for(gencove: FakeGencove) -> AsyncIterator[GencoveClient]:
    async with make_client(gencove) as under_test:
        yield under_test


@dataclass
class Leaks:
    """Errors a test saw and secrets it used; checked for leaks when the test ends."""

    errors: list[BaseException] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)

    async def expect(self, error: type[E], awaitable: Awaitable[Any]) -> E:
        with pytest.raises(error) as caught:
            await awaitable
        self.errors.append(caught.value)
        return caught.value

    def leaked(self, text: str) -> bool:
        return bool(SECRET_RE.search(text)) or any(s in text for s in self.secrets)


def _texts(exc: BaseException) -> Iterator[str]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield from (str(arg) for arg in current.args)
        yield repr(vars(current))
        current = current.__cause__ or current.__context__


def watch_leaks(caplog: pytest.LogCaptureFixture) -> Iterator[Leaks]:
    """Fail a test whose errors or `invite_bot` log records contain a credential."""
    caplog.set_level(logging.DEBUG, logger="invite_bot")
    watch = Leaks()
    yield watch
    for exc in watch.errors:
        assert isinstance(exc, GencoveError | ValueError)
        if isinstance(exc, GencoveError):
            assert exc.message == str(exc)
        for text in _texts(exc):
            assert not watch.leaked(text), f"{type(exc).__name__} leaks a secret: {text!r}"
    for record in caplog.records:
        if record.name.startswith("invite_bot"):
            text = f"{record.getMessage()} {record.args!r}"
            assert not watch.leaked(text), f"log record leaks a secret: {text!r}"


def record_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the back-off sleeps the client asks for; skip them.

    Only calls made from `invite_bot.gencove.client` or `.transport` are recorded and shortened;
    every other `asyncio.sleep` (the stand-in's, aiohttp's) behaves normally.
    """
    recorded: list[float] = []
    real_sleep = asyncio.sleep

    def sleep(delay: float, result: Any = None) -> Coroutine[Any, Any, Any]:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller in {"invite_bot.gencove.client", "invite_bot.gencove.transport"}:
            recorded.append(delay)
            delay = 0
        return real_sleep(delay, result)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    return recorded


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def eventually(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)
