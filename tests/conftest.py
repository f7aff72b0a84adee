"""Fixtures shared by every test: Bitrix24-shaped delivery bodies built the way PHP builds them."""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from typing import Any

import pytest

from b24monitor.core.phpform import build_form

# Tests never touch the developer's real keyring or ~/.config: secrets go to a 0600 file in a
# throwaway folder, for this process and every b24monitor subprocess a test starts. Tests of
# the keyring path pass their own backend explicitly.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="b24monitor-test-config-")

MEMBER_ID = "0c4f5e9a8b7d6c5e4f3a2b1c0d9e8f7a"
APP_TOKEN = "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"
DOMAIN = "acme.bitrix24.com"


def delivery(
    event: str = "ONCRMDEALUPDATE",
    data: dict[str, Any] | None = None,
    *,
    member_id: str = MEMBER_ID,
    token: str = APP_TOKEN,
    user_id: str | None = "1",
    ts: int = 1764338592,
    handler_id: str | None = "412",
) -> bytes:
    """A delivery body as Bitrix24 sends it (spec §1.4); user_id None = a robot, no tokens."""
    auth: dict[str, Any] = {
        "domain": DOMAIN,
        "client_endpoint": f"https://{DOMAIN}/rest/",
        "server_endpoint": "https://oauth.bitrix.info/rest/",
        "member_id": member_id,
        "application_token": token,
    }
    if user_id is not None:
        auth = {
            "access_token": "7d1b3a6a006d8c5f0071e2a400000001000007c4e0b9f1a2c3d4e5f60718293a",
            "expires": str(ts + 3600),
            "expires_in": "3600",
            "scope": "crm,task,user",
            **auth,
            "status": "L",
            "user_id": user_id,
        }
    body = {
        "event": event,
        "event_handler_id": handler_id,
        "data": {"FIELDS": {"ID": "3187"}} if data is None else data,
        "ts": str(ts),
        "auth": auth,
    }
    return build_form(body).encode()


@pytest.fixture
def make_delivery() -> Callable[..., bytes]:
    return delivery


class StatementLog:
    """Every SQL statement run on a connection opened while installed, with its thread."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, str]] = []  # (thread ident, statement)

    def __call__(self, statement: str) -> None:
        self.seen.append((threading.get_ident(), statement))

    @property
    def statements(self) -> list[str]:
        return [sql for _, sql in self.seen]

    def on(self, ident: int) -> list[str]:
        return [sql for thread, sql in self.seen if thread == ident]


@pytest.fixture
def sql_log(monkeypatch: pytest.MonkeyPatch) -> StatementLog:
    """Traces every SQLite connection opened from now on (sqlite3.connect wrapped to install a
    trace callback): what ran, and on which thread."""
    log = StatementLog()
    original = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = original(*args, **kwargs)
        conn.set_trace_callback(log)
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    return log
