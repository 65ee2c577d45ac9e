"""The `/gencove` command language: text typed in Slack → one `Command` value."""

from __future__ import annotations

import difflib
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, TypeAlias
from urllib.parse import parse_qs, unquote, urlsplit

from invite_bot.core.addresses import normalize_address, split_tokens, unwrap_slack_link
from invite_bot.core.text import human_list, inline_code, truncate

__all__ = [
    "COMMAND",
    "STATUSES",
    "USAGE",
    "Accept",
    "Command",
    "Help",
    "Invite",
    "InviteModal",
    "Link",
    "ListInvitations",
    "Notify",
    "NotifyAction",
    "Reinvite",
    "Requests",
    "Revoke",
    "RevokeByEmail",
    "RevokeById",
    "RevokeTarget",
    "Status",
    "Unlink",
    "Usage",
    "WhoAmI",
    "classify_revoke_target",
    "decode_slack_text",
    "help_text",
    "invitation_token",
    "parse_command",
    "usage_message",
]

COMMAND = "/gencove"

Status: TypeAlias = Literal["pending", "accepted", "expired", "revoked", "all"]
STATUSES: tuple[Status, ...] = ("pending", "accepted", "expired", "revoked", "all")
NotifyAction: TypeAlias = Literal["here", "off", "show", "me", "me_off"]

UNKNOWN_WORD_LIMIT = 40
MAX_ROLE_LENGTH = 255
"""Gencove's limit for a role name."""


@dataclass(frozen=True, slots=True)
class Help:
    """Show the help; `unknown_word` is the word we did not understand, if any."""

    unknown_word: str | None = None


@dataclass(frozen=True, slots=True)
class Invite:
    """Invite the addresses in `addresses_text` (still to be parsed), with `role` if given."""

    addresses_text: str
    role: str | None = None


@dataclass(frozen=True, slots=True)
class InviteModal:
    """`invite` without addresses: open the invite form, role pre-selected if given."""

    role: str | None = None


@dataclass(frozen=True, slots=True)
class ListInvitations:
    """List the organization's invitations with this status."""

    status: Status = "pending"


@dataclass(frozen=True, slots=True)
class RevokeByEmail:
    """Revoke the pending invitation(s) for this normalised address."""

    email: str


@dataclass(frozen=True, slots=True)
class RevokeById:
    """Revoke the invitation with this id (canonical lower-case UUID)."""

    invitation_id: str


RevokeTarget: TypeAlias = RevokeByEmail | RevokeById


@dataclass(frozen=True, slots=True)
class Revoke:
    """Revoke one or more invitations, de-duplicated, in the order given."""

    targets: tuple[RevokeTarget, ...]


@dataclass(frozen=True, slots=True)
class Reinvite:
    """Invite this normalised address again, with the role of its last invitation."""

    email: str


@dataclass(frozen=True, slots=True)
class Accept:
    """Show the invitation behind `token` (taken from a token or an invitation link)."""

    token: str


@dataclass(frozen=True, slots=True)
class Link:
    """Open the form to link a personal Gencove API key."""


@dataclass(frozen=True, slots=True)
class Unlink:
    """Forget the user's linked Gencove API key."""


@dataclass(frozen=True, slots=True)
class WhoAmI:
    """Show which Gencove user the linked key belongs to."""


@dataclass(frozen=True, slots=True)
class Requests:
    """Show the open invite requests (an inviter: all of them; a member: their own)."""


@dataclass(frozen=True, slots=True)
class Notify:
    """Subscribe this channel (`here`), unsubscribe it (`off`), `show` subscriptions, or
    turn the DMs about one's own invitations on (`me`) or off (`me_off`)."""

    action: NotifyAction = "show"


@dataclass(frozen=True, slots=True)
class Usage:
    """A user mistake in a known subcommand.

    `problem` is ready-to-post mrkdwn: any user text in it is already escaped.
    """

    subcommand: str
    problem: str


Command: TypeAlias = (
    Help
    | Invite
    | InviteModal
    | ListInvitations
    | Revoke
    | Reinvite
    | Accept
    | Link
    | Unlink
    | WhoAmI
    | Notify
    | Requests
    | Usage
)

USAGE: Mapping[str, str] = MappingProxyType(
    {
        "invite": f"`{COMMAND} invite EMAIL [EMAIL …] [--role ROLE]` — invite people "
        f"(no address opens a form); if you are not an inviter, this asks the inviters to. "
        f"Example: `{COMMAND} invite ana@lab.org, bob@lab.org --role member`",
        "requests": f"`{COMMAND} requests` — open invite requests: an inviter approves or "
        f"denies them, a member withdraws their own. Example: `{COMMAND} requests`",
        "list": f"`{COMMAND} list [pending|accepted|expired|revoked|all]` — list "
        f"invitations, pending by default. Example: `{COMMAND} list expired`",
        "revoke": f"`{COMMAND} revoke EMAIL|INVITATION_ID …` — revoke pending invitations. "
        f"Example: `{COMMAND} revoke bob@lab.org`",
        "reinvite": f"`{COMMAND} reinvite EMAIL` — invite an address again whose invitation "
        f"expired or was revoked, with the same role. Example: `{COMMAND} reinvite "
        "ana@lab.org`",
        "accept": f"`{COMMAND} accept TOKEN|INVITATION_LINK` — see an invitation to you "
        f"and accept it. Example: `{COMMAND} accept 5c1e0a9f7d2b`",
        "link": f"`{COMMAND} link` — link your personal Gencove API key (a private form "
        f"opens). Example: `{COMMAND} link`",
        "unlink": f"`{COMMAND} unlink` — forget your linked Gencove API key. "
        f"Example: `{COMMAND} unlink`",
        "whoami": f"`{COMMAND} whoami` — show the Gencove user your linked key belongs to. "
        f"Example: `{COMMAND} whoami`",
        "notify": f"`{COMMAND} notify [here|off|me|me off]` — post invitation news in this "
        f"channel, stop, or (alone) show where it goes; `me`/`me off`: a DM when your own "
        f"invitations are accepted, expire or are revoked (on by default). "
        f"Example: `{COMMAND} notify here`",
        "help": f"`{COMMAND} help` — show this help. Example: `{COMMAND} help`",
    }
)

_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        **{name: name for name in USAGE},
        "ls": "list",
        "remove": "revoke",
        "rm": "revoke",
        "?": "help",
        "-h": "help",
        "--help": "help",
    }
)

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
_UUID = re.compile(r"[0-9a-f]{8}-?(?:[0-9a-f]{4}-?){3}[0-9a-f]{12}", re.IGNORECASE)
# A token is one path segment at Gencove: never "." or "..", nor only dots.
_TOKEN = re.compile(r"(?!\.+$)[A-Za-z0-9._~:+=-]{1,512}")
_TOKEN_PARAMETERS = ("token", "invitation_token", "invite_token", "invitation")


def decode_slack_text(text: str) -> str:
    """Undo Slack's `&amp;` / `&lt;` / `&gt;` encoding of slash-command text (nothing else)."""
    return _SLACK_ENTITY.sub(lambda m: _ENTITY_TEXT[m.group(1)], text)


def parse_command(text: str) -> Command:
    """Parse the text after `/gencove` (as Slack sends it, entity-encoded). Never raises."""
    words = decode_slack_text(text).split(None, 1)
    if not words:
        return Help()
    word, rest = words[0], words[1] if len(words) > 1 else ""
    name = _ALIASES.get(_SMART_DASH.sub("--", word.lower(), count=1))
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


def classify_revoke_target(target: str) -> RevokeTarget | None:
    """Read one revoke target: an invitation id (UUID) or an email address; None if neither."""
    text = target.strip()
    if _UUID.fullmatch(text):
        return RevokeById(str(uuid.UUID(text)))
    address = normalize_address(text)
    return None if address is None else RevokeByEmail(address)


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


def invitation_token(token_or_link: str) -> str | None:
    """The invitation token in a bare token or an invitation link (Slack `<…>` form too)."""
    text = token_or_link.strip()
    if text.startswith("<"):
        text = unwrap_slack_link(text) or ""
    if re.match(r"https?://", text, re.IGNORECASE):
        return _token_from_link(text)
    return text if _TOKEN.fullmatch(text) else None


def _token_from_link(link: str) -> str | None:
    try:
        parts = urlsplit(link)
    except ValueError:
        return None
    fragment_path, _, fragment_query = parts.fragment.partition("?")
    for query in (parts.query, fragment_query):
        parameters = parse_qs(query)
        for name in _TOKEN_PARAMETERS:
            for value in parameters.get(name, ()):
                if _TOKEN.fullmatch(value):
                    return value
    # Single-page apps route in the fragment (`#/invitation/TOKEN`).
    path = fragment_path if "/" in fragment_path else parts.path
    segments = [unquote(s) for s in path.split("/") if s]
    if segments and _TOKEN.fullmatch(segments[-1]):
        return segments[-1]
    return None


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
        "help": _parse_help,
    }
)


def usage_message(usage: Usage) -> str:
    """The reply to a `Usage` mistake: the problem, then that subcommand's usage line."""
    return f"{usage.problem}\nUsage: {USAGE[usage.subcommand]}"


def help_text(unknown_word: str | None) -> str:
    """The full help as mrkdwn, naming the word we did not understand first (escaped)."""
    lines: list[str] = []
    if unknown_word:
        word = inline_code(unknown_word, UNKNOWN_WORD_LIMIT)
        lines.append(f"I don't know {word}.{_hint(unknown_word)}")
    lines.append(f"*{COMMAND}* manages this workspace's Gencove organization invitations:")
    lines.extend(f"• {line}" for line in USAGE.values())
    lines.append(
        "`list`, `revoke` and `notify` are for inviters only; anyone else's `invite` asks "
        "the inviters, who approve or deny it with a button."
    )
    return "\n".join(lines)


def _hint(word: str) -> str:
    if normalize_address(word) is not None:
        return f" To invite someone, use `{COMMAND} invite EMAIL`."
    close = difflib.get_close_matches(word.lower(), list(_ALIASES), n=1, cutoff=0.75)
    if close:
        return f" Did you mean `{_ALIASES[close[0]]}`?"
    return ""
