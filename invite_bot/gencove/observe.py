"""What the client tells whoever watches it (the bot's metrics): each HTTP try with its
operation, status and time, and each retry.

The operation is a fixed name read from the method and the path's shape
(`operation_of`), never the path itself, which holds invitation ids and tokens.
"""

from __future__ import annotations

import re
from typing import Protocol

# (method, path pattern relative to the API root) -> operation
_OPERATIONS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(r"^/api/v2/invitations/?$"), "create_invitation"),
    ("GET", re.compile(r"^/api/v2/invitations/?$"), "list_invitations"),
    ("DELETE", re.compile(r"^/api/v2/invitations/[^/]+/?$"), "revoke_invitation"),
    ("GET", re.compile(r"^/api/v2/invitations-token/[^/]+/?$"), "get_invitation_by_token"),
    ("PATCH", re.compile(r"^/api/v2/invitations-token/[^/]+/?$"), "accept_invitation"),
    ("GET", re.compile(r"^/api/v2/roles/organization/?$"), "list_roles"),
    ("GET", re.compile(r"^/api/v2/organization-users/?$"), "find_member"),
    ("GET", re.compile(r"^/api/v2/user/?$"), "current_user"),
)


def operation_of(method: str, path: str) -> str:
    """The fixed name of a request, e.g. ("DELETE", "/api/v2/invitations/<id>") ->
    "revoke_invitation"; "other" for anything the client does not normally send."""
    path = path.split("?", 1)[0]
    for verb, pattern, name in _OPERATIONS:
        if method == verb and pattern.match(path):
            return name
    return "other"


class RequestObserver(Protocol):
    def gencove_request(self, operation: str, status: int | str, seconds: float) -> None:
        """One HTTP try ended: its status code, or "timeout" / "connection_error"."""

    def gencove_retry(self, operation: str) -> None:
        """A request is about to be sent again after a failed try."""
