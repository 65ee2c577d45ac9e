"""The Home tab end to end: opening it publishes it (`views.publish` to the local Slack,
checked there as Slack checks it), its buttons are the features' own, and it is published
again when what it shows changed, at most once per refresh, only to people who opened it.

The real bot answers signed requests over loopback; Slack and Gencove are the stand-ins.
Each test waits for outcomes, never for time; the refresh is driven one poll at a time
(`HomeRefresh.poll`, as the watcher's tests drive `Watcher.poll`), except where its loop
is what is tested.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

from invite_bot.features.accounts.blocks import (
    API_KEY_BLOCK,
    API_KEY_INPUT,
    LINK,
    LINK_MODAL,
    UNLINK,
)
from invite_bot.features.home.refresh import HomeRefresh
from invite_bot.features.invite.modals import INVITE_MODAL, OPEN_INVITE_FORM
from invite_bot.features.notify.buttons import CHANNEL_ON, NOTIFY_ME
from invite_bot.features.requests.blocks import APPROVE, ASK_MODAL, DENY, DENY_MODAL, WITHDRAW
from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.slack.home import home_action_body, home_opened_body, publishes_to
from invite_bot.store.schema import utcnow
from tests.support.harness import ADMIN, OUTSIDER, BotUnderTest
from tests.support.store import invitation
from tests.support.waiting import until

SECOND = "U0SECOND1"  # another inviter, who never opens the Home tab
ANA_KEY = "gc-ana-personal-key-4b7e1d9a02c3f5"


def _refresh(bot: BotUnderTest) -> HomeRefresh:
    return bot.bot.features.home_refresh


def _home(bot: BotUnderTest, user: str) -> dict[str, Any]:
    return bot.slack.homes[user]


def _text(view: dict[str, Any]) -> str:
    """Every text the Home shows, one per line, in order."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text"):
                found.append(str(node.get("text")))
            for key, value in node.items():
                if key != "confirm":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(view["blocks"])
    return "\n".join(found)


def _action_ids(view: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for block in view["blocks"]:
        elements = [*(block.get("elements") or []), block.get("accessory") or {}]
        found += [e["action_id"] for e in elements if isinstance(e, dict) and "action_id" in e]
    return found


def _value_of(view: dict[str, Any], action_id: str, block_id: str) -> str:
    for block in view["blocks"]:
        if block.get("block_id") == block_id:
            for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
                if element.get("action_id") == action_id:
                    return str(element["value"])
    raise LookupError(f"no {action_id} in {block_id}")


async def _open(bot: BotUnderTest, user: str) -> dict[str, Any]:
    """`user` opens the Home tab; their Home once published for this opening."""
    before = publishes_to(bot.slack, user)
    await bot.send(home_opened_body(user))
    await until(lambda: publishes_to(bot.slack, user) > before)
    return _home(bot, user)


async def _click(
    bot: BotUnderTest, user: str, action_id: str, *, value: str | None = None, **extra: Any
) -> None:
    body = home_action_body(action_id, _home(bot, user), user_id=user, value=value, **extra)
    await bot.send(body)
    await bot.settled()


async def _invite(bot: BotUnderTest, *addresses: str) -> None:
    before = len(bot.slack.calls_to("chat.postMessage"))
    await bot.command("invite " + " ".join(addresses))
    await bot.posted_results(before + 1)
    await bot.settled()


async def _ask(bot: BotUnderTest, address: str) -> int:
    """The member asks for `address`; the request's id."""
    await bot.command(f"invite {address}", user=OUTSIDER)
    await bot.settled()
    found = await bot.store.read(lambda tx: tx.requests.open_requests(requester=OUTSIDER))
    assert found, "the member's request was not stored"
    return found[-1].id


async def test_an_inviter_sees_pending_invitations_newest_first_requests_and_settings(
    bot: BotUnderTest,
) -> None:
    await _invite(bot, "old@lab.org")
    await _invite(bot, "new@lab.org")
    request_id = await _ask(bot, "asked@lab.org")

    view = await _open(bot, ADMIN)

    assert view["type"] == "home"
    text = _text(view)
    assert text.index("new@lab.org") < text.index("old@lab.org")  # the newest first
    assert "Pending invitations (2)" in text
    assert "2 pending" in text  # the last 30 days' counts
    assert "asked@lab.org" in text
    assert f"<@{OUTSIDER}>" in text
    ids = _action_ids(view)
    assert ids.count(REVOKE) == 2
    assert APPROVE in ids
    assert DENY in ids
    assert _value_of(view, APPROVE, f"home_req_actions:{request_id}") == str(request_id)
    assert {NOTIFY_ME, CHANNEL_ON, LINK, OPEN_INVITE_FORM} <= set(ids)
    assert "Direct messages about your invitations:* on" in text


async def test_a_member_sees_their_own_requests_and_never_others_invitations(
    bot: BotUnderTest,
) -> None:
    await _invite(bot, "someone@lab.org")
    await _ask(bot, "mine@lab.org")

    view = await _open(bot, OUTSIDER)

    text = _text(view)
    assert "someone@lab.org" not in text
    assert "Pending invitations" not in text
    assert "last 30 days" not in text
    assert "mine@lab.org" in text
    ids = _action_ids(view)
    assert REVOKE not in ids
    assert APPROVE not in ids
    assert CHANNEL_ON not in ids
    assert WITHDRAW in ids
    assert OPEN_INVITE_FORM in ids
    assert "Ask for an invitation" in str(view["blocks"])


async def test_revoke_on_the_home_tab_revokes_and_the_home_shows_it(bot: BotUnderTest) -> None:
    await _invite(bot, "gone@lab.org", "stays@lab.org")
    await _open(bot, ADMIN)
    gone = next(i for i in bot.gencove.find("gone@lab.org"))
    dms_before = len(bot.slack.calls_to("chat.postMessage"))

    await _click(bot, ADMIN, REVOKE, value=str(gone.id))

    assert [i.status for i in bot.gencove.find("gone@lab.org")] == ["revoked"]
    await _refresh(bot).poll()
    text = _text(_home(bot, ADMIN))
    assert "gone@lab.org" not in text
    assert "stays@lab.org" in text
    assert "Pending invitations (1)" in text
    assert "1 revoked" in text
    # The one revoke path: no copy of the result message was sent to the clicker.
    sent = bot.slack.calls_to("chat.postMessage")[dms_before:]
    assert not [c for c in sent if "gone@lab.org" in str(c.args)]


async def test_approve_on_the_home_tab_invites_and_the_home_shows_it(bot: BotUnderTest) -> None:
    request_id = await _ask(bot, "approved@lab.org")
    await _open(bot, ADMIN)

    await _click(bot, ADMIN, APPROVE, value=str(request_id))

    await until(lambda: bot.gencove.find("approved@lab.org"))
    request = await bot.store.read(lambda tx: tx.requests.get(request_id))
    assert request is not None
    assert request.status == "approved"
    assert request.decided_by == ADMIN

    async def shows_it() -> bool:
        await _refresh(bot).poll()
        text = _text(_home(bot, ADMIN))
        return "Open invite requests:* none" in text and "approved@lab.org" in text

    await _until_async(shows_it)


async def test_refreshes_coalesce_and_reach_only_people_who_opened_the_home(
    bot: BotUnderTest,
) -> None:
    bot.slack.add_user(SECOND, name="sam")
    await _invite(bot, "a@lab.org", "b@lab.org", "c@lab.org")
    await _open(bot, ADMIN)
    await _refresh(bot).poll()  # the mark as it is now
    opened = publishes_to(bot.slack, ADMIN)

    # Three changes (one command, three revokes), then one refresh: one publish.
    await bot.command("revoke a@lab.org b@lab.org c@lab.org")
    await bot.settled()
    assert [i.status for i in bot.gencove.find("c@lab.org")] == ["revoked"]
    assert await _refresh(bot).poll() == 1
    assert publishes_to(bot.slack, ADMIN) == opened + 1
    assert "Pending invitations:* none" in _text(_home(bot, ADMIN))

    # Nothing changed since: nothing published.
    assert await _refresh(bot).poll() == 0
    # A change whose Home looks the same to them is not published either.
    await bot.command("notify me off", user=OUTSIDER)
    await bot.settled()
    assert await _refresh(bot).poll() == 0
    assert publishes_to(bot.slack, ADMIN) == opened + 1
    # Never opened: never published, whatever changed.
    assert publishes_to(bot.slack, SECOND) == 0
    assert publishes_to(bot.slack, OUTSIDER) == 0


async def test_the_home_tab_stays_within_100_blocks_with_many_pending_invitations(
    bot: BotUnderTest,
) -> None:
    now = utcnow()
    many = [
        invitation(f"inv-{n:03d}", email=f"p{n:03d}@lab.org", at=now - timedelta(minutes=n))
        for n in range(150)
    ]
    await bot.store.write(lambda tx: tx.invitations.record(many))

    view = await _open(bot, ADMIN)

    assert len(view["blocks"]) <= 100
    shown = _action_ids(view).count(REVOKE)
    text = _text(view)
    assert f"and {150 - shown} more — `/gencove list`" in text
    assert "p000@lab.org" in text  # the newest
    assert bot.slack.violations == []


async def test_the_home_buttons_open_the_features_forms(bot: BotUnderTest) -> None:
    await _open(bot, ADMIN)
    await _click(bot, ADMIN, OPEN_INVITE_FORM, trigger_id=bot.slack.new_trigger_id())
    await _click(bot, ADMIN, LINK, trigger_id=bot.slack.new_trigger_id())
    await _open(bot, OUTSIDER)
    await _click(bot, OUTSIDER, OPEN_INVITE_FORM, trigger_id=bot.slack.new_trigger_id())

    opened = [v.view["callback_id"] for v in bot.slack.views.values()]
    assert opened == [INVITE_MODAL, LINK_MODAL, ASK_MODAL]


async def test_notification_settings_change_from_the_home_tab(bot: BotUnderTest) -> None:
    await _open(bot, ADMIN)

    await _click(bot, ADMIN, NOTIFY_ME, value="off")
    await _click(bot, ADMIN, CHANNEL_ON, selected_conversation="C0NOTICES")

    assert not await bot.store.read(lambda tx: tx.preferences.personal(ADMIN))
    subscribed = await bot.store.read(lambda tx: tx.subscriptions.all())
    assert [s.channel_id for s in subscribed] == ["C0NOTICES"]
    await _refresh(bot).poll()
    text = _text(_home(bot, ADMIN))
    assert "Direct messages about your invitations:* off" in text
    assert "<#C0NOTICES> hears of invitation changes" in text


async def test_a_member_cannot_change_the_workspace_channels(bot: BotUnderTest) -> None:
    await _open(bot, ADMIN)
    view = _home(bot, ADMIN)
    # A member replays an inviter's control: refused, nothing subscribed.
    body = home_action_body(CHANNEL_ON, view, user_id=OUTSIDER, selected_conversation="C0X")
    await bot.send(body)
    await bot.settled()
    assert await bot.store.read(lambda tx: tx.subscriptions.all()) == []


async def test_the_refresh_loop_publishes_a_change_on_its_own(bot: BotUnderTest) -> None:
    await _open(bot, ADMIN)
    stop = asyncio.Event()
    loop = asyncio.create_task(_refresh(bot).run(stop, every=0.1))
    try:
        await _invite(bot, "later@lab.org")
        await until(lambda: "later@lab.org" in _text(_home(bot, ADMIN)))
    finally:
        stop.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(loop, 10)


async def test_the_messages_tab_publishes_nothing(bot: BotUnderTest) -> None:
    await bot.send(home_opened_body(ADMIN, tab="messages"))
    await bot.send(home_opened_body(ADMIN))
    await until(lambda: publishes_to(bot.slack, ADMIN) >= 1)
    await bot.settled()
    assert publishes_to(bot.slack, ADMIN) == 1
    viewers = await bot.store.read(lambda tx: tx.home_tabs.viewers())
    assert [v.slack_user_id for v in viewers] == [ADMIN]


async def _until_async(check: Any, timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)


async def test_link_then_unlink_from_the_home_tab(bot: BotUnderTest) -> None:
    bot.gencove.add_user("ana@lab.org", name="Ana Admin", api_key=ANA_KEY)
    await _open(bot, ADMIN)
    await _click(bot, ADMIN, LINK, trigger_id=bot.slack.new_trigger_id())
    [form] = bot.slack.views.values()
    answer = await bot.submit(
        LINK_MODAL,
        {API_KEY_BLOCK: {API_KEY_INPUT: ANA_KEY}},
        view_id=form.id,
        private_metadata=form.view.get("private_metadata", ""),
    )
    if "Checking" in answer.text:  # a check slower than the ack: the form shows it after
        await until(lambda: len(form.history) > 1)
    else:  # checked within the ack: it shows the outcome itself
        assert "is linked" in answer.text
    await bot.settled()
    await _refresh(bot).poll()
    assert "Your Gencove account:* ana@lab.org" in _text(_home(bot, ADMIN))
    assert UNLINK in _action_ids(_home(bot, ADMIN))
    assert ANA_KEY not in bot.slack.all_text()  # never shown back, on the Home or elsewhere

    await _click(bot, ADMIN, UNLINK)

    assert await bot.store.read(lambda tx: tx.links.get(ADMIN)) is None
    await _refresh(bot).poll()
    assert "Your Gencove account:* not linked" in _text(_home(bot, ADMIN))


async def test_withdraw_on_the_home_tab_withdraws_the_members_request(bot: BotUnderTest) -> None:
    request_id = await _ask(bot, "withdrawn@lab.org")
    await _open(bot, OUTSIDER)

    await _click(bot, OUTSIDER, WITHDRAW, value=str(request_id))

    request = await bot.store.read(lambda tx: tx.requests.get(request_id))
    assert request is not None
    assert request.status == "withdrawn"
    await _refresh(bot).poll()
    text = _text(_home(bot, OUTSIDER))
    assert "withdrawn@lab.org" not in text
    assert "Your open invite requests:* none" in text


async def test_deny_on_the_home_tab_opens_the_deny_form(bot: BotUnderTest) -> None:
    request_id = await _ask(bot, "denied@lab.org")
    await _open(bot, ADMIN)

    await _click(bot, ADMIN, DENY, value=str(request_id), trigger_id=bot.slack.new_trigger_id())

    [form] = bot.slack.views.values()
    assert form.view["callback_id"] == DENY_MODAL
    await bot.submit(
        DENY_MODAL, {}, view_id=form.id, private_metadata=form.view["private_metadata"]
    )
    await bot.settled()
    request = await bot.store.read(lambda tx: tx.requests.get(request_id))
    assert request is not None
    assert request.status == "denied"
