"""Checking the bot's Slack Web API calls against Slack's published OpenAPI document.

`spec/slack-web-api.openapi-v2.json` is Slack's OpenAPI 2.0 document of the Web API
(slackapi/slack-api-specs, MIT: `spec/slack-web-api.LICENSE`). For each call the local
Slack receives: the method must exist, its required arguments be present (the token may
come in the `Authorization` header, as slack_sdk sends it), and every argument be one the
document knows, or one of the few Slack added after the document was published (2020),
listed below with the page of Slack's docs that names each.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPEC = Path(__file__).resolve().parent / "spec" / "slack-web-api.openapi-v2.json"

# Methods newer than the document: method -> (required, optional) arguments.
NEWER_METHODS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # https://api.slack.com/methods/apps.connections.open (Socket Mode; app-level token)
    "apps.connections.open": (frozenset(), frozenset()),
    # https://api.slack.com/methods/files.getUploadURLExternal
    "files.getUploadURLExternal": (
        frozenset({"filename", "length"}),
        frozenset({"alt_txt", "snippet_type"}),
    ),
    # https://api.slack.com/methods/files.completeUploadExternal
    "files.completeUploadExternal": (
        frozenset({"files"}),
        frozenset({"channel_id", "channels", "initial_comment", "thread_ts"}),
    ),
    # https://docs.slack.dev/reference/methods/functions.completeSuccess (custom steps)
    "functions.completeSuccess": (frozenset({"function_execution_id", "outputs"}), frozenset()),
    # https://docs.slack.dev/reference/methods/functions.completeError
    "functions.completeError": (frozenset({"function_execution_id", "error"}), frozenset()),
}

# Accepted by every method: slack_sdk adds `team_id` to each call of a client that has one
# (Bolt's per-request client does), as org-wide apps must:
# https://api.slack.com/enterprise/org-ready-apps#api
ANY_METHOD: frozenset[str] = frozenset({"team_id"})

# Arguments newer than the document, by method.
NEWER_ARGUMENTS: dict[str, frozenset[str]] = {
    # https://api.slack.com/methods/chat.postMessage#arg_metadata (message metadata, 2022)
    "chat.postMessage": frozenset({"metadata"}),
    # https://api.slack.com/methods/chat.update#arg_metadata
    "chat.update": frozenset({"metadata"}),
    # https://api.slack.com/methods/conversations.history#arg_include_all_metadata
    "conversations.history": frozenset({"include_all_metadata"}),
}


@dataclass(frozen=True)
class Method:
    required: frozenset[str]
    known: frozenset[str]


@functools.cache
def methods(path: Path = SPEC) -> dict[str, Method]:
    """Every method of the document, with its required and known argument names."""
    document = json.loads(path.read_text(encoding="utf-8"))
    found: dict[str, Method] = {}
    for route, operations in document["paths"].items():
        required: set[str] = set()
        known: set[str] = set()
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                known.add(parameter["name"])
                if parameter.get("required"):
                    required.add(parameter["name"])
        found[route.lstrip("/")] = Method(frozenset(required), frozenset(known))
    for name, (needed, optional) in NEWER_METHODS.items():
        found.setdefault(name, Method(needed, needed | optional | {"token"}))
    return found


def problems(method: str, args: Mapping[str, Any], *, has_token: bool) -> list[str]:
    """What is wrong with a call by the document ([] when nothing is)."""
    spec = methods().get(method)
    if spec is None:
        return [f"{method} is not a method of Slack's Web API"]
    given = set(args) | ({"token"} if has_token else set())
    # A call without a token is answered `not_authed` by Slack itself, like a wrong one.
    found = [
        f"{method}: required argument {name!r} is missing"
        for name in sorted(spec.required - given - {"token"})
    ]
    allowed = spec.known | ANY_METHOD | NEWER_ARGUMENTS.get(method, frozenset())
    found += [
        f"{method}: {name!r} is not an argument Slack knows"
        for name in sorted(given - allowed)
    ]
    return found
