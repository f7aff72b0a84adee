"""The engine's JSON news, decoded by an attached window, is the object the engine emitted."""

from __future__ import annotations

import json
from typing import Any

from b24monitor.core.receiver_stats import ReceiverStats
from b24monitor.core.replay import Attempt
from b24monitor.core.subscriptions import ReconcileReport, SubscriptionRow
from b24monitor.core.traffic_patterns import Alert
from b24monitor.services import remote_wire as wire
from b24monitor.services.engine_state import alert_message, attempt_message, to_json
from b24monitor.services.tunnel_settings import TunnelState, TunnelUsage


def over_the_wire(message: dict[str, Any]) -> dict[str, Any]:
    decoded = json.loads(to_json(message))
    assert isinstance(decoded, dict)
    return decoded


def test_a_subscriptions_notice_brings_its_report_back() -> None:
    report = ReconcileReport(
        rows=(
            SubscriptionRow("ONCRMDEALADD", "online", "bound", handler="https://x/h"),
            SubscriptionRow("ONAPPINSTALL", "online", "foreign", "theirs", "https://y", "install"),
            SubscriptionRow("ONTASKADD", "offline", "error", "ACCESS_DENIED: no scope"),
        ),
        handler_url="https://x/h",
        calls=2,
    )
    line = over_the_wire({"type": "notice", "notice": {"type": "subscriptions", "report": report}})
    notice = wire.notice(line["notice"])
    assert notice["type"] == "subscriptions" and notice["report"] == report
    assert notice["report"].install_handler == "https://y"


def test_attempts_alerts_and_tunnel_states_come_back_equal() -> None:
    attempt = Attempt(7, "replay", "http://localhost:8000/", "token-stripped", 1700000000.5,
                      502, 12.5, error="bad gateway", replay_of=3, id=11)  # fmt: skip
    back = wire.attempt(over_the_wire(attempt_message(attempt)))
    assert back.event_id == 7 and back.kind == "replay" and back.variant == "token-stripped"
    assert (back.status, back.latency_ms, back.error, back.replay_of, back.id) == (
        502, 12.5, "bad gateway", 3, 11
    )  # fmt: skip
    assert back.started_at == 1700000000.5

    alert = Alert("loop", "ONCRMDEALUPDATE", 9, "3187", (1, 2, 3), reason="our own update")
    assert wire.alert(over_the_wire(alert_message(alert))) == alert
    storm = Alert("storm", "ONTASKADD", 500, seconds=12.5, peak_rate=80.0)
    assert wire.alert(over_the_wire(alert_message(storm))) == storm

    usage = TunnelUsage("2026-12", 40, 1200, 1700000000.0, "3.19.0", "/usr/bin/ngrok")
    state = TunnelState("reachable", "https://a.ngrok.app", warning="quota near", usage=usage)
    line = over_the_wire({"type": "tunnel", "state": "reachable", "public_url": state.public_url,
                          "reason": None, "warning": state.warning, "usage": usage})  # fmt: skip
    back_state = wire.tunnel_state(line)
    assert back_state == state and back_state.usage == usage
    assert wire.tunnel_state(None) == TunnelState("stopped")


def test_receiver_counters_and_unknown_fields() -> None:
    stats = ReceiverStats(aborted=1, refused=2, timeouts=3, disk="low", free_bytes=10)
    assert wire.receiver_stats(over_the_wire({"r": stats})["r"]) == stats
    assert wire.receiver_stats("nonsense") == ReceiverStats()
    assert wire.reconcile_report({"rows": [{"nope": 1}], "calls": "x"}) == ReconcileReport()
