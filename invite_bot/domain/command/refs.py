"""Reading what a command points at: a revoke target (an invitation id or an email
address) and an invitation token (bare, or inside an invitation link).
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, unquote, urlsplit

from invite_bot.domain.addresses import normalize_address, unwrap_slack_link
from invite_bot.domain.command.types import RevokeByEmail, RevokeById, RevokeTarget

__all__ = ["classify_revoke_target", "invitation_token"]

_UUID = re.compile(r"[0-9a-f]{8}-?(?:[0-9a-f]{4}-?){3}[0-9a-f]{12}", re.IGNORECASE)
# A token is one path segment at Gencove: never "." or "..", nor only dots.
_TOKEN = re.compile(r"(?!\.+$)[A-Za-z0-9._~:+=-]{1,512}")
_TOKEN_PARAMETERS = ("token", "invitation_token", "invite_token", "invitation")


def classify_revoke_target(target: str) -> RevokeTarget | None:
    """Read one revoke target: an invitation id (UUID) or an email address; None if neither."""
    text = target.strip()
    if _UUID.fullmatch(text):
        return RevokeById(str(uuid.UUID(text)))
    address = normalize_address(text)
    return None if address is None else RevokeByEmail(address)


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
