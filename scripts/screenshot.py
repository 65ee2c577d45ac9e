"""Regenerate docs/playground.png: the playground's page, 1500x950, after a small scene.

    python3 scripts/screenshot.py [--out docs/playground.png]

Starts the playground in-process on 127.0.0.1 (as `invite-bot playground` does), drives
its page in headless Chromium with Selenium as a person would — the admin invites two
addresses in #general, then runs `/gencove list` — screenshots the page and exits.

Needs Debian's `chromium` and `chromium-driver` (`/usr/bin/chromium`,
`/usr/bin/chromedriver`; Selenium Manager is never used) and `pip install selenium`.
Emoji show as boxes unless a colour emoji font is installed:
`apt-get install -y fonts-noto-color-emoji` (docs/playground.png was made with it).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing it

from selenium import webdriver  # noqa: E402 - after the path above
from selenium.common.exceptions import (  # noqa: E402
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402

from invite_bot.playground.run import Options, playground  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WIDTH, HEIGHT = 1500, 950
WAIT = 30.0
SCENE = ("/gencove invite kim@lab.org lee@partner.org", "/gencove list")


def until(condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT
    while True:
        try:
            found = condition()
        except (StaleElementReferenceException, NoSuchElementException):
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshot: gave up waiting for {what}")
        time.sleep(0.1)


def entries(driver: WebDriver) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#conversation [data-entry]")]


def scene(driver: WebDriver, address: str) -> None:
    driver.get(address)
    until(
        lambda: driver.find_elements(By.CSS_SELECTOR, "#gencove tr[data-invitation]"),
        "the page to draw",
    )
    invite, listing = SCENE
    type_command(driver, invite)
    until(
        lambda: any("invited 2 addresses" in text for text in entries(driver)),
        "the invite's result message",
    )
    type_command(driver, listing)
    until(
        lambda: any("pending invitations" in text for text in entries(driver)),
        "the list of pending invitations",
    )
    # the newest exchange in the traffic pane, and the list scrolled into view
    until(
        lambda: "chat.postEphemeral" in traffic(driver) or "response_url" in traffic(driver),
        "the traffic pane",
    )
    driver.execute_script(
        "const c = document.getElementById('conversation'); c.scrollTop = c.scrollHeight;"
    )


def traffic(driver: WebDriver) -> str:
    return str(driver.find_element(By.ID, "traffic").text)


def type_command(driver: WebDriver, text: str) -> None:
    box = driver.find_element(By.ID, "composer")
    box.clear()
    box.send_keys(text)
    box.send_keys(Keys.ENTER)
    until(lambda: any(text in t for t in entries(driver)), f"{text!r} to show")


def chrome() -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        f"--window-size={WIDTH},{HEIGHT}",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    # --window-size is the window; the page itself must be exactly WIDTH x HEIGHT
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
    )
    return driver


async def serve(ready: threading.Event, stop: asyncio.Event, found: dict[str, str]) -> None:
    try:
        async with playground(Options(port=0)) as address:
            found["address"] = address
            ready.set()
            await stop.wait()
    finally:
        ready.set()  # also when it could not start: main() stops waiting


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "playground.png")
    out: Path = parser.parse_args().out

    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()
    found: dict[str, str] = {}
    thread = threading.Thread(
        target=lambda: loop.run_until_complete(serve(ready, stop, found)), daemon=True
    )
    thread.start()
    if not ready.wait(60) or "address" not in found:
        raise SystemExit("screenshot: the playground did not start")
    driver = chrome()
    try:
        scene(driver, found["address"])
        out.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(out))
    finally:
        driver.quit()
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.close()
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
