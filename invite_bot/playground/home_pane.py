"""The Home tab on the playground page: opening it sends the bot `app_home_opened` (as
Slack does each time a person opens the tab), the page shows what the bot last published
to that person (`views.publish` to the local Slack), and a click on it reaches the bot as
Slack sends a click on a Home view. `static/home.js` draws it.

    POST /playground/api/home/open   {"user"}       the person opens their Home tab
    GET  /playground/api/home?user=admin            their published Home: {"view", "html"}
    POST /playground/api/home/click  {"user", "action_id"[, "value"]}
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from invite_bot.playground import panes
from invite_bot.playground.conversations import LocalSlack
from invite_bot.playground.render import render_blocks
from invite_bot.playground.slack.home import home_action_body, home_opened_body
from invite_bot.playground.world import TEAM_ID, Person, person

API = "/playground/api/home"


class HomePane:
    """Each person's Home tab, as the page shows it and clicks it."""

    def __init__(self, local: LocalSlack) -> None:
        self.local = local

    def routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("POST", f"{API}/open", self.open),
            ("GET", API, self.shown),
            ("POST", f"{API}/click", self.click),
        ]

    async def open(self, request: web.Request) -> web.Response:
        who = _who(await _body(request))
        body = home_opened_body(who.user_id, team_id=TEAM_ID)
        answer = await self.local.send("event", f"app_home_opened by {who.name}", body)
        return web.json_response({"ok": answer.status == 200, "status": answer.status})

    async def shown(self, request: web.Request) -> web.Response:
        who = _who(request.query)
        view = self.local.slack.homes.get(who.user_id)
        if view is None:
            return web.json_response({"ok": True, "view": None, "html": ""})
        names = panes.names(self.local.slack.channels)
        html = render_blocks(_channels_listed(view.get("blocks") or [], names), names=names)
        return web.json_response({"ok": True, "view": view, "html": html})

    async def click(self, request: web.Request) -> web.Response:
        given = await _body(request)
        who = _who(given)
        view = self.local.slack.homes.get(who.user_id)
        action_id = str(given.get("action_id") or "")
        value = given.get("value")
        value = None if value is None else str(value)
        if view is None or not action_id:
            return web.json_response({"ok": False, "error": "no such button"}, status=404)
        choosing = _kind(view, action_id) == "conversations_select"
        try:
            body = home_action_body(
                action_id,
                view,
                user_id=who.user_id,
                value=None if choosing else value,
                selected_conversation=value if choosing else None,
                trigger_id=self.local.trigger_for(who),
                team_id=TEAM_ID,
            )
        except LookupError:
            return web.json_response({"ok": False, "error": "no such button"}, status=404)
        answer = await self.local.send("block_actions", f"{action_id} on the Home tab", body)
        return web.json_response({"ok": answer.status == 200, "status": answer.status})


def _channels_listed(blocks: list[Any], names: dict[str, str]) -> list[Any]:
    """`blocks` with each channel picker (a conversations select, which Slack fills with
    the workspace's channels) drawn as a menu of the channels the page knows."""
    known = sorted((name, key[1:]) for key, name in names.items() if key[:1] == "#")
    options = [
        {"text": {"type": "plain_text", "text": f"#{name}"}, "value": channel}
        for name, channel in known
    ]

    def listed(element: Any) -> Any:
        if isinstance(element, dict) and element.get("type") == "conversations_select":
            return {**element, "type": "static_select", "options": options}
        return element

    shown = []
    for block in blocks:
        block = dict(block)
        if "accessory" in block:
            block["accessory"] = listed(block["accessory"])
        if isinstance(block.get("elements"), list):
            block["elements"] = [listed(e) for e in block["elements"]]
        shown.append(block)
    return shown


def _kind(view: dict[str, Any], action_id: str) -> str:
    for block in view.get("blocks") or []:
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(element.get("type"))
    return ""


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="the body must be JSON") from None
    return body if isinstance(body, dict) else {}


def _who(source: Any) -> Person:
    try:
        return person(str(source.get("user") or "admin"))
    except KeyError:
        raise web.HTTPBadRequest(text="user is one of admin, member, invitee") from None
