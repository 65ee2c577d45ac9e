"""Every knob of the bot, read once at start-up from the environment and `.env`.

A bad configuration stops start-up with ONE message that names every bad variable and
says how to fix it (`SettingsError`), never with a traceback. `DatabaseSettings` is the
part `invite-bot migrate` reads (the database and the logs); `Settings` is all of it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from invite_bot.config.settings_messages import describe_errors, missing_lines
from invite_bot.config.vault import validate_keys
from invite_bot.domain.addresses import parse_allowed_domains
from invite_bot.domain.notifications import remind_before
from invite_bot.domain.policy import Admins, parse_admins
from invite_bot.domain.ratelimit import Rate, parse_rate
from invite_bot.domain.requests import parse_duration, parse_remind_after

DEFAULT_DATABASE_URL = "sqlite:///./invite-bot.sqlite3"
# The URL schemes the store can open (store/drivers.py turns each into its driver).
DATABASE_SCHEMES = frozenset(
    {"sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"}
    | {"postgres", "postgresql", "postgresql+asyncpg"}
)
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,30}")


class SettingsError(Exception):
    """The configuration is unusable; `str()` is the whole message for the operator."""


class DatabaseSettings(BaseSettings):
    """What every command reads: the database, and how to log (all `migrate` needs)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_url: str = DEFAULT_DATABASE_URL
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        scheme, separator, rest = value.strip().partition("://")
        if not separator:
            raise ValueError("is not a database URL")
        if scheme.lower() not in DATABASE_SCHEMES:
            # The scheme alone is shown (never the rest: it may hold a password), and only
            # when it looks like one.
            named = f" ({scheme.lower()}://)" if _SCHEME.fullmatch(scheme.lower()) else ""
            raise ValueError(
                f"names a database the bot cannot use{named}: use SQLite or PostgreSQL"
            )
        if scheme.lower().startswith("sqlite"):
            # SQLite's names for a database in memory: none, :memory: and file::memory:
            name = rest.partition("?")[0].removeprefix("/").removeprefix("file:")
            if not name or (name.startswith(":") and name.strip(":") == "memory"):
                raise ValueError(
                    "is an in-memory SQLite database, which the bot's threads cannot share: "
                    "give a file"
                )
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("unknown log level")
        return value.upper()

    def secrets(self) -> list[str]:
        """Every secret value, so logging can redact them wherever they turn up (the
        database URL's password is hidden wherever the URL is shown: `store.redact`)."""
        return []


class Settings(DatabaseSettings):
    """The bot's configuration (see SPEC.md, "Configuration")."""

    slack_bot_token: SecretStr
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"

    gencove_api_key: SecretStr
    gencove_api_url: str = "https://api.gencove.com"
    gencove_timeout: float = Field(default=30.0, gt=0, le=600)
    gencove_connect_timeout: float = Field(default=5.0, gt=0, le=120)
    gencove_max_concurrency: int = Field(default=8, ge=1, le=256)
    gencove_max_retries: int = Field(default=4, ge=0, le=10)
    # One Gencove call with all its tries; unset: twice GENCOVE_TIMEOUT.
    gencove_deadline: float | None = Field(default=None, gt=0, le=3600)

    invite_bot_secret_key: SecretStr | None = None

    port: int = Field(default=3000, ge=1, le=65535)
    watch_interval: float = Field(default=60.0, ge=0.05, le=86400)
    invite_notify_channel: str | None = None

    invite_admins: str = ""
    allowed_email_domains: str = ""
    invite_max_per_command: int = Field(default=50, ge=1, le=500)
    # A bulk invite (a long list pasted in the modal or a DM, or a CSV file): its most rows.
    invite_bulk_max: int = Field(default=1000, ge=1, le=10_000)
    invite_rate_limit: str = "100/hour"
    # How long a crashed process's half-done invite stays claimed before another takes it.
    invite_job_lease: float = Field(default=15.0, ge=1, le=3600)
    # A reminder (with Re-invite and Revoke) when a pending invitation expires within this.
    invite_remind_before: str = "24h"
    # Slack takes about one message per second per channel: the watcher's pace per channel.
    slack_post_interval: float = Field(default=1.0, ge=0, le=60)
    # Where a member's invite request goes for an inviter to decide (else DMs, see README).
    invite_approval_channel: str | None = None
    # How long a request stays open before the watcher marks it expired.
    invite_request_ttl: str = "7d"
    # One reminder of a request still open this long after it was asked ("off": none).
    invite_request_remind_after: str = "24h"
    # Set by `serve|socket --gencove-sandbox`: Gencove is the embedded sandbox, and every
    # message says so.
    gencove_sandbox: bool = False

    @field_validator("gencove_deadline")
    @classmethod
    def _deadline_fits_a_try(cls, value: float | None, info: ValidationInfo) -> float | None:
        timeout = info.data.get("gencove_timeout")
        if value is not None and timeout is not None and value < timeout:
            raise ValueError("must be at least GENCOVE_TIMEOUT (one whole try must fit in it)")
        return value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        if not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must start with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            return None
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must start with xapp-")
        return value

    @field_validator("slack_signing_secret", "invite_bot_secret_key")
    @classmethod
    def _blank_is_absent(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None
        return value

    @field_validator("gencove_api_key")
    @classmethod
    def _not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("slack_api_url", "gencove_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slash_ended(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("gencove_api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("invite_notify_channel", "invite_approval_channel")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        if not value:
            return None
        if value[:1] not in {"C", "G", "D"} or not value.isalnum():
            raise ValueError("must be a channel ID such as C0123456789, not a name")
        return value

    @field_validator("invite_admins")
    @classmethod
    def _admins(cls, value: str) -> str:
        parse_admins(value)
        return value

    @field_validator("invite_rate_limit")
    @classmethod
    def _rate(cls, value: str) -> str:
        parse_rate(value)
        return value

    @field_validator("allowed_email_domains")
    @classmethod
    def _domains(cls, value: str) -> str:
        parse_allowed_domains(value)
        return value

    @field_validator("invite_bot_secret_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip():
            try:
                validate_keys(value.get_secret_value())
            except ValueError:
                raise ValueError("must be one or more Fernet keys, comma-separated") from None
        return value

    @field_validator("invite_remind_before")
    @classmethod
    def _remind_before(cls, value: str) -> str:
        remind_before(value)
        return value

    @field_validator("invite_request_ttl")
    @classmethod
    def _ttl(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("invite_request_remind_after")
    @classmethod
    def _remind_after(cls, value: str) -> str:
        parse_remind_after(value)
        return value

    @property
    def request_remind_after(self) -> timedelta | None:
        """INVITE_REQUEST_REMIND_AFTER as a duration; None: requests are not reminded."""
        return parse_remind_after(self.invite_request_remind_after)

    @property
    def request_ttl(self) -> timedelta:
        return parse_duration(self.invite_request_ttl)

    @property
    def admins(self) -> Admins:
        return parse_admins(self.invite_admins)

    @property
    def rate_limit(self) -> Rate:
        return parse_rate(self.invite_rate_limit)

    @property
    def remind_before(self) -> timedelta | None:
        """INVITE_REMIND_BEFORE as a duration; None: no reminders."""
        return remind_before(self.invite_remind_before)

    @property
    def allowed_domains(self) -> frozenset[str]:
        return parse_allowed_domains(self.allowed_email_domains)

    def secrets(self) -> list[str]:
        """Every secret value, so logging can redact them wherever they turn up."""
        values = [
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.gencove_api_key,
            self.invite_bot_secret_key,
        ]
        return [v.get_secret_value() for v in values if v is not None]


def load_settings(
    env_file: Path | str | None = ".env", *, required: Sequence[str] = (), **overrides: Any
) -> Settings:
    """Read the settings, or raise `SettingsError` naming every bad variable.

    `required` names optional settings the chosen mode needs (e.g. SLACK_SIGNING_SECRET for
    HTTP mode); their absence is reported in the same message as every other problem.
    """
    settings = _read(Settings, env_file, required, overrides)
    require(settings, *required)
    return settings


def load_database_settings(env_file: Path | str | None = ".env") -> DatabaseSettings:
    """Only the database and logging settings (`invite-bot migrate`): nothing else is
    read, so nothing else needs to be set, or valid."""
    return _read(DatabaseSettings, env_file, (), {})


Model = TypeVar("Model", bound=DatabaseSettings)


def _read(
    model: type[Model],
    env_file: Path | str | None,
    required: Sequence[str],
    overrides: dict[str, Any],
) -> Model:
    try:
        return model(_env_file=env_file, **overrides)
    except ValidationError as exc:
        message = describe_errors(exc, model)
        absent = [n for n in required if n not in message and not _given(n, env_file)]
        raise SettingsError("\n".join([message, *missing_lines(absent)])) from None


def _given(name: str, env_file: Path | str | None) -> bool:
    """Whether a variable has a non-blank value in the environment or the .env file."""
    value = os.environ.get(name) or os.environ.get(name.lower())
    if value is None and env_file is not None and Path(env_file).is_file():
        value = dotenv_values(env_file).get(name)
    return bool(value and value.strip())


def require(settings: Settings, *names: str) -> None:
    """Fail with one message when a mode needs optional settings that are absent."""
    missing = [n.upper() for n in names if getattr(settings, n.lower()) is None]
    if missing:
        lines = ["invite-bot cannot start in this mode: set these settings:"]
        raise SettingsError("\n".join([*lines, *missing_lines(missing)]))
