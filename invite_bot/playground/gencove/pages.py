"""DRF limit/offset pagination as Gencove does it: ``limit`` (at most ``MAX_LIMIT``) and
``offset`` from the query, absolute ``next``/``previous`` URLs, newest first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlencode

from aiohttp import web

from invite_bot.playground.gencove.model import FakeInvitation

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


def _positive_int(raw: str, *, strict: bool = False, cutoff: int | None = None) -> int:
    value = int(raw)
    if value < 0 or (value == 0 and strict):
        raise ValueError(raw)
    return min(value, cutoff) if cutoff is not None else value


def replace_query(base: str, query: str, updates: Mapping[str, str | None]) -> str:
    """DRF ``replace_query_param``/``remove_query_param``: sorted query, absolute URL."""
    params = parse_qs(query, keep_blank_values=True)
    for key, value in updates.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = [value]
    encoded = urlencode(sorted(params.items()), doseq=True)
    return f"{base}?{encoded}" if encoded else base


class Page(NamedTuple):
    offset: int
    limit: int


def page_params(query: Mapping[str, str]) -> Page:
    try:
        limit = _positive_int(query["limit"], strict=True, cutoff=MAX_LIMIT)
    except (KeyError, ValueError):
        limit = DEFAULT_LIMIT
    try:
        offset = _positive_int(query["offset"])
    except (KeyError, ValueError):
        offset = 0
    return Page(offset, limit)


def paginated(
    request: web.Request, page: Page, count: int, results: list[dict[str, Any]]
) -> dict[str, Any]:
    base = f"{request.scheme}://{request.host}{request.url.raw_path}"
    query = request.url.raw_query_string
    offset, limit = page
    next_url: str | None = None
    previous_url: str | None = None
    if offset + limit < count:
        next_url = replace_query(base, query, {"limit": str(limit), "offset": str(offset + limit)})
    if offset > 0:
        prev_offset = None if offset - limit <= 0 else str(offset - limit)
        previous_url = replace_query(base, query, {"limit": str(limit), "offset": prev_offset})
    return {
        "meta": {"count": count, "next": next_url, "previous": previous_url},
        "results": results,
    }


def desc_slice(ascending: list[FakeInvitation], page: Page) -> list[FakeInvitation]:
    """Items ``offset:offset+limit`` of the newest-first view of an ascending list."""
    hi = len(ascending) - page.offset
    if hi <= 0:
        return []
    lo = max(0, hi - page.limit)
    return ascending[lo:hi][::-1]
