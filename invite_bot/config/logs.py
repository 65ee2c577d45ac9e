"""Logging that can never print a secret, as text or as one JSON object a line.

Every configured secret (Slack tokens, the signing secret, Gencove keys, the encryption
key) and anything shaped like a Slack token or an `Authorization` header is replaced with
a marker, in the message, its arguments and any traceback. That happens where a record is
made (`logging.setLogRecordFactory`), so it holds for every handler, including ones a
library or an operator adds after start-up; the root handler's filter is a second line.

Each record also carries the request id of the Slack delivery that caused it
(`request_id`, a contextvar: tasks started while handling a delivery inherit it), so one
delivery can be followed across the Gencove calls, store writes and Slack calls it made.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

REDACTED = "[redacted]"
_SHAPES = re.compile(
    r"(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|(?:Api-Key|Bearer)\s+[^\s'\",]+)"
)


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(self._secrets)

    def add(self, secret: str) -> None:
        if len(secret) >= 6 and secret not in self._secrets:
            self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _SHAPES.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record, self)
        return True


# The redactors installed into logging, which is the process's (one record factory).
_installed: list[RedactSecrets] = []

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# The Slack delivery being handled (None outside one: the watcher, start-up, …).
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "invite_bot_request_id", default=None
)


def new_request_id() -> str:
    """Start a request: a fresh id for this context (and every task started from it)."""
    value = uuid.uuid4().hex[:16]
    request_id.set(value)
    return value


def redact_also(secret: str) -> None:
    """Redact in the logs a secret learned at run time (a personal key a user linked)."""
    for redactor in _installed:
        redactor.add(secret)


def redactor_for(secrets: Iterable[str]) -> RedactSecrets:
    """The logs' redaction for text bound elsewhere (Slack): the same secrets and shapes.
    Its owner teaches it what it learns later (`RedactSecrets.add`)."""
    made = RedactSecrets(secrets)
    for secret in {s for r in _installed for s in r.secrets}:
        made.add(secret)  # learned before this redactor existed
    return made


def redact_json(value: Any, redactor: RedactSecrets) -> Any:
    """`value` (decoded JSON, or slack_sdk models with `to_dict`) with every string in it
    redacted; dict keys are kept as they are."""
    if isinstance(value, str):
        return redactor.redact(value)
    if isinstance(value, dict):
        return {key: redact_json(item, redactor) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_json(item, redactor) for item in value]
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return redact_json(to_dict(), redactor)
    return value


def redact_record(record: logging.LogRecord, redactor: RedactSecrets) -> None:
    """Redact `record` in place: its message (with arguments), traceback and stack.

    A record with nothing to hide keeps its `msg`/`args`/`exc_info` as they were (tools
    such as pytest's caplog read them); one with a secret keeps only redacted text.
    """
    try:
        message = record.getMessage()
    except Exception:  # arguments that do not fit the format: keep both, redacted
        message = f"{record.msg!r} {record.args!r}"
    cleaned = redactor.redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, ()
    if record.exc_info:
        formatted = logging.Formatter().formatException(record.exc_info)
        cleaned = redactor.redact(formatted)
        if cleaned != formatted:
            record.exc_text, record.exc_info = cleaned, None
    elif record.exc_text:
        record.exc_text = redactor.redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redactor.redact(record.stack_info)


def _install_record_factory() -> None:
    """Make every record redacted and tagged with the request id, once per process."""
    current = logging.getLogRecordFactory()
    if getattr(current, "invite_bot", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        record.request_id = request_id.get()
        for redactor in _installed:
            redact_record(record, redactor)
        return record

    factory.invite_bot = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request_id, exc_info."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter_for(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def setup_logging(
    level: str, secrets: Iterable[str], *, log_format: LogFormat = "text"
) -> RedactSecrets:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter_for(log_format))
    redactor = RedactSecrets(secrets)
    handler.addFilter(redactor)
    _installed[:] = [redactor]
    _install_record_factory()
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # At DEBUG, Bolt (through our "invite_bot.bolt" logger), its Socket Mode client and
    # slack_sdk print whole payloads, which may hold a personal API key typed into the
    # link modal: they never go below INFO.
    for name in ("invite_bot.bolt", "slack_bolt", "slack_sdk"):
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    # Alembic's INFO lines at every start ("Context impl SQLiteImpl.", …) ask nothing of
    # an operator: shown at DEBUG only.
    logging.getLogger("alembic").setLevel(
        logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING
    )
    return redactor
