"""Event handler registrations of the sandbox app (the portal's `b_rest_event` rows, spec §2.2–2.4).

Simplified: one application per portal, so every registration belongs to it; outgoing webhooks
created in the portal UI are not modelled. Like the portal, saving the app with an "initial
installation path" registers an ordinary ONAPPINSTALL row at that URL (listed by event.get,
removable by event.unbind, updated in place when the path is edited); installs are delivered
through it, so they carry its event_handler_id (spec §1.1, §1.4, §5.2).
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

    def key(self) -> tuple[str, str, int, bool, str]:
        """What makes two registrations identical ("Handler already binded", spec §2.2)."""
        return (self.event, self.handler, self.auth_type, self.offline, self.connector)


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
        self._install_id: int | None = None  # the row the portal made for the install path

    def register_install(self, url: str) -> Binding:
        """The portal saving the app's installation path: add its ONAPPINSTALL row, or point
        the existing one at `url` (same ID, like an edited `b_rest_event` row)."""
        for i, b in enumerate(self._bindings):
            if b.id == self._install_id:
                self._bindings[i] = Binding(b.id, INSTALL_EVENT, url, 0)
                return self._bindings[i]
        binding = Binding(self._next_id, INSTALL_EVENT, url, 0)
        same = [b for b in self._bindings if b.key() == binding.key()]
        if same:  # the app bound ONAPPINSTALL there itself: that row serves
            self._install_id = same[0].id
            return same[0]
        self._next_id += 1
        self._install_id = binding.id
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
    ) -> Binding:
        """Add a registration; an identical one already present is an ERROR_CORE (spec §2.2)."""
        binding = Binding(self._next_id, event, handler, auth_type, offline, connector, min_timeout)
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
    ) -> int:
        """Remove matching registrations and say how many went (spec §2.3)."""

        def matches(b: Binding) -> bool:
            if b.event != event or b.offline != offline:
                return False
            if offline:
                return b.connector == connector
            return b.handler == handler and (auth_type is None or b.auth_type == auth_type)

        kept = [b for b in self._bindings if not matches(b)]
        removed = len(self._bindings) - len(kept)
        self._bindings = kept
        return removed

    def all(self) -> list[Binding]:
        """Every registration."""
        return list(self._bindings)

    def online(self, event: str) -> list[Binding]:
        """Registrations that POST this event to a handler."""
        return [b for b in self._bindings if b.event == event and not b.offline]

    def offline(self, event: str) -> list[Binding]:
        """Registrations that queue this event offline."""
        return [b for b in self._bindings if b.event == event and b.offline]

    def bound_events(self) -> set[str]:
        """Codes with at least one registration of either kind."""
        return {b.event for b in self._bindings}

    def clear(self) -> None:
        """Drop every registration (app reinstalled or updated, spec §2.0)."""
        self._bindings.clear()
