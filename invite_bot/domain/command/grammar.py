"""The `/gencove` command language: text typed in Slack → one `Command` value.

The values themselves are in `command_types`, the usage lines and help in `command_help`,
invitation ids and tokens in `invitation_refs`; all are re-exported from here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType

from invite_bot.domain.addresses import normalize_address, split_tokens
from invite_bot.domain.audit import SINCE_EXAMPLES, parse_since
from invite_bot.domain.command.help import (
    ALIASES,
    UNKNOWN_WORD_LIMIT,
)
from invite_bot.domain.command.refs import classify_revoke_target, invitation_token
from invite_bot.domain.command.types import (
    COMMAND,
    STATUSES,
    Accept,
    Audit,
    Command,
    Help,
    Invite,
    InviteModal,
    Link,
    ListInvitations,
    Notify,
    NotifyAction,
    Reinvite,
    Requests,
    Revoke,
    RevokeTarget,
    Unlink,
    Usage,
    WhoAmI,
)
from invite_bot.domain.text import human_list, inline_code, truncate

__all__ = ["MAX_ROLE_LENGTH", "decode_slack_text", "parse_command"]

MAX_ROLE_LENGTH = 255
"""Gencove's limit for a role name."""

# Slack encodes exactly these three; other `&…;` text is what the user typed.
_SLACK_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITY_TEXT = {"amp": "&", "lt": "<", "gt": ">"}
# Slack on macOS turns `--` into an em or en dash as people type.
_SMART_DASH = re.compile(r"^[—–]")
_DASHES = re.compile(r"^(?:--?|[—–])")
_QUOTED = r"\"[^\"]*\"|“[^”]*”|'[^']*'"
_FLAG = re.compile(
    rf"(?<![^\s,;])(?P<flag>(?:--?|[—–])[A-Za-z][^\s,;=@]*)"
    rf"(?:=(?P<inline>{_QUOTED}|[^\s,;]*)|\s+(?P<value>{_QUOTED}|[^\s,;]+))?(?![^\s,;])"
)
_NOTIFY_ACTIONS: Mapping[str, NotifyAction] = MappingProxyType(
    {"here": "here", "off": "off", "show": "show", "me": "me"}
)
_QUOTES = {'"': '"', "“": "”", "'": "'"}
_SINCE_FLAG = re.compile(r"(?:--?|[—–])since(?:(?:\s*=\s*|\s+)(?P<value>.*))?", re.I | re.S)


def decode_slack_text(text: str) -> str:
    """Undo Slack's `&amp;` / `&lt;` / `&gt;` encoding of slash-command text (nothing else)."""
    return _SLACK_ENTITY.sub(lambda m: _ENTITY_TEXT[m.group(1)], text)


def parse_command(text: str) -> Command:
    """Parse the text after `/gencove` (as Slack sends it, entity-encoded). Never raises."""
    words = decode_slack_text(text).split(None, 1)
    if not words:
        return Help()
    word, rest = words[0], words[1] if len(words) > 1 else ""
    name = ALIASES.get(_SMART_DASH.sub("--", word.lower(), count=1))
    if name is None:
        return Help(unknown_word=truncate(word, UNKNOWN_WORD_LIMIT))
    return _PARSERS[name](rest.strip())


def _parse_help(rest: str) -> Command:
    return Help()


def _parse_invite(rest: str) -> Command:
    role: str | None = None
    kept: list[str] = []
    position = 0
    for match in _FLAG.finditer(rest):
        kept.append(rest[position : match.start()])
        position = match.end()
        flag = match.group("flag")
        if _DASHES.sub("", flag).lower() != "role":
            return Usage(
                "invite",
                f"I don't know the option {inline_code(flag)}; the only one is `--role ROLE`.",
            )
        value = match.group("inline")
        if value is None:
            value = match.group("value")
        if value is not None and _DASHES.match(_unquote(value)) and "@" not in value:
            # `--role --foo`: the next word is another option, not a role.
            value = None
        problem = _role_problem(value, already_given=role is not None)
        if problem:
            return Usage("invite", problem)
        role = _unquote(value or "")
    kept.append(rest[position:])
    addresses_text = " ".join(part.strip() for part in kept if part.strip())
    if next(split_tokens(addresses_text), None) is None:
        return InviteModal(role=role)
    return Invite(addresses_text=addresses_text, role=role)


def _role_problem(value: str | None, *, already_given: bool) -> str | None:
    if already_given:
        return "Give `--role` only once."
    role = _unquote(value or "")
    if not role:
        return "`--role` needs a value, e.g. `--role member`."
    if "@" in role or "<" in role or ">" in role:
        return f"{inline_code(role)} is not a role name; put the role right after `--role`."
    if len(role) > MAX_ROLE_LENGTH:
        return f"That role name is too long (at most {MAX_ROLE_LENGTH} characters)."
    return None


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and _QUOTES.get(value[0]) == value[-1]:
        value = value[1:-1].strip()
    return value


def _parse_list(rest: str) -> Command:
    words = rest.split()
    if not words:
        return ListInvitations()
    if len(words) > 1:
        return Usage("list", "Give at most one status.")
    for status in STATUSES:
        if words[0].lower() == status:
            return ListInvitations(status=status)
    return Usage(
        "list",
        f"I don't know the status {inline_code(words[0])}. "
        "Choose `pending`, `accepted`, `expired`, `revoked` or `all`.",
    )


def _parse_revoke(rest: str) -> Command:
    targets: dict[RevokeTarget, None] = {}
    malformed: dict[str, None] = {}
    for token in split_tokens(rest):
        target = classify_revoke_target(token)
        if target is None:
            malformed[token] = None
        else:
            targets[target] = None
    if malformed:
        return Usage(
            "revoke",
            f"These are not email addresses or invitation IDs: {human_list(malformed)}. "
            "Nothing was revoked.",
        )
    if not targets:
        return Usage("revoke", "Say which invitation to revoke: an email address or its ID.")
    return Revoke(targets=tuple(targets))


def _parse_accept(rest: str) -> Command:
    words = rest.split()
    if not words:
        return Usage("accept", "Paste the invitation token or link from the invitation email.")
    if len(words) > 1:
        return Usage("accept", "Give one invitation token or link.")
    token = invitation_token(words[0])
    if token is None:
        return Usage(
            "accept",
            f"{inline_code(words[0])} is not an invitation token or link. "
            "Copy it from the invitation email.",
        )
    return Accept(token=token)


def _no_arguments(name: str, command: Command) -> Callable[[str], Command]:
    def parse(rest: str) -> Command:
        if not rest:
            return command
        if name == "link":
            # Someone may paste their API key here; never echo it back.
            return Usage(
                "link",
                f"Run `{COMMAND} link` on its own and paste your key into the private form "
                "that opens. What you typed was not kept.",
            )
        return Usage(name, f"`{name}` takes nothing after it.")

    return parse


def _parse_notify(rest: str) -> Command:
    words = rest.lower().split()
    if not words:
        return Notify()
    if len(words) == 1 and words[0] in _NOTIFY_ACTIONS:
        return Notify(action=_NOTIFY_ACTIONS[words[0]])
    if len(words) == 2 and words[0] == "me" and words[1] in {"on", "off"}:
        return Notify(action="me" if words[1] == "on" else "me_off")
    return Usage(
        "notify",
        f"I don't know {inline_code(rest)}. Use `notify here`, `notify off`, `notify me`, "
        "`notify me off` or `notify` alone.",
    )


def _parse_reinvite(rest: str) -> Command:
    tokens = list(split_tokens(rest))
    if not tokens:
        return Usage("reinvite", "Say which address to invite again.")
    if len(tokens) > 1:
        return Usage("reinvite", "Give one address; to invite several, use `invite`.")
    address = normalize_address(tokens[0])
    if address is None:
        return Usage("reinvite", f"{inline_code(tokens[0])} is not an email address.")
    return Reinvite(email=address)


def _parse_audit(rest: str) -> Command:
    """`audit`, `audit --since 30d` (or `--since=30d`, `—since 30 days`)."""
    if not rest:
        return Audit()
    match = _SINCE_FLAG.fullmatch(rest)
    if match is None:
        return Usage(
            "audit",
            f"I don't know {inline_code(rest)}; the only option is `--since`, "
            f"e.g. `{COMMAND} audit --since 30d`.",
        )
    value = _unquote(match.group("value") or "")
    if not value:
        return Usage("audit", f"`--since` needs a value, such as {SINCE_EXAMPLES}.")
    since = parse_since(value)
    if isinstance(since, str):
        return Usage("audit", f"I can't read {inline_code(value)} as a period. {since}")
    return Audit(since=since)


_PARSERS: Mapping[str, Callable[[str], Command]] = MappingProxyType(
    {
        "invite": _parse_invite,
        "list": _parse_list,
        "revoke": _parse_revoke,
        "accept": _parse_accept,
        "link": _no_arguments("link", Link()),
        "unlink": _no_arguments("unlink", Unlink()),
        "whoami": _no_arguments("whoami", WhoAmI()),
        "requests": _no_arguments("requests", Requests()),
        "reinvite": _parse_reinvite,
        "notify": _parse_notify,
        "audit": _parse_audit,
        "help": _parse_help,
    }
)
