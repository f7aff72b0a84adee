"""The settings the Settings dialog edits, one spec each: key, widget, label, group, current value.

The dialog builds its widgets, lays them out, reads their values and compares them with the saved
ones from this table alone, so a new setting is one entry here (plus its typed getter in
settings_store.py), not four places in the dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from b24monitor.gui import settings_store as keys
from b24monitor.gui.i18n import QT_TRANSLATE_NOOP
from b24monitor.gui.settings_store import GuiSettings

Kind = Literal["spin", "text", "choice", "check", "secret"]
Group = Literal["general", "tunnel", "forward", "limits", "privacy"]
Value = str | int | bool
CONTEXT = "SettingsDialog"
REGIONS = ("", "us", "eu", "ap", "au", "sa", "jp", "in")


def _spaced(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """One setting: where it is saved, how it is edited and shown, and its saved value."""

    key: str  # the gui.ini key (NGROK_SECRET_KEY: the secret store's entry)
    name: str  # the dialog's attribute holding the widget
    label: str  # untranslated; the dialog translates it in CONTEXT
    group: Group
    kind: Kind
    read: Callable[[GuiSettings], Value]
    low: int = 0
    high: int = 0
    special: str = ""  # a spin box's text for its lowest value
    suffix: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (saved code, label); "" labels stay untranslated
    placeholder: str = ""
    tip: str = ""
    clean: Callable[[str], str] = str.strip  # how typed text is saved
    restart: bool = True  # read only at start-up: changing it needs a restart
    object_name: str = ""  # the editor's Qt object name, where one is needed


SPECS: tuple[SettingSpec, ...] = (
    SettingSpec(
        keys.LANGUAGE,
        "language",
        QT_TRANSLATE_NOOP("SettingsDialog", "Language:"),
        "general",
        "choice",
        lambda s: s.language,
        choices=(
            ("", QT_TRANSLATE_NOOP("SettingsDialog", "System language")),
            ("en", "English"),
            ("ru", "Русский"),
        ),
    ),
    SettingSpec(
        keys.PORT,
        "port",
        QT_TRANSLATE_NOOP("SettingsDialog", "Receiver port:"),
        "general",
        "spin",
        lambda s: s.port,
        high=65535,
        special=QT_TRANSLATE_NOOP("SettingsDialog", "any free port"),
    ),
    SettingSpec(
        keys.BODY_LIMIT_KB,
        "body_limit",
        QT_TRANSLATE_NOOP("SettingsDialog", "Largest body:"),
        "general",
        "spin",
        lambda s: s.body_limit_kb,
        low=16,
        high=1024 * 1024,
        suffix=" KB",
    ),
    SettingSpec(
        keys.KEEP_DAYS,
        "keep_days",
        QT_TRANSLATE_NOOP("SettingsDialog", "Keep events for (days):"),
        "general",
        "spin",
        lambda s: s.keep_days,
        high=100_000,
        special=QT_TRANSLATE_NOOP("SettingsDialog", "forever"),
    ),
    SettingSpec(
        keys.KEEP_ROWS,
        "keep_rows",
        QT_TRANSLATE_NOOP("SettingsDialog", "Keep at most (events):"),
        "general",
        "spin",
        lambda s: s.keep_rows,
        high=2_000_000_000,
        special=QT_TRANSLATE_NOOP("SettingsDialog", "no limit"),
    ),
    SettingSpec(
        keys.DELAY_THRESHOLD_S,
        "delay_threshold",
        QT_TRANSLATE_NOOP("SettingsDialog", "Flag a queue delay over:"),
        "general",
        "spin",
        lambda s: s.delay_threshold_s,
        low=1,
        high=86_400,
        suffix=" s",
        tip=QT_TRANSLATE_NOOP(
            "SettingsDialog",
            "Deliveries that reach you later than this after the change (received − ts) get "
            "the queue_delay check in the ⚠ column",
        ),
    ),
    SettingSpec(
        keys.TUNNEL_MODE,
        "tunnel",
        QT_TRANSLATE_NOOP("SettingsDialog", "Public route:"),
        "tunnel",
        "choice",
        lambda s: s.tunnel_mode,
        choices=(
            ("none", QT_TRANSLATE_NOOP("SettingsDialog", "None (local only)")),
            ("ngrok", "ngrok"),
            ("url", QT_TRANSLATE_NOOP("SettingsDialog", "My own public URL")),
        ),
    ),
    SettingSpec(
        keys.NGROK_SECRET_KEY,
        "authtoken",
        QT_TRANSLATE_NOOP("SettingsDialog", "ngrok authtoken:"),
        "tunnel",
        "secret",
        lambda s: s.ngrok_authtoken(),
        object_name="ngrokAuthtoken",
    ),
    SettingSpec(
        keys.NGROK_DOMAIN,
        "domain",
        QT_TRANSLATE_NOOP("SettingsDialog", "ngrok domain:"),
        "tunnel",
        "text",
        lambda s: s.ngrok_domain,
        placeholder=QT_TRANSLATE_NOOP("SettingsDialog", "optional: your reserved domain"),
    ),
    SettingSpec(
        keys.NGROK_REGION,
        "region",
        QT_TRANSLATE_NOOP("SettingsDialog", "ngrok region:"),
        "tunnel",
        "choice",
        lambda s: s.ngrok_region,
        choices=tuple(
            (code, code or QT_TRANSLATE_NOOP("SettingsDialog", "automatic")) for code in REGIONS
        ),
        tip=QT_TRANSLATE_NOOP(
            "SettingsDialog",
            "Deprecated and rarely useful: the ngrok agent picks the nearest region by itself "
            "and the public URL is reachable worldwide either way. Leave it on automatic.",
        ),
    ),
    SettingSpec(
        keys.PUBLIC_URL,
        "public_url",
        QT_TRANSLATE_NOOP("SettingsDialog", "Own public URL:"),
        "tunnel",
        "text",
        lambda s: s.public_url,
        placeholder="https://hooks.example.com",
    ),
    SettingSpec(
        keys.FORWARD_TO,
        "forward_to",
        QT_TRANSLATE_NOOP("SettingsDialog", "Forward events to:"),
        "forward",
        "text",
        lambda s: s.forward_to,
        clean=_spaced,
        object_name="forwardTo",
        placeholder="http://localhost:8000/  ONCRMDEAL*=http://localhost:8000/deals",
        tip=QT_TRANSLATE_NOOP(
            "SettingsDialog",
            "A bare URL is the default target; PATTERN=URL sends matching events elsewhere",
        ),
    ),
    SettingSpec(
        keys.HOSTILE_PER_MINUTE,
        "hostile_per_minute",
        QT_TRANSLATE_NOOP("SettingsDialog", "Keep rejected bodies, per minute:"),
        "limits",
        "spin",
        lambda s: s.hostile_per_minute,
        high=keys.LIMIT_HIGH,
        tip=QT_TRANSLATE_NOOP(
            "SettingsDialog",
            "Bodies of forged, malformed and oversize requests; past the budget only their "
            "details are kept. Verified deliveries are never limited",
        ),
    ),
    SettingSpec(
        keys.HOSTILE_TOTAL_MB,
        "hostile_total_mb",
        QT_TRANSLATE_NOOP("SettingsDialog", "Keep rejected bodies, in all:"),
        "limits",
        "spin",
        lambda s: s.hostile_total_mb,
        high=keys.LIMIT_HIGH,
        suffix=" MB",
    ),
    SettingSpec(
        keys.DISK_WARN_MIB,
        "disk_warn",
        QT_TRANSLATE_NOOP("SettingsDialog", "Warn when free disk space is below:"),
        "limits",
        "spin",
        lambda s: s.disk_warn_mib,
        high=keys.LIMIT_HIGH,
        suffix=" MiB",
    ),
    SettingSpec(
        keys.DISK_FLOOR_MIB,
        "disk_floor",
        QT_TRANSLATE_NOOP("SettingsDialog", "Store only verified deliveries below:"),
        "limits",
        "spin",
        lambda s: s.disk_floor_mib,
        high=keys.LIMIT_HIGH,
        suffix=" MiB",
        tip=QT_TRANSLATE_NOOP(
            "SettingsDialog",
            "With less free space than this, everything else is answered 503 and not stored",
        ),
    ),
    SettingSpec(
        keys.MASK_DEFAULT,
        "masking",
        QT_TRANSLATE_NOOP("SettingsDialog", "Mask tokens by default (detail, copies, exports)"),
        "privacy",
        "check",
        lambda s: s.mask_by_default,
        restart=False,
    ),
    SettingSpec(
        keys.NOTIFY,
        "notify",
        QT_TRANSLATE_NOOP("SettingsDialog", "Tray notification when an event matches:"),
        "privacy",
        "check",
        lambda s: s.notify,
        restart=False,
    ),
    SettingSpec(
        keys.CLOSE_ASK,
        "close_ask",
        QT_TRANSLATE_NOOP("SettingsDialog", "Ask whether to keep capturing when the window closes"),
        "privacy",
        "check",
        lambda s: s.close_action == "ask",
        restart=False,
        object_name="closeAsk",
    ),
)
