"""The engine's state and news as JSON: one shape for `listen --json` and the control channel.

`tunnel_record` is the `tunnel` line `listen --json` prints; `engine_state` is the control
channel's hello (and `status` result): everything a window needs to draw its status bar.
`to_json` encodes what the session's signals carry (dataclasses such as a ReconcileReport
inside a `subscriptions` notice, tuples, paths) as plain JSON.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from b24monitor.core.replay import Attempt, attempt_record
from b24monitor.core.traffic_patterns import Alert

if TYPE_CHECKING:
    from b24monitor.services.session import Session
    from b24monitor.services.tunnel import TunnelState


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)  # news must reach the clients even when a notice grows a new object


def to_json(message: dict[str, Any]) -> str:
    """One line of JSON (no newline); other objects become their plain form (or their str)."""
    return json.dumps(message, ensure_ascii=False, default=_plain, separators=(",", ":"))


def tunnel_record(session: Session, state: TunnelState) -> dict[str, Any]:
    """The `{"type":"tunnel",…}` line: state, URLs, reason, warning, usage, app-settings stale."""
    handler_url = state.public_url + session.handler_path if state.public_url else None
    # The app's saved URL in the portal does not follow the tunnel (spec §1.1).
    stale = session.portal is not None and session.portal.app_settings_stale(handler_url)
    return {
        "type": "tunnel",
        "state": state.state,
        "public_url": state.public_url,
        "handler_url": handler_url,
        "reason": state.reason,
        "warning": state.warning,
        "usage": dataclasses.asdict(state.usage) if state.usage else None,
        "app_settings_stale": stale,
    }


def attempt_message(attempt: Attempt) -> dict[str, Any]:
    """A forward attempt: `listen --json`'s `forward` line, typed `attempt`, plus its start."""
    return {"type": "attempt", **attempt_record(attempt), "started_at": attempt.started_at}


def alert_message(alert: Alert) -> dict[str, Any]:
    """`listen --json`'s alert line plus every field of the Alert, so a client can rebuild it."""
    return {**dataclasses.asdict(alert), **alert.record()}


def engine_state(session: Session) -> dict[str, Any]:
    """The hello: who runs the engine, where it receives, tunnel, portal, guard, counters."""
    lock = session.engine_lock
    portal = session.portal
    tunnel = {k: v for k, v in tunnel_record(session, session.tunnel_state).items() if k != "type"}
    capture = session.capture
    counters = capture.stats() if capture is not None else session.last_stats
    return {
        "type": "hello",
        "pid": os.getpid(),
        "command": lock.owner.command if lock is not None else None,
        "started": lock.owner.started if lock is not None else None,  # wall time
        "data_dir": str(session.config.data_dir),
        "db_path": str(session.db_path),
        "local_url": session.local_url,
        "handler_url": session.handler_url,
        "handler_path": session.handler_path,
        "public_url": session.public_url,
        "tunnel": tunnel,
        "portal": portal.profile_name if portal is not None else None,
        "forward": _forward(session),
        "guard": _guard(session),
        # The counters plus stray hits (requests outside the handler path) for the status bar.
        "receiver": dataclasses.asdict(counters) | {"stray_hits": _stray_hits(session)},
        "subscriptions": portal.report if portal is not None else None,
    }


def _stray_hits(session: Session) -> int:
    capture = session.capture
    return capture.stray_hits if capture is not None else 0


def _forward(session: Session) -> list[dict[str, str | None]] | None:
    """The forward routes, first match wins: [{"pattern": glob or None (default), "url"}]."""
    routes = session.config.forward
    if routes is None:
        return None
    rules: list[dict[str, str | None]] = [{"pattern": p, "url": u} for p, u in routes.rules]
    if routes.default is not None:
        rules.append({"pattern": None, "url": routes.default})
    return rules


def _guard(session: Session) -> dict[str, Any] | None:
    """Safety net on/off, the canary's health and its last round trips (sent at, ms or None)."""
    guard = session.guard
    if guard is None:
        return None
    health = guard.canary.health if guard.canary is not None else None
    return {
        "safety_net": guard.safety_net is not None,
        "health": health.notice() if health is not None else None,
        "last_trips": [list(trip) for trip in guard.last_trips()],
    }
