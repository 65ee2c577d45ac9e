"""Where features say what they answer: subcommands, buttons, modals, events, shortcuts
and workflow steps register here, each with the name the metrics count it under;
`attach` hands them all to Bolt, every one wrapped by the guard.

The router knows no feature. The slash command's text is parsed by the function the app
gives it (the grammar lives in the domain), and dispatched by the type of what it parsed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncApp

from invite_bot.slack.guard import Guard, Reply, Turn

C = TypeVar("C")
Decide = Callable[[Turn], Reply]
ActionId = str | re.Pattern[str]


@dataclass(frozen=True)
class Route:
    """One registration: what Bolt matches on, how it is counted, what answers it."""

    kind: str  # "command", "button", "modal", "event", "shortcut", "function"
    match: ActionId
    name: str
    decide: Decide
    once: bool = True  # run the work for the first delivery only


class Router:
    """The registrations of one app (see the module's docstring)."""

    def __init__(self, guard: Guard, *, parse: Callable[[str], object], command: str) -> None:
        self._guard = guard
        self._parse = parse
        self._command = command
        self._subcommands: dict[type[Any], tuple[str, Callable[[Any, Turn], Reply]]] = {}
        self._routes: list[Route] = []

    def subcommand(self, kind: type[C], decide: Callable[[C, Turn], Reply], *, name: str) -> None:
        """`decide` answers every parsed command of type `kind` (counted as `name`)."""
        if kind in self._subcommands:
            raise ValueError(f"{kind.__name__} is registered already")
        self._subcommands[kind] = (name, decide)

    def action(self, action_id: ActionId, decide: Decide, *, name: str, once: bool = True) -> None:
        self._add(Route("button", action_id, name, decide, once))

    def view(self, callback_id: str, decide: Decide, *, name: str, once: bool = True) -> None:
        self._add(Route("modal", callback_id, name, decide, once))

    def event(self, event_type: str, decide: Decide, *, name: str) -> None:
        self._add(Route("event", event_type, name, decide))

    def shortcut(self, callback_id: str, decide: Decide, *, name: str) -> None:
        self._add(Route("shortcut", callback_id, name, decide))

    def function(self, callback_id: str, decide: Decide, *, name: str) -> None:
        self._add(Route("function", callback_id, name, decide))

    def _add(self, route: Route) -> None:
        if any(r.kind == route.kind and r.match == route.match for r in self._routes):
            raise ValueError(f"a {route.kind} {route.match!r} is registered already")
        self._routes.append(route)

    @property
    def names(self) -> dict[str, frozenset[str]]:
        """Every name each kind of request can be counted under (the metrics' label sets)."""
        found: dict[str, set[str]] = {"command": {name for name, _ in self._subcommands.values()}}
        for route in self._routes:
            found.setdefault(route.kind, set()).add(route.name)
        return {kind: frozenset(names) for kind, names in found.items()}

    def on_command(self, turn: Turn) -> Reply:
        """The slash command: parsed, then answered by what registered its type."""
        parsed = self._parse(str(turn.payload.get("text") or ""))
        found = self._subcommands.get(type(parsed))
        if found is None:
            raise LookupError(f"no subcommand answers {type(parsed).__name__}")
        name, decide = found
        reply = decide(parsed, turn)
        return reply if reply.name else replace(reply, name=name)

    def attach(self, app: AsyncApp) -> None:
        """Register every route with Bolt, each run by the guard."""
        guard = self._guard
        app.command(self._command)(guard.listener(self.on_command, kind="command"))
        for route in self._routes:
            listener = guard.listener(
                route.decide, kind=route.kind, name=route.name, once=route.once
            )
            if route.kind == "button":
                app.action(route.match)(listener)
            elif route.kind == "modal":
                app.view(route.match)(listener)
            elif route.kind == "event":
                app.event(route.match)(listener)
            elif route.kind == "shortcut":
                app.shortcut(route.match)(listener)
            elif route.kind == "function":
                app.function(str(route.match))(listener)
