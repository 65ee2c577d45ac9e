"""`decode_response`: Gencove's raw answers turned into data or typed, user-safe errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from multidict import CIMultiDict

from invite_bot.gencove.errors import (
    MAX_MESSAGE,
    GencoveError,
    GencoveForbidden,
    GencoveNotFound,
    GencoveProtocolError,
    GencoveRateLimited,
    GencoveServerError,
    GencoveUnauthorized,
    GencoveValidationError,
    decode_response,
)


def body(payload: Any) -> bytes:
    return json.dumps(payload).encode()


# -- successful answers --------------------------------------------------------------------


def test_2xx_json_body_is_returned_decoded() -> None:
    assert decode_response(200, {}, body({"a": [1, 2]})) == {"a": [1, 2]}
    assert decode_response(201, {}, body([1])) == [1]


@pytest.mark.parametrize(
    ("status", "raw"), [(204, b""), (204, b"ignored"), (200, b""), (200, b" \n")]
)
def test_no_content_and_empty_bodies_decode_to_none(status: int, raw: bytes) -> None:
    assert decode_response(status, {}, raw) is None


def test_2xx_that_is_not_json_is_a_protocol_error() -> None:
    with pytest.raises(GencoveProtocolError) as caught:
        decode_response(200, {}, b"<html>maintenance</html>")
    assert caught.value.status == 200
    assert caught.value.message == "Gencove sent an answer the bot could not read."
    assert not caught.value.retryable


# -- 400: DRF validation errors ------------------------------------------------------------


def test_drf_field_errors_map_to_fields_and_a_readable_message() -> None:
    with pytest.raises(GencoveValidationError) as caught:
        decode_response(400, {}, body({"email": ["Enter a valid email address."]}))
    err = caught.value
    assert err.status == 400
    assert err.fields == {"email": ["Enter a valid email address."]}
    assert err.message == "Enter a valid email address."
    assert str(err) == "Enter a valid email address."
    assert not err.retryable


def test_other_fields_are_prefixed_with_their_name_and_joined() -> None:
    payload = {
        "email": ["This field is required."],
        "role": ['"boss" is not a valid choice.'],
        "non_field_errors": ["Nope.", "Still nope."],
    }
    with pytest.raises(GencoveValidationError) as caught:
        decode_response(400, {}, body(payload))
    assert caught.value.fields == payload
    assert caught.value.message == (
        'This field is required. role: "boss" is not a valid choice. Nope. Still nope.'
    )


def test_plain_string_and_nested_field_values_are_kept_as_text() -> None:
    payload = {"email": "Bad.", "profile": {"name": ["Too long."]}, "empty": []}
    with pytest.raises(GencoveValidationError) as caught:
        decode_response(400, {}, body(payload))
    assert caught.value.fields == {
        "email": ["Bad."],
        "profile": [json.dumps({"name": ["Too long."]})],
    }


def test_list_body_becomes_non_field_errors() -> None:
    with pytest.raises(GencoveValidationError) as caught:
        decode_response(400, {}, body(["First problem.", "Second problem."]))
    assert caught.value.fields == {"non_field_errors": ["First problem.", "Second problem."]}
    assert caught.value.message == "First problem. Second problem."


def test_400_detail_wins_over_fields_for_the_message() -> None:
    payload = {"detail": "Only pending invitations can be revoked.", "code": ["x"]}
    with pytest.raises(GencoveValidationError) as caught:
        decode_response(400, {}, body(payload))
    assert caught.value.message == "Only pending invitations can be revoked."
    assert caught.value.fields == {"code": ["x"]}


@pytest.mark.parametrize("raw", [b"", b"<h1>Bad Request</h1>", body({}), body({"detail": "  "})])
def test_400_without_usable_text_gets_a_generic_message(raw: bytes) -> None:
    with pytest.raises(GencoveValidationError) as caught:
        decode_response(400, {}, raw)
    assert caught.value.message == "Gencove refused the request."
    assert caught.value.fields == {}


# -- other statuses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error", "detail", "fallback"),
    [
        (401, GencoveUnauthorized, "Invalid API key.", "Gencove did not accept the API key."),
        (403, GencoveForbidden, "You do not have permission.", "The Gencove key may not do this."),
        (404, GencoveNotFound, "Not found.", "Gencove does not know it."),
        (
            500,
            GencoveServerError,
            "A server error occurred.",
            "Gencove had a problem (HTTP 500). Try again shortly.",
        ),
        (418, GencoveError, "I'm a teapot.", "Gencove answered HTTP 418."),
    ],
)
def test_status_maps_to_error_class_with_detail_or_fallback_message(
    status: int, error: type[GencoveError], detail: str, fallback: str
) -> None:
    with pytest.raises(error) as caught:
        decode_response(status, {}, body({"detail": detail}))
    assert type(caught.value) is error
    assert caught.value.status == status
    assert detail in caught.value.message
    if status >= 500:  # a server error says it was Gencove's fault, then what Gencove said
        assert caught.value.message.startswith(fallback)
    else:
        assert caught.value.message == detail

    with pytest.raises(error) as caught:
        decode_response(status, {}, b"<html>oops</html>")  # not JSON: fallback text
    assert (caught.value.status, caught.value.message) == (status, fallback)


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, False), (501, False), (502, True), (503, True), (504, True)]
)
def test_only_502_503_504_server_errors_are_retryable(status: int, retryable: bool) -> None:
    with pytest.raises(GencoveServerError) as caught:
        decode_response(status, {}, b"")
    assert caught.value.retryable is retryable


def test_non_string_detail_is_ignored() -> None:
    with pytest.raises(GencoveNotFound) as caught:
        decode_response(404, {}, body({"detail": ["a", "list"]}))
    assert caught.value.message == "Gencove does not know it."


# -- 429 and Retry-After --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "2.5"}, 2.5),
        (CIMultiDict({"RETRY-AFTER": "3"}), 3.0),
        ({"Retry-After": "-4"}, 0.0),
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),  # HTTP-date: not used
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_429_is_rate_limited_with_parsed_retry_after(
    headers: dict[str, str], expected: float | None
) -> None:
    with pytest.raises(GencoveRateLimited) as caught:
        decode_response(429, headers, body({"detail": "Request was throttled."}))
    err = caught.value
    assert err.retry_after == expected
    assert err.status == 429
    assert err.retryable
    assert err.message == "Request was throttled."


def test_429_without_detail_has_a_generic_message() -> None:
    with pytest.raises(GencoveRateLimited) as caught:
        decode_response(429, {}, b"")
    assert caught.value.message == "Gencove is throttling requests."


# -- message capping -----------------------------------------------------------------------


def test_long_messages_are_capped_with_an_ellipsis() -> None:
    with pytest.raises(GencoveForbidden) as caught:
        decode_response(403, {}, body({"detail": "x" * 5000}))
    message = caught.value.message
    assert len(message) == MAX_MESSAGE
    assert message == "x" * (MAX_MESSAGE - 1) + "…"
    assert str(caught.value) == message


def test_message_of_exactly_the_cap_is_untouched() -> None:
    with pytest.raises(GencoveNotFound) as caught:
        decode_response(404, {}, body({"detail": "y" * MAX_MESSAGE}))
    assert caught.value.message == "y" * MAX_MESSAGE


def test_long_field_messages_are_capped_but_fields_kept_whole() -> None:
    long = "z" * 2000
    with pytest.raises(GencoveValidationError) as caught:
        decode_response(400, {}, body({"email": [long]}))
    assert len(caught.value.message) == MAX_MESSAGE
    assert caught.value.fields == {"email": [long]}
