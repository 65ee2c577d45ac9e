"""GET /metrics of the real `invite-bot serve` and `invite-bot watch` processes: after an
invite, a revoke (whose first try Gencove throttles) and the watcher's polls, each family
holds the counts the stand-ins saw; no label carries what someone typed."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import aiohttp

from invite_bot.config.metrics import Metrics
from invite_bot.features.listing.blocks import LIST_PAGE
from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.features.shortcuts.blocks import GLOBAL_SHORTCUT
from invite_bot.features.workflow.blocks import EMAIL_INPUT, FUNCTION
from invite_bot.gencove.observe import operation_of
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, function_executed_body, global_shortcut_body
from tests.faults import Fault, GencoveFaults, SlackFault, SlackFaults
from tests.support.harness import ADMIN, BOT_TOKEN, BotUnderTest, bot_environment, sqlite_url
from tests.support.served import free_port, parse_metrics, served_bot, total, value

NOTIFY = "C0NOTIFY1"
FAMILIES = {
    "invite_bot_commands",
    "invite_bot_interactions",
    "invite_bot_gencove_requests",
    "invite_bot_gencove_request_duration_seconds",
    "invite_bot_gencove_retries",
    "invite_bot_gencove_rate_limited",
    "invite_bot_slack_calls",
    "invite_bot_slack_call_duration_seconds",
    "invite_bot_invite_jobs",
    "invite_bot_watcher_polls",
    "invite_bot_watcher_poll_duration_seconds",
    "invite_bot_watcher_last_success_timestamp_seconds",
    "invite_bot_watcher_transitions",
    "invite_bot_outbox_depth",
    "invite_bot_outbox_oldest_age_seconds",
}


async def test_metrics_after_an_invite_a_revoke_and_polls(
    gencove: FakeGencove,
    gencove_faults: GencoveFaults,
    slack: FakeSlack,
    slack_faults: SlackFaults,
    tmp_path: Path,
) -> None:
    started = time.time()
    async with served_bot(gencove, slack, tmp_path, INVITE_NOTIFY_CHANNEL=NOTIFY) as bot:
        content_type, text = await bot.scrape()
        assert content_type.startswith("text/plain")
        assert parse_metrics(text)[0] >= FAMILIES
        await bot.wait_for_samples(
            lambda s: value(s, "invite_bot_watcher_polls_total", outcome="baseline") == 1
        )

        # Answered by the ack alone: help, and an invite with a bad address.
        assert (await bot.command("help")).status == 200
        assert (await bot.command("invite nobody@@secret-word")).status == 200
        # An invite, then a click on its Revoke button; Gencove throttles the DELETE once.
        assert (await bot.command("invite ana@lab.org")).status == 200
        await slack.wait_for(lambda: slack.messages_in("C_GENERAL"), timeout=30)
        message = slack.messages_in("C_GENERAL")[0]
        [ana] = gencove.find("ana@lab.org")
        gencove_faults.inject("DELETE", "/api/v2/invitations/", Fault.status(429))
        answer = await bot.click(
            REVOKE, value=str(ana.id), message=message, block_id=f"inv:{ana.id}"
        )
        assert answer.status == 200
        samples = await bot.wait_for_samples(
            lambda s: (
                value(s, "invite_bot_interactions_total", **REVOKED) == 1
                and value(s, "invite_bot_commands_total", subcommand="invite", outcome="done") == 1
                and value(s, "invite_bot_outbox_depth") == 0
            )
        )
        assert ana.status == "revoked"

        # commands and clicks, by subcommand/action and outcome
        assert (
            value(samples, "invite_bot_commands_total", subcommand="help", outcome="answered") == 1
        )
        assert (
            value(samples, "invite_bot_commands_total", subcommand="invite", outcome="answered")
            == 1
        )
        assert total(samples, "invite_bot_commands_total") == 3
        assert total(samples, "invite_bot_interactions_total") == 1
        # the one invite job, delivered
        assert value(samples, "invite_bot_invite_jobs_total", outcome="delivered") == 1
        assert total(samples, "invite_bot_invite_jobs_total") == 1

        # Gencove: by operation and status, the latency histogram, retries and 429s
        [create] = [r for r in gencove.requests if r.method == "POST"]
        assert (
            value(
                samples,
                "invite_bot_gencove_requests_total",
                operation="create_invitation",
                status=str(create.status),
            )
            == 1
        )
        deletes = [r for r in gencove.requests if r.method == "DELETE"]
        assert [r.status for r in deletes] == [429, deletes[1].status]
        revoke = {"operation": "revoke_invitation"}
        assert value(samples, "invite_bot_gencove_requests_total", status="429", **revoke) == 1
        assert total(samples, "invite_bot_gencove_requests_total", **revoke) == 2
        assert value(samples, "invite_bot_gencove_rate_limited_total", **revoke) == 1
        assert value(samples, "invite_bot_gencove_retries_total", **revoke) == 1
        assert total(samples, "invite_bot_gencove_retries_total") == 1
        assert value(samples, "invite_bot_gencove_request_duration_seconds_count", **revoke) == 2
        assert (
            value(
                samples,
                "invite_bot_gencove_request_duration_seconds_count",
                operation="create_invitation",
            )
            == 1
        )
        listed = total(samples, "invite_bot_gencove_requests_total", operation="list_invitations")
        assert listed >= 2  # the baseline poll, and the invite's read of the pending list
        assert (
            value(
                samples,
                "invite_bot_gencove_request_duration_seconds_count",
                operation="list_invitations",
            )
            == listed
        )

        # Slack's Web API, by method and outcome
        assert value(samples, "invite_bot_slack_calls_total", method="auth.test", outcome="ok") == 1
        assert value(
            samples, "invite_bot_slack_calls_total", method="chat.update", outcome="ok"
        ) == len(slack.calls_to("chat.update"))
        assert value(
            samples, "invite_bot_slack_calls_total", method="chat.postMessage", outcome="ok"
        ) == len(slack.calls_to("chat.postMessage"))
        assert len(slack.calls_to("chat.postMessage")) >= 1

        # The watcher: polls, their duration, the last success
        polls = total(samples, "invite_bot_watcher_polls_total")
        assert value(samples, "invite_bot_watcher_polls_total", outcome="ok") >= 1
        assert value(samples, "invite_bot_watcher_poll_duration_seconds_count") == polls
        last = value(samples, "invite_bot_watcher_last_success_timestamp_seconds")
        assert started <= last <= time.time()

        # An invitation made outside Slack, while Slack fails every post: the watcher finds
        # it, and its notification waits in the outbox.
        slack_faults.fail_rate(1.0, methods=["chat.postMessage"], faults=[SlackFault.status(500)])
        gencove.add_invitation("outside@lab.org")
        samples = await bot.wait_for_samples(
            lambda s: (
                value(s, "invite_bot_outbox_depth") == 1
                and value(s, "invite_bot_slack_calls_total", **FAILED_POST) >= 1
            )
        )
        assert value(samples, "invite_bot_watcher_transitions_total", status="pending") == 1
        assert value(samples, "invite_bot_watcher_transitions_total", status="accepted") == 0
        assert value(samples, "invite_bot_outbox_oldest_age_seconds") > 0
        slack_faults.fail_rate(0.0)
        samples = await bot.wait_for_samples(
            lambda s: (
                value(s, "invite_bot_outbox_depth") == 0
                and any("outside@lab.org" in m.text for m in slack.messages_in(NOTIFY))
            )
        )
        assert value(samples, "invite_bot_outbox_oldest_age_seconds") == 0
        assert value(samples, "invite_bot_slack_calls_total", **FAILED_POST) == sum(
            1 for call in slack.calls_to("chat.postMessage") if call.status == 500
        )
        _, text = await bot.scrape()
    for secret in ("ana@lab.org", "outside@lab.org", "secret-word", BOT_TOKEN, "U0ADMIN01"):
        assert secret not in text
    # Start-up says only what an operator may act on: not Bolt's "`token` will be unused".
    assert "will be unused" not in bot.output()


REVOKED = {"kind": "button", "action": "revoke", "outcome": "done"}
FAILED_POST = {"method": "chat.postMessage", "outcome": "error"}


async def test_the_watch_process_serves_its_metrics_on_port(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    port = free_port()
    env = bot_environment(gencove, slack, sqlite_url(tmp_path), PORT=str(port))
    log = tmp_path / "watch.log"
    with log.open("wb") as handle:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "invite_bot", "watch", "--host", "127.0.0.1",
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            cwd=tmp_path, stdout=handle, stderr=handle,
        )  # fmt: skip
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 60
            while True:
                assert process.returncode is None, log.read_text()
                try:
                    async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                        text = await response.text()
                    polls = value(
                        parse_metrics(text)[1], "invite_bot_watcher_polls_total", outcome="ok"
                    )
                    if polls >= 1:
                        break
                except aiohttp.ClientConnectionError:
                    pass
                assert time.monotonic() < deadline, log.read_text()
                await asyncio.sleep(0.1)
    finally:
        process.terminate()
        await process.wait()
    assert f"invite-bot metrics on http://127.0.0.1:{port}/metrics" in log.read_text()
    families = parse_metrics(text)[0]
    assert families >= FAMILIES


def test_label_values_outside_their_closed_sets_are_counted_as_other() -> None:
    metrics = Metrics()
    metrics.name_requests({"command": frozenset({"invite"}), "button": frozenset({"revoke"})})
    metrics.command_handled("ana@lab.org", "done")
    metrics.interaction_handled("button", "revoke", "because I said so")
    metrics.gencove_request("/api/v2/invitations/1234", 200, 0.1)
    metrics.slack_call("chat.postMessage?token=xoxb-1", "ok", 0.1)
    metrics.invite_job_finished("delivered")
    metrics.invite_job_finished("U0ADMIN01")
    _, samples = parse_metrics(metrics.exposition().decode())
    assert value(samples, "invite_bot_commands_total", subcommand="other", outcome="done") == 1
    assert (
        value(
            samples,
            "invite_bot_interactions_total",
            kind="button",
            action="revoke",
            outcome="other",
        )
        == 1
    )
    assert value(samples, "invite_bot_gencove_requests_total", operation="other", status="200") == 1
    assert value(samples, "invite_bot_slack_calls_total", method="other", outcome="ok") == 1
    assert value(samples, "invite_bot_invite_jobs_total", outcome="delivered") == 1
    assert value(samples, "invite_bot_invite_jobs_total", outcome="other") == 1
    text = metrics.exposition().decode()
    for secret in ("ana@lab.org", "1234", "xoxb-1", "U0ADMIN01", "because"):
        assert secret not in text


def test_each_bot_counts_in_its_own_registry() -> None:
    one, two = Metrics(), Metrics()
    one.command_handled("help", "answered")
    _, samples = parse_metrics(two.exposition().decode())
    assert total(samples, "invite_bot_commands_total") == 0


def test_gencove_operations_are_fixed_names_whatever_the_ids() -> None:
    token = "5c1e0a9f7d2b"
    invitation = "0b7c5f43-9a7e-4c47-9a43-3d9d5a3f5b10"
    assert operation_of("POST", "/api/v2/invitations/") == "create_invitation"
    assert operation_of("GET", "/api/v2/invitations/?status=pending") == "list_invitations"
    assert operation_of("DELETE", f"/api/v2/invitations/{invitation}") == "revoke_invitation"
    assert operation_of("GET", f"/api/v2/invitations-token/{token}") == "get_invitation_by_token"
    assert operation_of("PATCH", f"/api/v2/invitations-token/{token}") == "accept_invitation"
    assert operation_of("GET", "/api/v2/roles/organization") == "list_roles"
    assert operation_of("GET", "/api/v2/organization-users/") == "find_member"
    assert operation_of("GET", "/api/v2/user/") == "current_user"
    assert operation_of("PUT", f"/api/v2/invitations/{invitation}") == "other"


async def test_requests_are_named_by_subcommand_button_or_modal_never_by_what_was_typed(
    bot: BotUnderTest,
) -> None:
    await bot.command("ana@lab.org")  # no such subcommand: help
    await bot.command("")
    await bot.command("invite ana@lab.org --colour red")  # a usage error is the invite's
    await bot.command("list expired")
    await bot.click(f"{LIST_PAGE}:next", value="ana@lab.org")  # an odd value: still list_page
    await bot.submit("anything else", {})  # a modal nobody registered is not counted
    await bot.settled()  # `list` is counted once its page is sent, after the ack
    _, samples = parse_metrics(bot.bot.metrics.exposition().decode())
    assert value(samples, "invite_bot_commands_total", subcommand="help", outcome="answered") == 2
    assert value(samples, "invite_bot_commands_total", subcommand="invite", outcome="answered") == 1
    assert total(samples, "invite_bot_commands_total", subcommand="list") == 1
    assert total(samples, "invite_bot_interactions_total", action="list_page") == 1
    assert total(samples, "invite_bot_interactions_total") == 1
    assert "ana@lab.org" not in bot.bot.metrics.exposition().decode()


async def test_shortcuts_and_workflow_steps_are_counted_as_interactions(
    bot: BotUnderTest,
) -> None:
    body = global_shortcut_body(
        GLOBAL_SHORTCUT, user_id=ADMIN, trigger_id=bot.slack.new_trigger_id()
    )
    assert (await bot.send(body)).status == 200
    execution = bot.slack.functions.start(FUNCTION, {EMAIL_INPUT: "not-an-address"})
    assert (await bot.send(function_executed_body(execution))).status == 200
    await bot.slack.wait_for(lambda: execution.outcome is not None, timeout=30)
    await bot.settled()
    _, samples = parse_metrics(bot.bot.metrics.exposition().decode())
    shortcut = {"kind": "shortcut", "action": "invite_shortcut", "outcome": "done"}
    step = {"kind": "function", "action": "workflow_step", "outcome": "done"}
    assert value(samples, "invite_bot_interactions_total", **shortcut) == 1
    assert value(samples, "invite_bot_interactions_total", **step) == 1
