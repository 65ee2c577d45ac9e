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
