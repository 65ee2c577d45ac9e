"""``FakeSlack``: the local Slack's server on 127.0.0.1 -- what it holds (people,
channels, messages, views, every call), its routes, and the API tests use to set it up,
plug in an interceptor (intercept.py) and wait for what the bot does. The Web API
methods themselves live in one module per family (chat, conversations, views, users,
files)."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import Any, TypeVar, cast

from aiohttp import web

from invite_bot.playground.slack.chat import Chat
from invite_bot.playground.slack.control import ControlApi
from invite_bot.playground.slack.conversations import Conversations
from invite_bot.playground.slack.files import file_methods
from invite_bot.playground.slack.functions import Functions
from invite_bot.playground.slack.home import HomeTabs
from invite_bot.playground.slack.intercept import Interceptor
from invite_bot.playground.slack.records import (
    Call,
    Ephemeral,
    JSONDict,
    Message,
    OpenedView,
    Violation,
    string_leaves,
)
from invite_bot.playground.slack.response_url import (
    RESPONSE_URL_MAX_USES,
    RESPONSE_URL_TTL,
    ResponseUrls,
)
from invite_bot.playground.slack.users import Users, user_record
from invite_bot.playground.slack.views import Views
from invite_bot.playground.slack.web_api import WebApi
from invite_bot.playground.slack_files import SlackFiles
from invite_bot.playground.socket_mode import SocketMode

T = TypeVar("T")


class FakeSlack:
    """Slack Web API stand-in. ``async with FakeSlack() as slack:`` serves on 127.0.0.1."""

    calls: list[Call]
    messages: dict[tuple[str, str], Message]
    ephemerals: list[Ephemeral]
    views: dict[str, OpenedView]
    homes: dict[str, JSONDict]  # user id -> their published Home tab (home.py)
    responses: dict[str, list[JSONDict]]  # response_url id -> accepted posts
    violations: list[Violation]
    users: dict[str, JSONDict]
    usergroups: dict[str, list[str]]
    not_in_channel: set[str]
    unknown_channels: set[str]
    channels: dict[str, JSONDict]  # conversations.info overrides

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
        interceptor: Interceptor | None = None,
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
        # consulted before each Web API request and response_url post is answered
        self.interceptor: Interceptor | None = interceptor
        self.control = ControlApi(self)  # /_fake/
        # files people share and the bot uploads (slack_files.py)
        self.files = SlackFiles(lambda: self.base_url, lambda: self.tokens, team_id)
        self._views = Views(self)
        self._response_urls = ResponseUrls(self)
        self._chat = Chat(self)
        self.functions = Functions(self)  # Workflow Builder steps' executions
        methods = {
            **Users(self).methods(),
            **self._chat.methods(),
            **self._views.methods(),
            **HomeTabs(self).methods(),
            **Conversations(self).methods(),
            **file_methods(self),
            **self.functions.methods(),
        }
        self._web_api = WebApi(self, methods)
        self.reset()

    # -- lifecycle ---------------------------------------------------------

    def reset(self, *, keep_config: bool = False) -> None:
        """Forget everything recorded, and tell the interceptor to forget what it was set
        up to do (and, unless keep_config, users / usergroups / channel settings)."""
        self.calls = []
        self.messages = {}
        self.ephemerals = []
        self.views = {}
        self.homes = {}
        self.responses = {}
        self.violations = []
        self._response_urls.reset()
        self._views.reset()
        if self.interceptor is not None:
            self.interceptor.reset()
        self.files.reset()
        self.functions.reset()
        if not keep_config:
            self.users = {}
            self.usergroups = {}
            self.not_in_channel = set()
            self.unknown_channels = set()
            self.channels = {}

    def _make_app(self) -> web.Application:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._web_api.handle)
        app.router.add_post("/response/{rid}", self._response_urls.handle)
        app.router.add_get("/socket/{connection}", self._handle_socket)
        for verb, path, handler in self.files.routes():
            app.router.add_route(verb, path, handler)
        for verb, path, handler in self.control.routes():
            app.router.add_route(verb, f"/_fake/{path}", handler)
        return app

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        if self.socket_mode is None:
            return web.Response(status=404, text="Socket Mode is not enabled")
        return await self.socket_mode.handle(request)

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
        user = user_record(
            user_id,
            self.team_id,
            name,
            is_admin=is_admin,
            is_owner=is_owner,
            email=email,
            real_name=real_name,
            is_bot=is_bot,
            deleted=deleted,
            tz=tz,
        )
        self.users[user_id] = user
        return user

    def person_sends(
        self,
        user_id: str,
        channel_id: str,
        text: str,
        *,
        blocks: list[Any] | None = None,
        files: Sequence[str] = (),
    ) -> Message:
        """A message `user_id` sends from Slack's client (`text` as Slack sends it, see
        `typed.message_text`), sharing the files `files` names; in `messages`."""
        return self._chat.person_message(user_id, channel_id, text, blocks, list(files))

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
        return self._response_urls.new(channel=channel, ts=ts, max_uses=max_uses, ttl=ttl)

    def new_trigger_id(self) -> str:
        """A trigger_id the fake knows: views.open refuses it once used or after 3 s."""
        return self._views.new_trigger_id()

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
            parts.extend(string_leaves(call.args))
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
