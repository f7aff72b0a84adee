"""The engine's JSON messages turned back into the session's own types, for an attached window.

The control channel (services/control_server.py) sends each Session signal as one JSON object:
tunnel states, notices, forward attempts and alerts, in the shapes `listen --json` prints where
one exists. An attached window's panes expect the very objects an in-process Session emits
(a TunnelState, an Attempt, an Alert, a notice whose "subscriptions" report is a
ReconcileReport), so each message is rebuilt here; a field the engine leaves out takes the
type's default, so an older or newer engine still draws.
"""

from __future__ import annotations

from typing import Any, cast

from b24monitor.core.receiver_stats import ReceiverStats
from b24monitor.core.replay import Attempt, Kind
from b24monitor.core.subscriptions import ReconcileReport, SubscriptionRow
from b24monitor.core.traffic_patterns import Alert
from b24monitor.services.portal_link import Notice
from b24monitor.services.tunnel_settings import TunnelState, TunnelUsage

_TUNNEL_STATES = ("starting", "reachable", "unreachable", "failed", "stopped")


def tunnel_state(data: Any) -> TunnelState:
    """A TunnelState from its JSON (a `tunnel` message or the hello's `tunnel`)."""
    if not isinstance(data, dict):
        return TunnelState("stopped")
    state = data.get("state")
    usage = data.get("usage")
    return TunnelState(
        cast(Any, state if state in _TUNNEL_STATES else "stopped"),
        public_url=_text(data.get("public_url")),
        reason=_text(data.get("reason")),
        warning=_text(data.get("warning")),
        usage=_usage(usage) if isinstance(usage, dict) else None,
    )


def _usage(data: dict[str, Any]) -> TunnelUsage | None:
    try:
        return TunnelUsage(
            month=str(data.get("month", "")),
            own_requests=int(data.get("own_requests", 0)),
            deliveries=int(data.get("deliveries", 0)),
            last_proof=_float(data.get("last_proof")),
            agent_version=_text(data.get("agent_version")),
            agent_path=_text(data.get("agent_path")),
        )
    except (TypeError, ValueError):
        return None


def notice(data: Any) -> Notice:
    """A portal or guard notice (the `notice` message's "notice"); its "subscriptions" report
    becomes a ReconcileReport again."""
    result: Notice = dict(data) if isinstance(data, dict) else {"type": "unknown"}
    report = result.get("report")
    if result.get("type") == "subscriptions" and not isinstance(report, ReconcileReport):
        result["report"] = reconcile_report(report)
    return result


def reconcile_report(data: Any) -> ReconcileReport:
    """A ReconcileReport from its JSON (rows of event, mode, state, detail, handler, role)."""
    if not isinstance(data, dict):
        return ReconcileReport()
    rows = []
    for row in data.get("rows") or ():
        if isinstance(row, dict) and row.get("event"):
            rows.append(
                SubscriptionRow(
                    event=str(row["event"]),
                    mode=cast(Any, "offline" if row.get("mode") == "offline" else "online"),
                    state=cast(Any, str(row.get("state", "pending"))),
                    detail=str(row.get("detail") or ""),
                    handler=str(row.get("handler") or ""),
                    role=str(row.get("role") or ""),
                )
            )
    calls = data.get("calls")
    return ReconcileReport(
        rows=tuple(rows),
        handler_url=_text(data.get("handler_url")),
        calls=calls if isinstance(calls, int) else 0,
    )


def attempt(data: dict[str, Any]) -> Attempt:
    """A forward attempt as `listen --json` prints it (core/replay.py attempt_record)."""
    kind: Kind = "replay" if data.get("kind") == "replay" else "forward"
    variant = data.get("variant")
    return Attempt(
        event_id=int(data.get("event_id") or 0),
        kind=kind,
        target=str(data.get("target") or ""),
        variant=cast(Any, variant if variant in ("token-stripped", "edited") else "as-recorded"),
        started_at=_float(data.get("started_at")) or 0.0,
        status=data.get("status") if isinstance(data.get("status"), int) else None,
        latency_ms=_float(data.get("latency_ms")),
        truncated=bool(data.get("truncated")),
        error=_text(data.get("error")),
        replay_of=data.get("replay_of") if isinstance(data.get("replay_of"), int) else None,
        id=data.get("id") if isinstance(data.get("id"), int) else None,
    )


def alert(data: dict[str, Any]) -> Alert:
    """A loop or storm as `listen --json` prints it (core/traffic_patterns.py Alert.record)."""
    return Alert(
        kind="storm" if data.get("kind") == "storm" else "loop",
        event=str(data.get("event") or ""),
        count=int(data.get("count") or 0),
        entity_id=_text(data.get("entity_id")),
        event_ids=tuple(int(i) for i in data.get("event_ids") or () if isinstance(i, int)),
        seconds=_float(data.get("seconds")) or 0.0,
        peak_rate=_float(data.get("peak_rate")) or 0.0,
        reason=str(data.get("reason") or ""),
    )


def receiver_stats(data: Any) -> ReceiverStats:
    """The receiver's counters from the hello's or a status reply's `receiver`."""
    if not isinstance(data, dict):
        return ReceiverStats()
    disk = data.get("disk")
    counts = {
        name: int(data[name])
        for name in ("aborted", "refused", "timeouts", "bodies_not_kept", "refused_low_disk")
        if isinstance(data.get(name), int)
    }
    return ReceiverStats(
        **counts,
        disk=cast(Any, disk) if isinstance(disk, str) else "ok",
        free_bytes=data.get("free_bytes") if isinstance(data.get("free_bytes"), int) else None,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
