"""The files.* methods (files.info, files.getUploadURLExternal,
files.completeUploadExternal), answered by ``slack_files.SlackFiles``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from invite_bot.playground.slack.records import JSONDict
from invite_bot.playground.slack.refusal import ApiError
from invite_bot.playground.slack_files import FileError

if TYPE_CHECKING:
    from invite_bot.playground.slack.server import FakeSlack

Handler = Callable[[JSONDict], JSONDict]


def file_methods(slack: FakeSlack) -> dict[str, Handler]:
    """The files.* handlers over ``slack.files``; a file shared to a channel the bot
    cannot see is refused."""

    def has_channel(channel: str) -> bool:
        return channel not in slack.unknown_channels and channel not in slack.not_in_channel

    files = slack.files
    return {
        "files.info": _as_method(files.files_info),
        "files.getUploadURLExternal": _as_method(files.get_upload_url),
        "files.completeUploadExternal": _as_method(
            lambda args: files.complete_upload(args, has_channel=has_channel)
        ),
    }


def _as_method(call: Handler) -> Handler:
    """``call`` with its FileError answered as Slack's error."""

    def handler(args: JSONDict) -> JSONDict:
        try:
            return call(args)
        except FileError as exc:
            details = [exc.detail] if exc.detail else []
            raise ApiError(exc.error, violation=exc.violation, details=details) from None

    return handler
