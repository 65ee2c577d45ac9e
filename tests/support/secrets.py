"""The secrets a test bot holds, and the check that none of them reached a text."""

from __future__ import annotations

import re

from invite_bot.playground.gencove import FakeGencove
from tests.support.harness import BOT_TOKEN, SECRET_KEY, SIGNING_SECRET

# what the stand-in's organization keys look like, whichever instance made them
GENCOVE_KEY_SHAPE = re.compile(r"gc-(?:org|user)-[0-9a-f]{40}")


def secrets_of(gencove: FakeGencove) -> list[str]:
    return [BOT_TOKEN, SIGNING_SECRET, SECRET_KEY, gencove.org_api_key]


def assert_no_secret(text: str, gencove: FakeGencove) -> None:
    for secret in secrets_of(gencove):
        assert secret not in text, "a secret reached the logs"
    assert not GENCOVE_KEY_SHAPE.search(text), "a Gencove key reached the logs"
