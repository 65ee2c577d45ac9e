"""The pure rules of invite requests: who may ask and decide, the order of the checks,
where a request goes, expiry and its setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from invite_bot.domain.policy import ALLOWED, NOT_A_WORKSPACE_ADMIN, NOT_AN_INVITER, Refused
from invite_bot.domain.requests import (
    RequestFacts,
    check_ask,
    check_decision,
    check_withdraw,
    clean_reason,
    destinations,
    is_expired,
    may_ask_instead,
    parse_duration,
    parse_remind_after,
)
from invite_bot.slack.people import LOOKUP_FAILED

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)
OPEN = RequestFacts(status="open", requester="U0MEMBER1", expires_at=LATER)


def _closed(status: str, by: str | None = "U0ADMIN01") -> RequestFacts:
    return RequestFacts(status=status, requester="U0MEMBER1", expires_at=LATER, decided_by=by)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("inviter", "facts", "now", "says"),
    [
        (ALLOWED, OPEN, NOW, None),
        # the clicker's permission comes first, even on a request already decided
        (Refused(NOT_AN_INVITER), _closed("approved"), NOW, "Only the people who manage"),
        (Refused(NOT_AN_INVITER), None, NOW, "Only the people who manage"),
        (ALLOWED, None, NOW, "not known"),
        (ALLOWED, _closed("approved"), NOW, "already approved by <@U0ADMIN01>"),
        (ALLOWED, _closed("denied", "U0SECOND1"), NOW, "already denied by <@U0SECOND1>"),
        (ALLOWED, _closed("withdrawn", "U0MEMBER1"), NOW, "withdrawn by the member who asked"),
        (ALLOWED, _closed("expired", None), NOW, "expired without a decision"),
        # still "open" in the store, but its time is up: expired, never decided
        (ALLOWED, OPEN, LATER, "expired <!date^"),
        (ALLOWED, OPEN, LATER, "|Dec 9, 2026 at 12:00 UTC> without a decision"),
        (ALLOWED, OPEN, LATER - timedelta(microseconds=1), None),
    ],
)
def test_the_checks_at_click_time_in_order(
    inviter: object, facts: RequestFacts | None, now: datetime, says: str | None
) -> None:
    refusal = check_decision(inviter, facts, now)  # type: ignore[arg-type]
    if says is None:
        assert refusal is None
    else:
        assert refusal is not None
        assert says in refusal.message


@pytest.mark.parametrize(
    ("user", "facts", "now", "says"),
    [
        ("U0MEMBER1", OPEN, NOW, None),
        ("U0OTHER01", OPEN, NOW, "Only the member who asked"),
        ("U0MEMBER1", None, NOW, "not known"),
        ("U0MEMBER1", _closed("approved"), NOW, "already approved"),
        ("U0MEMBER1", OPEN, LATER, "expired"),
    ],
)
def test_withdrawing(
    user: str, facts: RequestFacts | None, now: datetime, says: str | None
) -> None:
    refusal = check_withdraw(user, facts, now)
    assert (refusal is None) if says is None else (refusal is not None and says in refusal.message)


@pytest.mark.parametrize(
    ("decision", "asks"),
    [
        (Refused(NOT_AN_INVITER), True),
        (Refused(NOT_A_WORKSPACE_ADMIN), True),
        (LOOKUP_FAILED, False),  # unknown whether they may invite: no guessing either way
        (ALLOWED, False),
    ],
)
def test_only_a_non_inviter_asks_instead(decision: object, asks: bool) -> None:
    assert may_ask_instead(decision) is asks  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("open_count", "refused"), [(0, False), (9, False), (10, True), (11, True)]
)
def test_at_most_ten_open_requests(open_count: int, refused: bool) -> None:
    refusal = check_ask(open_count)
    assert (refusal is not None) is refused
    if refusal:
        assert f"{open_count} open requests" in refusal.message


@pytest.mark.parametrize(
    ("approval", "inviters", "notify", "targets", "kind"),
    [
        ("C0APPROVE", ["U1", "U2"], ["C0NOTIFY"], ("C0APPROVE",), "approval channel"),
        (None, ["U1", "U2"], ["C0NOTIFY"], ("U1", "U2"), "inviters"),
        (None, ["U1", "U1"], [], ("U1",), "inviters"),
        (None, [f"U{n}" for n in range(5)], [], tuple(f"U{n}" for n in range(5)), "inviters"),
        (None, [f"U{n}" for n in range(6)], ["C0NOTIFY"], ("C0NOTIFY",), "notification channel"),
        (None, None, ["C0NOTIFY", "C0OTHER"], ("C0NOTIFY",), "notification channel"),
        (None, None, [], (), "nowhere"),
        (None, [], [], (), "nowhere"),
    ],
)
def test_where_a_request_goes(
    approval: str | None,
    inviters: list[str] | None,
    notify: list[str],
    targets: tuple[str, ...],
    kind: str,
) -> None:
    found = destinations(approval_channel=approval, inviters=inviters, notification_channels=notify)
    assert (found.targets, found.kind) == (targets, kind)


@pytest.mark.parametrize(
    ("text", "ttl"),
    [
        ("7d", timedelta(days=7)),
        ("36h", timedelta(hours=36)),
        ("90 m", timedelta(minutes=90)),
        ("2 days", timedelta(days=2)),
        ("30", timedelta(seconds=30)),
        ("1s", timedelta(seconds=1)),
    ],
)
def test_request_ttl_setting(text: str, ttl: timedelta) -> None:
    assert parse_duration(text) == ttl


@pytest.mark.parametrize("text", ["", "soon", "0", "-1d", "400d", "7w", "1.5h"])
def test_a_bad_request_ttl_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|from 1 second"):
        parse_duration(text)


def test_a_request_expires_at_its_time_exactly() -> None:
    assert not is_expired(LATER, LATER - timedelta(microseconds=1))
    assert is_expired(LATER, LATER)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        (None, None),
        ("", None),
        ("   \n ", None),
        ("  a  lab\nlead ", "a lab lead"),
        ("x" * 600, "x" * 500),
    ],
)
def test_a_reason_is_trimmed_and_bounded(typed: str | None, kept: str | None) -> None:
    assert clean_reason(typed) == kept


def test_the_request_settings_are_read_and_checked() -> None:
    from invite_bot.config.settings import SettingsError, load_settings

    base = {"slack_bot_token": "xoxb-1", "gencove_api_key": "k"}
    settings = load_settings(env_file=None, **base, invite_approval_channel="C0APPROVE")
    assert settings.request_ttl == timedelta(days=7)
    assert settings.invite_approval_channel == "C0APPROVE"
    with pytest.raises(SettingsError, match="INVITE_APPROVAL_CHANNEL") as bad:
        load_settings(
            env_file=None, **base, invite_approval_channel="#approvals", invite_request_ttl="soon"
        )
    assert "INVITE_REQUEST_TTL" in str(bad.value)


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("24h", timedelta(hours=24)),
        ("2d", timedelta(days=2)),
        ("90", timedelta(seconds=90)),
        ("off", None),
        (" OFF ", None),
    ],
)
def test_the_request_reminder_setting(text: str, after: timedelta | None) -> None:
    assert parse_remind_after(text) == after


def test_a_bad_request_reminder_setting_is_refused_in_words() -> None:
    from invite_bot.config.settings import SettingsError, load_settings

    base = {"slack_bot_token": "xoxb-1", "gencove_api_key": "k"}
    assert load_settings(env_file=None, **base).request_remind_after == timedelta(hours=24)
    with pytest.raises(SettingsError, match="INVITE_REQUEST_REMIND_AFTER") as bad:
        load_settings(env_file=None, **base, invite_request_remind_after="tomorrow")
    assert "24h, 2d, 90m, seconds, or off" in str(bad.value)
