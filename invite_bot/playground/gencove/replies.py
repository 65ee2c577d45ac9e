"""How the Gencove sandbox answers: Django REST Framework's messages and error bodies,
an answer before it is sent (``Reply``), and reading a request body the way DRF does."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

# DRF / Gencove messages.
NOT_FOUND = "Not found."
NO_CREDENTIALS = "Authentication credentials were not provided."
BAD_API_KEY = "Invalid API key."
BAD_JWT = "Given token not valid for any token type"
NO_PERMISSION = "You do not have permission to perform this action."
INVALID_EMAIL = "Enter a valid email address."
ALREADY_PENDING = "An invitation for this email address is already pending."
ALREADY_MEMBER = "This user is already a member of the organization."
ONLY_PENDING_REVOCABLE = "Only pending invitations can be revoked."
OTHER_EMAIL = "This invitation was sent to another email address."
NOT_ACCEPTABLE: dict[str, str] = {
    "expired": "This invitation has expired.",
    "accepted": "This invitation has already been accepted.",
    "revoked": "This invitation has been revoked.",
}


@dataclass
class Reply:
    """An answer, kept as bytes until it is sent (so an interceptor can reshape it)."""

    status: int
    data: bytes = b""
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def to_response(self) -> web.Response:
        if not self.data:
            return web.Response(status=self.status, headers=self.headers)
        return web.Response(
            status=self.status,
            body=self.data,
            content_type=self.content_type,
            headers=self.headers,
        )


def json_reply(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Reply:
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Reply(status, data, "application/json", dict(headers or {}))


def detail(status: int, message: str, headers: Mapping[str, str] | None = None) -> Reply:
    return json_reply(status, {"detail": message}, headers)


def throttled_message(wait: int) -> str:
    unit = "second" if wait == 1 else "seconds"
    return f"Request was throttled. Expected available in {wait} {unit}."


def body_data(request: web.Request, body: bytes) -> dict[str, Any] | Reply:
    """Parsed JSON/form body as a dict (empty if none), or a DRF 400/415 answer."""
    if not body:
        return {}
    ctype = request.content_type
    if ctype == "application/json":
        try:
            data = json.loads(body)
        except ValueError as exc:
            return detail(400, f"JSON parse error - {exc}")
        if not isinstance(data, dict):
            return json_reply(
                400,
                {
                    "non_field_errors": [
                        f"Invalid data. Expected a dictionary, but got {type(data).__name__}."
                    ]
                },
            )
        return data
    if ctype == "application/x-www-form-urlencoded":
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return detail(415, f'Unsupported media type "{ctype}" in request.')


def parse_body_quiet(request: web.Request, body: bytes) -> Any:
    """Best-effort body decoding for ``RecordedRequest.json`` (None if absent/unparsable)."""
    if not body:
        return None
    if request.content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    try:
        return json.loads(body)
    except ValueError:
        return None
