"""Gencove's answer bodies and headers read into short, readable sentences (pure functions).

Gencove (Django REST Framework) words its refusals in several shapes: `{"detail": "..."}`,
a JSON list of strings, a field map (`{"email": ["..."]}`), a field map whose values are
nested maps or plain strings (`{"email": {"code": ["..."]}}`, `{"email": "bad"}`), DRF's
"full details" (`{"email": [{"message": "...", "code": "invalid"}]}`), or no body at all.
Each becomes ONE sentence, whitespace collapsed and bounded in length, never raw JSON.
Callers escape it for Slack; nothing here comes from the request, so no credential can.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

MAX_MESSAGE = 500  # a whole message
MAX_PART = MAX_MESSAGE  # what one field's message may take of it
MAX_PARTS = 8  # how many field messages one answer contributes
MAX_DEPTH = 4  # how deep nested field maps are followed
MAX_MAINTENANCE_TEXT = 200
MAX_ETA = 60

# Keys that name no field a person would recognise: their messages stand unlabelled.
_UNLABELLED = {"non_field_errors", "email", "detail", "code", "message", "messages", "__all__"}
_SPACES = re.compile(r"\s+")
_ENDS_A_SENTENCE = (".", "!", "?", "…", ":")


def clean(text: str, limit: int) -> str:
    """`text` on one line (every run of whitespace or control characters one space),
    cut to `limit` characters with an ellipsis."""
    text = text[: 4 * limit]  # whatever Gencove sent, only the start can be shown
    flat = _SPACES.sub(" ", "".join(c if c.isprintable() else " " for c in text)).strip()
    return cap(flat, limit)


def cap(message: str, limit: int = MAX_MESSAGE) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def json_or_none(body: bytes) -> Any:
    """The decoded body, or None when it is empty or not JSON (or absurdly nested)."""
    try:
        return json.loads(body) if body.strip() else None
    except (ValueError, RecursionError):
        return None


def detail_of(payload: Any) -> str | None:
    """DRF's `{"detail": "..."}`, cleaned; None when absent, blank or not a string."""
    if isinstance(payload, dict):
        detail = payload.get("detail")
        if isinstance(detail, str):
            text = clean(detail, MAX_MESSAGE)
            return text or None
    return None


def field_messages(payload: Any) -> dict[str, list[str]]:
    """DRF validation errors as {"field": ["message", ...]}, kept whole (for callers that
    look at a field); nested values are kept as their JSON text. See `readable` for the
    sentence shown to people."""
    fields: dict[str, list[str]] = {}
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key == "detail":
                continue
            messages = value if isinstance(value, list) else [value]
            texts = [m if isinstance(m, str) else json.dumps(m) for m in messages]
            if texts:
                fields[str(key)] = texts
    elif isinstance(payload, list):
        fields["non_field_errors"] = [str(m) for m in payload]
    return fields


def readable(payload: Any) -> str:
    """One sentence from a DRF error body that is a list or a field map ("" if none).

    `email` and non-field messages stand alone ("Enter a valid email address."); other
    fields are named ("role: "boss" is not a valid choice."), nested ones by their path
    ("profile name: Too long.").
    """
    if isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k != "detail"}
    parts: list[tuple[str, str]] = []
    _walk(payload, [], 0, parts)
    sentences = []
    for label, text in parts:
        if not text.endswith(_ENDS_A_SENTENCE):
            text += "."
        sentences.append(f"{label}: {text}" if label else text)
    return cap(" ".join(sentences))


def _walk(value: Any, path: list[str], depth: int, out: list[tuple[str, str]]) -> None:
    if len(out) >= MAX_PARTS or depth > MAX_DEPTH:
        return
    if isinstance(value, str):
        text = clean(value, MAX_PART)
        if text:
            label = " ".join(p for p in path if p not in _UNLABELLED)
            out.append((clean(label, 100), text))
    elif isinstance(value, bool | int | float):
        _walk(str(value).lower() if isinstance(value, bool) else str(value), path, depth, out)
    elif isinstance(value, list):
        for item in value:
            _walk(item, path, depth + 1, out)
    elif isinstance(value, dict):
        message = value.get("message")
        if isinstance(message, str) and set(value) <= {"message", "code"}:
            _walk(message, path, depth, out)  # DRF's "full details" form
            return
        for key, item in value.items():
            _walk(item, [*path, str(key)], depth + 1, out)


def maintenance_of(payload: Any) -> tuple[str | None, str | None] | None:
    """(message, eta) of Gencove's maintenance answer
    `{"maintenance": true, "maintenance_message": "...", "maintenance_eta": "..."}`,
    None when `payload` is not one."""
    if not isinstance(payload, dict):
        return None
    flag = payload.get("maintenance")
    if flag is not True and not (isinstance(flag, str) and flag.strip().lower() == "true"):
        return None
    message = payload.get("maintenance_message")
    eta = payload.get("maintenance_eta")
    return (
        clean(message, MAX_MAINTENANCE_TEXT) or None if isinstance(message, str) else None,
        clean(eta, MAX_ETA) or None if isinstance(eta, str) else None,
    )


def maintenance_sentence(message: str | None, eta: str | None) -> str:
    """The sentence "Gencove is under maintenance: <message> (back around <eta>)",
    absent parts left out."""
    text = "Gencove is under maintenance"
    if message:
        text += f": {message}"
    if eta:
        text += f" (back around {eta})"
    return text if message or eta else text + "."


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from `Retry-After`: delta-seconds, or an HTTP date.

    A date is measured from the answer's own `Date` header when it has one (so the two
    clocks need not agree), else from `now` (default: this machine's clock). A date in the
    past, or anything unreadable, is no usable hint: None (the caller backs off as usual).
    """
    raw = headers.get("Retry-After") or headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    when = _http_date(raw)
    if when is None:
        return None
    sent = _http_date(headers.get("Date") or headers.get("date") or "")
    reference = sent.timestamp() if sent is not None else (time.time() if now is None else now)
    delay = when.timestamp() - reference
    return delay if delay > 0 else None


def _http_date(raw: str) -> datetime | None:
    if not raw:
        return None
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when
