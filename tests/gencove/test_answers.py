"""Gencove's own error shapes read into one sentence each (issue 15, finding 3), and the
body cap (finding 1), as pure functions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from invite_bot.gencove.errors import (
    MAX_MESSAGE,
    GencoveError,
    GencoveForbidden,
    GencoveMaintenance,
    GencoveNotFound,
    GencoveRateLimited,
    GencoveServerError,
    GencoveValidationError,
    decode_response,
)
from invite_bot.gencove.wire import CHUNK, BodyTooLarge, read_capped


def body(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def raised(status: int, raw: bytes, headers: dict[str, str] | None = None) -> GencoveError:
    with pytest.raises(GencoveError) as caught:
        decode_response(status, headers or {}, raw)
    return caught.value


# -- maintenance -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            {
                "maintenance": True,
                "maintenance_message": "Upgrading the database.",
                "maintenance_eta": "2024-06-11 14:00 UTC",
            },
            "Gencove is under maintenance: Upgrading the database. (back around 2024-06-11 "
            "14:00 UTC)",
        ),
        (
            {"maintenance": True, "maintenance_message": "Upgrading."},
            "Gencove is under maintenance: Upgrading.",
        ),
        (
            {"maintenance": True, "maintenance_eta": "15:00"},
            "Gencove is under maintenance (back around 15:00)",
        ),
        ({"maintenance": True}, "Gencove is under maintenance."),
        (
            {
                "maintenance": "true",
                "maintenance_message": "  two\n\nlines\t",
                "maintenance_eta": 7,
            },
            "Gencove is under maintenance: two lines",
        ),
    ],
)
def test_maintenance_503_is_one_sentence_and_not_retryable(
    payload: dict[str, Any], message: str
) -> None:
    err = raised(503, body(payload), {"Retry-After": "30"})
    assert isinstance(err, GencoveMaintenance)
    assert isinstance(err, GencoveServerError)  # callers treating 5xx alike still do
    assert err.message == message
    assert str(err) == message
    assert err.status == 503
    assert not err.retryable


def test_maintenance_text_is_bounded() -> None:
    payload = {"maintenance": True, "maintenance_message": "m" * 5000, "maintenance_eta": "e" * 900}
    err = raised(503, body(payload))
    assert isinstance(err, GencoveMaintenance)
    assert len(err.message) <= 320  # 200 of message, 60 of eta, and the sentence
    assert err.message.startswith("Gencove is under maintenance: mmm")
    assert "(back around eee" in err.message


@pytest.mark.parametrize("payload", [{"maintenance": False}, {"detail": "Down."}, ["x"], None])
def test_a_503_that_is_not_maintenance_stays_a_retryable_server_error(payload: Any) -> None:
    err = raised(503, b"" if payload is None else body(payload))
    assert type(err) is GencoveServerError
    assert err.retryable


# -- 4xx bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (["This invitation has expired."], "This invitation has expired."),
        ({"detail": "Only pending invitations can be revoked."}, None),
        ({"email": ["Enter a valid email address."]}, "Enter a valid email address."),
        ({"role": ['"boss" is not a valid choice.']}, 'role: "boss" is not a valid choice.'),
        ({"email": {"code": ["This code is not valid."]}}, "This code is not valid."),
        ({"profile": {"name": ["Too long."]}}, "profile name: Too long."),
        ({"email": "bad"}, "bad."),
        ({"role": "unknown"}, "role: unknown."),
        (
            {"email": [{"message": "Enter a valid email address.", "code": "invalid"}]},
            "Enter a valid email address.",
        ),
        ({"items": [{}, {"name": ["Required."]}]}, "items name: Required."),
        ({"email": ["First\nline\n\n  second."]}, "First line second."),
    ],
)
@pytest.mark.parametrize("status", [400, 403, 404, 409])
def test_each_4xx_body_shape_is_one_readable_sentence(
    status: int, payload: Any, message: str | None
) -> None:
    err = raised(status, body(payload))
    expected = message or payload["detail"]
    assert err.message == expected
    assert err.status == status
    for raw in ("{", "}", "[", "]", '\\"', "\n"):
        assert raw not in err.message, f"raw JSON in {err.message!r}"


@pytest.mark.parametrize(
    ("status", "fallback"),
    [
        (400, "Gencove refused the request."),
        (403, "The Gencove key may not do this."),
        (404, "Gencove does not know it."),
        (409, "Gencove answered HTTP 409."),
    ],
)
@pytest.mark.parametrize("raw", [b"", b"   ", b"[]", b"{}", b'{"email": []}', b"[[[[[[[[[["])
def test_an_empty_or_useless_4xx_body_gets_the_status_message(
    status: int, fallback: str, raw: bytes
) -> None:
    assert raised(status, raw).message == fallback


def test_a_huge_field_map_is_bounded_and_keeps_its_fields() -> None:
    payload = {f"field{i}": [f"Problem {i} " + "x" * 300] for i in range(100)}
    err = raised(400, body(payload))
    assert isinstance(err, GencoveValidationError)
    assert len(err.message) <= MAX_MESSAGE
    assert err.message.startswith("field0: Problem 0 xxx")
    assert len(err.fields) == 100


def test_deeply_nested_bodies_neither_crash_nor_show_json() -> None:
    deep: Any = ["Deep."]
    for _ in range(50):
        deep = {"inner": deep}
    assert "{" not in raised(400, body(deep)).message
    bomb = b"[" * 100_000 + b"]" * 100_000  # more than json's recursion limit
    assert raised(400, bomb).message == "Gencove refused the request."
    assert raised(200, bomb).message == "Gencove sent an answer the bot could not read."


# -- Retry-After as an HTTP date ------------------------------------------------------------


def _http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def test_retry_after_http_date_is_measured_from_the_answers_date() -> None:
    sent = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    headers = {"Date": _http_date(sent), "Retry-After": _http_date(sent + timedelta(seconds=42))}
    err = raised(429, body({"detail": "Slow down."}), headers)
    assert isinstance(err, GencoveRateLimited)
    assert err.retry_after == 42.0


def test_retry_after_http_date_without_a_date_header_is_measured_from_now() -> None:
    now = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    headers = {"Retry-After": _http_date(now + timedelta(seconds=90))}
    with pytest.raises(GencoveRateLimited) as caught:
        decode_response(429, headers, b"", now=now.timestamp())
    assert caught.value.retry_after == 90.0


@pytest.mark.parametrize("value", ["Wed, 21 Oct 2015 07:28:00 GMT", "nan", "inf", "Mon, 99 Foo"])
def test_retry_after_in_the_past_or_unreadable_is_no_hint(value: str) -> None:
    err = raised(429, b"", {"Retry-After": value})
    assert isinstance(err, GencoveRateLimited)
    assert err.retry_after is None


def test_a_503_carries_its_retry_after_too() -> None:
    sent = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    headers = {"Date": _http_date(sent), "Retry-After": _http_date(sent + timedelta(seconds=5))}
    err = raised(503, b"", headers)
    assert isinstance(err, GencoveServerError)
    assert err.retry_after == 5.0
    assert raised(502, b"", {"Retry-After": "3"}).retry_after == 3.0  # type: ignore[attr-defined]


def test_statuses_keep_their_error_types() -> None:
    assert type(raised(403, body(["No."]))) is GencoveForbidden
    assert type(raised(404, body({"detail": "Gone."}))) is GencoveNotFound


# -- the body cap ---------------------------------------------------------------------------


class _Endless:
    """A response body that never ends, counting what was read of it."""

    def __init__(self, content_length: int | None = None) -> None:
        self.content_length = content_length
        self.content = self
        self.chunks_read = 0

    async def _chunks(self, n: int) -> AsyncIterator[bytes]:
        while True:
            self.chunks_read += 1
            yield b"x" * n

    def iter_chunked(self, n: int) -> AsyncIterator[bytes]:
        return self._chunks(n)


async def test_read_capped_stops_reading_just_past_the_cap() -> None:
    endless = _Endless()
    with pytest.raises(BodyTooLarge):
        await read_capped(endless, 10 * CHUNK)
    assert endless.chunks_read == 11  # the cap and one chunk, never the rest


async def test_read_capped_refuses_an_announced_length_over_the_cap_without_reading() -> None:
    endless = _Endless(content_length=10 * CHUNK + 1)
    with pytest.raises(BodyTooLarge):
        await read_capped(endless, 10 * CHUNK)
    assert endless.chunks_read == 0
