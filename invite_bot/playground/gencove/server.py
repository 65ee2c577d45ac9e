"""The Gencove sandbox's HTTP server: one aiohttp application on 127.0.0.1 (any port),
every path going to one handler, and its start and stop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handle = Callable[[web.Request], Awaitable[web.StreamResponse]]


class LoopbackServer:
    """Serves ``handle`` on ``host:port`` (port 0: any free one) once started."""

    def __init__(self, host: str, port: int, shutdown_timeout: float) -> None:
        self.host = host
        self.port = port
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None
        self.url: str | None = None  # ``http://HOST:PORT`` while it serves

    async def start(self, handle: Handle) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeGencove already started")
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(
            app,
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=self._shutdown_timeout,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        self.url = f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
