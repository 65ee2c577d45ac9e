"""The ``/_fake/`` control API: JSON over HTTP to inspect and set up the local Slack from
another process (see ``ControlApi.routes``), and the actions an interceptor adds
(``ControlApi.add``)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from invite_bot.playground.slack.records import jsonable

if TYPE_CHECKING:
    from invite_bot.playground.slack.server import FakeSlack

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Route = tuple[str, str, Handler]


def _dump(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda o: json.dumps(o, default=str))


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()
    return json.loads(raw) if raw.strip() else {}


class ControlApi:
    """The control API of ``slack``."""

    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack
        self._added: dict[tuple[str, str], Handler] = {}

    def add(self, verb: str, path: str, handler: Handler) -> None:
        """Answer ``<verb> /_fake/<path>`` with ``handler`` (an interceptor's own action;
        added before or after the local Slack started). The built-in routes come first."""
        if any(path == known for _verb, known, _handler in self._builtin()):
            raise ValueError(f"the control API already has {path!r}")
        self._added[verb.upper(), path] = handler

    async def _dispatch_added(self, request: web.Request) -> web.StreamResponse:
        handler = self._added.get((request.method, request.match_info["action"]))
        if handler is None:
            return _dump({"ok": False, "error": "unknown control action"}, status=404)
        return await handler(request)

    def routes(self) -> list[Route]:
        """GET calls[?method=], messages, ephemerals, responses, views, violations, all_text;
        POST users {id, name, is_admin, is_owner, email} (or {"users": [...]}),
        config {not_in_channel, unknown_channels, usergroups},
        response_url {channel?, ts?} -> {url}, trigger_id -> {trigger_id}, reset {keep_config};
        GET files (with their text), POST files {name, text, user, channel?} (a person's);
        then whatever an interceptor added (``add``)."""
        return [*self._builtin(), ("*", "{action}", self._dispatch_added)]

    def _builtin(self) -> list[Route]:
        return [
            ("GET", "calls", self.calls),
            ("GET", "messages", self._get("messages")),
            ("GET", "ephemerals", self._get("ephemerals")),
            ("GET", "responses", self._get("responses")),
            ("GET", "views", self._get("views")),
            ("GET", "violations", self._get("violations")),
            ("GET", "all_text", self.all_text),
            ("POST", "users", self.users),
            ("POST", "config", self.config),
            ("POST", "response_url", self.response_url),
            ("POST", "trigger_id", self.trigger_id),
            ("POST", "reset", self.reset),
            ("GET", "files", self.files),
            ("POST", "files", self.add_file),
        ]

    async def calls(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        calls = self.slack.calls if method is None else self.slack.calls_to(method)
        return _dump([jsonable(c) for c in calls])

    def _get(self, name: str) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            value: Any = getattr(self.slack, name)
            if isinstance(value, dict) and name != "responses":
                value = list(value.values())
            if isinstance(value, list):
                value = [jsonable(v) for v in value]
            return _dump(value)

        return handler

    async def all_text(self, request: web.Request) -> web.Response:
        return web.Response(text=self.slack.all_text())

    async def users(self, request: web.Request) -> web.Response:
        data = await _json_body(request)
        entries = data["users"] if isinstance(data, dict) and "users" in data else data
        added = []
        for entry in entries if isinstance(entries, list) else [entries]:
            entry = dict(entry)
            added.append(self.slack.add_user(entry.pop("id"), **entry))
        return _dump({"ok": True, "users": added})

    async def config(self, request: web.Request) -> web.Response:
        data = await _json_body(request)
        slack = self.slack
        if "not_in_channel" in data:
            slack.not_in_channel = set(data["not_in_channel"])
        if "unknown_channels" in data:
            slack.unknown_channels = set(data["unknown_channels"])
        if "usergroups" in data:
            slack.usergroups.update({k: list(v) for k, v in data["usergroups"].items()})
        return _dump({"ok": True})

    async def response_url(self, request: web.Request) -> web.Response:
        data = await _json_body(request)
        url = self.slack.new_response_url(channel=data.get("channel"), ts=data.get("ts"))
        return _dump({"ok": True, "url": url})

    async def trigger_id(self, request: web.Request) -> web.Response:
        return _dump({"ok": True, "trigger_id": self.slack.new_trigger_id()})

    async def files(self, request: web.Request) -> web.Response:
        """Every file: its description, and its text (UTF-8) once it has arrived."""
        files = self.slack.files
        return _dump(
            [
                {
                    **files.describe(f),
                    "by_bot": f.by_bot,
                    "thread_ts": f.thread_ts,
                    "text": f.text if f.content is not None else None,
                }
                for f in files.files.values()
            ]
        )

    async def add_file(self, request: web.Request) -> web.Response:
        """A file a person shares: {name, text, user, channel?, mimetype?} -> its description."""
        data = await _json_body(request)
        added = self.slack.files.add(
            str(data["name"]),
            str(data["text"]).encode("utf-8"),
            user=str(data["user"]),
            mimetype=str(data.get("mimetype") or "text/csv"),
            channel=data.get("channel"),
        )
        return _dump({"ok": True, "file": self.slack.files.describe(added)})

    async def reset(self, request: web.Request) -> web.Response:
        data = await _json_body(request)
        self.slack.reset(keep_config=bool(data.get("keep_config", False)))
        return _dump({"ok": True})
