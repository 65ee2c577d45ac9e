"""Run a module as ``python -m`` would, and on SIGUSR1 write what the process holds.

``python -m bench._probe OUT.json MODULE [ARGS…]``: runs ``MODULE`` as ``__main__``; on
SIGUSR1 writes ``OUT.json`` with ``modules`` (``sys.modules`` in the order they were
first imported). With ``BENCH_TRACE=<frames>`` the modules named in ``BENCH_PRELOAD``
(comma-separated) are imported first and tracemalloc starts after them (tracing every
import would take minutes), and ``OUT.json`` also has the live allocations made since:
the total made while importing further modules, and the rest (what start-up built) by
the place that made it (its innermost invite_bot line, else its innermost line). Only
the standard library is imported here, so the process carries nothing the bench added.
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import signal
import sys
import tracemalloc
from types import FrameType


def _allocations() -> dict[str, object]:
    snapshot = tracemalloc.take_snapshot()
    imports = 0
    sites: dict[str, list[int]] = {}
    for trace in snapshot.traces:
        frames = list(reversed(trace.traceback))  # newest first
        if any(f.filename.startswith("<frozen importlib") for f in frames):
            imports += trace.size
            continue
        ours = [f for f in frames if "/invite_bot/" in f.filename]
        where = (ours or frames)[0]
        site = sites.setdefault(f"{where.filename}:{where.lineno}", [0, 0])
        site[0] += trace.size
        site[1] += 1
    top = sorted(sites.items(), key=lambda item: -item[1][0])[:20]
    return {
        "import_bytes": imports,
        "other_bytes": sum(size for size, _count in sites.values()),
        "top": [(size, count, where) for where, (size, count) in top],
    }


def _write(path: str) -> None:
    report: dict[str, object] = {"modules": list(sys.modules)}
    if tracemalloc.is_tracing():
        report["allocations"] = _allocations()
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(report, handle)


def main() -> None:
    out, module, *args = sys.argv[1:]

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        _write(out)

    signal.signal(signal.SIGUSR1, on_signal)
    if frames := int(os.environ.get("BENCH_TRACE", "0")):
        for name in filter(None, os.environ.get("BENCH_PRELOAD", "").split(",")):
            importlib.import_module(name)
        tracemalloc.start(frames)
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
