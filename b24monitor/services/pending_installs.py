"""Installs kept until a profile takes them: their clear tokens live in the secret store (§1.1).

A "uses only API" local app POSTs ONAPPINSTALL the moment the administrator saves it — before the
user can have typed its client_id/secret anywhere (spec §1.1). The writer stores every install
event with its tokens masked and hands the clear `auth` block here; a profile then adopts it by
proving that its refresh token refreshes with the profile's credentials (services/adoption.py).
Entries are kept exactly like profile secrets — the OS keyring or the 0600 file of
services/secrets.py — under one reserved key per data directory, so no profile name can collide.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from b24monitor.services.filelock import locked
from b24monitor.services.secrets import RESERVED_PREFIX, SecretStore

MAX_PENDING = 50  # the oldest entries go first: a forgotten test install must not grow forever


@dataclass(frozen=True, slots=True)
class PendingInstall:
    """One install no profile has taken yet; `auth` holds its tokens in clear (never shown)."""

    event_id: int
    auth: Mapping[str, Any] = field(repr=False)
    profile: str = ""  # the profile that proved it already (writer, spec §4 step 2), or ""

    def text(self, key: str) -> str:
        value = self.auth.get(key)
        return value if isinstance(value, str) else ""

    @property
    def member_id(self) -> str:
        return self.text("member_id")

    @property
    def domain(self) -> str:
        return self.text("domain")


class PendingInstalls:
    """The pending installs received by one data directory's listener."""

    def __init__(self, data_dir: Path, secrets: SecretStore) -> None:
        self._key = f"{RESERVED_PREFIX}pending-installs:{data_dir.resolve()}"
        self._lock = data_dir / "pending-installs"
        self._secrets = secrets

    def add(self, event_id: int, auth: Mapping[str, Any], profile: str | None = None) -> None:
        """Keep an install's auth block under its event id."""
        entry = json.dumps({"auth": dict(auth), "profile": profile or ""}, ensure_ascii=False)
        with locked(self._lock):
            entries = self._secrets.load(self._key)
            entries[str(event_id)] = entry
            for old in sorted(entries, key=int)[:-MAX_PENDING]:
                del entries[old]
            self._secrets.save(self._key, entries)

    def list(self) -> list[PendingInstall]:
        """Every pending install, newest first."""
        with locked(self._lock, exclusive=False):
            entries = self._secrets.load(self._key)
        found = [_parse(key, value) for key, value in entries.items()]
        return sorted((p for p in found if p is not None), key=lambda p: -p.event_id)

    def get(self, event_id: int) -> PendingInstall | None:
        return next((p for p in self.list() if p.event_id == event_id), None)

    def remove(self, event_id: int) -> None:
        """Forget an install (a profile took it, or it was superseded)."""
        with locked(self._lock):
            entries = self._secrets.load(self._key)
            if entries.pop(str(event_id), None) is not None:
                self._secrets.save(self._key, entries)


def _parse(key: str, value: str) -> PendingInstall | None:
    try:
        entry = json.loads(value)
        auth, profile = entry["auth"], entry.get("profile", "")
    except (ValueError, KeyError, TypeError):
        return None  # an entry another version wrote differently is left alone
    if not key.isdigit() or not isinstance(auth, dict):
        return None
    return PendingInstall(int(key), auth, profile if isinstance(profile, str) else "")
