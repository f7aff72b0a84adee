"""GuiSettings: the desktop app's settings as typed values over QSettings, and what they build.

Most settings live in the data dir's `gui.ini` (app.py `open_settings`), so two data dirs never
share a port or a tunnel. Two things cannot: the data dir itself (kept in the user's config
folder, `b24monitor/b24monitor.ini`) and the ngrok authtoken, a secret (the secret store's
"@ngrok" entry, the same one `b24monitor tunnel authtoken` writes).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Literal, cast

from PySide6.QtCore import QSettings

from b24monitor.core.budget import StoreLimits
from b24monitor.core.errors import ProfileError, UsageError
from b24monitor.core.findings import DEFAULT_DELAY_THRESHOLD_S
from b24monitor.core.replay import Routes, parse_routes
from b24monitor.services.capture_guard import GuardSettings
from b24monitor.services.config import (
    DEFAULT_DISK_FLOOR_MIB,
    DEFAULT_DISK_WARN_MIB,
    DEFAULT_HOSTILE_TOTAL_MB,
    build_config,
    store_limits,
)
from b24monitor.services.profiles import ProfileStore
from b24monitor.services.secrets import SecretStore, open_secret_store
from b24monitor.services.session import SessionConfig
from b24monitor.services.tunnel import TunnelSettings

TunnelMode = Literal["ngrok", "url", "none"]
NGROK_SECRET_KEY = "@ngrok"  # shared with `b24monitor tunnel authtoken`
DATA_DIR_KEY = "data_dir"
DEFAULT_BODY_LIMIT_KB = 1024

# The keys of gui.ini (what the Settings dialog edits is listed in setting_specs.py).
PORT = "receiver/port"
BODY_LIMIT_KB = "receiver/body_limit_kb"
KEEP_DAYS = "retention/keep_days"
KEEP_ROWS = "retention/keep_rows"
DELAY_THRESHOLD_S = "findings/delay_threshold_s"  # the queue-delay finding (issue 12)
TUNNEL_MODE = "tunnel/mode"
NGROK_DOMAIN = "tunnel/ngrok_domain"
NGROK_REGION = "tunnel/ngrok_region"
PUBLIC_URL = "tunnel/public_url"
MASK_DEFAULT = "privacy/mask_by_default"
NOTIFY = "notify/enabled"
NOTIFY_FILTERS = "notify/filters"
LANGUAGE = "ui/language"
PORTAL = "portal/current"
FORWARD_TO = "forward/routes"  # `--forward-to` specs, space separated
# Issue 15: the budget for rejected/malformed bodies and the disk guard (listen's flags).
HOSTILE_PER_MINUTE = "limits/hostile_per_minute"
HOSTILE_TOTAL_MB = "limits/hostile_total_mb"
DISK_WARN_MIB = "limits/disk_warn_mib"
DISK_FLOOR_MIB = "limits/disk_floor_mib"
LIMIT_HIGH = 10_000_000  # the largest value Settings accepts for each of them
CLOSE_ASK = "window/close_ask"  # ask "stop or keep capturing?" when the window closes
CLOSE_ACTION = "window/close_action"  # the remembered answer: "keep" or "stop"


def user_settings() -> QSettings:
    """The settings outside any data dir (the data dir itself), in the user's config folder."""
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, "b24monitor", "b24monitor"
    )


def preferred_data_dir(settings: QSettings | None = None) -> Path | None:
    """The data dir chosen in Settings, or None to use the default one."""
    value = str((settings or user_settings()).value(DATA_DIR_KEY, "") or "")
    return Path(value).expanduser() if value.strip() else None


def set_preferred_data_dir(path: Path | None, settings: QSettings | None = None) -> None:
    store = settings or user_settings()
    store.setValue(DATA_DIR_KEY, str(path) if path is not None else "")
    store.sync()


class GuiSettings:
    """Typed access to one data dir's gui.ini; every getter has a safe default."""

    def __init__(self, settings: QSettings, secrets: SecretStore | None = None) -> None:
        self.qsettings = settings
        self._secrets = secrets

    # -- plain values ---------------------------------------------------------------------------

    def _int(self, key: str, default: int, low: int, high: int) -> int:
        try:
            value = int(str(self.qsettings.value(key, default)))
        except ValueError:
            return default
        return value if low <= value <= high else default

    def _str(self, key: str, default: str = "") -> str:
        value = self.qsettings.value(key, default)
        return str(value).strip() if value is not None else default

    def _bool(self, key: str, default: bool) -> bool:
        value = str(self.qsettings.value(key, "1" if default else "0")).lower()
        return value in ("1", "true", "yes")

    def set(self, key: str, value: str | int | bool) -> None:
        self.qsettings.setValue(key, ("1" if value else "0") if isinstance(value, bool) else value)

    @property
    def port(self) -> int:
        return self._int(PORT, 0, 0, 65535)

    @property
    def body_limit_kb(self) -> int:
        return self._int(BODY_LIMIT_KB, DEFAULT_BODY_LIMIT_KB, 16, 1024 * 1024)

    @property
    def keep_days(self) -> int:
        """0 = keep forever."""
        return self._int(KEEP_DAYS, 0, 0, 100_000)

    @property
    def keep_rows(self) -> int:
        """0 = no row limit."""
        return self._int(KEEP_ROWS, 0, 0, 10**12)

    @property
    def delay_threshold_s(self) -> int:
        """Queue delays (received − ts) above this many seconds get the queue_delay finding."""
        return self._int(DELAY_THRESHOLD_S, int(DEFAULT_DELAY_THRESHOLD_S), 1, 86_400)

    @property
    def hostile_per_minute(self) -> int:
        return self._int(HOSTILE_PER_MINUTE, StoreLimits().hostile_per_minute, 0, LIMIT_HIGH)

    @property
    def hostile_total_mb(self) -> int:
        return self._int(HOSTILE_TOTAL_MB, round(DEFAULT_HOSTILE_TOTAL_MB), 0, LIMIT_HIGH)

    @property
    def disk_warn_mib(self) -> int:
        return self._int(DISK_WARN_MIB, round(DEFAULT_DISK_WARN_MIB), 0, LIMIT_HIGH)

    @property
    def disk_floor_mib(self) -> int:
        return self._int(DISK_FLOOR_MIB, round(DEFAULT_DISK_FLOOR_MIB), 0, LIMIT_HIGH)

    def store_limits(self) -> StoreLimits:
        """The budget and disk guard as saved (UsageError: a warning level below the floor)."""
        return store_limits(
            self.hostile_per_minute, self.hostile_total_mb, self.disk_warn_mib, self.disk_floor_mib
        )

    @property
    def tunnel_mode(self) -> TunnelMode:
        mode = self._str(TUNNEL_MODE, "")
        if mode in ("ngrok", "url", "none"):
            return cast(TunnelMode, mode)
        # Never chosen: ngrok when a token is stored (as `b24monitor listen` does), else none.
        return "ngrok" if self.ngrok_authtoken() else "none"

    @property
    def ngrok_domain(self) -> str:
        return self._str(NGROK_DOMAIN)

    @property
    def ngrok_region(self) -> str:
        return self._str(NGROK_REGION)

    @property
    def public_url(self) -> str:
        return self._str(PUBLIC_URL)

    @property
    def mask_by_default(self) -> bool:
        return self._bool(MASK_DEFAULT, True)

    @property
    def notify(self) -> bool:
        return self._bool(NOTIFY, False)

    @property
    def notify_filters(self) -> list[str]:
        """Names of saved filters whose matches raise a tray notification."""
        try:
            names = json.loads(self._str(NOTIFY_FILTERS, "[]") or "[]")
        except ValueError:
            return []
        return [str(n) for n in names] if isinstance(names, list) else []

    def set_notify_filters(self, names: list[str]) -> None:
        self.qsettings.setValue(NOTIFY_FILTERS, json.dumps(names, ensure_ascii=False))

    @property
    def close_action(self) -> Literal["ask", "keep", "stop"]:
        """What closing the window does: ask, keep capturing in the background, or stop."""
        if self._bool(CLOSE_ASK, True):
            return "ask"
        return "keep" if self._str(CLOSE_ACTION) == "keep" else "stop"

    def remember_close_action(self, action: Literal["keep", "stop"]) -> None:
        self.set(CLOSE_ACTION, action)
        self.set(CLOSE_ASK, False)

    @property
    def language(self) -> str:
        """ "" = the system's language, else "en" or "ru"."""
        value = self._str(LANGUAGE)
        return value if value in ("en", "ru") else ""

    @property
    def forward_to(self) -> str:
        """The forward target and routes as typed: `URL PATTERN=URL …` ("" = no forwarding)."""
        return self._str(FORWARD_TO)

    def forward_routes(self) -> Routes | None:
        """The parsed routes; None when forwarding is off (or the saved text no longer parses)."""
        specs = self.forward_to.split()
        if not specs:
            return None
        try:
            return parse_routes(specs)
        except UsageError:
            return None

    def last_portal(self, data_dir: Path) -> str | None:
        """The profile used last time, if it still exists."""
        name = self._str(PORTAL)
        if not name:
            return None
        try:
            ProfileStore(data_dir, self.secrets()).get(name)
        except ProfileError:
            return None
        return name

    # -- the secret -----------------------------------------------------------------------------

    def secrets(self) -> SecretStore:
        if self._secrets is None:
            self._secrets = open_secret_store()
        return self._secrets

    def ngrok_authtoken(self) -> str:
        return self.secrets().load(NGROK_SECRET_KEY).get("authtoken", "")

    def set_ngrok_authtoken(self, token: str) -> None:
        if token:
            self.secrets().save(NGROK_SECRET_KEY, {"authtoken": token})
        else:
            self.secrets().delete(NGROK_SECRET_KEY)

    # -- what the settings build ------------------------------------------------------------------

    def tunnel_settings(self) -> TunnelSettings:
        mode = self.tunnel_mode
        if mode != "ngrok":
            return TunnelSettings(mode="none")
        return TunnelSettings(
            mode="ngrok",
            authtoken=self.ngrok_authtoken() or None,
            domain=self.ngrok_domain or None,
            region=self.ngrok_region or None,
        )

    def session_config(self, data_dir: Path) -> SessionConfig:
        """Everything the Session needs from Settings (the own public URL included).

        Raises:
            UsageError: a saved value the Session cannot use (e.g. a public URL that is not
                http(s)); the message names it.
        """
        public = self.public_url if self.tunnel_mode == "url" and self.public_url else None
        config = build_config(
            data_dir,
            port=self.port,
            body_limit=self.body_limit_kb * 1024,
            public_url=public,
            keep_rows=self.keep_rows or None,  # 0 in Settings = no limit
            keep_days=self.keep_days or None,
            tunnel=self.tunnel_settings(),
            portal=self.last_portal(data_dir),
            forward=self.forward_routes(),
            engine="window",  # the data dir's engine lock names the window as its owner
            delay_threshold_s=float(self.delay_threshold_s),
            limits=self.store_limits(),
        )
        # "Catch missed events" is on for app profiles until the user turns it off.
        return replace(config, guard=GuardSettings(safety_net_default=True))
