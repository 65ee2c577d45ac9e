"""Who hears what, and when: reminder timing, the inviter's DM, summary grouping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from invite_bot.domain.notifications import (
    Notice,
    NoticeKind,
    Single,
    Summary,
    personal_recipient,
    plan_posts,
    remind_before,
    reminder_due,
)

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", timedelta(hours=24)),
        ("90m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("3600", timedelta(hours=1)),
        (" 12H ", timedelta(hours=12)),
        ("off", None),
        ("OFF", None),
        ("0", None),
        ("none", None),
    ],
)
def test_remind_before_reads_durations_and_off(text: str, expected: timedelta | None) -> None:
    assert remind_before(text) == expected


@pytest.mark.parametrize("text", ["soon", "24 hours", "-1h", "h", "", "61d"])
def test_remind_before_refuses_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="must be"):
        remind_before(text)


@pytest.mark.parametrize(
    ("expires", "before", "due"),
    [
        (NOW + 23 * HOUR, 24 * HOUR, True),  # within the window
        (NOW + 24 * HOUR, 24 * HOUR, True),  # exactly at its edge
        (NOW + 25 * HOUR, 24 * HOUR, False),  # not yet
        (NOW, 24 * HOUR, False),  # expiring now: the expiry notification tells
        (NOW - HOUR, 24 * HOUR, False),  # already expired
        (NOW + HOUR, None, False),  # reminders off
        (None, 24 * HOUR, False),  # no expiry
    ],
)
def test_reminder_due(expires: datetime | None, before: timedelta | None, due: bool) -> None:
    assert reminder_due(expires, NOW, before) is due


@pytest.mark.parametrize(
    ("status", "inviter", "actor", "opted_out", "expected"),
    [
        ("accepted", "U1", None, set(), "U1"),
        ("expired", "U1", None, set(), "U1"),
        ("revoked", "U1", "U2", set(), "U1"),  # revoked by someone else
        ("revoked", "U1", "U1", set(), None),  # one's own action: no DM
        ("revoked", "U1", "Gencove Admin", set(), "U1"),
        ("accepted", "U1", None, {"U1"}, None),  # notify me off
        ("accepted", None, None, set(), None),  # made outside Slack: nobody to tell
        ("pending", "U1", None, set(), None),  # the inviter made it
    ],
)
def test_personal_recipient(
    status: str, inviter: str | None, actor: str | None, opted_out: set[str], expected: str | None
) -> None:
    found = personal_recipient(new_status=status, inviter=inviter, actor=actor, opted_out=opted_out)
    assert found == expected


def _notices(*spec: tuple[NoticeKind, str]) -> list[Notice[int]]:
    return [Notice(kind, status, index) for index, (kind, status) in enumerate(spec)]


@pytest.mark.parametrize("count", [0, 1, 5])
def test_up_to_five_notices_go_out_one_by_one(count: int) -> None:
    one: tuple[NoticeKind, str] = ("notify", "expired")
    notices = _notices(*[one] * count)
    assert plan_posts(notices) == [Single(i) for i in range(count)]


def test_more_than_five_become_one_summary_grouped_by_what_happened() -> None:
    notices = _notices(
        ("notify", "expired"),
        ("notify", "accepted"),
        ("notify", "expired"),
        ("reminder", "pending"),
        ("notify", "pending"),
        ("notify", "revoked"),
        ("notify", "expired"),
    )
    (post,) = plan_posts(notices)
    assert isinstance(post, Summary)
    assert [(g.kind, g.status, g.items) for g in post.groups] == [
        ("reminder", "pending", (3,)),
        ("notify", "pending", (4,)),
        ("notify", "accepted", (1,)),
        ("notify", "revoked", (5,)),
        ("notify", "expired", (0, 2, 6)),
    ]
    assert sorted(post.items) == list(range(7))
