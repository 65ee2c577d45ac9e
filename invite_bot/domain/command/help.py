"""What `/gencove` says about itself: each subcommand's usage line, the full help, and the
reply to a mistake in a known subcommand. Also the words each subcommand answers to.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType

from invite_bot.domain.addresses import normalize_address
from invite_bot.domain.command.types import COMMAND, Usage
from invite_bot.domain.text import inline_code

__all__ = ["ALIASES", "UNKNOWN_WORD_LIMIT", "USAGE", "help_text", "usage_message"]

UNKNOWN_WORD_LIMIT = 40

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
        "audit": f"`{COMMAND} audit [--since 30d]` — the audit log (who invited, revoked, "
        f"approved … whom, and how it ended) as a CSV in a direct message; the last 30 days "
        f"unless `--since` says how many hours, days or weeks. Example: "
        f"`{COMMAND} audit --since 2w`",
        "help": f"`{COMMAND} help` — show this help. Example: `{COMMAND} help`",
    }
)

ALIASES: Mapping[str, str] = MappingProxyType(
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
        "`list`, `revoke`, `reinvite`, `audit` and `notify` (but not `notify me`) are for "
        "inviters only; anyone else's `invite` asks the inviters, who approve or deny it "
        "with a button."
    )
    return "\n".join(lines)


def _hint(word: str) -> str:
    if normalize_address(word) is not None:
        return f" To invite someone, use `{COMMAND} invite EMAIL`."
    close = difflib.get_close_matches(word.lower(), list(ALIASES), n=1, cutoff=0.75)
    if close:
        return f" Did you mean `{ALIASES[close[0]]}`?"
    return ""
