"""Which operation of the Gencove API a request is, and who sends it: the route table
(each resource's API adds its routes), ``Api-Key``/``Bearer`` authentication, and the
call a handler gets."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aiohttp import web

from invite_bot.playground.gencove.accounts import Accounts
from invite_bot.playground.gencove.model import FakeUser
from invite_bot.playground.gencove.replies import (
    BAD_API_KEY,
    BAD_JWT,
    NO_CREDENTIALS,
    NO_PERMISSION,
    NOT_FOUND,
    Reply,
    detail,
    json_reply,
)


@dataclass
class Call:
    """An authenticated API request, as a handler gets it."""

    request: web.Request
    params: dict[str, str]  # the path's parameters
    body: bytes
    user: FakeUser


Handler = Callable[[Call], Reply]
Route = tuple[str, str, Handler]  # method, path pattern (a regex), handler


def require_admin(call: Call) -> Reply | None:
    """403 unless the caller is an organization admin."""
    return None if call.user.admin else detail(403, NO_PERMISSION)


class Router:
    """Finds a request's handler and authenticates the request for it."""

    def __init__(
        self,
        accounts: Accounts,
        routes: Iterable[Route],
        violation: Callable[[web.Request, str], None],
    ) -> None:
        self._accounts = accounts
        self._routes = [(method, re.compile(path), handler) for method, path, handler in routes]
        self._violation = violation  # records what a correct client must never send

    def dispatch(self, request: web.Request, body: bytes, *, report_unknown: bool) -> Reply:
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match is None or method != request.method:
                continue
            user_or_reply = self._authenticate(request)
            if isinstance(user_or_reply, Reply):
                return user_or_reply
            return handler(Call(request, match.groupdict(), body, user_or_reply))
        if report_unknown:
            self._violation(request, "no such operation in the Gencove API")
        return detail(404, NOT_FOUND)

    def _authenticate(self, request: web.Request) -> FakeUser | Reply:
        header = request.headers.get("Authorization", "").strip()
        if not header:
            return detail(401, NO_CREDENTIALS, {"WWW-Authenticate": "Api-Key"})
        keyword, _, credential = header.partition(" ")
        credential = credential.strip()
        if keyword.lower() == "api-key":
            user = self._accounts.by_api_key(credential)
            if user is None:
                return detail(401, BAD_API_KEY, {"WWW-Authenticate": "Api-Key"})
            return user
        if keyword.lower() == "bearer":
            user = self._accounts.by_jwt(credential)
            if user is None:
                return json_reply(
                    401,
                    {"detail": BAD_JWT, "code": "token_not_valid"},
                    {"WWW-Authenticate": 'Bearer realm="api"'},
                )
            return user
        self._violation(request, f"Authorization scheme {keyword!r} is neither Api-Key nor Bearer")
        return detail(401, NO_CREDENTIALS, {"WWW-Authenticate": "Api-Key"})
