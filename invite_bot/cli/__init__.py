"""The command line: `invite-bot serve | socket | watch | check | migrate | playground`.

`parser.py` is the grammar (every command and flag with its help), `modes.py` what each
long-running command does, `check.py` the `check` command. Settings are read and checked
before anything starts: a bad one is one message and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from invite_bot.config.logs import setup_logging
from invite_bot.config.settings import SettingsError, load_database_settings, load_settings
from invite_bot.runtime import StartupError

USAGE_ERROR = 2  # argparse's code for a command line it cannot use


def main(argv: Sequence[str] | None = None) -> int:
    from invite_bot.cli.parser import build_parser

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.mode is None:
        # Nothing to do: say what there is to do, as argparse does for a missing argument.
        parser.print_help(sys.stderr)
        return USAGE_ERROR
    try:
        return asyncio.run(_run(args))
    except KeyboardInterrupt:
        return 0
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return USAGE_ERROR
    except StartupError as exc:
        print(f"invite-bot {_name(args.mode)}cannot start: {exc}", file=sys.stderr)
        return 1


async def _run(args: argparse.Namespace) -> int:
    from invite_bot.cli import modes

    mode: str = args.mode
    if mode == "playground":
        return await modes.run_playground(args, os.environ.get("LOG_LEVEL", ""))
    if mode == "migrate":
        database = load_database_settings()
        setup_logging(database.log_level, database.secrets(), log_format=database.log_format)
        return await modes.run_migrate(database)
    if getattr(args, "gencove_sandbox", False):
        return await modes.run_with_sandbox(args)
    settings = load_settings(required=modes.NEEDS.get(mode, ()))
    setup_logging(settings.log_level, settings.secrets(), log_format=settings.log_format)
    if mode == "check":
        from invite_bot.cli.check import run_check

        return await run_check(settings)
    return await modes.RUNNERS[mode](settings, args)


def _name(mode: str) -> str:
    return "playground " if mode == "playground" else ""
