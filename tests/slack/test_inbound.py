"""SlackRequest: every body the bot receives, read into one shape; odd ones never raise."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_bolt.request.async_request import AsyncBoltRequest

from invite_bot.features.accounts.blocks import ACCEPT, LINK_MODAL
from invite_bot.features.invite.modals import INVITE_MODAL
from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.slack import (
    block_action_body,
    event_body,
    slash_command_body,
    view_submission_body,
)
from invite_bot.slack.inbound import COMMAND, IncompleteRequest, SlackRequest, delivery_key


def bolt_body(raw: bytes) -> dict[str, Any]:
    """The body as Bolt parses it for a listener (form fields, or the JSON payload)."""
    return dict(AsyncBoltRequest(body=raw.decode()).body)


def test_a_slash_command() -> None:
    body = bolt_body(
        slash_command_body(
            "invite ana@lab.org",
            user_id="U1",
            channel_id="C1",
            team_id="T9",
            response_url="https://hooks.example/r/1",
            trigger_id="trig-1",
        )
    )
    request = SlackRequest.parse(body)
    assert request == SlackRequest(
        kind=COMMAND,
        delivery_key=delivery_key(body),
        user_id="U1",
        channel_id="C1",
        team_id="T9",
        response_url="https://hooks.example/r/1",
        trigger_id="trig-1",
    )
    assert (request.user, request.channel, request.trigger) == ("U1", "C1", "trig-1")


def test_a_click_on_a_channel_message() -> None:
    message = {"type": "message", "ts": "1700000000.000200", "text": "", "blocks": []}
    body = bolt_body(
        block_action_body(
            REVOKE,
            value="inv-1",
            user_id="U2",
            channel_id="C2",
            message=message,
            response_url="https://hooks.example/r/2",
            trigger_id="trig-2",
        )
    )
    request = SlackRequest.parse(body)
    assert request.kind == "block_actions"
    assert (request.user_id, request.channel_id, request.team_id) == ("U2", "C2", "T1")
    assert request.response_url == "https://hooks.example/r/2"
    assert request.trigger_id == "trig-2"
    assert request.message_ts == "1700000000.000200"


def test_a_click_on_an_ephemeral_message_has_its_channel_from_the_container() -> None:
    body = bolt_body(block_action_body(ACCEPT, user_id="U3", container="ephemeral"))
    body.pop("channel", None)
    request = SlackRequest.parse(body)
    assert request.channel_id == "C_GENERAL"  # container.channel_id
    assert request.message_ts is None  # Slack sends no message for an ephemeral one


def test_a_modal_submission_has_its_channel_from_the_private_metadata() -> None:
    metadata = json.dumps({"channel_id": "C_MODAL", "token": "tok"})
    body = bolt_body(
        view_submission_body(INVITE_MODAL, {}, user_id="U4", private_metadata=metadata)
    )
    request = SlackRequest.parse(body)
    assert request.kind == "view_submission"
    assert (request.user_id, request.channel_id, request.team_id) == ("U4", "C_MODAL", "T1")
    assert request.response_url is None
    assert request.metadata == {"channel_id": "C_MODAL", "token": "tok"}


@pytest.mark.parametrize("metadata", ["", "not json", "[1, 2]", '{"channel_id": 5}'])
def test_a_modal_without_usable_metadata_has_no_channel(metadata: str) -> None:
    body = bolt_body(view_submission_body(LINK_MODAL, {}, private_metadata=metadata))
    request = SlackRequest.parse(body)
    assert request.channel_id is None
    with pytest.raises(IncompleteRequest) as raised:
        _ = request.channel
    assert raised.value.missing == "channel"


def test_a_closed_modal() -> None:
    body = {
        "type": "view_closed",
        "team": {"id": "T5"},
        "user": {"id": "U5", "team_id": "T5"},
        "view": {"id": "V1", "private_metadata": json.dumps({"channel_id": "C5"})},
        "is_cleared": False,
    }
    request = SlackRequest.parse(body)
    assert (request.kind, request.user_id, request.channel_id, request.team_id) == (
        "view_closed",
        "U5",
        "C5",
        "T5",
    )
    assert request.trigger_id is None


def test_an_event() -> None:
    body = bolt_body(
        event_body(
            {"type": "app_mention", "user": "U6", "channel": "C6", "text": "hi"}, team_id="T6"
        )
    )
    request = SlackRequest.parse(body)
    assert (request.kind, request.user_id, request.channel_id, request.team_id) == (
        "event_callback",
        "U6",
        "C6",
        "T6",
    )


def test_the_retry_header_is_read_from_bolt_headers() -> None:
    assert SlackRequest.parse({}, {"x-slack-retry-num": ["2"]}).retry_num == 2
    assert SlackRequest.parse({}, {"X-Slack-Retry-Num": "1"}).retry_num == 1
    assert SlackRequest.parse({}, {"x-slack-retry-num": ["x"]}).retry_num is None
    assert SlackRequest.parse({}, {}).retry_num is None


def test_the_fingerprint_is_the_one_the_store_already_holds() -> None:
    # Rows claimed before this module existed must still catch a retry after a deploy.
    body = {"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_ts": "1.2"}]}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    assert delivery_key(body) == hashlib.sha256(canonical.encode()).hexdigest()
    assert SlackRequest.parse(body).delivery_key == delivery_key(body)
    assert delivery_key(dict(reversed(list(body.items())))) == delivery_key(body)


def test_a_request_missing_what_a_listener_needs_says_what() -> None:
    request = SlackRequest.parse({"type": "block_actions"})
    for name, missing in (("user", "user"), ("channel", "channel"), ("trigger", "trigger_id")):
        with pytest.raises(IncompleteRequest) as raised:
            getattr(request, name)
        assert raised.value.missing == missing


ODD_BODIES: list[Any] = [
    None,
    [],
    [1, 2],
    "payload",
    42,
    {},
    {"type": None},
    {"command": "/gencove", "user_id": 7, "channel_id": ["C"]},
    {"type": "block_actions", "user": "U1", "channel": [], "container": 3, "message": "x"},
    {"type": "view_submission", "view": {"private_metadata": {"channel_id": "C"}}},
    {"type": "event_callback", "event": "nope", "team_id": {}},
    {1: "non-string key", "a": 2},
]


@pytest.mark.parametrize("body", ODD_BODIES)
def test_an_odd_body_parses_to_nothing_much(body: Any) -> None:
    request = SlackRequest.parse(body, {"x-slack-retry-num": []})
    assert request.user_id is None
    assert request.response_url is None
    assert isinstance(request.delivery_key, str)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "user",
                    "id",
                    "channel",
                    "container",
                    "channel_id",
                    "view",
                    "event",
                    "private_metadata",
                    "team",
                    "team_id",
                    "command",
                    "user_id",
                    "message",
                    "ts",
                ]
            )
            | st.text(max_size=5),
            children,
            max_size=6,
        )
    ),
    max_leaves=30,
)


@given(JSON)
def test_any_json_body_parses_without_raising(body: Any) -> None:
    request = SlackRequest.parse(body)
    for value in (request.user_id, request.channel_id, request.team_id, request.response_url):
        assert value is None or (isinstance(value, str) and value)
