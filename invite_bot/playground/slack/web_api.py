"""The ``/api/{method}`` endpoint: read a Web API request (form or JSON, token in the
body or the Authorization header), check it against Slack's Web API document, show it to
the interceptor if there is one (intercept.py), and answer with the method's handler (or
Slack's refusal, or what the interceptor answers instead)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import web

from invite_bot.playground import web_api_spec
from invite_bot.playground.slack.records import Call, JSONDict, Violation
from invite_bot.playground.slack.refusal import ApiError, refuse

if TYPE_CHECKING:
    from invite_bot.playground.slack.server import FakeSlack

Handler = Callable[[JSONDict], JSONDict]

#: Socket Mode's method: authenticated by the app-level token, not the bot's.
CONNECTIONS_OPEN = "apps.connections.open"


async def read_args(request: web.Request) -> JSONDict:
    """A request's arguments: the query, then a JSON or form-encoded body."""
    args: JSONDict = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        raw = await request.read()
        if request.content_type == "application/json":
            try:
                data = json.loads(raw) if raw.strip() else {}
            except ValueError as exc:
                raise ApiError("invalid_json", violation=True, details=[str(exc)]) from exc
            if not isinstance(data, dict):
                raise ApiError("invalid_json", violation=True, details=["not an object"])
            args.update(data)
        else:
            args.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    return args


def decode_json_fields(args: JSONDict) -> None:
    """Blocks, view, attachments and metadata sent as JSON strings, decoded in place."""
    for key in ("blocks", "view", "attachments", "metadata"):
        value = args.get(key)
        if isinstance(value, str) and value != "":
            try:
                args[key] = json.loads(value)
            except ValueError as exc:
                error = "invalid_blocks_format" if key == "blocks" else "invalid_arguments"
                raise ApiError(error, violation=True, details=[f"{key}: {exc}"]) from exc


def _token(args: JSONDict, request: web.Request) -> str | None:
    """The token a request carries (the Authorization header wins); taken out of args."""
    token: str | None = args.pop("token", None)
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        token = auth[len("Bearer ") :].strip()
    return token


class WebApi:
    """Slack's Web API over ``methods`` (method name -> handler), for ``slack``."""

    def __init__(self, slack: FakeSlack, methods: Mapping[str, Handler]):
        self.slack = slack
        self.methods = dict(methods)

    def knows(self, method: str) -> bool:
        return method in self.methods or method == CONNECTIONS_OPEN

    async def handle(self, request: web.Request) -> web.StreamResponse:
        slack = self.slack
        method = request.match_info["method"]
        call = Call(method, {}, None, time.monotonic(), request.method, request.path)
        slack.calls.append(call)
        try:
            call.args = await read_args(request)
        except ApiError as exc:
            return refuse(slack.violations, call, exc)
        token = _token(call.args, request)
        call.token = token
        self._check_spec(call)
        interceptor = slack.interceptor
        if interceptor is not None:
            answer = await interceptor.before(request, call)
            if answer is not None:
                return answer
        try:
            body = self._answer(method, call.args, token)
        except ApiError as exc:
            return refuse(slack.violations, call, exc)
        call.response = body
        if interceptor is not None:
            instead = await interceptor.after(request, call, body)
            if instead is not None:
                return instead
        return web.json_response(body)

    def _check_spec(self, call: Call) -> None:
        """A method or argument Slack's Web API document does not know is a violation."""
        if not (self.slack.check_web_api and self.knows(call.method)):
            return
        for problem in web_api_spec.problems(call.method, call.args, has_token=bool(call.token)):
            self.slack.violations.append(
                Violation(call.method, "not_in_web_api_spec", [problem], call.args)
            )

    def _answer(self, method: str, args: JSONDict, token: str | None) -> JSONDict:
        """What ``method`` answers to ``args`` sent with ``token`` (raises ApiError)."""
        decode_json_fields(args)
        if method == CONNECTIONS_OPEN:
            if not token:
                raise ApiError("not_authed")
            return {"ok": True, **self._connections_open(token)}
        handler = self.methods.get(method)
        if handler is None:
            raise ApiError("unknown_method", violation=True, details=[method])
        if not token:
            raise ApiError("not_authed")
        if token not in self.slack.tokens:
            raise ApiError("invalid_auth")
        return {"ok": True, **handler(args)}

    def _connections_open(self, token: Any) -> JSONDict:
        """Socket Mode's address, for the app-level token only (socket_mode.py)."""
        socket_mode = self.slack.socket_mode
        if socket_mode is None:
            raise ApiError("not_allowed_token_type")
        answer, error = socket_mode.connections_open(token if isinstance(token, str) else None)
        if error is not None:
            raise ApiError(error)
        return answer
