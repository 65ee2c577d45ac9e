"""The result message and the invite modal: within Slack's limits for any input, user text
always escaped (in every feature's messages: the result, a notification, the list, a card)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from invite_bot.domain.records import InviteRow
from invite_bot.features.accounts.blocks import Card, accept_card
from invite_bot.features.invite.modals import invite_modal
from invite_bot.features.invite.result import invite_result
from invite_bot.features.listing.blocks import ListPage, invitation_list
from invite_bot.features.notify.blocks import notification
from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.slack import validate_blocks, validate_view
from tests.support.blocks_text import block_text, blocks_text, text_of

EXPIRES = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
STATUSES = ["pending", "accepted", "expired", "revoked", "failed", "working"]
HOSTILE = "<!channel> <@U123> &lt; <https://evil|click> *bold* `code`"


def _raw_mentions(blocks: list[dict]) -> bool:
    text = json.dumps(blocks)
    return "<!channel>" in text or "<@U123>" in text or "<https://evil" in text


rows = st.builds(
    InviteRow,
    email=st.text(min_size=1, max_size=300),
    status=st.sampled_from(STATUSES),
    role=st.text(max_size=255),
    invitation_id=st.uuids().map(str) | st.none(),
    expires=st.just(EXPIRES) | st.none(),
    error=st.text(max_size=600) | st.none(),
    changed_by=st.sampled_from([None, "U0ADMIN01", "Carol <!here>"]),
    existing=st.booleans(),
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(rows, min_size=1, max_size=500))
def test_result_message_stays_within_limits_for_any_rows(given_rows: list[InviteRow]) -> None:
    message = invite_result(given_rows, inviter_id="U0ADMIN01")
    assert validate_blocks(message.blocks) == []
    assert len(message.text) <= 3000


def test_fifty_long_addresses_with_long_errors_fit_one_message() -> None:
    long = [
        InviteRow(
            email=("x" * 240) + f"{i}@lab.org",
            status="failed" if i % 2 else "pending",
            invitation_id=f"00000000-0000-0000-0000-{i:012d}",
            role="member",
            expires=EXPIRES,
            error="E" * 500,
        )
        for i in range(50)
    ]
    message = invite_result(long, inviter_id="U0ADMIN01")
    assert validate_blocks(message.blocks) == []
    assert "/gencove list" in text_of(message.blocks[-1])  # the closing hint


def test_the_header_says_what_the_command_did_whatever_became_of_it() -> None:
    rows = [
        InviteRow("ana@lab.org", "accepted", "member", "id-1", EXPIRES),
        InviteRow("bob@lab.org", "pending", "member", "id-2", EXPIRES, existing=True),
        InviteRow("cid@lab.org", "member"),
        InviteRow("dan@lab.org", "expired", "member", "id-3", EXPIRES, reinvited_by="U0ADMIN01"),
        InviteRow("dan@lab.org", "pending", "member", "id-4", EXPIRES),  # the re-invite's
        InviteRow("eve@lab.org", "failed", error="Gencove refused it."),
    ]
    summary = block_text(invite_result(rows, inviter_id="U0ADMIN01").blocks, "summary")
    assert summary == (
        "<@U0ADMIN01> invited 2 of 5 addresses (1 already invited, 1 already a member, 1 failed)."
    )
    done = [InviteRow("ana@lab.org", "revoked", "member", "id-1", EXPIRES)]
    summary = block_text(invite_result(done, inviter_id="U0ADMIN01").blocks, "summary")
    assert summary == "<@U0ADMIN01> invited 1 address."


def test_few_rows_get_a_section_and_button_each() -> None:
    message = invite_result(
        [
            InviteRow("ana@lab.org", "pending", "member", "id-1", EXPIRES),
            InviteRow("bob@lab.org", "failed", error="Enter a valid email address."),
        ],
        inviter_id="U0ADMIN01",
    )
    ids = [b.get("block_id") for b in message.blocks]
    assert ids == ["summary", "inv:id-1", "row:1"]
    button = message.blocks[1]["accessory"]
    assert (button["action_id"], button["value"], button["style"]) == (
        REVOKE,
        "id-1",
        "danger",
    )
    assert "accessory" not in message.blocks[2]


def test_user_and_gencove_text_is_escaped_everywhere() -> None:
    row = InviteRow(HOSTILE, "failed", role=HOSTILE, error=HOSTILE)
    for blocks in (
        invite_result([row], inviter_id="U0ADMIN01").blocks,
        notification(
            InviteRow(HOSTILE, "revoked", role=HOSTILE, changed_by=HOSTILE), inviter_id=None
        ).blocks,
        invitation_list(ListPage("pending", 0, 1, [row])).blocks,
        accept_card(Card("tok", HOSTILE, HOSTILE, "pending", EXPIRES, linked=False)).blocks,
    ):
        assert not _raw_mentions(blocks), blocks
        assert "&lt;!channel&gt;" in blocks_text(blocks)


def test_invite_modal_is_a_valid_view_even_with_many_long_roles() -> None:
    view = invite_modal(["r" * 300] * 150, default_role=None, metadata="{}").to_dict()
    assert validate_view(view) == []


def test_expiry_is_shown_in_each_readers_time_zone() -> None:
    row = InviteRow("ana@lab.org", "pending", invitation_id="id", expires=EXPIRES + timedelta(0))
    text = block_text(invite_result([row], inviter_id="U0ADMIN01").blocks, "inv:id")
    assert f"<!date^{int(EXPIRES.timestamp())}^" in text
    assert "{date_pretty} at {time}|Dec 3, 2026 at 12:00 UTC>" in text
