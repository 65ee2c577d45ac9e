"""The command line's grammar: every command and every flag, each with its help."""

from __future__ import annotations

import argparse
from collections.abc import Callable

DESCRIPTION = "Manage Gencove organization invitations from Slack."
EPILOG = (
    "`invite-bot COMMAND --help` says more about one command. Settings come from the "
    "environment and a .env file in the current folder (see .env.example); running it in "
    "production: docs/operations.md."
)
# The address a process listens on, for the commands that serve HTTP.
ANY_ADDRESS = "0.0.0.0"  # noqa: S104 (a container's port is published from outside)
PROBES = "GET /healthz (liveness), /readyz (readiness) and /metrics"
SANDBOX_HELP = (
    "use a real Slack workspace with the embedded Gencove sandbox instead of "
    "GENCOVE_API_KEY (its invitations are make-believe, and every message says so)"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="invite-bot", description=DESCRIPTION, epilog=EPILOG)
    commands = parser.add_subparsers(dest="mode", metavar="COMMAND", title="commands")
    _add_serving(commands.add_parser)
    _add_tools(commands.add_parser)
    _add_playground(commands.add_parser)
    return parser


# `add_parser` of the subcommands: a new command's parser, given its name, help, description.
AddCommand = Callable[..., argparse.ArgumentParser]


def _add_serving(add: AddCommand) -> None:
    """The long-running modes: serve, socket, watch."""
    no_watch = "do not run the watcher in this process (run `invite-bot watch` elsewhere)"
    serve = add(
        "serve",
        help="HTTP mode: answer Slack on POST /slack/events, with the watcher",
        description=f"HTTP mode: answer Slack's requests on POST /slack/events, and {PROBES}, "
        "on PORT. Needs SLACK_SIGNING_SECRET. The watcher (Gencove notifications) runs "
        "here too unless --no-watch.",
    )
    serve.add_argument(
        "--host", default=ANY_ADDRESS, help=f"the address to listen on (default {ANY_ADDRESS})"
    )
    serve.add_argument("--no-watch", action="store_true", help=no_watch)
    serve.add_argument("--gencove-sandbox", action="store_true", help=SANDBOX_HELP)

    socket = add(
        "socket",
        help="Socket Mode: connect out to Slack (no public address), with the watcher",
        description="Socket Mode: take Slack's requests over a connection the bot opens, so "
        f"it needs no public address. Needs SLACK_APP_TOKEN. Serves {PROBES} on PORT; "
        "/readyz answers 200 only while the connection is up. The watcher runs here too "
        "unless --no-watch.",
    )
    probes_host = f"the address for the probes and metrics (default {ANY_ADDRESS})"
    socket.add_argument("--host", default=ANY_ADDRESS, help=probes_host)
    socket.add_argument("--no-watch", action="store_true", help=no_watch)
    socket.add_argument("--gencove-sandbox", action="store_true", help=SANDBOX_HELP)

    watch = add(
        "watch",
        help="run only the watcher: Gencove notifications and reminders",
        description="Poll Gencove every WATCH_INTERVAL seconds and post what changed (one "
        f"watcher polls at a time; others take over). Serves {PROBES} on PORT.",
    )
    watch.add_argument("--host", default=ANY_ADDRESS, help=probes_host)


def _add_tools(add: AddCommand) -> None:
    """The commands that run once: check, migrate."""
    add(
        "check",
        help="check the settings, Slack, Gencove and the database; change nothing",
        description="Check the settings, the Slack token(s), the Gencove key and the "
        "database, one line each, and exit 1 if any failed. Changes nothing: it creates no "
        "database and migrates none.",
    )
    add(
        "migrate",
        help="bring the database's schema to this version, then exit",
        description="Create the database or bring its schema to this version's, then exit. "
        "Reads only DATABASE_URL (and LOG_LEVEL, LOG_FORMAT).",
    )


def _add_playground(add: AddCommand) -> None:
    play = add(
        "playground",
        help="try the bot in the browser: a Gencove sandbox and a local Slack",
        description="Try the bot: a Gencove sandbox, a local Slack and the real bot, all "
        "on 127.0.0.1, in the browser. Needs no settings.",
    )
    play.add_argument(
        "--port", type=int, default=None, help="the page's port (default 8765, or the next free)"
    )
    play.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="start the sandbox with N more pending invitations",
    )
    play.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help="the bot's database URL (default: a new SQLite file, deleted at exit)",
    )
