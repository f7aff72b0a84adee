"""Event handler registrations of the sandbox app (the portal's `b_rest_event` rows, spec §2.2–2.4).

Every registration has an owner: the client_id of the app that bound it, or an outgoing
webhook made in the portal UI ("webhook:N"); each app sees and changes only its own (spec §2.4),
and each owner's deliveries carry its own application_token (spec §4). Like the portal, saving
an app with an "initial installation path" registers an ordinary ONAPPINSTALL row of that app at
that URL (listed by event.get, removable by event.unbind, updated in place when the path is
edited); installs are delivered through it, so they carry its event_handler_id (spec §1.1,
§1.4, §5.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from b24monitor.sandbox.api_errors import ApiError

INSTALL_EVENT = "ONAPPINSTALL"
DEFAULT_MIN_TIMEOUT = 1
"""ONOFFLINEEVENT's throttle when the binding sets no options[minTimeout] (spec §3.4)."""

_LOOPBACK_HOSTS = frozenset({"localhost", "::1"})


@dataclass(frozen=True, slots=True)
class Binding:
    """One registration; `id` is what deliveries carry as event_handler_id."""

    id: int
    event: str
    handler: str  # "" for offline registrations
    auth_type: int  # 0 = the user who triggered the event
    offline: bool = False
    connector: str = ""
    min_timeout: int = DEFAULT_MIN_TIMEOUT
    owner: str = ""  # the app's client_id, or "webhook:N"

    def row(self) -> dict[str, Any]:
        """The registration as event.get lists it (spec §2.4; IDs are not shown)."""
        if self.offline:
            return {"event": self.event, "connector_id": self.connector, "offline": 1}
        return {
            "event": self.event,
            "handler": self.handler,
            "auth_type": str(self.auth_type),
            "offline": 0,
        }

    def key(self) -> tuple[str, str, int, bool, str, str]:
        """What makes two registrations identical ("Handler already binded", spec §2.2)."""
        return (self.event, self.handler, self.auth_type, self.offline, self.connector, self.owner)


def validate_handler_url(url: str) -> None:
    """Refuse what the core refuses: non-http(s) schemes, unparsable URLs, hosts without a dot.

    Sandbox relaxation: `localhost` and `[::1]` are accepted, like every loopback address. Real
    Bitrix24 refuses localhost, LAN addresses and self-signed certificates (spec §1.1); there a
    public tunnel URL is needed.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        raise ApiError(400, "ERROR_WRONG_HANDLER_URL", "Wrong handler URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ApiError(400, "ERROR_UNSUPPORTED_PROTOCOL", "Unsupported handler protocol")
    if not host or ("." not in host and host not in _LOOPBACK_HOSTS):
        raise ApiError(400, "ERROR_WRONG_HANDLER_URL", "Wrong handler URL")


class EventRegistry:
    """The app's registrations, in the order they were made."""

    def __init__(self) -> None:
        self._bindings: list[Binding] = []
        self._next_id = 1
        self._install_ids: dict[str, int] = {}  # owner → the row made for its install path

    def register_install(self, url: str, owner: str = "") -> Binding:
        """The portal saving an app's installation path: add its ONAPPINSTALL row, or point
        the existing one at `url` (same ID, like an edited `b_rest_event` row)."""
        for i, b in enumerate(self._bindings):
            if b.id == self._install_ids.get(owner):
                self._bindings[i] = Binding(b.id, INSTALL_EVENT, url, 0, owner=owner)
                return self._bindings[i]
        binding = Binding(self._next_id, INSTALL_EVENT, url, 0, owner=owner)
        same = [b for b in self._bindings if b.key() == binding.key()]
        if same:  # the app bound ONAPPINSTALL there itself: that row serves
            self._install_ids[owner] = same[0].id
            return same[0]
        self._next_id += 1
        self._install_ids[owner] = binding.id
        self._bindings.append(binding)
        return binding

    def bind(
        self,
        event: str,
        *,
        handler: str = "",
        auth_type: int = 0,
        offline: bool = False,
        connector: str = "",
        min_timeout: int = DEFAULT_MIN_TIMEOUT,
        owner: str = "",
    ) -> Binding:
        """Add a registration; an identical one already present is an ERROR_CORE (spec §2.2)."""
        binding = Binding(
            self._next_id, event, handler, auth_type, offline, connector, min_timeout, owner
        )
        if any(b.key() == binding.key() for b in self._bindings):
            text = "Unable to set event handler: Handler already binded"
            raise ApiError(400, "ERROR_CORE", text)
        self._next_id += 1
        self._bindings.append(binding)
        return binding

    def unbind(
        self,
        event: str,
        *,
        offline: bool,
        handler: str = "",
        connector: str = "",
        auth_type: int | None = None,
        owner: str = "",
    ) -> int:
        """Remove matching registrations of `owner` and say how many went (spec §2.3)."""

        def matches(b: Binding) -> bool:
            if b.event != event or b.offline != offline or b.owner != owner:
                return False
            if offline:
                return b.connector == connector
            return b.handler == handler and (auth_type is None or b.auth_type == auth_type)

        kept = [b for b in self._bindings if not matches(b)]
        removed = len(self._bindings) - len(kept)
        self._bindings = kept
        return removed

    def all(self, owner: str | None = None) -> list[Binding]:
        """Every registration (of `owner` when given)."""
        return [b for b in self._bindings if owner is None or b.owner == owner]

    def online(self, event: str) -> list[Binding]:
        """Registrations that POST this event to a handler."""
        return [b for b in self._bindings if b.event == event and not b.offline]

    def offline(self, event: str) -> list[Binding]:
        """Registrations that queue this event offline."""
        return [b for b in self._bindings if b.event == event and b.offline]

    def bound_events(self) -> set[str]:
        """Codes with at least one registration of either kind."""
        return {b.event for b in self._bindings}

    def clear(self, owner: str | None = None) -> None:
        """Drop the registrations of `owner` (None: all) — reinstalled or updated, spec §2.0."""
        self._bindings = [b for b in self._bindings if owner is not None and b.owner != owner]
