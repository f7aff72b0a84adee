"""Installs that came before their profile (spec §1.1): kept like secrets, migrated tokens kept."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from b24monitor.core.errors import ProfileError
from b24monitor.core.verification import Sender
from b24monitor.services.pending_installs import MAX_PENDING, PendingInstalls
from b24monitor.services.profiles import Profile, ProfileStore
from b24monitor.services.schema import MIGRATIONS
from b24monitor.services.secrets import FileSecrets
from b24monitor.services.store import APPLICATION_ID, EventStore, _run_script

AUTH = {"member_id": "m1", "domain": "acme.bitrix24.com", "access_token": "a" * 40,
        "refresh_token": "r" * 40, "application_token": "t" * 32}  # fmt: skip


def test_pending_installs_live_in_the_private_secret_file_not_in_the_data_dir(
    tmp_path: Path,
) -> None:
    secrets = FileSecrets(tmp_path / "config" / "secrets.json")
    pending = PendingInstalls(tmp_path / "data", secrets)
    pending.add(7, AUTH)
    pending.add(9, {**AUTH, "application_token": "u" * 32}, "dev")
    assert [(p.event_id, p.profile, p.member_id) for p in pending.list()] == [
        (9, "dev", "m1"), (7, "", "m1")
    ]  # fmt: skip
    assert pending.get(7) is not None and pending.get(7).text("refresh_token") == "r" * 40
    secret_file = tmp_path / "config" / "secrets.json"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert all("r" * 40 not in p.read_text(errors="ignore")
               for p in (tmp_path / "data").rglob("*") if p.is_file())  # fmt: skip
    assert "r" * 40 not in repr(pending.get(7))
    pending.remove(7)
    assert [p.event_id for p in pending.list()] == [9]
    # Another data dir has its own pending installs.
    assert PendingInstalls(tmp_path / "other", secrets).list() == []


def test_only_the_newest_pending_installs_are_kept(tmp_path: Path) -> None:
    pending = PendingInstalls(tmp_path / "data", FileSecrets(tmp_path / "s.json"))
    for event_id in range(1, MAX_PENDING + 6):
        pending.add(event_id, AUTH)
    ids = [p.event_id for p in pending.list()]
    assert len(ids) == MAX_PENDING and min(ids) == 6


def test_a_profile_cannot_take_the_reserved_secret_key(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path, FileSecrets(tmp_path / "s.json"))
    with pytest.raises(ProfileError, match="reserved"):
        store.add(Profile("b24monitor:pending-installs", "webhook", application_token="x"))


def test_migration_keeps_every_stored_token_as_a_named_sender(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:2]:  # a data dir written before tokens were kept per sender
        _run_script(conn, script)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 2")
    conn.executemany(
        "INSERT INTO app_tokens VALUES (?, ?, ?, ?, ?)",
        [("m1", "tok-install", "a.bitrix24.com", "install", 1.0),
         ("m2", "tok-user", None, "user", 2.0)],
    )  # fmt: skip
    conn.close()
    store = EventStore(path)
    assert sorted(store.senders(), key=lambda s: s.member_id) == [
        Sender("m1", "tok-install", "learned from install"),
        Sender("m2", "tok-user", "entered by you"),
    ]
    store.add_sender(Sender("m1", "tok-install", "dev"))
    store.add_sender(Sender("m1", "tok-other", "staging"))
    assert {s.token: s.label for s in store.senders() if s.member_id == "m1"} == {
        "tok-install": "dev", "tok-other": "staging"
    }  # fmt: skip
    store.close()
