"""The local Slack: a Web API stand-in and helpers that play Slack toward the bot.

The playground's Slack, and the stand-in every test and benchmark talks to.

Task 1 -- ``FakeSlack``: an aiohttp server on 127.0.0.1 that answers the Slack Web API
methods invite-bot uses, validates every Block Kit payload it receives, records everything
and lets tests inject faults::

    async with FakeSlack(bot_token="xoxb-test") as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        ...
        await slack.wait_for(lambda: slack.calls_to("chat.update"))

Standalone (for an end-to-end test driving a separate bot process)::

    python -m invite_bot.playground.slack --port 0 [--bot-token xoxb-...]
    -> prints "READY http://127.0.0.1:PORT"; the API root is that URL + "/api/";
       JSON control API under /_fake/ (see ``FakeSlack._control_routes``); stops on SIGTERM.

Task 2 -- request builders and signing (``sign``, ``slash_command_body``,
``block_action_body``, ``view_submission_body``, ``event_body``, ``deliver``) to send
requests to the bot's ``POST /slack/events`` the way Slack does.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import inspect
import itertools
import json
import random
import signal
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from types import TracebackType
from typing import Any, Literal, NamedTuple, TypeVar, cast
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from invite_bot.playground import web_api_spec
from invite_bot.playground.slack_files import FileError, SlackFiles
from invite_bot.playground.socket_mode import SocketMode

__all__ = [
    "UNSET_RESPONSE_URL",
    "Call",
    "Ephemeral",
    "FakeSlack",
    "Message",
    "OpenedView",
    "SlackDelivery",
    "SlackFault",
    "Violation",
    "block_action_body",
    "deliver",
    "event_body",
    "sign",
    "slash_command_body",
    "url_verification_body",
    "validate_blocks",
    "validate_view",
    "view_submission_body",
]

T = TypeVar("T")
JSONDict = dict[str, Any]

#: A response_url that fails fast (connection refused) -- pass ``slack.new_response_url()``.
UNSET_RESPONSE_URL = "http://127.0.0.1:9/response/unset"

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT_CHARS = 40_000
RESPONSE_URL_MAX_USES = 5
RESPONSE_URL_TTL = 30 * 60.0
TRIGGER_ID_TTL = 3.0

# ---------------------------------------------------------------------------
# Block Kit validation
# ---------------------------------------------------------------------------

_TEXT_TYPES = ("plain_text", "mrkdwn")


def _text_of(obj: Any) -> str | None:
    if isinstance(obj, Mapping):
        text = obj.get("text")
        return text if isinstance(text, str) else None
    return obj if isinstance(obj, str) else None


def _check_len(
    errors: list[str], value: Any, limit: int, pointer: str, *, minimum: int = 0
) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        errors.append(f"must be a string [json-pointer:{pointer}]")
    elif len(value) > limit:
        errors.append(f"must be less than {limit + 1} characters [json-pointer:{pointer}]")
    elif len(value) < minimum:
        errors.append(f"must be more than {minimum - 1} characters [json-pointer:{pointer}]")


def _walk(obj: Any, pointer: str, errors: list[str]) -> None:
    """Raw-dict checks of the Block Kit limits (independent of slack_sdk's own checks)."""
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            _walk(item, f"{pointer}/{i}", errors)
        return
    if not isinstance(obj, Mapping):
        return
    kind = obj.get("type")
    if kind in _TEXT_TYPES and "text" in obj:
        _check_len(errors, obj["text"], 3000, f"{pointer}/text", minimum=1)
    if "action_id" in obj:
        _check_len(errors, obj["action_id"], 255, f"{pointer}/action_id", minimum=1)
    if kind == "button":
        _check_len(errors, _text_of(obj.get("text")), 75, f"{pointer}/text/text", minimum=1)
        _check_len(errors, obj.get("value"), 2000, f"{pointer}/value")
        _check_len(errors, obj.get("url"), 3000, f"{pointer}/url")
        if obj.get("style") not in (None, "primary", "danger"):
            errors.append(f"must be primary or danger [json-pointer:{pointer}/style]")
    if kind == "actions":
        elements = obj.get("elements")
        if not isinstance(elements, list) or not elements:
            errors.append(f"must provide at least 1 element [json-pointer:{pointer}/elements]")
        else:
            if len(elements) > 25:
                errors.append(f"no more than 25 items allowed [json-pointer:{pointer}/elements]")
            seen: set[str] = set()
            for i, element in enumerate(elements):
                aid = element.get("action_id") if isinstance(element, Mapping) else None
                if isinstance(aid, str):
                    if aid in seen:
                        errors.append(
                            f"duplicate action_id {aid!r} [json-pointer:{pointer}/elements/{i}]"
                        )
                    seen.add(aid)
    if kind == "section":
        fields = obj.get("fields")
        if isinstance(fields, list):
            if len(fields) > 10:
                errors.append(f"no more than 10 items allowed [json-pointer:{pointer}/fields]")
            for i, item in enumerate(fields):
                _check_len(errors, _text_of(item), 2000, f"{pointer}/fields/{i}/text")
    if kind == "context":
        elements = obj.get("elements")
        if isinstance(elements, list) and len(elements) > 10:
            errors.append(f"no more than 10 items allowed [json-pointer:{pointer}/elements]")
    if kind == "header":
        _check_len(errors, _text_of(obj.get("text")), 150, f"{pointer}/text/text")
    if kind == "input":
        _check_len(errors, _text_of(obj.get("label")), 2000, f"{pointer}/label/text", minimum=1)
        _check_len(errors, _text_of(obj.get("hint")), 2000, f"{pointer}/hint/text")
    if kind == "file_input":
        _check_file_input(obj, pointer, errors)
    confirm = obj.get("confirm")
    if isinstance(confirm, Mapping):
        p = f"{pointer}/confirm"
        _check_len(errors, _text_of(confirm.get("title")), 100, f"{p}/title/text", minimum=1)
        _check_len(errors, _text_of(confirm.get("text")), 300, f"{p}/text/text", minimum=1)
        _check_len(errors, _text_of(confirm.get("confirm")), 30, f"{p}/confirm/text", minimum=1)
        _check_len(errors, _text_of(confirm.get("deny")), 30, f"{p}/deny/text", minimum=1)
    options = obj.get("options")
    if isinstance(options, list) and kind != "rich_text_list":
        if len(options) > 100:
            errors.append(f"no more than 100 items allowed [json-pointer:{pointer}/options]")
        for i, option in enumerate(options):
            if isinstance(option, Mapping):
                _check_len(errors, _text_of(option.get("text")), 75, f"{pointer}/options/{i}/text")
                _check_len(errors, option.get("value"), 150, f"{pointer}/options/{i}/value")
    for key, value in obj.items():
        if isinstance(value, (list, Mapping)) and key not in ("confirm",):
            _walk(value, f"{pointer}/{key}", errors)


def _check_file_input(obj: Mapping[str, Any], pointer: str, errors: list[str]) -> None:
    """A file_input element (docs.slack.dev/reference/block-kit/block-elements/
    file-input-element): `max_files` 1-10, `filetypes` a list of extensions."""
    max_files = obj.get("max_files")
    if max_files is not None and (
        not isinstance(max_files, int) or isinstance(max_files, bool) or not 1 <= max_files <= 10
    ):
        errors.append(f"must be between 1 and 10 [json-pointer:{pointer}/max_files]")
    filetypes = obj.get("filetypes")
    if filetypes is not None and (
        not isinstance(filetypes, list)
        or not all(isinstance(t, str) and t and "." not in t for t in filetypes)
    ):
        errors.append(f"must be a list of file extensions [json-pointer:{pointer}/filetypes]")


def validate_blocks(
    blocks: Any, *, max_blocks: int = MAX_MESSAGE_BLOCKS, pointer: str = "/blocks"
) -> list[str]:
    """Every Block Kit problem of a ``blocks`` array, as Slack-style messages ([] if valid).

    Raw-dict checks of the documented limits, plus ``slack_sdk.models`` parsing and
    ``to_dict()`` validation of each block.
    """
    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{pointer}]"]
    errors: list[str] = []
    if len(blocks) > max_blocks:
        errors.append(f"no more than {max_blocks} items allowed [json-pointer:{pointer}]")
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        p = f"{pointer}/{i}"
        if not isinstance(block, Mapping):
            errors.append(f"must be an object [json-pointer:{p}]")
            continue
        mine: list[str] = []
        block_id = block.get("block_id")
        if block_id is not None:
            _check_len(mine, block_id, 255, f"{p}/block_id", minimum=1)
            if block_id in block_ids:
                mine.append(f"duplicate block_id {block_id!r} [json-pointer:{p}/block_id]")
            if isinstance(block_id, str):
                block_ids.add(block_id)
        _walk(block, p, mine)
        if not mine:
            try:
                parsed = Block.parse(dict(block))
                if parsed is None:
                    mine.append(f"unsupported block type {block.get('type')!r} [json-pointer:{p}]")
                else:
                    parsed.to_dict()
            except Exception as exc:  # SlackObjectFormationError, or TypeError on junk
                mine.append(f"{exc} [json-pointer:{p}]")
        errors.extend(mine)
    return errors


def validate_view(view: Any, *, pointer: str = "/view") -> list[str]:
    """Every problem of a modal/home view (limits, blocks, input-needs-submit) ([] if valid)."""
    if not isinstance(view, Mapping):
        return [f"must be an object [json-pointer:{pointer}]"]
    errors: list[str] = []
    kind = view.get("type")
    if kind not in ("modal", "home"):
        errors.append(f"must be modal or home [json-pointer:{pointer}/type]")
    if kind == "modal" and not isinstance(view.get("title"), Mapping):
        errors.append(f"missing required field: title [json-pointer:{pointer}/title]")
    for key in ("title", "submit", "close"):
        if key in view:
            _check_len(errors, _text_of(view[key]), 24, f"{pointer}/{key}/text", minimum=1)
    _check_len(errors, view.get("callback_id"), 255, f"{pointer}/callback_id")
    _check_len(errors, view.get("external_id"), 255, f"{pointer}/external_id")
    _check_len(errors, view.get("private_metadata"), 3000, f"{pointer}/private_metadata")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        errors.append(f"must provide at least 1 block [json-pointer:{pointer}/blocks]")
    else:
        errors.extend(
            validate_blocks(blocks, max_blocks=MAX_VIEW_BLOCKS, pointer=f"{pointer}/blocks")
        )
        has_input = any(isinstance(b, Mapping) and b.get("type") == "input" for b in blocks)
        if kind == "modal" and has_input and "submit" not in view:
            errors.append(
                f"modal with input blocks requires submit [json-pointer:{pointer}/submit]"
            )
    if not errors:
        try:
            View(**dict(view)).to_dict()
        except Exception as exc:
            errors.append(f"{exc} [json-pointer:{pointer}]")
    return errors


# ---------------------------------------------------------------------------
# Records and faults
# ---------------------------------------------------------------------------


@dataclass
class Call:
    """One request the fake received (``method`` is "response_url" for response_url posts)."""

    method: str
    args: JSONDict  # decoded: blocks / view / attachments are Python objects; no token
    token: str | None
    time: float  # time.monotonic()
    http_method: str = "POST"
    path: str = ""
    status: int = 200
    response: JSONDict | None = None
    fault: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response and self.response.get("ok"))


@dataclass
class Message:
    """A message the bot posted; ``history`` holds every version, oldest first."""

    channel: str
    ts: str
    text: str | None
    blocks: list[Any] | None
    thread_ts: str | None = None
    user: str = ""
    deleted: bool = False
    history: list[JSONDict] = field(default_factory=list)
    metadata: JSONDict | None = None


@dataclass
class Ephemeral:
    channel: str
    user: str
    text: str | None
    blocks: list[Any] | None
    message_ts: str
    thread_ts: str | None = None
    time: float = 0.0


@dataclass
class OpenedView:
    id: str
    view: JSONDict  # as Slack answers it (with id, hash, state...)
    trigger_id: str | None
    external_id: str | None
    history: list[JSONDict] = field(default_factory=list)


@dataclass
class Violation:
    """A request Slack would have refused because the bot built it wrong."""

    method: str
    error: str
    details: list[str]
    args: JSONDict

    def __str__(self) -> str:
        return f"{self.method}: {self.error}: {'; '.join(self.details)}"


@dataclass(frozen=True)
class SlackFault:
    """A one-shot failure for ``FakeSlack.inject``; build with the class methods."""

    kind: Literal["rate_limited", "status", "error", "reset", "delay", "garbled", "lost"]
    http_status: int = 200
    error_code: str = ""
    retry_after: int = 1
    seconds: float = 0.0

    @classmethod
    def rate_limited(cls, retry_after: int = 1) -> SlackFault:
        """HTTP 429, ``Retry-After: retry_after``, ``{"ok": false, "error": "ratelimited"}``."""
        return cls("rate_limited", 429, "ratelimited", retry_after=retry_after)

    @classmethod
    def status(cls, status: int = 500) -> SlackFault:
        """HTTP ``status`` (500/503/...) with an ``ok: false`` JSON body."""
        code = {500: "fatal_error", 503: "service_unavailable"}.get(status, f"http_{status}")
        return cls("status", status, code)

    @classmethod
    def error(cls, error: str) -> SlackFault:
        """HTTP 200 ``{"ok": false, "error": error}``."""
        return cls("error", 200, error)

    @classmethod
    def reset(cls) -> SlackFault:
        """Drop the connection without answering."""
        return cls("reset")

    @classmethod
    def delay(cls, seconds: float) -> SlackFault:
        """Sleep, then answer normally."""
        return cls("delay", seconds=seconds)

    @classmethod
    def garbled(cls) -> SlackFault:
        """Do what was asked, then answer 200 with JSON cut off half-way."""
        return cls("garbled")

    @classmethod
    def lost(cls) -> SlackFault:
        """Do what was asked, then drop the connection instead of answering."""
        return cls("lost")

    @property
    def after_effect(self) -> bool:
        """The request takes effect; only its answer is spoiled."""
        return self.kind in ("garbled", "lost")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SlackFault:
        kind = data["kind"]
        if kind == "rate_limited":
            return cls.rate_limited(int(data.get("retry_after", 1)))
        if kind == "status":
            return cls.status(int(data.get("status", 500)))
        if kind == "error":
            return cls.error(str(data["error"]))
        if kind == "reset":
            return cls.reset()
        if kind == "delay":
            return cls.delay(float(data["seconds"]))
        if kind == "garbled":
            return cls.garbled()
        if kind == "lost":
            return cls.lost()
        raise ValueError(f"unknown fault kind {kind!r}")


class _ApiError(Exception):
    def __init__(self, error: str, *, violation: bool = False, details: Sequence[str] = ()) -> None:
        super().__init__(error)
        self.error = error
        self.violation = violation
        self.details = list(details)


@dataclass
class _ResponseUrl:
    id: str
    created: float
    max_uses: int
    ttl: float
    channel: str | None
    ts: str | None
    uses: int = 0


def _string_leaves(obj: Any) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, Mapping):
        for value in obj.values():
            yield from _string_leaves(value)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            yield from _string_leaves(value)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, (Call, Message, Ephemeral, OpenedView, Violation)):
        data = asdict(obj)
        if isinstance(obj, Call):
            data["ok"] = obj.ok
        return data
    return obj


# ---------------------------------------------------------------------------
# The fake server
# ---------------------------------------------------------------------------


class FakeSlack:
    """Slack Web API stand-in. ``async with FakeSlack() as slack:`` serves on 127.0.0.1."""

    calls: list[Call]
    messages: dict[tuple[str, str], Message]
    ephemerals: list[Ephemeral]
    views: dict[str, OpenedView]
    responses: dict[str, list[JSONDict]]  # response_url id -> accepted posts
    violations: list[Violation]
    users: dict[str, JSONDict]
    usergroups: dict[str, list[str]]
    not_in_channel: set[str]
    unknown_channels: set[str]
    channels: dict[str, JSONDict]  # conversations.info overrides
    _response_urls: dict[str, _ResponseUrl]
    _triggers: dict[str, float]
    _used_triggers: set[str]
    _faults: dict[str, deque[SlackFault]]
    _fail_rate: tuple[float, random.Random, frozenset[str] | None, list[SlackFault]]

    def __init__(
        self,
        bot_token: str = "xoxb-test-token",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        team_id: str = "T1",
        team: str = "Test Team",
        bot_user_id: str = "U_BOT",
        bot_id: str = "B_BOT",
        app_id: str = "A_FAKE",
        extra_tokens: Iterable[str] = (),
        check_web_api: bool = True,
        app_token: str | None = None,
    ) -> None:
        self.bot_token = bot_token
        # Socket Mode (socket_mode.py) when an app-level token is given.
        self.app_token = app_token
        self.socket_mode: SocketMode | None = None
        # Every call checked against Slack's Web API document (web_api_spec): a method or
        # argument Slack does not know is a violation, like malformed Block Kit.
        self.check_web_api = check_web_api
        self.tokens: set[str] = {bot_token, *extra_tokens}
        self.host = host
        self.port = port
        self.team_id = team_id
        self.team = team
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self._runner: web.AppRunner | None = None
        self._ts_counter = itertools.count(1)
        self._last_ts_micros = 0
        self._id_counter = itertools.count(1)
        # files people share and the bot uploads (slack_files.py)
        self.files = SlackFiles(lambda: self.base_url, lambda: self.tokens, team_id)
        self._methods: dict[str, Callable[[JSONDict], JSONDict]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "usergroups.users.list": self._usergroups_users_list,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.open": self._conversations_open,
            "apps.connections.open": self._apps_connections_open,
            "files.info": self._files_call(self.files.files_info),
            "files.getUploadURLExternal": self._files_call(self.files.get_upload_url),
            "files.completeUploadExternal": self._files_call(
                lambda args: self.files.complete_upload(args, has_channel=self._has_channel)
            ),
        }
        self.reset()

    # -- lifecycle ---------------------------------------------------------

    def reset(self, *, keep_config: bool = False) -> None:
        """Forget everything recorded and all pending faults (and, unless keep_config,
        users / usergroups / channel settings)."""
        self.calls = []
        self.messages = {}
        self.ephemerals = []
        self.views = {}
        self.responses = {}
        self.violations = []
        self._response_urls = {}
        self._triggers = {}
        self._used_triggers = set()
        self._faults = {}
        self._fail_rate = (0.0, random.Random(0), None, [])
        self.files.reset()
        if not keep_config:
            self.users = {}
            self.usergroups = {}
            self.not_in_channel = set()
            self.unknown_channels = set()
            self.channels = {}

    def _make_app(self) -> web.Application:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{rid}", self._handle_response_url)
        app.router.add_get("/socket/{connection}", self._handle_socket)
        for verb, path, handler in self.files.routes():
            app.router.add_route(verb, path, handler)
        for verb, path, handler in self._control_routes():
            app.router.add_route(verb, f"/_fake/{path}", handler)
        return app

    async def start(self) -> FakeSlack:
        runner = web.AppRunner(self._make_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        if self.app_token is not None:
            self.socket_mode = SocketMode(
                self.app_token, f"ws://{self.host}:{self.port}", app_id=self.app_id
            )
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """Pass as ``AsyncWebClient(base_url=...)``."""
        return f"{self.base_url}/api/"

    # -- configuration -----------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str = "ana",
        is_admin: bool = False,
        is_owner: bool = False,
        *,
        email: str | None = None,
        real_name: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        tz: str = "Europe/London",
    ) -> JSONDict:
        real = real_name if real_name is not None else name.title()
        user: JSONDict = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": real,
            "deleted": deleted,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": False,
            "is_bot": is_bot,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "tz": tz,
            "profile": {
                "real_name": real,
                "real_name_normalized": real,
                "display_name": name,
                "display_name_normalized": name,
                "email": email if email is not None else f"{name}@example.org",
                "team": self.team_id,
            },
        }
        self.users[user_id] = user
        return user

    def inject(self, method: str, *faults: SlackFault) -> None:
        """Queue faults for ``method`` (an API method, "response_url", or "*" for any),
        consumed one per request, in order."""
        self._faults.setdefault(method, deque()).extend(faults)

    def faults_left(self, method: str) -> int:
        """How many faults queued for ``method`` no request has taken yet."""
        return len(self._faults.get(method, ()))

    def fail_rate(
        self,
        rate: float,
        seed: int = 0,
        methods: Iterable[str] | None = None,
        faults: Sequence[SlackFault] | None = None,
    ) -> None:
        """Fail a seeded-random ``rate`` of requests to ``methods`` (None: every API method)
        with a fault drawn from ``faults`` (default: 429 retry_after=1, 500, 503)."""
        chosen = (
            list(faults)
            if faults
            else [
                SlackFault.rate_limited(1),
                SlackFault.status(500),
                SlackFault.status(503),
            ]
        )
        self._fail_rate = (
            rate,
            random.Random(seed),
            frozenset(methods) if methods is not None else None,
            chosen,
        )

    def new_response_url(
        self,
        *,
        channel: str | None = None,
        ts: str | None = None,
        max_uses: int = RESPONSE_URL_MAX_USES,
        ttl: float = RESPONSE_URL_TTL,
    ) -> str:
        """A fresh response_url on this fake. If bound to a posted message (channel, ts),
        ``replace_original`` / ``delete_original`` posts update that Message."""
        rid = uuid.uuid4().hex[:16]
        self._response_urls[rid] = _ResponseUrl(rid, time.monotonic(), max_uses, ttl, channel, ts)
        self.responses[rid] = []
        return f"{self.base_url}/response/{rid}"

    def new_trigger_id(self) -> str:
        """A trigger_id the fake knows: views.open refuses it once used or after 3 s."""
        trigger_id = _new_trigger_id()
        self._triggers[trigger_id] = time.monotonic()
        return trigger_id

    # -- inspection --------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def messages_in(self, channel: str) -> list[Message]:
        return [m for m in self.messages.values() if m.channel == channel]

    def last_message(self, channel: str | None = None) -> Message | None:
        found = [m for m in self.messages.values() if channel is None or m.channel == channel]
        return max(found, key=lambda m: float(m.ts)) if found else None

    def response_posts(self, url: str) -> list[JSONDict]:
        return self.responses.get(url.rstrip("/").rsplit("/", 1)[-1], [])

    def all_text(self) -> str:
        """Every string the fake ever received (texts, block/view JSON and their string
        leaves), joined by newlines -- for "secret never sent" / "input escaped" asserts."""
        parts: list[str] = []
        for call in self.calls:
            for key in ("blocks", "view", "attachments"):
                if key in call.args:
                    parts.append(json.dumps(call.args[key], ensure_ascii=False))
            parts.extend(_string_leaves(call.args))
        return "\n".join(parts)

    async def wait_for(
        self,
        predicate: Callable[[FakeSlack], T] | Callable[[], T],
        timeout: float = 15.0,
        *,
        interval: float = 0.01,
    ) -> T:
        """Poll ``predicate()`` / ``predicate(slack)`` until truthy; return its value.
        Raises TimeoutError (listing the recent calls) after ``timeout`` seconds."""
        try:
            inspect.signature(predicate).bind()
            takes_arg = False
        except TypeError:
            takes_arg = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if takes_arg:
                result = cast("Callable[[FakeSlack], T]", predicate)(self)
            else:
                result = cast("Callable[[], T]", predicate)()
            if result:
                return result
            if loop.time() >= deadline:
                recent = [f"{c.method}({c.status})" for c in self.calls[-15:]]
                raise TimeoutError(
                    f"condition not met within {timeout}s; recent calls: {recent}; "
                    f"violations: {[str(v) for v in self.violations]}"
                )
            await asyncio.sleep(interval)

    # -- HTTP plumbing -----------------------------------------------------

    def _next_fault(self, method: str) -> SlackFault | None:
        for key in (method, "*"):
            queue = self._faults.get(key)
            if queue:
                return queue.popleft()
        rate, rng, methods, faults = self._fail_rate
        if rate > 0 and (methods is None or method in methods):
            if methods is None and method == "response_url":
                return None
            if rng.random() < rate:
                return rng.choice(faults)
        return None

    async def _apply_fault(
        self, fault: SlackFault, request: web.Request, call: Call
    ) -> web.StreamResponse | None:
        call.fault = fault.kind
        if fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
            return None
        if fault.kind == "reset":
            call.status = 0
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)
        body: JSONDict = {"ok": False, "error": fault.error_code}
        call.status = fault.http_status
        call.response = body
        headers = {"Retry-After": str(fault.retry_after)} if fault.kind == "rate_limited" else {}
        return web.json_response(body, status=fault.http_status, headers=headers)

    @staticmethod
    async def _read_args(request: web.Request) -> JSONDict:
        args: JSONDict = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json":
                try:
                    data = json.loads(raw) if raw.strip() else {}
                except ValueError as exc:
                    raise _ApiError("invalid_json", violation=True, details=[str(exc)]) from exc
                if not isinstance(data, dict):
                    raise _ApiError("invalid_json", violation=True, details=["not an object"])
                args.update(data)
            else:
                args.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        return args

    @staticmethod
    def _decode_json_fields(args: JSONDict) -> None:
        for key in ("blocks", "view", "attachments", "metadata"):
            value = args.get(key)
            if isinstance(value, str) and value != "":
                try:
                    args[key] = json.loads(value)
                except ValueError as exc:
                    error = "invalid_blocks_format" if key == "blocks" else "invalid_arguments"
                    raise _ApiError(error, violation=True, details=[f"{key}: {exc}"]) from exc

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        call = Call(method, {}, None, time.monotonic(), request.method, request.path)
        self.calls.append(call)
        try:
            call.args = await self._read_args(request)
        except _ApiError as exc:
            return self._refuse(call, exc)
        token = call.args.pop("token", None)
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth[len("Bearer ") :].strip()
        call.token = token
        if self.check_web_api and method in self._methods:
            for problem in web_api_spec.problems(method, call.args, has_token=bool(token)):
                self.violations.append(
                    Violation(method, "not_in_web_api_spec", [problem], call.args)
                )
        fault = self._next_fault(method)
        if fault is not None and not fault.after_effect:
            answer = await self._apply_fault(fault, request, call)
            if answer is not None:
                return answer
        try:
            self._decode_json_fields(call.args)
            handler = self._methods.get(method)
            if handler is None:
                raise _ApiError("unknown_method", violation=True, details=[method])
            if not token:
                raise _ApiError("not_authed")
            if method == "apps.connections.open":
                body = {"ok": True, **self._apps_connections_open(token)}
            elif token not in self.tokens:
                raise _ApiError("invalid_auth")
            else:
                body = {"ok": True, **handler(call.args)}
        except _ApiError as exc:
            return self._refuse(call, exc)
        call.response = body
        if fault is not None and fault.after_effect:
            return self._spoil(fault, request, call, body)
        return web.json_response(body)

    @staticmethod
    def _spoil(
        fault: SlackFault, request: web.Request, call: Call, body: JSONDict
    ) -> web.StreamResponse:
        """The answer to a request that took effect, spoiled as `fault` says."""
        call.fault = fault.kind
        if fault.kind == "lost":
            call.status = 0
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)
        whole = json.dumps(body)
        return web.Response(
            text=whole[: max(1, len(whole) // 2)], content_type="application/json"
        )

    def _refuse(self, call: Call, exc: _ApiError, status: int = 200) -> web.Response:
        body: JSONDict = {"ok": False, "error": exc.error}
        if exc.details:
            body["errors"] = exc.details
            body["response_metadata"] = {"messages": [f"[ERROR] {d}" for d in exc.details]}
        if exc.violation:
            self.violations.append(Violation(call.method, exc.error, exc.details, call.args))
        call.status = status
        call.response = body
        return web.json_response(body, status=status)

    # -- shared helpers ----------------------------------------------------

    def _next_ts(self) -> str:
        # Real time, like Slack (clients filter history by time), strictly increasing.
        micros = max(int(time.time() * 1_000_000), self._last_ts_micros + 100)
        self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    @staticmethod
    def _content(args: Mapping[str, Any], *, require: bool = True) -> None:
        """Validate text / blocks of a message-ish payload (raises _ApiError)."""
        text = args.get("text")
        if text is not None and not isinstance(text, str):
            raise _ApiError("invalid_arguments", violation=True, details=["text must be a string"])
        if text is not None and len(text) > MAX_TEXT_CHARS:
            raise _ApiError(
                "msg_too_long", violation=True, details=[f"text has {len(text)} characters"]
            )
        blocks = args.get("blocks")
        if blocks is not None and blocks != "":
            errors = validate_blocks(blocks)
            if errors:
                raise _ApiError("invalid_blocks", violation=True, details=errors)
        has_content = any(args.get(k) for k in ("text", "blocks", "attachments", "markdown_text"))
        if require and not has_content:
            raise _ApiError("no_text", violation=True, details=["neither text nor blocks"])

    def _channel_arg(self, args: Mapping[str, Any]) -> str:
        channel = args.get("channel")
        if not isinstance(channel, str) or not channel:
            raise _ApiError("channel_not_found", violation=True, details=["channel is missing"])
        if channel in self.unknown_channels:
            raise _ApiError("channel_not_found")
        return channel

    @staticmethod
    def _dm_id(channel: str) -> str:
        return "D" + channel[1:] if channel[:1] in ("U", "W") else channel

    def _message_json(self, msg: Message) -> JSONDict:
        data: JSONDict = {
            "type": "message",
            "user": msg.user,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "ts": msg.ts,
            "text": msg.text or "",
        }
        if msg.blocks is not None:
            data["blocks"] = msg.blocks
        if msg.thread_ts:
            data["thread_ts"] = msg.thread_ts
        return data

    @staticmethod
    def _blocks_or_none(value: Any) -> list[Any] | None:
        return value if isinstance(value, list) else None

    # -- methods -----------------------------------------------------------

    def _auth_test(self, args: JSONDict) -> JSONDict:
        return {
            "url": f"https://{self.team.lower().replace(' ', '-')}.slack.com/",
            "team": self.team,
            "user": "invite-bot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, args: JSONDict) -> JSONDict:
        channel = self._channel_arg(args)
        self._content(args)
        if channel in self.not_in_channel:
            raise _ApiError("not_in_channel")
        channel_id = self._dm_id(channel)
        ts = self._next_ts()
        msg = Message(
            channel=channel_id,
            ts=ts,
            text=args.get("text"),
            blocks=self._blocks_or_none(args.get("blocks")),
            thread_ts=args.get("thread_ts") or None,
            user=self.bot_user_id,
            metadata=self._metadata_arg(args.get("metadata")),
        )
        msg.history.append(
            {"text": msg.text, "blocks": msg.blocks, "time": time.monotonic(), "via": "post"}
        )
        self.messages[(channel_id, ts)] = msg
        return {"channel": channel_id, "ts": ts, "message": self._message_json(msg)}

    @staticmethod
    def _metadata_arg(raw: Any) -> JSONDict | None:
        """Message metadata: {"event_type": str, "event_payload": object}, as Slack wants."""
        if raw is None or raw == "":
            return None
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raise _ApiError("invalid_metadata_format", violation=True) from None
        if (
            not isinstance(raw, dict)
            or not isinstance(raw.get("event_type"), str)
            or not isinstance(raw.get("event_payload"), dict)
        ):
            raise _ApiError("invalid_metadata_format", violation=True, details=[repr(raw)])
        return dict(raw)

    def _conversations_history(self, args: JSONDict) -> JSONDict:
        """Newest first, from `oldest` on; metadata only with include_all_metadata."""
        channel = self._channel_arg(args)
        if channel in self.not_in_channel:
            raise _ApiError("not_in_channel")
        oldest = float(args.get("oldest") or 0)
        limit = int(args.get("limit") or 100)
        with_metadata = str(args.get("include_all_metadata", "")).lower() in {"1", "true"}
        found = sorted(
            (
                m
                for (c, ts), m in self.messages.items()
                if c == channel and not m.deleted and float(ts) >= oldest
            ),
            key=lambda m: float(m.ts),
            reverse=True,
        )[:limit]
        messages = []
        for msg in found:
            data = self._message_json(msg)
            if with_metadata and msg.metadata is not None:
                data["metadata"] = msg.metadata
            messages.append(data)
        return {"messages": messages, "has_more": False}

    def _find_message(self, args: Mapping[str, Any]) -> Message:
        channel = self._channel_arg(args)
        ts = args.get("ts")
        msg = self.messages.get((self._dm_id(channel), str(ts)))
        if msg is None or msg.deleted:
            raise _ApiError("message_not_found")
        return msg

    def _chat_update(self, args: JSONDict) -> JSONDict:
        msg = self._find_message(args)
        self._content(args, require=False)
        if not any(k in args for k in ("text", "blocks", "attachments", "markdown_text")):
            raise _ApiError("no_text", violation=True, details=["neither text nor blocks"])
        if "text" in args:
            msg.text = args["text"]
        if "blocks" in args:  # Slack keeps the old blocks when "blocks" is omitted
            msg.blocks = self._blocks_or_none(args["blocks"]) or None
        msg.history.append(
            {"text": msg.text, "blocks": msg.blocks, "time": time.monotonic(), "via": "update"}
        )
        return {
            "channel": msg.channel,
            "ts": msg.ts,
            "text": msg.text or "",
            "message": self._message_json(msg),
        }

    def _chat_delete(self, args: JSONDict) -> JSONDict:
        msg = self._find_message(args)
        msg.deleted = True
        return {"channel": msg.channel, "ts": msg.ts}

    def _chat_post_ephemeral(self, args: JSONDict) -> JSONDict:
        channel = self._channel_arg(args)
        user = args.get("user")
        if not isinstance(user, str) or not user:
            raise _ApiError("invalid_arguments", violation=True, details=["user is missing"])
        self._content(args)
        if channel in self.not_in_channel:
            raise _ApiError("not_in_channel")
        ts = self._next_ts()
        self.ephemerals.append(
            Ephemeral(
                channel=channel,
                user=user,
                text=args.get("text"),
                blocks=self._blocks_or_none(args.get("blocks")),
                message_ts=ts,
                thread_ts=args.get("thread_ts") or None,
                time=time.monotonic(),
            )
        )
        return {"message_ts": ts}

    def _check_view(self, args: Mapping[str, Any]) -> JSONDict:
        view = args.get("view")
        errors = validate_view(view)
        if errors:
            raise _ApiError("invalid_arguments", violation=True, details=errors)
        return dict(cast("Mapping[str, Any]", view))

    def _view_json(self, view_id: str, view: JSONDict, external_id: str | None) -> JSONDict:
        return {
            **view,
            "id": view_id,
            "team_id": self.team_id,
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": external_id or "",
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
        }

    def _views_open(self, args: JSONDict) -> JSONDict:
        trigger_id = args.get("trigger_id") or args.get("interactivity_pointer")
        if not isinstance(trigger_id, str) or not trigger_id:
            raise _ApiError("invalid_arguments", violation=True, details=["trigger_id missing"])
        view = self._check_view(args)
        if trigger_id in self._used_triggers:
            raise _ApiError("exchanged_trigger_id")
        issued = self._triggers.get(trigger_id)
        if issued is not None and time.monotonic() - issued > TRIGGER_ID_TTL:
            raise _ApiError("expired_trigger_id")
        self._used_triggers.add(trigger_id)
        external_id = view.get("external_id") or None
        if external_id and any(v.external_id == external_id for v in self.views.values()):
            raise _ApiError("duplicate_external_id")
        view_id = f"V{next(self._id_counter):08d}"
        answered = self._view_json(view_id, view, external_id)
        self.views[view_id] = OpenedView(view_id, answered, trigger_id, external_id, [answered])
        return {"view": answered}

    def _views_update(self, args: JSONDict) -> JSONDict:
        view_id = args.get("view_id")
        external_id = args.get("external_id")
        if not view_id and not external_id:
            raise _ApiError(
                "invalid_arguments", violation=True, details=["view_id or external_id required"]
            )
        view = self._check_view(args)
        found = self.views.get(str(view_id)) if view_id else None
        if found is None and external_id:
            found = next((v for v in self.views.values() if v.external_id == external_id), None)
        if found is None:
            raise _ApiError("not_found")
        if args.get("hash") and args["hash"] != found.view.get("hash"):
            raise _ApiError("hash_conflict")
        answered = self._view_json(found.id, view, found.external_id)
        found.view = answered
        found.history.append(answered)
        return {"view": answered}

    def _users_info(self, args: JSONDict) -> JSONDict:
        user = self.users.get(str(args.get("user")))
        if user is None:
            raise _ApiError("user_not_found")
        return {"user": user}

    def _users_lookup_by_email(self, args: JSONDict) -> JSONDict:
        email = str(args.get("email", "")).lower()
        for user in self.users.values():
            if str(user["profile"].get("email", "")).lower() == email:
                return {"user": user}
        raise _ApiError("users_not_found")

    def _usergroups_users_list(self, args: JSONDict) -> JSONDict:
        members = self.usergroups.get(str(args.get("usergroup")))
        if members is None:
            raise _ApiError("no_such_subteam")
        return {"users": list(members)}

    def _conversations_info(self, args: JSONDict) -> JSONDict:
        channel = self._channel_arg(args)
        if channel in self.channels:
            return {"channel": self.channels[channel]}
        return {
            "channel": {
                "id": channel,
                "name": channel.lower(),
                "is_channel": channel.startswith("C"),
                "is_private": channel.startswith("G"),
                "is_im": channel.startswith("D"),
                "is_member": channel not in self.not_in_channel,
                "is_archived": False,
            }
        }

    def _apps_connections_open(self, token: Any) -> JSONDict:
        """Socket Mode's address, for the app-level token only (socket_mode.py)."""
        if self.socket_mode is None:
            raise _ApiError("not_allowed_token_type")
        answer, error = self.socket_mode.connections_open(token if isinstance(token, str) else None)
        if error is not None:
            raise _ApiError(error)
        return answer

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        if self.socket_mode is None:
            return web.Response(status=404, text="Socket Mode is not enabled")
        return await self.socket_mode.handle(request)

    @staticmethod
    def _files_call(call: Callable[[JSONDict], JSONDict]) -> Callable[[JSONDict], JSONDict]:
        def handler(args: JSONDict) -> JSONDict:
            try:
                return call(args)
            except FileError as exc:
                details = [exc.detail] if exc.detail else []
                raise _ApiError(exc.error, violation=exc.violation, details=details) from None

        return handler

    def _has_channel(self, channel: str) -> bool:
        return channel not in self.unknown_channels and channel not in self.not_in_channel

    def _conversations_open(self, args: JSONDict) -> JSONDict:
        users = str(args.get("users", "")).split(",")
        if not users[0]:
            raise _ApiError("users_list_not_supplied", violation=True)
        return {"channel": {"id": self._dm_id(users[0])}}

    # -- response_url ------------------------------------------------------

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        rid = request.match_info["rid"]
        call = Call("response_url", {}, None, time.monotonic(), "POST", request.path)
        self.calls.append(call)
        raw = await request.read()
        try:
            if request.content_type == "application/json":
                body = json.loads(raw)
            else:
                body = json.loads(dict(parse_qsl(raw.decode("utf-8")))["payload"])
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except (ValueError, KeyError) as exc:
            return self._refuse(
                call, _ApiError("invalid_payload", violation=True, details=[str(exc)]), status=400
            )
        call.args = body
        fault = self._next_fault("response_url")
        if fault is not None:
            answer = await self._apply_fault(fault, request, call)
            if answer is not None:
                return answer
        state = self._response_urls.get(rid)
        if state is None:
            return self._refuse(call, _ApiError("unknown_url"), status=404)
        if time.monotonic() - state.created > state.ttl:
            return self._refuse(call, _ApiError("expired_url", violation=True), status=404)
        if state.uses >= state.max_uses:
            return self._refuse(
                call,
                _ApiError(
                    "used_url",
                    violation=True,
                    details=[f"response_url already used {state.uses} times"],
                ),
                status=404,
            )
        try:
            self._decode_json_fields(body)
            self._content(body, require=not body.get("delete_original"))
        except _ApiError as exc:
            return self._refuse(call, exc, status=400)
        state.uses += 1
        self.responses[rid].append(body)
        if state.channel and state.ts:
            msg = self.messages.get((state.channel, state.ts))
            if msg is not None and body.get("delete_original"):
                msg.deleted = True
            elif msg is not None and body.get("replace_original"):
                msg.text = body.get("text")
                msg.blocks = self._blocks_or_none(body.get("blocks"))
                msg.history.append(
                    {
                        "text": msg.text,
                        "blocks": msg.blocks,
                        "time": time.monotonic(),
                        "via": "response_url",
                    }
                )
        call.response = {"ok": True}
        return web.json_response({"ok": True})

    # -- /_fake/ control API -----------------------------------------------

    def _control_routes(
        self,
    ) -> list[tuple[str, str, Callable[[web.Request], Any]]]:
        """GET calls[?method=], messages, ephemerals, responses, views, violations, all_text;
        POST inject {method, faults:[{kind, retry_after|status|error|seconds}]},
        users {id, name, is_admin, is_owner, email} (or {"users": [...]}),
        config {not_in_channel, unknown_channels, usergroups, fail_rate:{rate, seed, methods}},
        response_url {channel?, ts?} -> {url}, trigger_id -> {trigger_id}, reset {keep_config};
        GET files (with their text), POST files {name, text, user, channel?} (a person's)."""
        return [
            ("GET", "calls", self._ctl_calls),
            ("GET", "messages", self._ctl_get("messages")),
            ("GET", "ephemerals", self._ctl_get("ephemerals")),
            ("GET", "responses", self._ctl_get("responses")),
            ("GET", "views", self._ctl_get("views")),
            ("GET", "violations", self._ctl_get("violations")),
            ("GET", "all_text", self._ctl_all_text),
            ("POST", "inject", self._ctl_inject),
            ("POST", "users", self._ctl_users),
            ("POST", "config", self._ctl_config),
            ("POST", "response_url", self._ctl_response_url),
            ("POST", "trigger_id", self._ctl_trigger_id),
            ("POST", "reset", self._ctl_reset),
            ("GET", "files", self._ctl_files),
            ("POST", "files", self._ctl_add_file),
        ]

    @staticmethod
    def _dump(data: Any, status: int = 200) -> web.Response:
        return web.json_response(data, status=status, dumps=lambda o: json.dumps(o, default=str))

    @staticmethod
    async def _json_body(request: web.Request) -> Any:
        raw = await request.read()
        return json.loads(raw) if raw.strip() else {}

    async def _ctl_calls(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        calls = self.calls if method is None else self.calls_to(method)
        return self._dump([_jsonable(c) for c in calls])

    def _ctl_get(self, name: str) -> Callable[[web.Request], Any]:
        async def handler(request: web.Request) -> web.Response:
            value: Any = getattr(self, name)
            if isinstance(value, dict) and name != "responses":
                value = list(value.values())
            if isinstance(value, list):
                value = [_jsonable(v) for v in value]
            return self._dump(value)

        return handler

    async def _ctl_all_text(self, request: web.Request) -> web.Response:
        return web.Response(text=self.all_text())

    async def _ctl_inject(self, request: web.Request) -> web.Response:
        data = await self._json_body(request)
        faults = [SlackFault.from_json(f) for f in data.get("faults", [])]
        self.inject(str(data["method"]), *faults)
        return self._dump({"ok": True})

    async def _ctl_users(self, request: web.Request) -> web.Response:
        data = await self._json_body(request)
        entries = data["users"] if isinstance(data, dict) and "users" in data else data
        added = []
        for entry in entries if isinstance(entries, list) else [entries]:
            entry = dict(entry)
            added.append(self.add_user(entry.pop("id"), **entry))
        return self._dump({"ok": True, "users": added})

    async def _ctl_config(self, request: web.Request) -> web.Response:
        data = await self._json_body(request)
        if "not_in_channel" in data:
            self.not_in_channel = set(data["not_in_channel"])
        if "unknown_channels" in data:
            self.unknown_channels = set(data["unknown_channels"])
        if "usergroups" in data:
            self.usergroups.update({k: list(v) for k, v in data["usergroups"].items()})
        if "fail_rate" in data:
            fr = data["fail_rate"]
            faults = [SlackFault.from_json(f) for f in fr.get("faults", [])] or None
            self.fail_rate(float(fr["rate"]), int(fr.get("seed", 0)), fr.get("methods"), faults)
        return self._dump({"ok": True})

    async def _ctl_response_url(self, request: web.Request) -> web.Response:
        data = await self._json_body(request)
        url = self.new_response_url(channel=data.get("channel"), ts=data.get("ts"))
        return self._dump({"ok": True, "url": url})

    async def _ctl_trigger_id(self, request: web.Request) -> web.Response:
        return self._dump({"ok": True, "trigger_id": self.new_trigger_id()})

    async def _ctl_files(self, request: web.Request) -> web.Response:
        """Every file: its description, and its text (UTF-8) once it has arrived."""
        return self._dump(
            [
                {
                    **self.files.describe(f),
                    "by_bot": f.by_bot,
                    "thread_ts": f.thread_ts,
                    "text": f.text if f.content is not None else None,
                }
                for f in self.files.files.values()
            ]
        )

    async def _ctl_add_file(self, request: web.Request) -> web.Response:
        """A file a person shares: {name, text, user, channel?, mimetype?} -> its description."""
        data = await self._json_body(request)
        added = self.files.add(
            str(data["name"]),
            str(data["text"]).encode("utf-8"),
            user=str(data["user"]),
            mimetype=str(data.get("mimetype") or "text/csv"),
            channel=data.get("channel"),
        )
        return self._dump({"ok": True, "file": self.files.describe(added)})

    async def _ctl_reset(self, request: web.Request) -> web.Response:
        data = await self._json_body(request)
        self.reset(keep_config=bool(data.get("keep_config", False)))
        return self._dump({"ok": True})


# ---------------------------------------------------------------------------
# Task 2: requests toward the bot, signed like Slack
# ---------------------------------------------------------------------------

_trigger_counter = itertools.count(1)


def _new_trigger_id() -> str:
    return f"{next(_trigger_counter)}.{int(time.time())}.{uuid.uuid4().hex}"


def sign(
    body: bytes,
    secret: str,
    timestamp: int | None = None,
    *,
    content_type: str | None = None,
) -> dict[str, str]:
    """Slack's request-signing headers for ``body`` (plus Content-Type: JSON if the body
    looks like JSON, else form-encoded)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if content_type is None:
        is_json = body.lstrip().startswith(b"{")
        content_type = "application/json" if is_json else "application/x-www-form-urlencoded"
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


def slash_command_body(
    text: str,
    user_id: str = "U_ADMIN",
    channel_id: str = "C_GENERAL",
    team_id: str = "T1",
    command: str = "/gencove",
    response_url: str = UNSET_RESPONSE_URL,
    trigger_id: str | None = None,
    *,
    user_name: str = "admin",
    channel_name: str = "general",
    team_domain: str = "test-team",
    api_app_id: str = "A_FAKE",
) -> bytes:
    """A slash-command POST body, form-encoded with the fields Slack sends."""
    fields = {
        "token": "verification-token-unused",
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or _new_trigger_id(),
    }
    return urlencode(fields).encode()


def _find_element(blocks: Any, action_id: str) -> tuple[str | None, Mapping[str, Any] | None]:
    if not isinstance(blocks, list):
        return None, None
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        candidates = list(block.get("elements") or [])
        if block.get("accessory"):
            candidates.append(block["accessory"])
        if block.get("element"):
            candidates.append(block["element"])
        for element in candidates:
            if isinstance(element, Mapping) and element.get("action_id") == action_id:
                return block.get("block_id"), element
    return None, None


def _form_payload(payload: Mapping[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def block_action_body(
    action_id: str,
    value: str | None = None,
    user_id: str = "U_ADMIN",
    channel_id: str | None = None,
    message_ts: str | None = None,
    message: Sequence[Mapping[str, Any]] | Mapping[str, Any] | Message | None = None,
    response_url: str = UNSET_RESPONSE_URL,
    container: Literal["message", "ephemeral"] = "message",
    block_id: str | None = None,
    trigger_id: str | None = None,
    *,
    team_id: str = "T1",
    user_name: str = "admin",
    action_type: str | None = None,
    action_text: str | None = None,
    selected_option: Mapping[str, Any] | None = None,
    state_values: Mapping[str, Any] | None = None,
    api_app_id: str = "A_FAKE",
) -> bytes:
    """A ``block_actions`` interaction (``payload=<json>`` form body) for a click on
    ``action_id``. ``message`` may be the blocks, a message dict or a FakeSlack Message;
    block_id / button text / value / type default to the element found in its blocks.
    Ephemeral containers carry no ``message`` (as in Slack)."""
    msg: JSONDict | None = None
    if isinstance(message, Message):
        channel_id = channel_id or message.channel
        message_ts = message_ts or message.ts
        msg = {
            "type": "message",
            "user": "U_BOT",
            "bot_id": "B_BOT",
            "ts": message.ts,
            "text": message.text or "",
            "blocks": message.blocks or [],
        }
    elif isinstance(message, Mapping):
        msg = dict(message)
        message_ts = message_ts or msg.get("ts")
    elif message is not None:
        msg = {
            "type": "message",
            "user": "U_BOT",
            "bot_id": "B_BOT",
            "text": "",
            "blocks": [dict(b) for b in message],
        }
    channel_id = channel_id or "C_GENERAL"
    message_ts = message_ts or "1700000000.000100"
    ephemeral = container == "ephemeral"
    if msg is None and not ephemeral:
        msg = {"type": "message", "user": "U_BOT", "bot_id": "B_BOT", "text": "", "blocks": []}
    found_block_id, element = _find_element(msg.get("blocks") if msg else None, action_id)
    element = element or {}
    kind = action_type or str(element.get("type", "button"))
    action: JSONDict = {
        "action_id": action_id,
        "block_id": block_id or found_block_id or "fake_block",
        "type": kind,
        "action_ts": f"{time.time():.6f}",
    }
    if kind == "button":
        text = action_text if action_text is not None else _text_of(element.get("text"))
        action["text"] = {"type": "plain_text", "text": text or action_id, "emoji": True}
        val = value if value is not None else element.get("value")
        if val is not None:
            action["value"] = val
        if element.get("style"):
            action["style"] = element["style"]
    elif selected_option is not None or value is not None:
        action["selected_option"] = (
            dict(selected_option)
            if selected_option
            else {
                "text": {"type": "plain_text", "text": value, "emoji": True},
                "value": value,
            }
        )
    payload: JSONDict = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": "verification-token-unused",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": ephemeral,
        },
        "trigger_id": trigger_id or _new_trigger_id(),
        "team": {"id": team_id, "domain": "test-team"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "state": {"values": dict(state_values or {})},
        "response_url": response_url,
        "actions": [action],
    }
    if msg is not None and not ephemeral:
        msg.setdefault("ts", message_ts)
        payload["message"] = msg
    return _form_payload(payload)


def _state_values(values: Mapping[str, Mapping[str, Any]]) -> JSONDict:
    out: JSONDict = {}
    for block_id, actions in values.items():
        out[block_id] = {}
        for action_id, value in actions.items():
            if isinstance(value, Mapping):
                out[block_id][action_id] = dict(value)
            else:
                out[block_id][action_id] = {"type": "plain_text_input", "value": value}
    return out


def view_submission_body(
    callback_id: str,
    values: Mapping[str, Mapping[str, Any]] | None = None,
    user_id: str = "U_ADMIN",
    private_metadata: str = "",
    view_id: str | None = None,
    *,
    team_id: str = "T1",
    view: Mapping[str, Any] | None = None,
    trigger_id: str | None = None,
    user_name: str = "admin",
    api_app_id: str = "A_FAKE",
) -> bytes:
    """A ``view_submission`` (``payload=<json>`` form body). ``values`` is
    ``{block_id: {action_id: "text" | full_state_dict}}`` (a str becomes a
    plain_text_input value). ``view`` (e.g. ``OpenedView.view``) supplies blocks/title/id."""
    base = dict(view or {})
    vid = view_id or base.get("id") or f"V{uuid.uuid4().hex[:8].upper()}"
    submitted: JSONDict = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Fake"},
        "blocks": [],
        **base,
        "id": vid,
        "team_id": team_id,
        "callback_id": callback_id,
        "private_metadata": private_metadata or base.get("private_metadata", ""),
        "state": {"values": _state_values(values or {})},
        "hash": base.get("hash") or f"{int(time.time())}.fakehash",
        "root_view_id": base.get("root_view_id") or vid,
        "app_id": api_app_id,
        "bot_id": "B_BOT",
    }
    payload: JSONDict = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "test-team"},
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": "verification-token-unused",
        "trigger_id": trigger_id or _new_trigger_id(),
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _form_payload(payload)


def event_body(
    event: Mapping[str, Any],
    *,
    team_id: str = "T1",
    api_app_id: str = "A_FAKE",
    event_id: str | None = None,
    event_time: int | None = None,
) -> bytes:
    """An Events API ``event_callback`` JSON body."""
    payload = {
        "token": "verification-token-unused",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": event_time or int(time.time()),
        "authorizations": [
            {"team_id": team_id, "user_id": "U_BOT", "is_bot": True, "enterprise_id": None}
        ],
        "is_ext_shared_channel": False,
    }
    return json.dumps(payload).encode()


def url_verification_body(challenge: str = "fake-challenge") -> bytes:
    return json.dumps(
        {"token": "verification-token-unused", "challenge": challenge, "type": "url_verification"}
    ).encode()


class SlackDelivery(NamedTuple):
    """What the bot answered to one delivery; unpacks as (status, text, elapsed)."""

    status: int
    text: str
    elapsed: float  # seconds until the whole answer was read

    def json(self) -> Any:
        return json.loads(self.text)


async def deliver(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    secret: str,
    *,
    retry_num: int | None = None,
    retry_reason: str | None = None,
    timestamp: int | None = None,
    signature: str | None = None,
    content_type: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> SlackDelivery:
    """POST ``body`` to the bot like Slack: signed (``signature`` overrides, to test bad
    ones), with X-Slack-Retry-Num / X-Slack-Retry-Reason when given."""
    sent = sign(body, secret, timestamp, content_type=content_type)
    if signature is not None:
        sent["X-Slack-Signature"] = signature
    if retry_num is not None:
        sent["X-Slack-Retry-Num"] = str(retry_num)
    if retry_reason is not None:
        sent["X-Slack-Retry-Reason"] = retry_reason
    sent.update(headers or {})
    start = time.perf_counter()
    async with session.post(url, data=body, headers=sent) as resp:
        text = await resp.text()
        return SlackDelivery(resp.status, text, time.perf_counter() - start)


# ---------------------------------------------------------------------------
# Standalone mode
# ---------------------------------------------------------------------------


async def _serve(args: argparse.Namespace) -> None:
    slack = FakeSlack(
        bot_token=args.bot_token,
        host=args.host,
        port=args.port,
        extra_tokens=args.extra_token or (),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with slack:
        print(f"READY {slack.base_url}", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m invite_bot.playground.slack",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--bot-token", default="xoxb-test-token")
    parser.add_argument("--extra-token", action="append", help="another accepted token")
    asyncio.run(_serve(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
