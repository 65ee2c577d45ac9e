"""The manifest turns the Home tab on and subscribes to the event that draws it, and
stays valid against Slack's schema (tests/test_manifest.py checks the whole)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from invite_bot.features.home.listeners import HOME_OPENED

ROOT = Path(__file__).resolve().parents[3]


def test_the_manifest_enables_the_home_tab_and_its_event() -> None:
    manifest = yaml.safe_load((ROOT / "app_manifest.yml").read_text())
    schema = json.loads((ROOT / "tests" / "specs" / "slack-manifest.schema.1.0.0.json").read_text())
    assert list(jsonschema.Draft7Validator(schema).iter_errors(manifest)) == []
    app_home = manifest["features"]["app_home"]
    assert app_home["home_tab_enabled"] is True
    assert app_home["messages_tab_enabled"] is True  # the DM a CSV is sent to
    assert HOME_OPENED in manifest["settings"]["event_subscriptions"]["bot_events"]
