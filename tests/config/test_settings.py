"""Settings: every variable read, secrets hidden, one message naming every bad one."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from invite_bot.config.settings import SettingsError, load_settings, require

GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-123-secret-token",
    "GENCOVE_API_KEY": "gencove-org-key-secret",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("SLACK_", "GENCOVE_", "INVITE_", "ALLOWED_")) or name in {
            "DATABASE_URL",
            "PORT",
            "WATCH_INTERVAL",
            "LOG_LEVEL",
        }:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_follow_the_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in GOOD.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(env_file=None)
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.gencove_api_url == "https://api.gencove.com"
    assert settings.database_url.startswith("sqlite:///")
    assert settings.port == 3000
    assert settings.watch_interval == 60
    assert settings.invite_max_per_command == 50
    assert settings.rate_limit.count == 100
    assert settings.rate_limit.period_seconds == 3600
    assert not settings.admins.configured
    assert settings.allowed_domains == frozenset()


def test_every_variable_is_read_from_a_dot_env_file(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    (tmp_path / ".env").write_text(
        "\n".join(
            [
                "SLACK_BOT_TOKEN=xoxb-from-file",
                "SLACK_SIGNING_SECRET=signing",
                "SLACK_APP_TOKEN=xapp-1-abc",
                "SLACK_API_URL=http://127.0.0.1:9/api",
                "GENCOVE_API_KEY=key-from-file",
                "GENCOVE_API_URL=http://127.0.0.1:9/",
                "DATABASE_URL=postgresql+asyncpg://u:p@db/invites",
                f"INVITE_BOT_SECRET_KEY={key}",
                "PORT=8080",
                "WATCH_INTERVAL=15",
                "INVITE_NOTIFY_CHANNEL=C0123456789",
                "INVITE_ADMINS=U0123456789, S0123456789",
                "ALLOWED_EMAIL_DOMAINS=Lab.org, example.com",
                "INVITE_MAX_PER_COMMAND=10",
                "INVITE_RATE_LIMIT=20/minute",
            ]
        )
    )
    settings = load_settings(env_file=tmp_path / ".env")
    assert settings.slack_bot_token.get_secret_value() == "xoxb-from-file"
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.gencove_api_url == "http://127.0.0.1:9"
    assert settings.port == 8080
    assert settings.watch_interval == 15
    assert settings.invite_notify_channel == "C0123456789"
    assert settings.admins.users == frozenset({"U0123456789"})
    assert settings.admins.groups == frozenset({"S0123456789"})
    assert settings.allowed_domains == frozenset({"lab.org", "example.com"})
    assert settings.invite_max_per_command == 10
    assert (settings.rate_limit.count, settings.rate_limit.period_seconds) == (20, 60)


def test_secrets_never_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in GOOD.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(env_file=None)
    text = repr(settings) + str(settings)
    assert "xoxb-123-secret-token" not in text
    assert "gencove-org-key-secret" not in text


def test_one_message_names_every_bad_variable_and_never_echoes_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-user-token-secret")
    monkeypatch.setenv("PORT", "eighty")
    monkeypatch.setenv("WATCH_INTERVAL", "-1")
    monkeypatch.setenv("INVITE_ADMINS", "ana")
    monkeypatch.setenv("ALLOWED_EMAIL_DOMAINS", "not a domain")
    monkeypatch.setenv("INVITE_RATE_LIMIT", "lots")
    monkeypatch.setenv("INVITE_NOTIFY_CHANNEL", "#general")
    monkeypatch.setenv("INVITE_BOT_SECRET_KEY", "too-short")
    monkeypatch.setenv("GENCOVE_API_URL", "ftp://gencove")
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None)
    message = str(caught.value)
    for name in (
        "SLACK_BOT_TOKEN",
        "GENCOVE_API_KEY",
        "PORT",
        "WATCH_INTERVAL",
        "INVITE_ADMINS",
        "ALLOWED_EMAIL_DOMAINS",
        "INVITE_RATE_LIMIT",
        "INVITE_NOTIFY_CHANNEL",
        "INVITE_BOT_SECRET_KEY",
        "GENCOVE_API_URL",
    ):
        assert name in message, name
    assert "GENCOVE_API_KEY is missing" in message
    assert "xoxp-user-token-secret" not in message
    assert "too-short" not in message
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_modes_name_the_optional_settings_they_need(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in GOOD.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(env_file=None)
    with pytest.raises(SettingsError) as caught:
        require(settings, "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")
    assert "SLACK_SIGNING_SECRET is missing" in str(caught.value)
    assert "SLACK_APP_TOKEN is missing" in str(caught.value)


def test_a_mode_s_required_setting_is_named_with_every_other_problem(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None, required=("SLACK_SIGNING_SECRET",))
    message = str(caught.value)
    for name in ("SLACK_BOT_TOKEN", "GENCOVE_API_KEY", "PORT", "SLACK_SIGNING_SECRET"):
        assert name in message, name
    (tmp_path / ".env").write_text("SLACK_SIGNING_SECRET=from-the-file\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=tmp_path / ".env", required=("SLACK_SIGNING_SECRET",))
    assert "SLACK_SIGNING_SECRET" not in str(caught.value)


def test_blank_optional_secrets_count_as_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in GOOD.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SLACK_APP_TOKEN", "")
    monkeypatch.setenv("INVITE_BOT_SECRET_KEY", " ")
    settings = load_settings(env_file=None)
    assert settings.slack_app_token is None
    assert settings.invite_bot_secret_key is None


def test_a_gencove_deadline_shorter_than_one_try_is_refused_and_a_good_one_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from invite_bot.app import gencove_client

    for key, value in GOOD.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GENCOVE_TIMEOUT", "20")
    monkeypatch.setenv("GENCOVE_DEADLINE", "10")
    with pytest.raises(SettingsError) as refused:
        load_settings(env_file=None)
    assert "GENCOVE_DEADLINE" in str(refused.value)
    monkeypatch.setenv("GENCOVE_DEADLINE", "45")
    settings = load_settings(env_file=None)
    assert settings.gencove_deadline == 45
    assert gencove_client(settings).deadline == 45
    monkeypatch.delenv("GENCOVE_DEADLINE")
    assert gencove_client(load_settings(env_file=None)).deadline == 40  # twice the timeout


def test_every_database_scheme_the_settings_accept_is_one_the_store_opens() -> None:
    """DATABASE_SCHEMES (settings) and the store's drivers agree: a scheme accepted at
    start is one `Store.open` turns into its SQLite or asyncpg driver."""
    from sqlalchemy.engine import make_url

    from invite_bot.config.settings import DATABASE_SCHEMES
    from invite_bot.store import normalise_database_url

    for scheme in DATABASE_SCHEMES:
        driver = make_url(normalise_database_url(f"{scheme}:///./bot.sqlite3")).drivername
        assert driver in ("sqlite", "postgresql+asyncpg"), scheme
