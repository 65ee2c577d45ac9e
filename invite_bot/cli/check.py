"""`invite-bot check`: one line for each part the bot needs, exit 1 if any failed.

It changes nothing: Slack is asked `auth.test` (and, with SLACK_APP_TOKEN, for a Socket
Mode address that is then left unused), Gencove who the key belongs to, and the database
what revision its schema is at, read-only (no SQLite file is created, nothing migrated).
A failed line names what was tried and why it failed, never a secret.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import SecretStr
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.config.settings import Settings
from invite_bot.gencove import GencoveError
from invite_bot.gencove.errors import (
    GencoveConnectionError,
    GencoveForbidden,
    GencoveTimeout,
    GencoveUnauthorized,
)
from invite_bot.slack.errors import classify
from invite_bot.store import redact
from invite_bot.store.migrate import HEAD_REVISION, is_newer
from invite_bot.store.probe import probe
from invite_bot.store.unavailable import unavailable


async def run_check(settings: Settings) -> int:
    """Each part with a verdict; 1 if any failed."""
    print("settings: ok")
    results = [await check_slack(settings), await check_gencove(settings)]
    results.append(await check_database(settings.database_url))
    return 0 if all(results) else 1


async def check_slack(settings: Settings) -> bool:
    from invite_bot.app import slack_client

    client = slack_client(settings)
    try:
        url = settings.slack_api_url
        ok = await _check_bot_token(client, url)
        if settings.slack_app_token is not None:
            ok = await _check_app_token(client, settings.slack_app_token, url) and ok
        return ok
    finally:
        if client.session:
            await client.session.close()


async def _check_bot_token(client: AsyncWebClient, url: str) -> bool:
    try:
        identity = await client.auth_test()
    except SlackApiError as exc:
        print(f"slack: FAILED, Slack refused SLACK_BOT_TOKEN ({classify(exc).error})")
        return False
    except Exception as exc:
        print(f"slack: FAILED, cannot reach {url} ({type(exc).__name__})")
        return False
    print(f"slack: ok (bot {identity.get('user')} in team {identity.get('team')})")
    return True


async def _check_app_token(client: AsyncWebClient, token: SecretStr, url: str) -> bool:
    """Socket Mode's token opens a connection address (which is then left unused)."""
    try:
        await client.apps_connections_open(app_token=token.get_secret_value())
    except SlackApiError as exc:
        error = classify(exc).error
        print(f"slack app token: FAILED, Slack refused SLACK_APP_TOKEN ({error})")
        return False
    except Exception as exc:
        print(f"slack app token: FAILED, cannot reach {url} ({type(exc).__name__})")
        return False
    print("slack app token: ok (Socket Mode can connect)")
    return True


async def check_gencove(settings: Settings) -> bool:
    from invite_bot.app import gencove_client

    url = settings.gencove_api_url
    async with gencove_client(settings) as gencove:
        try:
            user = await gencove.current_user()
        except GencoveError as exc:
            print(f"gencove: FAILED, {_gencove_failure(exc, url, settings)}")
            return False
        except Exception as exc:
            print(f"gencove: FAILED, asking {url} failed ({type(exc).__name__})")
            return False
    print(f"gencove: ok (key belongs to {user.email} at {url})")
    return True


def _gencove_failure(exc: GencoveError, url: str, settings: Settings) -> str:
    """Why Gencove at `url` failed, in the words of the Slack line."""
    if isinstance(exc, GencoveTimeout):
        waited = (
            settings.gencove_connect_timeout if exc.before_sending else settings.gencove_timeout
        )
        doing = "connecting" if exc.before_sending else "answering"
        return f"cannot reach {url} (timed out {doing}, after {waited:g} s)"
    if isinstance(exc, GencoveConnectionError):
        if exc.before_sending:
            return f"cannot reach {url} (no connection could be made)"
        return f"cannot reach {url} (the connection failed)"
    said = f"{exc.status}: {exc.message}" if exc.status else exc.message
    if isinstance(exc, GencoveUnauthorized | GencoveForbidden):
        return f"{url} refused GENCOVE_API_KEY ({said})"
    return f"{url} answered {said}"


async def check_database(url: str) -> bool:
    shown = redact(url)
    try:
        found = await probe(url)
    except Exception as exc:
        print(f"database: FAILED, cannot read {shown} ({_reason(exc)})")
        return False
    if not found.exists:
        assert found.file is not None
        return _not_created(found.file)
    if found.revision == HEAD_REVISION:
        print(f"database: ok ({shown}, schema at {HEAD_REVISION})")
        return True
    if is_newer(found.revision):
        print(
            f"database: FAILED, {shown} has schema {found.revision}, newer than this version "
            f"knows ({HEAD_REVISION}): a newer invite-bot migrated it, and this one will not "
            "start on it"
        )
        return False
    at = f"schema {found.revision}" if found.revision else "no schema yet"
    print(
        f"database: ok ({shown}, {at}; `invite-bot migrate`, or the first start, brings it "
        f"to {HEAD_REVISION})"
    )
    return True


def _not_created(file: Path) -> bool:
    """A SQLite file not there yet is fine if the bot can create it."""
    folder = file.parent
    if not folder.is_dir():
        print(f"database: FAILED, {file} does not exist, nor does its folder")
        return False
    if not os.access(folder, os.W_OK | os.X_OK):
        print(f"database: FAILED, {file} does not exist and {folder} is not writable")
        return False
    print(f"database: ok (none yet: `invite-bot migrate`, or the first start, creates {file})")
    return True


def _reason(exc: BaseException) -> str:
    """The kind of failure, never the driver's text (it may quote the URL)."""
    failure = unavailable(exc) if isinstance(exc, Exception) else None
    return failure.kind if failure is not None else type(exc).__name__
