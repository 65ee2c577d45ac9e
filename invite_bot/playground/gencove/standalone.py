"""``python -m invite_bot.playground.gencove``: the sandbox in a process of its own. It
prints ``READY http://127.0.0.1:PORT`` and serves until SIGTERM or SIGINT, then prints
what violated Gencove's OpenAPI document. ``--interceptor MODULE:CALLABLE`` plugs in an
interceptor (``intercept.py``), e.g. ``tests.faults:GencoveFaults`` from the repository's
root, for a test to inject faults through the control API."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterable

from invite_bot.playground import plugin
from invite_bot.playground.gencove.fake import FakeGencove
from invite_bot.playground.gencove.intercept import Interceptor


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m invite_bot.playground.gencove", description="Fake Gencove invitation API"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per answer")
    parser.add_argument("--org-key", default=None, help="the organization admin's API key")
    parser.add_argument("--seed-invitations", type=int, default=0, metavar="N")
    parser.add_argument("--seed-pending", type=int, default=0, metavar="M")
    parser.add_argument("--no-validate", action="store_true", help="skip openapi-core checks")
    parser.add_argument("--interceptor", default=None, metavar="MODULE:CALLABLE", help=plugin.HELP)
    return parser


def _intercept(fake: FakeGencove, spec: str) -> None:
    made = plugin.load_callable(spec)(fake)
    if not isinstance(made, Interceptor):
        raise TypeError(f"{spec} returned {type(made).__name__}, not an Interceptor")
    fake.interceptor = made


async def _serve(args: argparse.Namespace) -> int:
    fake = FakeGencove(
        host=args.host,
        port=args.port,
        latency=args.latency,
        org_api_key=args.org_key,
        validate=not args.no_validate,
    )
    if args.interceptor:
        _intercept(fake, args.interceptor)
    if args.seed_invitations:
        fake.seed(args.seed_invitations, min(args.seed_pending, args.seed_invitations))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await fake.start()
    print(f"READY {fake.url}", flush=True)
    print(f"org_api_key={fake.org_api_key}", file=sys.stderr, flush=True)
    try:
        await stop.wait()
    finally:
        if fake.hold is not None:
            fake.hold.set()
        await fake.stop()
    for violation in fake.violations:
        print(f"VIOLATION {violation}", file=sys.stderr)
    return 0


def main(argv: Iterable[str] | None = None) -> int:
    args = _parser().parse_args(None if argv is None else list(argv))
    return asyncio.run(_serve(args))
