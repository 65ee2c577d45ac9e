"""The Slack app manifest (app_manifest.yml) is valid against Slack's schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "tests" / "specs" / "slack-manifest.schema.1.0.0.json"


def test_manifest_is_valid_against_slacks_schema() -> None:
    manifest = yaml.safe_load((ROOT / "app_manifest.yml").read_text())
    schema = json.loads(SCHEMA.read_text())
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(manifest)]
    assert errors == []
    assert manifest["features"]["slash_commands"][0]["command"] == "/gencove"
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]


def test_the_manifests_comment_says_what_the_file_holds() -> None:
    """A person editing the manifest follows its comment: the number of example URLs it
    names is the number to replace, and Socket Mode is switched on, not 'kept'."""
    text = (ROOT / "app_manifest.yml").read_text()
    comment = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    manifest = yaml.safe_load(text)
    example = "https://invite-bot.example.com"
    uses = text.count(example) - comment.count(example)
    assert f"appears {uses} times below" in comment
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert "set socket_mode_enabled: true" in comment
    assert "keep socket_mode_enabled" not in comment


def test_the_manifest_declares_the_shortcuts_and_the_workflow_step_the_bot_answers() -> None:
    from invite_bot.features.shortcuts.blocks import GLOBAL_SHORTCUT, MESSAGE_SHORTCUT
    from invite_bot.features.workflow.blocks import (
        EMAIL_INPUT,
        FUNCTION,
        INVITATION_OUTPUT,
        PERSON_INPUT,
        ROLE_INPUT,
        STATUS_OUTPUT,
    )

    manifest = yaml.safe_load((ROOT / "app_manifest.yml").read_text())
    shortcuts = {s["callback_id"]: s["type"] for s in manifest["features"]["shortcuts"]}
    assert shortcuts == {GLOBAL_SHORTCUT: "global", MESSAGE_SHORTCUT: "message"}
    # users.info's profile email (a message with no address: its author's) needs this scope
    assert "users:read.email" in manifest["oauth_config"]["scopes"]["bot"]

    step = manifest["functions"][FUNCTION]
    inputs, outputs = step["input_parameters"], step["output_parameters"]
    assert set(inputs) == {EMAIL_INPUT, ROLE_INPUT, PERSON_INPUT}
    assert inputs[EMAIL_INPUT]["is_required"] is True
    assert inputs[ROLE_INPUT]["is_required"] is False
    # the person who used the workflow, which a builder cannot set to someone else
    assert inputs[PERSON_INPUT]["type"] == "slack#/types/user_context"
    assert set(outputs) == {INVITATION_OUTPUT, STATUS_OUTPUT}
    assert all(p["name"] == name for params in (inputs, outputs) for name, p in params.items())
    # what Slack requires of an app with custom steps
    settings = manifest["settings"]
    assert "function_executed" in settings["event_subscriptions"]["bot_events"]
    assert settings["org_deploy_enabled"] is True
    assert settings["function_runtime"] == "remote"
    assert manifest["_metadata"]["major_version"] == 2
