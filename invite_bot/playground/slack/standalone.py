"""The local Slack as a process of its own: ``python -m invite_bot.playground.slack``
serves until SIGTERM, after printing "READY http://127.0.0.1:PORT". ``--interceptor
MODULE:CALLABLE`` plugs in an interceptor (``intercept.py``), e.g.
``tests.faults:SlackFaults`` from the repository's root, for a test to inject faults
through the control API."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Sequence

from invite_bot.playground import plugin
from invite_bot.playground.slack.intercept import Interceptor
from invite_bot.playground.slack.server import FakeSlack


def _intercept(slack: FakeSlack, spec: str) -> None:
    made = plugin.load_callable(spec)(slack)
    if not isinstance(made, Interceptor):
        raise TypeError(f"{spec} returned {type(made).__name__}, not an Interceptor")
    slack.interceptor = made


async def _serve(args: argparse.Namespace) -> None:
    slack = FakeSlack(
        bot_token=args.bot_token,
        host=args.host,
        port=args.port,
        extra_tokens=args.extra_token or (),
    )
    if args.interceptor:
        _intercept(slack, args.interceptor)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with slack:
        print(f"READY {slack.base_url}", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    from invite_bot.playground import slack  # the package: its docstring is the --help

    parser = argparse.ArgumentParser(
        prog="python -m invite_bot.playground.slack",
        description=slack.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--bot-token", default="xoxb-test-token")
    parser.add_argument("--extra-token", action="append", help="another accepted token")
    parser.add_argument("--interceptor", default=None, metavar="MODULE:CALLABLE", help=plugin.HELP)
    asyncio.run(_serve(parser.parse_args(argv)))
    return 0
