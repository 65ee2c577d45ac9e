"""Every hostile test runs with DEBUG logs captured, and no secret may appear in them."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from invite_bot.playground.gencove import FakeGencove
from tests.support.secrets import assert_no_secret


@pytest.fixture(autouse=True)
def no_secret_in_logs(caplog: pytest.LogCaptureFixture, gencove: FakeGencove) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    records = caplog.get_records("setup") + caplog.get_records("call")
    records += caplog.get_records("teardown")
    text = caplog.text + "\n".join(r.exc_text or "" for r in records)
    assert_no_secret(text, gencove)
