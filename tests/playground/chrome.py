"""Chromium and the playground for the browser tests: is there a browser, starting
Debian's chromium through Debian's chromedriver (Selenium Manager is never asked to
download anything), and the whole playground in a background thread with its own event
loop. `browser.py` drives the page with them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from invite_bot.playground.run import Options, playground
from invite_bot.playground.world import PEOPLE

try:
    from selenium import webdriver
    from selenium.common.exceptions import (
        ElementClickInterceptedException,
        ElementNotInteractableException,
        NoSuchElementException,
        StaleElementReferenceException,
    )
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.remote.webdriver import WebDriver

    SELENIUM_MISSING: str | None = None
    # Raised while the page redraws under us: look again.
    TRANSIENT: tuple[type[Exception], ...] = (
        StaleElementReferenceException,
        NoSuchElementException,
        ElementClickInterceptedException,
        ElementNotInteractableException,
    )
except ImportError as exc:  # pragma: no cover - depends on the machine
    SELENIUM_MISSING = f"selenium is not installed ({exc}); pip install 'selenium>=4.20'"
    TRANSIENT = ()

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WINDOW = (1500, 950)
WAIT = 20.0  # seconds any one condition may take on a busy 2-core machine
START_TIMEOUT = 60.0


# -- is there a browser? ----------------------------------------------------------------


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if SELENIUM_MISSING:
        return SELENIUM_MISSING
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (path.is_file() and os.access(path, os.X_OK)):
            return f"{path} is missing: apt-get install -y {package}"
    return None


def require_browser() -> None:
    """Skip without a browser; under CI=true, where one is installed, fail instead."""
    reason = browser_missing()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


def chrome_options() -> Any:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--metrics-recording-only",
        "--password-store=basic",
        # the page polls every 500 ms: keep its timers running at full speed
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
    ):
        options.add_argument(argument)
    return options


def start_chrome() -> WebDriver:
    """Debian's Chromium through Debian's chromedriver: nothing is downloaded."""
    service = Service(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(service=service, options=chrome_options())
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


# -- the playground in a background thread --------------------------------------------


class PlaygroundThread:
    """`playground(Options(port=0))` on its own event loop in a daemon thread."""

    def __init__(self, options: Options | None = None) -> None:
        self.options = options or Options(port=0)
        self.address = ""
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="playground", daemon=True)

    def __enter__(self) -> PlaygroundThread:
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise RuntimeError(f"the playground did not start within {START_TIMEOUT:.0f} s")
        if self._error is not None:
            raise RuntimeError(f"the playground did not start: {self._error!r}") from self._error
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:
            self._error = exc
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with playground(self.options) as address:
            self.address = address
            self._ready.set()
            await self._stop.wait()

    # the control API (page.py), only to put things back between tests

    def api(self, path: str, body: dict[str, Any] | None = None) -> Any:
        url = self.address.rstrip("/") + "/playground/api" + path
        assert url.startswith("http://127.0.0.1:"), url
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - loopback only, checked above
            url, data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return json.loads(response.read() or b"null")

    def close_all_modals(self) -> None:
        for role in (someone.role for someone in PEOPLE):
            for _ in range(5):  # a stack of modals closes one at a time
                if self.api(f"/view?user={role}").get("view") is None:
                    break
                self.api("/close", {"user": role})
