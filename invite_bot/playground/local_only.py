"""The playground's page and control API answer only the person at this computer.

The page runs on loopback with no sign-in, and its API can invite as the admin and shows
the sandbox's personal keys. So every request is refused unless:

- its `Host` is a loopback name (127.0.0.1, localhost or [::1], any port): a web page
  that rebinds its own domain to 127.0.0.1 (DNS rebinding) names its domain here;
- its `Origin`, when the browser sends one, is the page's own: another site's page can
  still make the browser send a request, but not as this page;
- a change (any method but GET and HEAD) comes as `application/json`: a cross-site form
  or `text/plain` fetch can be sent without asking first, JSON cannot (the browser asks
  with a CORS preflight, which this server never grants).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
READS = frozenset({"GET", "HEAD"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def refusal(request: web.Request) -> tuple[int, str] | None:
    """(HTTP status, why) when `request` is not the page's own; None when it is."""
    host = request.headers.get("Host", "")
    if _hostname(host) not in LOOPBACK_NAMES:
        return 403, "the playground answers only on 127.0.0.1, localhost or [::1]"
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"http://{host}":
        return 403, "the playground answers only its own page, not another site's"
    if request.method not in READS and request.content_type != "application/json":
        return 415, "send the body as JSON (Content-Type: application/json)"
    return None


def _hostname(host: str) -> str | None:
    """The name in a Host header (`[::1]:8765` → `::1`); None when it is not one."""
    try:
        parts = urlsplit(f"//{host}")
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        return None
    return parts.hostname


@web.middleware
async def local_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    refused = refusal(request)
    if refused is not None:
        status, why = refused
        return web.json_response({"ok": False, "error": why}, status=status)
    return await handler(request)
