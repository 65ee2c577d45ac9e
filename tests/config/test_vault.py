"""The vault that encrypts linked personal Gencove keys at rest."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet

from invite_bot.config.settings import SettingsError, load_settings
from invite_bot.config.vault import Vault, validate_keys

SECRET = "gc-personal-key-0123456789abcdef"


def _key() -> str:
    return Fernet.generate_key().decode()


def test_round_trip_and_no_plain_value_in_the_ciphertext() -> None:
    vault = Vault(_key())
    ciphertext = vault.encrypt(SECRET)
    assert SECRET not in ciphertext
    assert SECRET.encode() not in base64.urlsafe_b64decode(ciphertext)
    assert vault.decrypt(ciphertext) == SECRET


def test_encrypting_twice_gives_different_ciphertexts() -> None:
    vault = Vault(_key())
    assert vault.encrypt(SECRET) != vault.encrypt(SECRET)


def test_new_values_use_the_first_key_and_old_ones_stay_readable() -> None:
    old, new = _key(), _key()
    written_before = Vault(old).encrypt(SECRET)
    rotated = Vault(f"{new},{old}")
    assert rotated.decrypt(written_before) == SECRET
    written_after = rotated.encrypt(SECRET)
    assert Fernet(new.encode()).decrypt(written_after.encode()).decode() == SECRET
    with pytest.raises(ValueError, match="cannot be decrypted"):
        Vault(old).decrypt(written_after)


def test_rotate_reencrypts_under_the_newest_key() -> None:
    old, new = _key(), _key()
    written_before = Vault(old).encrypt(SECRET)
    again = Vault(f"{new},{old}").rotate(written_before)
    assert Vault(new).decrypt(again) == SECRET


def test_spaces_and_empty_entries_in_the_key_list_are_ignored() -> None:
    old, new = _key(), _key()
    written = Vault(old).encrypt(SECRET)
    assert Vault(f" {new} ,, {old} ,").decrypt(written) == SECRET


@pytest.mark.parametrize(
    "ciphertext",
    ["", "not a token", "gAAAAA" + "A" * 80, "ключ", None],
    ids=["empty", "text", "fernet-shaped", "non-ascii", "tampered"],
)
def test_unreadable_values_raise_value_error_naming_neither_key_nor_value(
    ciphertext: str | None,
) -> None:
    key = _key()
    vault = Vault(key)
    if ciphertext is None:  # flip one byte of a real ciphertext: authentication fails
        raw = bytearray(base64.urlsafe_b64decode(vault.encrypt(SECRET)))
        raw[-40] ^= 1
        ciphertext = base64.urlsafe_b64encode(bytes(raw)).decode()
    with pytest.raises(ValueError, match="cannot be decrypted") as caught:
        vault.decrypt(ciphertext)
    assert key not in str(caught.value)
    assert SECRET not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_a_value_from_another_key_cannot_be_read() -> None:
    with pytest.raises(ValueError, match="cannot be decrypted"):
        Vault(_key()).decrypt(Vault(_key()).encrypt(SECRET))


@pytest.mark.parametrize(
    "keys",
    ["", " , ", "not-a-fernet-key", f"{'A' * 20}=,", f"{Fernet.generate_key().decode()},oops"],
    ids=["empty", "only-commas", "garbage", "short", "one-bad-of-two"],
)
def test_bad_keys_are_refused_without_echoing_them(keys: str) -> None:
    with pytest.raises(ValueError, match="INVITE_BOT_SECRET_KEY") as caught:
        Vault(keys)
    for part in keys.split(","):
        if part.strip():
            assert part.strip() not in str(caught.value)
    with pytest.raises(ValueError, match="INVITE_BOT_SECRET_KEY"):
        validate_keys(keys)


def test_settings_refuse_a_bad_secret_key_naming_the_variable_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token-1234")
    monkeypatch.setenv("GENCOVE_API_KEY", "gc-org-key-1234")
    monkeypatch.setenv("INVITE_BOT_SECRET_KEY", "definitely-not-fernet-9f8e7d")
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None)
    assert "INVITE_BOT_SECRET_KEY" in str(caught.value)
    assert "definitely-not-fernet-9f8e7d" not in str(caught.value)

    good = f"{_key()}, {_key()}"
    monkeypatch.setenv("INVITE_BOT_SECRET_KEY", good)
    settings = load_settings(env_file=None)
    assert settings.invite_bot_secret_key is not None
    assert settings.invite_bot_secret_key.get_secret_value() == good
    assert good not in repr(settings)
