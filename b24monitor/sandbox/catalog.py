"""The sandbox portal's event catalog: codes, their scopes, and which events carry which tokens.

The list is the app's own shipped catalog (core/catalog.py, built from the spec's
`event-codes.txt`, spec §6), so the simulated portal and the monitor never disagree. Template rows
such as `ONCRMDYNAMICITEMADD_{entityTypeId}` are expanded for the portal's smart-process types,
the way the real `events` method lists `ONCRMDYNAMICITEMADD_1032` (spec §2.1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from b24monitor.core.catalog import Catalog

GLOBAL_SCOPE = "basic"
"""Events of this scope are always available to an app (spec §6: `basic` = global)."""

SEND_REFRESH_TOKEN = frozenset({"ONAPPINSTALL", "ONAPPUPDATE", "ONAPPTEST", "ONOFFLINEEVENT"})
"""Events the core flags "send refresh token" (spec §1.4, §7.4); calendar events are added below."""

NO_AUTH_EVENTS = frozenset({"ONAPPUNINSTALL", "ONAPPMETHODCONFIRM"})
"""Events declared "no auth": never any tokens, whatever the binding says (spec §1.4)."""

DYNAMIC_EVENTS = ("ONCRMDYNAMICITEMADD", "ONCRMDYNAMICITEMUPDATE", "ONCRMDYNAMICITEMDELETE")

DEFAULT_SMART_PROCESSES = {1032: "Проекты"}
"""Smart-process types the sandbox portal has: entityTypeId → title."""

_TEMPLATE = "_{entityTypeId}"


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One event code the portal knows."""

    scope: str
    code: str
    description: str


class EventCatalog:
    """Every event code of the portal, looked up by code or scope."""

    def __init__(self, entries: Iterable[CatalogEntry]) -> None:
        self._entries = {entry.code: entry for entry in entries}

    @classmethod
    def load(cls, smart_process_types: Iterable[int] = DEFAULT_SMART_PROCESSES) -> EventCatalog:
        """Read the shipped catalog and expand smart-process variants for the given type IDs."""
        types = sorted(smart_process_types)
        entries: list[CatalogEntry] = []
        for shipped in Catalog.load():
            scope, code, description = shipped.scope, shipped.code, shipped.description_en
            if code.endswith(_TEMPLATE):
                base = code.removesuffix(_TEMPLATE)
                entries += [CatalogEntry(scope, f"{base}_{t}", description) for t in types]
            else:
                entries.append(CatalogEntry(scope, code, description))
        return cls(entries)

    def get(self, code: str) -> CatalogEntry | None:
        """The entry for an event code in any case, or None."""
        return self._entries.get(code.upper())

    def codes(self, scopes: Iterable[str] | None = None) -> list[str]:
        """Codes of the given scopes (all codes when None), in catalog order."""
        if scopes is None:
            return list(self._entries)
        wanted = set(scopes)
        return [e.code for e in self._entries.values() if e.scope in wanted]

    def available(self, code: str, granted_scopes: Iterable[str]) -> bool:
        """Whether an app with these scopes may bind the event (spec §2.0: else event not found)."""
        entry = self.get(code)
        return entry is not None and (entry.scope == GLOBAL_SCOPE or entry.scope in granted_scopes)


def sends_refresh_token(code: str) -> bool:
    """Whether deliveries of this event include `refresh_token` (core flags, spec §1.4)."""
    return code in SEND_REFRESH_TOKEN or code.startswith("ONCALENDAR")


def dynamic_variant(code: str, data: object) -> str | None:
    """The type-specific code for a smart-process event (`ONCRMDYNAMICITEMADD_1032`), if any.

    [inferred] The portal fires the generic and the type-specific event for one change; each
    binding receives its own code in `event` (spec §6 special cases).
    """
    if code not in DYNAMIC_EVENTS or not isinstance(data, dict):
        return None
    fields = data.get("FIELDS")
    type_id = fields.get("ENTITY_TYPE_ID") if isinstance(fields, dict) else None
    return f"{code}_{type_id}" if type_id not in (None, "") else None
