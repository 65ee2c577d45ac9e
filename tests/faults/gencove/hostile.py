"""The hostile answers of issue 15, made from the real one: a listing page whose ``next``
loops or never ends or that has too many rows, an oversized body, a body dripped a few
bytes at a time, a body cut off. (What each fault is: ``faults.py``.)"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from invite_bot.playground.gencove.pages import Page, page_params, replace_query
from invite_bot.playground.gencove.replies import Reply, json_reply
from tests.faults.gencove.faults import Fault, retry_date_reply

STREAM_CHUNK = 64 * 1024

# The rows of `page` of the listing a request asked for (None: it is no listing).
Relist = Callable[[web.Request, Page], "list[Any] | None"]


def listing_of(reply: Reply) -> dict[str, Any] | None:
    """The decoded listing page in ``reply`` (``meta`` and ``results``), else None."""
    if reply.status != 200 or reply.content_type != "application/json":
        return None
    payload = json.loads(reply.data)
    if not isinstance(payload, dict) or not isinstance(payload.get("meta"), dict):
        return None
    return payload if isinstance(payload.get("results"), list) else None


def _reshaped(relist: Relist, request: web.Request, fault: Fault, reply: Reply) -> Reply:
    payload = listing_of(reply)
    if payload is None:
        return reply
    page = page_params(request.query)
    base = f"{request.scheme}://{request.host}{request.url.raw_path}"
    query = request.url.raw_query_string
    if fault.kind == "page_loop":
        payload["meta"]["next"] = f"{base}?{query}" if query else base
    elif fault.kind == "endless_pages":
        further = {"limit": str(page.limit), "offset": str(page.offset + page.limit)}
        payload["meta"]["next"] = replace_query(base, query, further)
    else:  # extra_rows: as if Gencove ignored the limit
        wider = Page(page.offset, page.limit + fault.rows)  # the following rows, if any
        rows = relist(request, wider)
        payload["results"] = rows if rows is not None else payload["results"]
    return json_reply(reply.status, payload, reply.headers)


async def apply_hostile(
    request: web.Request,
    fault: Fault,
    reply: Reply | None,
    *,
    relist: Relist,
    drips_stopped: asyncio.Event,
) -> web.StreamResponse | None:
    """The hostile answer ``fault`` makes of ``reply`` (None: there is none yet, go on)."""
    if fault.kind == "retry_date":
        return retry_date_reply(fault).to_response()
    if reply is None:  # a reshaping fault needs the real answer: made after the effect
        return None
    if fault.kind in {"page_loop", "endless_pages", "extra_rows"}:
        return _reshaped(relist, request, fault, reply).to_response()
    data = reply.data
    if fault.kind == "oversized":
        padded = data + b" " * max(0, fault.size - len(data))
        declared = None if fault.chunked else len(padded)
        return await _stream(request, reply, padded, chunk=STREAM_CHUNK, declared=declared)
    if fault.kind == "drip":
        return await _stream(
            request,
            reply,
            data,
            chunk=fault.chunk,
            declared=len(data),
            interval=fault.seconds,
            stop=drips_stopped,
        )
    keep = len(data) // 2 if fault.keep is None else max(0, min(fault.keep, len(data)))
    if not fault.abort:
        return Reply(reply.status, data[:keep], reply.content_type, reply.headers).to_response()
    return await _stream(
        request, reply, data[:keep], chunk=STREAM_CHUNK, declared=len(data), hang_up=True
    )


async def _stream(
    request: web.Request,
    reply: Reply,
    data: bytes,
    *,
    chunk: int,
    declared: int | None,
    interval: float = 0.0,
    stop: asyncio.Event | None = None,
    hang_up: bool = False,
) -> web.StreamResponse:
    """Send ``data`` as ``reply``'s body, ``chunk`` bytes at a time, ``interval`` seconds
    apart; Content-Length ``declared`` (None: chunked). ``hang_up`` (or ``stop`` set):
    close the connection after what was written, whatever Content-Length promised."""
    response = web.StreamResponse(status=reply.status, headers=reply.headers)
    if reply.content_type:
        response.content_type = reply.content_type
    if declared is None:
        response.enable_chunked_encoding()
    else:
        response.content_length = declared
    try:
        await response.prepare(request)
        for start in range(0, len(data), chunk):
            await response.write(data[start : start + chunk])
            if stop is not None and interval > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)
                if stop.is_set():
                    hang_up = True
                    break
            elif interval > 0:
                await asyncio.sleep(interval)
        if hang_up:
            if request.transport is not None:
                request.transport.close()  # flushes what was written, then hangs up
        else:
            await response.write_eof()
    except ConnectionError:  # the client hung up: its right
        pass
    return response
