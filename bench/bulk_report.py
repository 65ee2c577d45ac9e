"""The tables of (g) a bulk invite under a rate limit and (h) a bulk job killed and resumed
(measured by ``bench.bulk_bench``), as Markdown lines for ``bench/RESULTS.md``."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bench.bulk_bench import BulkRun, KillRun, OneByOne
from bench.common import ms, percentile, secs

BOUND_GOAL = 1.1  # the job's wall time at most this many times the limit's lower bound
REQUESTS_GOAL = 1.3  # create requests per invitation under the limit, at most
CPU_GOAL = 0.005  # the bot's CPU seconds per address under the limit, at most


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _verdict(ok: bool) -> str:
    return "met" if ok else "**MISSED**"


def _statuses(other: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in other.items()) or "none"


def bulk_section(run: BulkRun, single: OneByOne, free: BulkRun) -> list[str]:
    """(g): the job under the limit, the one-by-one baseline, and the same job with
    Gencove unlimited (the pace must not slow a Gencove that keeps up)."""
    n, c, f = run.count, run.creates, free.creates
    ratio = run.wall / run.bound if run.bound else math.nan
    phase = c.last_created - c.first
    gaps = c.retry_gaps()
    idle, long_idle = c.idle()
    pace = c.per_second()
    steady = pace[1:-1]
    sample = single.sample
    rows = [
        [
            "wall time: DM sent → final progress message at Slack",
            secs(run.wall),
            f"{secs(single.extrapolated)} (extrapolated)",
            secs(free.wall),
            "",
            "",
        ],
        [
            f"lower bound: ({n:,} − burst {run.burst}) / {run.rate:g} per s",
            secs(run.bound),
            "",
            "",
            "",
            "",
        ],
        [
            "wall time ÷ bound",
            f"{ratio:.2f}×",
            f"{single.extrapolated / run.bound:.2f}×" if run.bound else "n/a",
            "",
            f"≤ {BOUND_GOAL}×",
            _verdict(ratio <= BOUND_GOAL),
        ],
        [
            "where it goes: DM → first create / first create → last 201 / last 201 → final message",
            f"{secs(run.to_first_create)} / {secs(phase)} / {secs(run.after_last_create)}",
            "",
            f"{secs(free.to_first_create)} / {secs(f.last_created - f.first)} / "
            f"{secs(free.after_last_create)}",
            "",
            "",
        ],
        [
            "bot CPU per address",
            _fine_ms(run.cpu / n),
            ms(single.cpu / max(1, len(single.latencies))) + " per command",
            _fine_ms(free.cpu / free.count),
            f"≤ {ms(CPU_GOAL)}",
            _verdict(run.cpu / n <= CPU_GOAL),
        ],
        [
            f"invitations at the stand-in (of {n:,}; baseline of {sample})",
            f"{run.tally.invitations:,}",
            f"{single.tally.invitations:,}",
            f"{free.tally.invitations:,}",
            f"{n:,}",
            _verdict(run.tally.invitations == n),
        ],
        [
            "addresses invited twice / not invited",
            f"{run.tally.duplicates} / {run.tally.lost}",
            f"{single.tally.duplicates} / {single.tally.lost}",
            f"{free.tally.duplicates} / {free.tally.lost}",
            "0 / 0",
            _verdict(run.tally.duplicates == 0 and run.tally.lost == 0),
        ],
        [
            "429s the stand-in sent (other non-201 answers)",
            f"{c.throttled:,} ({_statuses(c.other)})",
            str(single.throttled),
            f"{f.throttled:,} ({_statuses(f.other)})",
            "",
            "",
        ],
        [
            "create requests sent / per invitation",
            f"{len(c.attempts):,} / {run.per_invitation:.2f}",
            "",
            f"{len(f.attempts):,} / {free.per_invitation:.2f}",
            f"≤ {REQUESTS_GOAL} per invitation",
            _verdict(run.per_invitation <= REQUESTS_GOAL),
        ],
        [
            f"after a 429 (Retry-After {c.retry_after:g} s): wait to the next try, p50 / p90 / max",
            f"{ms(percentile(gaps, 50))} / {ms(percentile(gaps, 90))} / "
            f"{ms(max(gaps, default=math.nan))}",
            "",
            "",
            "",
            "",
        ],
        [
            "201s per second, median of the whole seconds between the first and the last",
            f"{sorted(steady)[len(steady) // 2] if steady else 'n/a'} (min {min(steady, default=0)}"
            f", max {max(steady, default=0)})",
            "",
            "",
            f"{run.rate:g}",
            "",
        ],
        [
            "time with no create in flight (first → last) / gaps over 0.5 s",
            f"{secs(idle)} / {long_idle}",
            "",
            "",
            "",
            "",
        ],
        [
            "progress messages / versions of it; final summary",
            f"{run.progress_messages} / {run.versions}; {run.summary}",
            "",
            f"{free.progress_messages} / {free.versions}; {free.summary}",
            "",
            "",
        ],
        [
            "ERROR / Traceback lines in the bot's log",
            str(run.log_errors),
            "",
            str(free.log_errors),
            "",
            "",
        ],
    ]
    return [
        f"## g. A bulk invite of {n:,} addresses against Gencove allowing {run.rate:g} creates "
        f"per second (burst {run.burst}; 429 + `Retry-After` beyond)",
        "",
        *_table(
            [
                "metric",
                f"bulk job (the {n:,} pasted in a DM)",
                f"one by one ({sample} × `/gencove invite`)",
                "the same bulk job, Gencove unlimited",
                "goal",
                "bulk job",
            ],
            rows,
        ),
        "",
        f"Reading it: the bulk job is one DM to the real `invite-bot serve` process, timed to "
        "the final version of its progress message (which the bot spaces 2 s after the one "
        "before). The baseline is single `/gencove invite` commands against the same limit, "
        "each sent once the previous one's result message had reached Slack: "
        f"{sample} of them (wall {secs(single.wall)}, polling included), the mean command → "
        f"result time ({ms(_mean(single.latencies))}, p99 "
        f"{ms(percentile(single.latencies, 99))}) × {n:,}. The bot keeps to the pace "
        "Gencove accepts (learnt from its 201s and 429s, `invite_bot/domain/pacing.py`); "
        "the same job against the stand-in without a limit shows the pace costs nothing "
        "when Gencove keeps up.",
        "",
    ]


def _fine_ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def kill_section(run: KillRun) -> list[str]:
    n, c = run.count, run.creates
    rows = [
        [
            "seed / killed after (DM sent → SIGKILL)",
            f"{run.seed} / {secs(run.kill_after)}",
            "",
            "",
        ],
        [
            "at the kill: invitations at the stand-in / outcomes recorded by the bot",
            f"{run.invited_at_kill:,} / {run.recorded_at_kill:,}",
            "",
            "",
        ],
        [
            "restart → /healthz answers / first create at Gencove / final progress message",
            f"{secs(run.ready_after)} / {secs(run.first_create_after)} / {secs(run.end_after)}",
            "",
            "",
        ],
        ["job lease (`INVITE_JOB_LEASE`, default)", secs(run.lease), "", ""],
        [
            f"invitations at the stand-in (of {n:,})",
            f"{run.tally.invitations:,}",
            f"{n:,}",
            _verdict(run.tally.invitations == n),
        ],
        [
            "addresses invited twice / not invited",
            f"{run.tally.duplicates} / {run.tally.lost}",
            "0 / 0",
            _verdict(run.tally.duplicates == 0 and run.tally.lost == 0),
        ],
        [
            "create requests / 429s (other non-201 answers)",
            f"{len(c.attempts):,} / {c.throttled:,} ({_statuses(c.other)})",
            "",
            "",
        ],
        [
            "progress messages; final summary",
            f"{run.progress_messages}; {run.summary}",
            "1",
            _verdict(run.progress_messages == 1),
        ],
        ["ERROR / Traceback lines in the two logs", str(run.log_errors), "", ""],
    ]
    return [
        f"## h. A {n:,}-address bulk job killed (SIGKILL) at a random moment, the bot "
        "started again on the same SQLite database",
        "",
        *_table(["metric", "invite-bot", "goal", "invite-bot"], rows),
        "",
        "Reading it: the restarted process takes the job over once the dead one's lease has "
        "run out (it was renewed every third of the lease), so the time to the first create "
        "after the restart is mostly that wait; the addresses the dead process had sent but "
        "not recorded are found in Gencove's pending list, not sent again.",
        "",
    ]
