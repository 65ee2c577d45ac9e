"""Who may invite, which batches may go out, and the per-user invitation limit."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invite_bot.domain.addresses import parse_addresses
from invite_bot.domain.policy import (
    ALLOWED,
    NO_ADDRESSES,
    NOT_A_WORKSPACE_ADMIN,
    NOT_AN_INVITER,
    Admins,
    Refused,
    check_addresses,
    check_domains,
    check_rate,
    decide_inviter,
    needs_lookup,
    parse_admins,
)
from invite_bot.domain.ratelimit import OFF, Rate, SlidingWindow, parse_rate

LAB = frozenset({"lab.org"})


# -- INVITE_ADMINS ---------------------------------------------------------------------


def test_admins_are_users_and_user_groups() -> None:
    assert parse_admins(" U01ANA, W02BOB ,S03TEAM,, u04cy ") == Admins(
        users=frozenset({"U01ANA", "W02BOB", "U04CY"}), groups=frozenset({"S03TEAM"})
    )


def test_empty_admins_setting_means_nobody_listed() -> None:
    assert not parse_admins("").configured
    assert not parse_admins(" , ").configured


def test_bad_admin_entries_are_all_named() -> None:
    with pytest.raises(ValueError, match="'@ana'") as error:
        parse_admins("U01ANA, @ana, C0CHANNEL")
    assert "'C0CHANNEL'" in str(error.value)
    assert "U01ANA" not in str(error.value)


# -- inviters --------------------------------------------------------------------------


def test_workspace_admins_invite_when_no_admins_are_configured() -> None:
    admins = Admins()
    assert needs_lookup("U1", admins) == "users.info"
    assert decide_inviter("U1", admins, is_workspace_admin=True) == ALLOWED
    assert decide_inviter("U1", admins, is_workspace_admin=False) == Refused(NOT_A_WORKSPACE_ADMIN)


def test_listed_user_is_an_inviter_without_any_lookup() -> None:
    admins = Admins(users=frozenset({"U1"}), groups=frozenset({"S1"}))
    assert needs_lookup("U1", admins) == "none"
    assert decide_inviter("U1", admins) == ALLOWED


def test_workspace_admins_are_not_inviters_once_admins_are_configured() -> None:
    admins = Admins(users=frozenset({"U1"}))
    assert needs_lookup("U2", admins) == "none"
    assert decide_inviter("U2", admins, is_workspace_admin=True) == Refused(NOT_AN_INVITER)


def test_member_of_a_listed_group_is_an_inviter() -> None:
    admins = Admins(groups=frozenset({"S1", "S2"}))
    assert needs_lookup("U9", admins) == "groups"
    members = {"S1": frozenset({"U3"}), "S2": frozenset({"U9"})}
    assert decide_inviter("U9", admins, group_members=members) == ALLOWED


def test_member_of_an_unlisted_group_is_not_an_inviter() -> None:
    admins = Admins(groups=frozenset({"S1"}))
    members = {"S1": frozenset({"U3"}), "S9": frozenset({"U9"})}
    assert decide_inviter("U9", admins, group_members=members) == Refused(NOT_AN_INVITER)


def test_missing_lookup_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="is_workspace_admin"):
        decide_inviter("U1", Admins())
    with pytest.raises(ValueError, match="group_members"):
        decide_inviter("U1", Admins(groups=frozenset({"S1"})))


def test_refusal_messages_say_what_to_do_in_peoples_words() -> None:
    for refusal in (NOT_AN_INVITER, NOT_A_WORKSPACE_ADMIN):
        assert "ask one of them, or use `/gencove invite` to ask" in refusal
        assert "INVITE_ADMINS" not in refusal


# -- addresses and domains -------------------------------------------------------------


def check(text: str, max_count: int = 50, allowed: frozenset[str] = frozenset()) -> Refused | None:
    parsed = parse_addresses(text, max_count=max_count, allowed_domains=allowed)
    return check_addresses(parsed, max_count=max_count, allowed_domains=allowed)


def test_good_batch_passes() -> None:
    assert check("ana@lab.org bob@lab.org", allowed=LAB) is None


def test_empty_batch_is_refused() -> None:
    assert check("  ") == Refused(NO_ADDRESSES)


def test_too_many_addresses_are_refused_before_listing_bad_ones() -> None:
    refused = check("nope " + " ".join(f"u{i}@lab.org" for i in range(60)), max_count=50)
    assert refused is not None
    assert "61 addresses" in refused.message
    assert "at most 50" in refused.message


def test_bad_addresses_are_listed_escaped_and_nothing_is_sent() -> None:
    refused = check("ana@lab.org <@U1> bob@")
    assert refused is not None
    assert "`&lt;@U1&gt;`" in refused.message
    assert "`bob@`" in refused.message
    assert "Nothing was sent" in refused.message
    assert "<" not in refused.message


def test_disallowed_domains_are_named_with_the_allowed_ones() -> None:
    refused = check("ana@lab.org bob@gmail.com", allowed=LAB)
    assert refused is not None
    assert "`bob@gmail.com`" in refused.message
    assert "`lab.org`" in refused.message
    assert "ana@lab.org" not in refused.message


def test_check_domains_names_only_refused_addresses() -> None:
    assert check_domains(["ana@lab.org"], LAB) is None
    assert check_domains(["ana@eu.lab.org"], frozenset()) is None
    refused = check_domains(["ana@lab.org", "bob@eu.lab.org"], LAB)
    assert refused is not None
    assert "`bob@eu.lab.org`" in refused.message
    assert "ana@lab.org" not in refused.message


def test_refusal_for_fifty_long_addresses_stays_short() -> None:
    addresses = " ".join(f"{'x' * 60}{i}@{'y' * 60}.org" for i in range(50))
    refused = check(addresses, allowed=LAB)
    assert refused is not None
    assert len(refused.message) < 3_000
    assert "more" in refused.message


# -- INVITE_RATE_LIMIT -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "rate"),
    [
        ("100/hour", Rate(100, 3_600)),
        ("20/minute", Rate(20, 60)),
        ("5/min", Rate(5, 60)),
        ("1000/day", Rate(1_000, 86_400)),
        ("10/30s", Rate(10, 30)),
        (" 7 / 2h ", Rate(7, 7_200)),
        ("3 per hour", Rate(3, 3_600)),
        ("100/HOUR", Rate(100, 3_600)),
        ("0", OFF),
        ("off", OFF),
        ("OFF", OFF),
    ],
)
def test_rates_people_write_are_understood(raw: str, rate: Rate) -> None:
    assert parse_rate(raw) == rate


@pytest.mark.parametrize(
    "raw", ["", "100", "hour", "100/fortnight", "-1/hour", "0/hour", "10/0s", "1.5/hour", "1/400d"]
)
def test_other_rates_are_refused_with_a_clear_message(raw: str) -> None:
    with pytest.raises(ValueError, match=r"rate|count|period"):
        parse_rate(raw)


def test_rates_describe_themselves() -> None:
    assert parse_rate("100/hour").describe() == "100 per hour"
    assert parse_rate("10/30s").describe() == "10 per 30 seconds"
    assert parse_rate("5/2h").describe() == "5 per 2 hours"
    assert OFF.describe() == "no limit"


def test_a_batch_consumes_one_per_address() -> None:
    window = SlidingWindow(Rate(10, 60))
    first = window.allow("U1", 5, now=0)
    assert (first.allowed, first.remaining) == (True, 5)
    second = window.allow("U1", 5, now=1)
    assert (second.allowed, second.remaining) == (True, 0)


def test_a_batch_that_does_not_fit_is_refused_whole_and_uses_nothing() -> None:
    window = SlidingWindow(Rate(10, 60))
    window.allow("U1", 8, now=0)
    refused = window.allow("U1", 3, now=10)
    assert not refused.allowed
    assert refused.remaining == 2
    assert refused.retry_after == pytest.approx(50)
    assert window.allow("U1", 2, now=11).allowed


def test_retry_after_is_when_the_whole_batch_fits() -> None:
    window = SlidingWindow(Rate(10, 60))
    window.allow("U1", 4, now=0)
    window.allow("U1", 4, now=20)
    window.allow("U1", 2, now=30)
    refused = window.allow("U1", 6, now=40)
    assert refused.retry_after == pytest.approx(40)  # both the 0 s and 20 s batches must age out
    assert not window.allow("U1", 6, now=79).allowed
    assert window.allow("U1", 6, now=80).allowed


def test_limits_are_per_user() -> None:
    window = SlidingWindow(Rate(1, 60))
    assert window.allow("U1", 1, now=0).allowed
    assert window.allow("U2", 1, now=0).allowed
    assert not window.allow("U1", 1, now=0).allowed


def test_a_batch_larger_than_the_limit_can_never_pass() -> None:
    window = SlidingWindow(Rate(5, 60))
    refused = window.allow("U1", 6, now=0)
    assert not refused.allowed
    assert math.isinf(refused.retry_after)


def test_no_limit_allows_everything() -> None:
    window = SlidingWindow(OFF)
    assert all(window.allow("U1", 1_000, now=0).allowed for _ in range(100))


def test_memory_holds_only_recent_users() -> None:
    window = SlidingWindow(Rate(5, 60))
    for i in range(1_000):
        window.allow(f"U{i}", 1, now=i * 0.01)
    window.allow("U-late", 1, now=500)
    assert len(window._users) == 1


def test_rate_refusals_say_when_to_retry() -> None:
    rate = Rate(10, 3_600)
    window = SlidingWindow(rate)
    window.allow("U1", 9, now=0)
    refused = check_rate(window.allow("U1", 3, now=600), rate=rate, requested=3)
    assert refused is not None
    assert "you can send 1 more" in refused.message
    assert "10 per hour" in refused.message
    assert "50 minutes" in refused.message


def test_rate_refusal_for_an_oversized_batch_says_to_split_it() -> None:
    rate = Rate(5, 60)
    refused = check_rate(SlidingWindow(rate).allow("U1", 6, now=0), rate=rate, requested=6)
    assert refused is not None
    assert "smaller batches" in refused.message


def test_allowed_batches_pass_the_rate_check() -> None:
    rate = Rate(5, 60)
    assert check_rate(SlidingWindow(rate).allow("U1", 5, now=0), rate=rate, requested=5) is None


requests = st.lists(
    st.tuples(
        st.sampled_from(["U1", "U2"]),
        st.integers(min_value=0, max_value=6),
        st.floats(min_value=0, max_value=30, allow_nan=False),
    ),
    max_size=60,
)


@given(
    requests,
    st.integers(min_value=1, max_value=10),
    st.integers(min_value=1, max_value=20),
)
@settings(max_examples=300, deadline=None)
def test_never_more_than_count_in_any_window(
    steps: list[tuple[str, int, float]], count: int, period: int
) -> None:
    window = SlidingWindow(Rate(count, period))
    now = 0.0
    granted: list[tuple[str, float, int]] = []
    for user, n, gap in steps:
        now += gap
        allowance = window.allow(user, n, now)
        used = sum(size for who, when, size in granted if who == user and when > now - period)
        assert allowance.allowed == (used + n <= count)
        if allowance.allowed:
            granted.append((user, now, n))
            assert allowance.remaining == count - used - n
        else:
            assert allowance.remaining == count - used
            assert allowance.retry_after > 0
    for user, moment, _ in granted:
        in_window = sum(s for w, t, s in granted if w == user and moment - period < t <= moment)
        assert in_window <= count
