"""A request whose timestamp header is not a Unix time in seconds gets 401 like any bad
signature: no 500, no ERROR line."""

from __future__ import annotations

import logging

import pytest

from tests.support.harness import BotUnderTest

ODD = ["abc", "9" * 5000, "1.5", "", " 1700000000", "-1700000000", "١٧٠٠٠٠٠٠٠٠"]


@pytest.mark.parametrize("timestamp", ODD)
async def test_an_odd_timestamp_is_refused_like_a_bad_signature(
    bot: BotUnderTest, timestamp: str, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": "v0=" + "0" * 64,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    async with bot.session.post(
        bot.url, data=b"command=%2Fgencove&text=help", headers=headers
    ) as answer:
        assert answer.status == 401
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_missing_timestamp_is_refused_too(bot: BotUnderTest) -> None:
    headers = {"X-Slack-Signature": "v0=" + "0" * 64}
    async with bot.session.post(bot.url, data=b"command=%2Fgencove", headers=headers) as answer:
        assert answer.status == 401
