"""The pace of invitation creates (invite_bot/domain/pacing.py): not paced until Gencove
says 429, then about Gencove's own rate, learnt from its 201s and 429s.

Most tests drive a made-up bulk job against the Gencove stand-in's own token bucket
(`CreateLimit`) on a made-up clock: simulated seconds, so nothing here depends on how
busy the machine is.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invite_bot.domain.pacing import FORGET, SLOWEST, Pacer
from invite_bot.playground.gencove.limits import CreateLimit


@dataclass
class Run:
    """What a simulated job sent and when it ended."""

    requests: int = 0
    refused: int = 0
    created: int = 0
    ended: float = 0.0
    retry_gaps: list[float] = field(default_factory=list)  # 429 answered -> same address again

    @property
    def per_invitation(self) -> float:
        return self.requests / self.created


def simulate(
    pacer: Pacer | None,
    *,
    count: int,
    rate: float,
    burst: int,
    workers: int = 50,
    latency: float = 0.01,
    retry_after: float | None = None,
) -> Run:
    """`count` addresses, `workers` at a time, each create retried after its 429's
    Retry-After (as the client does); with a pacer, every try waits for its turn."""
    clock = 0.0
    limit = CreateLimit(rate, burst=burst, retry_after=retry_after, clock=lambda: clock)
    run, order = Run(), itertools.count()
    events: list[tuple[float, int, Callable[[], None]]] = []
    addresses = iter(range(count))

    def at(when: float, what: Callable[[], None]) -> None:
        heapq.heappush(events, (when, next(order), what))

    def ready() -> None:  # a worker with an address ready to send
        wait = pacer.delay(clock) if pacer is not None else 0.0
        if wait > 0:
            at(clock + wait, ready)
            return
        if pacer is not None:
            pacer.sent(clock)
        sent, refused = clock, limit.take()
        at(clock + latency, lambda: answered(sent, refused))

    def answered(sent: float, refused: float | None) -> None:
        run.requests += 1
        if refused is None:
            run.created += 1
            if pacer is not None:
                pacer.accepted(sent)
            next_address()
            return
        run.refused += 1
        wait = float(limit.header(refused))
        if pacer is not None:
            pacer.refused(sent, clock, wait)
        at(clock + wait, ready)
        run.retry_gaps.append(wait)

    def next_address() -> None:
        if next(addresses, None) is not None:
            ready()
        else:
            run.ended = max(run.ended, clock)

    for _ in range(workers):
        at(0.0, next_address)
    while events:
        clock, _, what = heapq.heappop(events)
        what()
    return run


def bound(count: int, rate: float, burst: int) -> float:
    return (count - burst) / rate


def test_not_paced_while_gencove_has_said_no_429() -> None:
    pacer = Pacer()
    for step in range(10_000):
        now = step / 1000  # a thousand creates a second
        assert pacer.delay(now) == 0.0
        pacer.sent(now)
        pacer.accepted(now)
    assert not pacer.paced


def test_a_bulk_job_sends_about_one_create_per_invitation_at_about_gencoves_rate() -> None:
    run = simulate(Pacer(), count=1000, rate=10.0, burst=10)
    assert run.created == 1000
    assert run.per_invitation <= 1.1
    assert run.ended <= 1.05 * bound(1000, 10.0, 10)


def test_without_a_pace_every_worker_hits_429_on_its_own() -> None:
    naive = simulate(None, count=1000, rate=10.0, burst=10)
    paced = simulate(Pacer(), count=1000, rate=10.0, burst=10)
    assert naive.per_invitation > 3  # what the bot did before it kept a pace
    assert paced.refused * 10 < naive.refused


@pytest.mark.parametrize(
    ("rate", "burst"), [(10.0, 10), (5.0, 5), (10.0, 100), (2.0, 30), (50.0, 50)]
)
def test_the_pace_follows_limits_of_other_sizes(rate: float, burst: int) -> None:
    run = simulate(Pacer(), count=1000, rate=rate, burst=burst)
    assert run.created == 1000
    assert run.per_invitation <= 1.2
    assert run.ended <= 1.1 * bound(1000, rate, burst)


def test_an_exact_fractional_retry_after_is_followed_as_well() -> None:
    run = simulate(Pacer(), count=500, rate=10.0, burst=10, retry_after=0.1)
    assert run.per_invitation <= 1.2
    assert run.ended <= 1.05 * bound(500, 10.0, 10)


@settings(max_examples=25, deadline=None)
@given(
    rate=st.floats(min_value=1.0, max_value=40.0),
    burst=st.integers(min_value=5, max_value=60),
    workers=st.integers(min_value=2, max_value=60),
    latency=st.floats(min_value=0.001, max_value=0.2),
)
def test_far_fewer_429s_than_without_a_pace_whatever_the_limit(
    rate: float, burst: int, workers: int, latency: float
) -> None:
    count = int(rate * 30) + burst
    paced = simulate(Pacer(), count=count, rate=rate, burst=burst, workers=workers, latency=latency)
    naive = simulate(None, count=count, rate=rate, burst=burst, workers=workers, latency=latency)
    assert paced.created == count
    # The first workers all go before Gencove's first 429; after it, a 429 now and then
    # (one in ten creates, or one every two seconds, at the most) tells the pace is right.
    assert paced.refused <= workers + max(count / 10, paced.ended / 2)
    assert paced.refused <= naive.refused
    # the worker that got a 429 still waits its Retry-After before that address again
    assert all(gap >= 1.0 for gap in paced.retry_gaps)


def test_after_a_429_the_next_create_waits_for_the_refill_not_the_whole_retry_after() -> None:
    pacer = Pacer()
    for i in range(10):
        pacer.sent(i / 1000)
        pacer.accepted(i / 1000)
    pacer.refused(0.010, 0.011, 1.0)  # Retry-After: 1 (whole seconds)
    assert pacer.rate is not None
    assert 0 < pacer.delay(0.011) <= 1 / pacer.rate < 0.5


def test_a_lone_429_paces_nothing() -> None:
    for said in (None, 0.0, 1.0):
        pacer = Pacer()  # nothing accepted before: no rate shows (a single invite)
        pacer.refused(100.0, 100.0, said)
        assert not pacer.paced
        assert pacer.delay(100.0) == 0.0


def test_a_429_after_a_quiet_while_holds_the_next_no_longer_than_gencove_said() -> None:
    for said in (0.0, 0.3, 1.0):
        pacer = Pacer()
        pacer.accepted(99.5)  # one create a little before: a slow first guess
        pacer.refused(100.0, 100.0, said)
        assert pacer.rate is not None
        assert 1 / pacer.rate > 0.5
        assert pacer.delay(100.0) == pytest.approx(min(said, 1 / pacer.rate))


def test_a_retry_after_of_whole_seconds_holds_back_all_but_its_last_second() -> None:
    for accepted_before in (0, 10):
        pacer = Pacer()
        for i in range(accepted_before):
            pacer.accepted(-i / 100)
        pacer.refused(0.0, 0.0, 5.0)  # the free create is somewhere between 4 and 5 s on
        assert pacer.delay(0.0) == pytest.approx(4.0)


def test_a_fractional_retry_after_is_taken_as_exact() -> None:
    for accepted_before in (0, 10):
        pacer = Pacer()
        for i in range(accepted_before):
            pacer.accepted(-i / 100)
        pacer.refused(0.0, 0.0, 2.5)
        assert pacer.delay(0.0) == pytest.approx(2.5)


def test_429s_for_creates_sent_before_the_pace_was_cut_do_not_cut_it_again() -> None:
    pacer = Pacer()
    for i in range(20):
        pacer.sent(i / 100)
        pacer.accepted(i / 100)
    pacer.refused(0.2, 0.21, 1.0)
    cut = pacer.rate
    for late in range(10):  # sent with the first, answered after it
        pacer.refused(0.2, 0.22 + late / 1000, 1.0)
    assert pacer.rate == cut


def test_the_rate_is_measured_between_two_429s() -> None:
    pacer = Pacer()
    for i in range(10):  # a burst of 10 at once ...
        pacer.accepted(i / 1000)
    pacer.refused(0.01, 0.02, 1.0)  # ... then Gencove's bucket is empty
    assert pacer.rate == pytest.approx(0.95 * 11)  # a guess: at most its burst and one
    assert not pacer.measured
    for i in range(1, 31):  # it takes 10 a second ...
        pacer.accepted(0.01 + i / 10)
    pacer.refused(3.06, 3.07, 1.0)  # ... and is empty again 3.05 s later
    assert pacer.measured
    assert pacer.rate == pytest.approx(0.95 * 30 / 3.05)


def test_the_pace_learnt_is_about_gencoves_rate() -> None:
    for rate in (3.0, 10.0, 25.0):
        pacer = Pacer()
        simulate(pacer, count=int(rate * 40), rate=rate, burst=int(rate))
        assert pacer.measured
        assert pacer.rate is not None
        assert 0.85 * rate < pacer.rate < 1.25 * rate


def test_when_gencove_takes_nothing_for_a_while_the_pace_only_eases() -> None:
    pacer = Pacer()
    for i in range(20):
        pacer.accepted(i / 100)
    pacer.refused(0.2, 0.2, 1.0)
    before = pacer.rate
    assert before is not None
    pacer.refused(5.2, 5.2, 1.0)  # nothing accepted for 5 s: closed for now, not slow
    assert pacer.rate == pytest.approx(0.95 * before)


def paced_for(pacer: Pacer, start: float, seconds: float) -> float:
    """Creates sent one after another at the pace for `seconds`, every one accepted."""
    now = start
    while now < start + seconds:
        now += pacer.delay(now)
        pacer.sent(now)
        pacer.accepted(now)
    return now


def measured_at_ten_a_second() -> Pacer:
    pacer = Pacer()
    for i in range(10):
        pacer.accepted(i / 1000)
    pacer.refused(0.01, 0.02, 1.0)
    for i in range(1, 21):
        pacer.accepted(0.01 + i / 10)
    pacer.refused(2.01, 2.02, 1.0)
    assert pacer.measured
    assert pacer.rate == pytest.approx(9.5)
    return pacer


def test_paced_creates_without_429_raise_the_pace_slowly() -> None:
    pacer = measured_at_ten_a_second()
    paced_for(pacer, 2.02, 10.0)
    assert pacer.rate is not None
    assert 9.5 * 1.1 < pacer.rate < 9.5 * 1.3  # about 2% a second


def test_an_idle_pace_does_not_grow() -> None:
    pacer = measured_at_ten_a_second()
    for second in range(3, 30):  # one create a second: the pace holds nothing back
        assert pacer.delay(float(second)) == 0.0
        pacer.sent(float(second))
        pacer.accepted(float(second))
    assert pacer.rate == pytest.approx(9.5)


def test_a_storm_of_429s_eases_the_pace_and_it_comes_back_quickly() -> None:
    pacer = measured_at_ten_a_second()
    now = 2.02
    for _ in range(40):  # Gencove refuses everything for a while, whatever the pace
        now += max(pacer.delay(now), 0.1)
        pacer.sent(now)
        pacer.refused(now, now + 0.01, 1.0)
    assert pacer.rate is not None
    assert pacer.rate < 9.5
    assert pacer.ceiling == pytest.approx(10.0)  # not a measure of its rate
    end = paced_for(pacer, now + 0.01, 6.0)  # then it takes everything again
    assert pacer.rate >= 9.5 * 0.95
    assert pacer.delay(end) < 0.12


def test_with_no_429_for_a_minute_creates_are_not_paced_any_more() -> None:
    pacer = Pacer()
    pacer.accepted(-0.1)
    pacer.refused(0.0, 0.0, 1.0)
    assert pacer.paced
    assert pacer.delay(FORGET + 1) == 0.0
    assert not pacer.paced
    assert pacer.delay(FORGET + 1.001) == 0.0


def test_the_pace_never_goes_under_the_slowest() -> None:
    pacer = Pacer()
    pacer.accepted(-0.1)
    pacer.refused(0.0, 0.0, None)
    for second in range(1, 100):
        pacer.accepted(second - 0.5)  # one create in every second
        pacer.refused(float(second), float(second), None)
    assert pacer.rate is not None
    assert pacer.rate >= SLOWEST
    assert math.isfinite(pacer.delay(100.0))
