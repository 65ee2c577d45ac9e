"""What comes back from Slack is checked like what a user types: table-driven, pure."""

from __future__ import annotations

import json
from typing import Any

import pytest

from invite_bot.config.logs import REDACTED, RedactSecrets, redact_json
from invite_bot.domain import page_refs as pages
from invite_bot.domain.records import InviteRow
from invite_bot.features.listing.blocks import ListPage, invitation_list
from invite_bot.slack import trust
from invite_bot.slack.blockkit import Message, fits_block_kit
from invite_bot.slack.errors import SlackFailure
from invite_bot.slack.guard import instead
from invite_bot.slack.trust import parse_page_value

HOSTS = trust.response_hosts("http://127.0.0.1:8123/api/")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("C0GENERAL", True),
        ("G01ABCDEF", True),
        ("D0ADMIN01", True),
        ("C_GENERAL", True),  # the stand-ins' readable ids
        ("U0OUTSID1", False),  # a user: a DM to anyone
        ("W0ENTERPR", False),
        ("c0general", False),
        ("#general", False),
        ("<!channel>", False),
        ("C0GENERAL\n", False),
        ("C", False),
        ("C" + "A" * 60, False),
        ("", False),
        (123, False),
        (None, False),
        (["C0GENERAL"], False),
        ({"id": "C0GENERAL"}, False),
    ],
)
def test_a_channel_id_is_one_by_shape_and_type(value: Any, ok: bool) -> None:
    assert trust.channel_id(value) == (value if ok else None)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("https://hooks.slack.com/actions/T1/1/abc", True),
        ("https://HOOKS.slack.com/commands/T1/1/abc", True),
        ("http://hooks.slack.com/actions/T1/1/abc", False),  # Slack's own only over https
        ("http://127.0.0.1:9999/response/r1", True),  # the configured SLACK_API_URL's host
        ("https://127.0.0.1/response/r1", True),
        ("http://localhost:9999/response/r1", False),  # the same machine, another name
        ("https://evil.example/hooks.slack.com", False),
        ("https://hooks.slack.com.evil.example/x", False),
        ("https://user:pw@hooks.slack.com/x", False),
        ("https://hooks.slack.com:notaport/x", False),
        ("ftp://hooks.slack.com/x", False),
        ("hooks.slack.com/x", False),
        ("https://hooks.slack.com/" + "a" * 3000, False),
        ("", False),
        (None, False),
        (42, False),
    ],
)
def test_a_response_url_is_on_slacks_host_or_the_configured_one(value: Any, ok: bool) -> None:
    assert trust.response_url(value, HOSTS) == (value if ok else None)


def test_without_a_configured_host_only_slacks_is_allowed() -> None:
    assert trust.response_hosts(None) == frozenset({"hooks.slack.com"})
    assert trust.response_url("http://127.0.0.1/x", trust.response_hosts(None)) is None


@pytest.mark.parametrize(
    ("raw", "fields", "rejected"),
    [
        ("", {}, ()),
        (None, {}, ()),
        ('{"channel_id": "C0GENERAL"}', {"channel_id": "C0GENERAL"}, ()),
        ('{"channel_id": "U0OUTSID1"}', {}, ("channel_id",)),
        ('{"channel_id": ["C0GENERAL"]}', {}, ("channel_id",)),
        ('{"channel_id": ""}', {}, ()),
        ('{"message_ts": "1700000000.000100"}', {"message_ts": "1700000000.000100"}, ()),
        ('{"message_ts": 1700000000.0001}', {}, ("message_ts",)),
        ('{"request_id": "12"}', {"request_id": "12"}, ()),
        ('{"request_id": "12; DROP"}', {}, ("request_id",)),
        ('{"token": "abc-123"}', {"token": "abc-123"}, ()),
        ('{"token": "a b"}', {}, ("token",)),
        ('{"response_url": 7}', {}, ("response_url",)),
        ('{"anything": "else"}', {}, ()),
        ('["C0GENERAL"]', {}, ("private_metadata",)),
        ("not json", {}, ("private_metadata",)),
        ("[" * 5000, {}, ("private_metadata",)),
    ],
)
def test_private_metadata_keeps_only_the_fields_the_bot_writes(
    raw: Any, fields: dict[str, str], rejected: tuple[str, ...]
) -> None:
    read = trust.metadata(raw)
    assert dict(read.fields) == fields
    assert read.rejected == rejected


@pytest.mark.parametrize(
    ("value", "page"),
    [
        ('{"status":"pending","offset":0}', pages.PageRef("pending", 0)),
        ('{"status":"all","offset":40}', pages.PageRef("all", 40)),
        (pages.page_value("revoked", pages.MAX_OFFSET), pages.PageRef("revoked", 100_000)),
        ('{"status":"<!channel>","offset":0}', None),
        ('{"status":"PENDING","offset":0}', None),
        ('{"status":"pending","offset":-20}', None),
        ('{"status":"pending","offset":100001}', None),
        ('{"status":"pending","offset":1e9}', None),
        ('{"status":"pending","offset":"20"}', None),
        ('{"status":"pending","offset":true}', None),
        ('{"status":"pending"}', None),
        ('["pending", 0]', None),
        ("{not json", None),
        ("", None),
        ('{"status":"pending","offset":0,"pad":"' + "x" * 500 + '"}', None),
    ],
)
def test_a_list_button_names_a_known_status_and_an_offset_in_range(
    value: str, page: pages.PageRef | None
) -> None:
    assert pages.list_page(value) == page
    if page is None:
        with pytest.raises(trust.OutOfDate):
            parse_page_value(value)


def test_what_the_list_writes_its_buttons_read_back() -> None:
    rows = [InviteRow(email=f"p{i}@lab.org", status="pending") for i in range(60)]
    message = invitation_list(ListPage(status="pending", offset=20, count=200, rows=rows))
    assert len(message.blocks) <= 50  # rows past the page size are not shown
    values = [e["value"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [pages.list_page(v) for v in values] == [
        pages.PageRef("pending", 0),
        pages.PageRef("pending", 40),
    ]


@pytest.mark.parametrize(
    ("blocks", "fits"),
    [
        (None, True),
        ([], True),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3000}}], True),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], False),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 3001}]}], False),
        ([{"type": "divider"}] * 50, True),
        ([{"type": "divider"}] * 51, False),
        (["not a block"], False),
        ("not blocks", False),
    ],
)
def test_block_kit_limits(blocks: Any, fits: bool) -> None:
    assert fits_block_kit(blocks) is fits


def test_a_reply_sent_another_way_leaves_out_blocks_slack_refused() -> None:
    blocks = [{"type": "divider"}]
    refused = SlackFailure("refused", "invalid_blocks", 400)
    expired = SlackFailure("refused", "expired_url", 404)
    again = instead(Message("hi", blocks), expired)
    assert again is not None
    assert again.blocks == blocks
    text_only = instead(Message("hi", blocks), refused)
    assert text_only is not None
    assert "hi" in json.dumps(text_only.blocks)
    assert text_only.blocks != blocks
    assert instead(Message("", []), refused) is None


def test_redact_json_reaches_every_string_but_keys() -> None:
    redactor = RedactSecrets(["gc-org-secret-value"])
    value = {"text": "key gc-org-secret-value", "blocks": [{"x": ["gc-org-secret-value", 3]}]}
    assert redact_json(value, redactor) == {
        "text": f"key {REDACTED}",
        "blocks": [{"x": [REDACTED, 3]}],
    }
