"""What comes back from Slack, checked as strictly as what a user types (pure: no I/O).

The bot writes some values for Slack to hand back later: a modal's `private_metadata`
(the channel it was opened from, a message, a response_url, an invitation token) and a
button's `value` (a `/gencove list` page). A signed request can only come from someone
holding the signing secret, so a forged one is unlikely; still, nothing read back is
used before it has the shape the bot wrote:

- a channel id is `C`, `G` or `D` and upper-case letters and digits (and `_`, which the
  stand-ins' readable ids such as `C_GENERAL` use): never a user id (a DM to anyone), a
  `#name`, a mention or free text;
- a message timestamp is Slack's `seconds.micros`;
- a `response_url` is https on Slack's own host (`hooks.slack.com`), or on the host of the
  configured `SLACK_API_URL` (the local Slack in tests and the playground);
- a list page is a JSON object with a status from the known set and an offset in
  0..MAX_OFFSET; anything else is a button that is out of date.

What fails a check is dropped (None), never echoed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from invite_bot.domain.page_refs import PageRef, list_page

SLACK_RESPONSE_HOSTS = frozenset({"hooks.slack.com"})
CHANNEL_ID = re.compile(r"[CGD][A-Z0-9_]{1,40}")
MESSAGE_TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,9}")
REQUEST_ID = re.compile(r"[0-9]{1,18}")
MAX_URL = 2000
MAX_TOKEN = 2000  # an invitation token (Slack's button value limit)
OUT_OF_DATE = "That button is out of date: run `/gencove list` again."


class OutOfDate(Exception):
    """A button's value is not one the bot could have written (the guard answers
    `OUT_OF_DATE`, nothing else: the value is never echoed)."""


def channel_id(value: object) -> str | None:
    """`value` if it is a channel id the bot could have written, else None."""
    return value if isinstance(value, str) and CHANNEL_ID.fullmatch(value) else None


def message_ts(value: object) -> str | None:
    return value if isinstance(value, str) and MESSAGE_TS.fullmatch(value) else None


def response_hosts(slack_api_url: str | None) -> frozenset[str]:
    """Where a response_url may point: Slack's host, and the configured API URL's host."""
    host = urlsplit(slack_api_url or "").hostname
    return SLACK_RESPONSE_HOSTS | ({host.lower()} if host else set())


def response_url(value: object, hosts: Collection[str]) -> str | None:
    """`value` if it is a URL on one of `hosts` (Slack's own only over https)."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        return None
    try:
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    if parts.username is not None or parts.password is not None or host not in hosts:
        return None
    if parts.scheme == "https" or (parts.scheme == "http" and host not in SLACK_RESPONSE_HOSTS):
        return value
    return None


def _token(value: object) -> str | None:
    if not isinstance(value, str) or not value or len(value) > MAX_TOKEN:
        return None
    return value if value.isprintable() and not any(c.isspace() for c in value) else None


def _request_id(value: object) -> str | None:
    return value if isinstance(value, str) and REQUEST_ID.fullmatch(value) else None


# Each key the bot writes into a modal's private_metadata, and its check. A response_url
# is checked for its shape here (a string, bounded); its host where it is used.
_METADATA: Mapping[str, Any] = {
    "channel_id": channel_id,
    "message_ts": message_ts,
    "response_url": lambda v: v if isinstance(v, str) and 0 < len(v) <= MAX_URL else None,
    "token": _token,
    "request_id": _request_id,
}


@dataclass(frozen=True)
class Metadata:
    """A modal's private_metadata: the fields that passed their check, and the names of
    those that did not (for one log line; their values are never kept)."""

    fields: Mapping[str, str]
    rejected: tuple[str, ...] = ()


def metadata(raw: object) -> Metadata:
    """Read `private_metadata`: a JSON object of the keys above, each checked.

    An empty value is no metadata; one that is not a JSON object is rejected as a whole
    ("private_metadata"); an unknown key is dropped without a word.
    """
    if not isinstance(raw, str) or not raw:
        return Metadata({})
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return Metadata({}, ("private_metadata",))
    if not isinstance(data, dict):
        return Metadata({}, ("private_metadata",))
    fields: dict[str, str] = {}
    rejected: list[str] = []
    for key, check in _METADATA.items():
        if key not in data or data[key] in ("", None):
            continue
        value = check(data[key])
        if value is None:
            rejected.append(key)
        else:
            fields[key] = value
    return Metadata(fields, tuple(rejected))


def parse_page_value(value: str) -> PageRef:
    """The page a list button names; `OutOfDate` when it is not one the bot wrote."""
    page = list_page(value)
    if page is None:
        raise OutOfDate("a list button's page value")
    return page
