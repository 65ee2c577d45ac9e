"""Logging that can never print a secret.

A filter on the root handler replaces every configured secret (Slack tokens, the signing
secret, Gencove keys, the encryption key) and anything shaped like a Slack token or an
`Authorization` header with a marker, in the message, its arguments and any traceback.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

REDACTED = "[redacted]"
_SHAPES = re.compile(
    r"(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|(?:Api-Key|Bearer)\s+[^\s'\",]+)"
)


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def add(self, secret: str) -> None:
        if len(secret) >= 6 and secret not in self._secrets:
            self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _SHAPES.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self.redact(formatted)
            record.exc_info = None
        return True


_installed: list[RedactSecrets] = []


def redact_also(secret: str) -> None:
    """Redact a secret learned at run time too (a personal key a user linked)."""
    for redactor in _installed:
        redactor.add(secret)


def setup_logging(level: str, secrets: Iterable[str]) -> RedactSecrets:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    redactor = RedactSecrets(secrets)
    handler.addFilter(redactor)
    _installed[:] = [redactor]
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # At DEBUG, Bolt (through our "invite_bot.bolt" logger), its Socket Mode client and
    # slack_sdk print whole payloads, which may hold a personal API key typed into the
    # link modal: they never go below INFO.
    for name in ("invite_bot.bolt", "slack_bolt", "slack_sdk"):
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    return redactor
