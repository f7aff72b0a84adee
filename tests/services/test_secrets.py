"""Secret stores: the keyring when usable, else an atomic 0600 JSON file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest

from b24monitor.core.errors import ProfileError
from b24monitor.services.secrets import (
    SERVICE,
    FileSecrets,
    KeyringSecrets,
    keyring_usable,
    open_secret_store,
)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps passwords in a dict (stands in for the OS keyring)."""

    priority = 1.0  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


class LockedKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"cannot store {password}")


def test_file_secrets_round_trip_with_private_mode(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "secrets.json"
    secrets = FileSecrets(path)
    assert secrets.load("acme") == {}
    secrets.save("acme", {"refresh_token": "rt-1", "client_secret": "cs"})
    secrets.save("other", {"application_token": "tok"})
    assert secrets.load("acme") == {"refresh_token": "rt-1", "client_secret": "cs"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["secrets.json", "secrets.json.lock"]
    secrets.delete("acme")
    secrets.delete("missing")
    assert json.loads(path.read_text()) == {"other": {"application_token": "tok"}}


def test_the_fail_backend_is_not_usable_and_the_file_is_chosen(tmp_path: Path) -> None:
    # This box has no keyring daemon: keyring picks `fail`, which raises NoKeyringError.
    assert not keyring_usable(keyring.backends.fail.Keyring())
    with pytest.raises(keyring.errors.NoKeyringError):
        keyring.backends.fail.Keyring().set_password(SERVICE, "x", "y")
    if not keyring_usable():
        store = open_secret_store(tmp_path)
        assert isinstance(store, FileSecrets)
        assert store.location == str(tmp_path / "secrets.json")


def test_keyring_secrets_keep_one_blob_per_profile() -> None:
    backend = MemoryKeyring()
    assert keyring_usable(backend)
    secrets = KeyringSecrets(backend)
    secrets.save("acme", {"access_token": "at", "refresh_token": "rt"})
    assert list(backend.items) == [(SERVICE, "acme")]
    assert secrets.load("acme") == {"access_token": "at", "refresh_token": "rt"}
    secrets.delete("acme")
    secrets.delete("acme")
    assert secrets.load("acme") == {}


def test_keyring_failure_message_never_contains_the_secret() -> None:
    secrets = KeyringSecrets(LockedKeyring())
    with pytest.raises(ProfileError) as caught:
        secrets.save("acme", {"refresh_token": "rt-very-secret"})
    assert "rt-very-secret" not in str(caught.value)
    assert "PasswordSetError" in str(caught.value)
