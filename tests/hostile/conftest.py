"""Every hostile test runs with DEBUG logs captured, and no secret may appear in them."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest

from invite_bot.playground.gencove import FakeGencove
from tests.harness import BOT_TOKEN, SECRET_KEY, SIGNING_SECRET

# what the stand-in's organization keys look like, whichever instance made them
GENCOVE_KEY_SHAPE = re.compile(r"gc-(?:org|user)-[0-9a-f]{40}")


def secrets_of(gencove: FakeGencove) -> list[str]:
    return [BOT_TOKEN, SIGNING_SECRET, SECRET_KEY, gencove.org_api_key]


def assert_no_secret(text: str, gencove: FakeGencove) -> None:
    for secret in secrets_of(gencove):
        assert secret not in text, "a secret reached the logs"
    assert not GENCOVE_KEY_SHAPE.search(text), "a Gencove key reached the logs"


@pytest.fixture(autouse=True)
def no_secret_in_logs(caplog: pytest.LogCaptureFixture, gencove: FakeGencove) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    records = caplog.get_records("setup") + caplog.get_records("call")
    records += caplog.get_records("teardown")
    text = caplog.text + "\n".join(r.exc_text or "" for r in records)
    assert_no_secret(text, gencove)
