"""`/gencove help`, and what an unknown word gets."""

from __future__ import annotations

from tests.support.harness import BotUnderTest


async def test_help_lists_every_subcommand_and_names_an_unknown_word(bot: BotUnderTest) -> None:
    answer, _ = await bot.command("frobnicate <!channel>")
    reply = answer.json()
    assert reply["response_type"] == "ephemeral"
    assert "frobnicate" in reply["text"]
    for word in ("invite", "list", "revoke", "accept", "link", "unlink", "whoami", "notify"):
        assert word in reply["text"]
    plain, _ = await bot.command("")
    assert "invite" in plain.json()["text"]


async def test_help_says_which_subcommands_are_for_inviters_only(bot: BotUnderTest) -> None:
    answer, _ = await bot.command("help")
    [sentence] = [line for line in answer.json()["text"].splitlines() if "inviters only" in line]
    for word in ("list", "revoke", "reinvite", "audit", "notify"):
        assert f"`{word}`" in sentence
    assert "not `notify me`" in sentence  # anyone may choose their own notifications
