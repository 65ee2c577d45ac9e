"""Benchmarks of invite-bot against the loopback Gencove and Slack stand-ins.

Run them all (about 3 minutes on 2 cores; writes ``bench/RESULTS.md``)::

    python -m bench.run

``python -m bench.run --quick`` is a smoke run with small sizes (about 45 s; prints the
table, writes nothing unless ``--output`` is given). Every figure is printed beside a
baseline measured in the same run:

- ``bench/baseline_app.py``: a minimal Bolt app that calls Gencove *before* ``ack()``;
- ``bench/bare_app.py``: a Bolt ``AsyncApp`` that only acknowledges;
- ``bench.watcher_bench.relist_poll``: a poll that re-lists every invitation.

Only loopback is used; every load loop is bounded in count and in time.
"""
