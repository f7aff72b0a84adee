"""Where profile secrets live: the OS keyring when a usable backend exists, else a 0600 JSON file.

Secrets are client_secret, application_token, access_token and refresh_token (spec §4, §5.2).
Each profile's secrets are one JSON blob under one key, so a token pair is always replaced in a
single write and another process never reads a new access token with an old refresh token.
On a headless Linux box keyring picks its `fail` backend and raises NoKeyringError
(../shared/guide/testing.md "Secrets"); `open_secret_store` detects that and uses the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import keyring
import keyring.backend
import keyring.errors
import platformdirs

from b24monitor.core.errors import ProfileError
from b24monitor.services.filelock import locked, read_json, write_json

SERVICE = "b24monitor"
SECRET_FIELDS = ("client_secret", "application_token", "access_token", "refresh_token")
RESERVED_PREFIX = "b24monitor:"
"""Keys starting with this hold b24monitor's own secrets (pending installs), never a profile's."""


class SecretStore(Protocol):
    """Secrets of one profile as a string map; a missing profile reads as empty."""

    location: str
    """Where the secrets are kept, for the settings view ("OS keyring …" or a file path)."""

    def load(self, profile: str) -> dict[str, str]: ...

    def save(self, profile: str, secrets: Mapping[str, str]) -> None: ...

    def delete(self, profile: str) -> None: ...


class KeyringSecrets:
    """Secrets in the OS keyring (service "b24monitor", user = profile name, value = JSON)."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._backend = backend or keyring.get_keyring()
        self.location = f"OS keyring ({type(self._backend).__module__})"

    def load(self, profile: str) -> dict[str, str]:
        try:
            raw = self._backend.get_password(SERVICE, profile)
        except keyring.errors.KeyringError as exc:
            raise _keyring_failed("read", exc) from None
        return _decode(raw)

    def save(self, profile: str, secrets: Mapping[str, str]) -> None:
        try:
            self._backend.set_password(SERVICE, profile, json.dumps(dict(secrets)))
        except keyring.errors.KeyringError as exc:
            raise _keyring_failed("write", exc) from None

    def delete(self, profile: str) -> None:
        try:
            self._backend.delete_password(SERVICE, profile)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing stored: already gone
        except keyring.errors.KeyringError as exc:
            raise _keyring_failed("delete", exc) from None


class FileSecrets:
    """Secrets in one JSON file `{profile: {field: value}}`, mode 0600, replaced atomically."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self.location = str(path)

    def load(self, profile: str) -> dict[str, str]:
        with locked(self._path, exclusive=False):
            entry = self._read().get(profile, {})
        return {k: v for k, v in entry.items() if isinstance(v, str)}

    def save(self, profile: str, secrets: Mapping[str, str]) -> None:
        with locked(self._path):
            data = self._read()
            data[profile] = dict(secrets)
            write_json(self._path, data, mode=0o600)

    def delete(self, profile: str) -> None:
        with locked(self._path):
            data = self._read()
            if data.pop(profile, None) is not None:
                write_json(self._path, data, mode=0o600)

    def _read(self) -> dict[str, dict[str, str]]:
        data = read_json(self._path)
        return data if isinstance(data, dict) else {}


def keyring_usable(backend: keyring.backend.KeyringBackend | None = None) -> bool:
    """True when the keyring backend can really store secrets (not `fail`, `null` or broken)."""
    backend = backend or keyring.get_keyring()
    if type(backend).__module__ in ("keyring.backends.fail", "keyring.backends.null"):
        return False
    try:
        if float(backend.priority) <= 0:
            return False
        backend.get_password(SERVICE, "__probe__")
    except Exception:  # any failure here means "not usable", e.g. NoKeyringError
        return False
    return True


def open_secret_store(config_dir: Path | None = None) -> SecretStore:
    """The keyring if usable, else `<user config dir>/secrets.json` (mode 0600)."""
    if keyring_usable():
        return KeyringSecrets()
    directory = config_dir or Path(platformdirs.user_config_dir("b24monitor"))
    return FileSecrets(directory / "secrets.json")


def _decode(raw: str | None) -> dict[str, str]:
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def _keyring_failed(action: str, exc: Exception) -> ProfileError:
    # The keyring's own message is left out: some backends echo what they were asked to store.
    return ProfileError(
        f"the OS keyring refused to {action} secrets ({type(exc).__name__}): "
        "unlock the keyring or remove it so b24monitor falls back to a private file."
    )
