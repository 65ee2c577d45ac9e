"""The local Slack: a Web API stand-in and helpers that play Slack toward the bot.

The playground's Slack, and the stand-in every test and benchmark talks to.

Task 1 -- ``FakeSlack``: an aiohttp server on 127.0.0.1 that answers the Slack Web API
methods invite-bot uses, validates every Block Kit payload it receives, records everything
and consults an interceptor, if it has one, before it answers (``intercept.py``; the tests
inject faults through one, ``tests/faults/``)::

    async with FakeSlack(bot_token="xoxb-test") as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        ...
        await slack.wait_for(lambda: slack.calls_to("chat.update"))

Standalone (for an end-to-end test driving a separate bot process)::

    python -m invite_bot.playground.slack --port 0 [--bot-token xoxb-...]
    -> prints "READY http://127.0.0.1:PORT"; the API root is that URL + "/api/";
       JSON control API under /_fake/ (see ``ControlApi.routes``); stops on SIGTERM.

Task 2 -- request builders and signing (``sign``, ``slash_command_body``,
``block_action_body``, ``view_submission_body``, ``event_body``, ``deliver``) to send
requests to the bot's ``POST /slack/events`` the way Slack does.

Layout: ``server`` (FakeSlack: state, routes, the tests' API), ``web_api`` (the
/api/{method} endpoint), one module per method family (``chat``, ``conversations``,
``views``, ``users``, ``files``) over ``messages`` and ``blockkit`` (the checks Slack
makes), ``response_url``, ``intercept``, ``refusal``, ``records``, ``control`` (/_fake/),
``payloads`` and ``signing`` (toward the bot), ``standalone`` (its own process).
"""

from invite_bot.playground.slack.blockkit import (
    MAX_MESSAGE_BLOCKS,
    MAX_VIEW_BLOCKS,
    validate_blocks,
    validate_view,
)
from invite_bot.playground.slack.intercept import Interceptor
from invite_bot.playground.slack.messages import MAX_TEXT_CHARS
from invite_bot.playground.slack.payloads import (
    UNSET_RESPONSE_URL,
    block_action_body,
    dm_message_event,
    event_body,
    file_shared_event,
    slash_command_body,
    url_verification_body,
    view_closed_body,
    view_submission_body,
)
from invite_bot.playground.slack.records import (
    Call,
    Ephemeral,
    JSONDict,
    Message,
    OpenedView,
    Violation,
)
from invite_bot.playground.slack.response_url import RESPONSE_URL_MAX_USES, RESPONSE_URL_TTL
from invite_bot.playground.slack.server import FakeSlack
from invite_bot.playground.slack.signing import SlackDelivery, deliver, sign
from invite_bot.playground.slack.standalone import main
from invite_bot.playground.slack.surfaces import (
    function_executed_body,
    global_shortcut_body,
    message_shortcut_body,
)
from invite_bot.playground.slack.views import TRIGGER_ID_TTL

__all__ = [
    "MAX_MESSAGE_BLOCKS",
    "MAX_TEXT_CHARS",
    "MAX_VIEW_BLOCKS",
    "RESPONSE_URL_MAX_USES",
    "RESPONSE_URL_TTL",
    "TRIGGER_ID_TTL",
    "UNSET_RESPONSE_URL",
    "Call",
    "Ephemeral",
    "FakeSlack",
    "Interceptor",
    "JSONDict",
    "Message",
    "OpenedView",
    "SlackDelivery",
    "Violation",
    "block_action_body",
    "deliver",
    "dm_message_event",
    "event_body",
    "file_shared_event",
    "function_executed_body",
    "global_shortcut_body",
    "main",
    "message_shortcut_body",
    "sign",
    "slash_command_body",
    "url_verification_body",
    "validate_blocks",
    "validate_view",
    "view_closed_body",
    "view_submission_body",
]
