"""What the settings check says: one line for each bad variable, in plain words, with how
to fix it (`describe_errors`), and the line for a missing one (`missing_lines`). Values
are never echoed: they may be secrets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import ValidationError
from pydantic_settings import BaseSettings

# pydantic's error types for a number out of its range or not a number: these get one
# plain sentence with the range (`_number_line`) instead of pydantic's wording.
_NUMBER_ERRORS = frozenset(
    {
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "int_parsing",
        "int_from_float",
        "int_type",
        "float_parsing",
        "float_type",
        "finite_number",
    }
)

# How to fix each variable, shown next to pydantic's own complaint.
_HINTS: Mapping[str, str] = {
    "SLACK_BOT_TOKEN": "the bot token from Slack's 'OAuth & Permissions' page (xoxb-…)",
    "SLACK_SIGNING_SECRET": "the signing secret from Slack's 'Basic Information' page",
    "SLACK_APP_TOKEN": "an app-level token with connections:write (xapp-…), for Socket Mode",
    "SLACK_API_URL": "an http(s) URL ending in /api/, normally https://slack.com/api/",
    "GENCOVE_API_KEY": "an organization API key from Gencove's web app",
    "GENCOVE_API_URL": "an http(s) URL, normally https://api.gencove.com",
    "DATABASE_URL": "a SQLAlchemy URL, e.g. sqlite:///./invite-bot.sqlite3 "
    "or postgresql+asyncpg://user:pass@host/db",
    "INVITE_BOT_SECRET_KEY": "a Fernet key (python -c 'from cryptography.fernet import "
    "Fernet; print(Fernet.generate_key().decode())'), newest first when rotating",
    "PORT": "the TCP port to listen on",
    "WATCH_INTERVAL": "seconds between Gencove polls; 60 by default",
    "INVITE_NOTIFY_CHANNEL": "a Slack channel ID such as C0123456789",
    "INVITE_ADMINS": "comma-separated Slack user (U…/W…) and user-group (S…) IDs",
    "ALLOWED_EMAIL_DOMAINS": "comma-separated domains, e.g. lab.org,example.com",
    "INVITE_MAX_PER_COMMAND": "how many addresses one command may invite",
    "INVITE_BULK_MAX": "how many rows one bulk invite (a long list or a CSV) may have",
    "INVITE_RATE_LIMIT": "COUNT/PERIOD such as 100/hour or 20/minute, or 'off'",
    "GENCOVE_TIMEOUT": "total seconds for one Gencove request, e.g. 30",
    "GENCOVE_CONNECT_TIMEOUT": "seconds to open a connection to Gencove, e.g. 5",
    "GENCOVE_MAX_CONCURRENCY": "how many requests may be in flight to Gencove at once",
    "GENCOVE_MAX_RETRIES": "how many times a failed Gencove request is retried",
    "GENCOVE_DEADLINE": "seconds for one Gencove call with all its tries",
    "LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR",
    "LOG_FORMAT": "text (one readable line a record) or json (one JSON object a line)",
    "INVITE_JOB_LEASE": "seconds before another process resumes a crashed invite",
    "INVITE_REMIND_BEFORE": "how long before expiry to remind: 24h, 90m, 2d, or off",
    "SLACK_POST_INTERVAL": "seconds between the bot's posts to one channel (Slack: about 1)",
    "INVITE_APPROVAL_CHANNEL": "a Slack channel ID such as C0123456789, where requests go",
    "INVITE_REQUEST_TTL": "how long a request stays open: 7d, 36h, 90m or seconds",
    "INVITE_REQUEST_REMIND_AFTER": "how long an open request waits before its one reminder: "
    "24h, 2d, 90m, seconds, or off",
}


def describe_errors(exc: ValidationError, model: type[BaseSettings]) -> str:
    """One human message for all problems; values are never echoed (they may be secrets)."""
    lines = ["invite-bot cannot start: fix these settings (environment or .env file):"]
    seen: set[str] = set()
    for error in exc.errors(include_input=False, include_url=False):
        name = str(error["loc"][0]).upper() if error["loc"] else "?"
        if name in seen:
            continue
        seen.add(name)
        number = _number_line(model, name) if error["type"] in _NUMBER_ERRORS else None
        if number is not None:
            lines.append(f"  - {number}")
            continue
        problem = "is missing" if error["type"] == "missing" else _clean(error["msg"])
        hint = _HINTS.get(name)
        lines.append(f"  - {name} {problem}" + (f" (expected {hint})" if hint else ""))
    return "\n".join(lines)


def _number_line(model: type[BaseSettings], name: str) -> str | None:
    """One sentence for a number setting that is not one, or out of its range, e.g.
    "WATCH_INTERVAL must be a number from 0.05 to 86400 (seconds between Gencove polls; …)"."""
    field = model.model_fields.get(name.lower())
    if field is None:
        return None
    bounds: dict[str, float] = {}
    for constraint in field.metadata:
        for bound in ("gt", "ge", "lt", "le"):
            if isinstance(value := getattr(constraint, bound, None), int | float):
                bounds[bound] = value
    kind = "a whole number" if field.annotation is int else "a number"
    if "ge" in bounds and "le" in bounds:
        span = f"from {_shown(bounds['ge'])} to {_shown(bounds['le'])}"
    else:
        words = {"gt": "greater than", "ge": "at least", "lt": "less than", "le": "at most"}
        span = " and ".join(f"{words[b]} {_shown(v)}" for b, v in bounds.items())
    hint = _HINTS.get(name)
    return f"{name} must be {kind}" + (f" {span}" if span else "") + (f" ({hint})" if hint else "")


def _shown(value: float) -> str:
    return f"{value:g}"


def _clean(message: str) -> str:
    message = message.removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def missing_lines(names: Sequence[str]) -> list[str]:
    return [f"  - {n} is missing (expected {_HINTS.get(n, 'a value')})" for n in names]
