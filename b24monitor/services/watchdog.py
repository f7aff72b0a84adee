"""The bindings watchdog: notice handlers that vanished from the portal and bind them again.

An app update or reinstall deletes the app's handlers without a word (spec §1.1, §2.0), and
Bitrix24 never resends what it could not deliver. Each check compares `event.get` with what
the profile wants (its twins included); when something is missing it runs the one reconcile
(services/subscriptions.py) and says which bindings came back and why.
"""

from __future__ import annotations

from collections.abc import Callable

from b24monitor.core import subscriptions as subs
from b24monitor.core.errors import PortalError
from b24monitor.services.portal_link import Notice, PortalLink

REASON = (
    "the portal lost these handlers (an app update or reinstall deletes them, spec §1.1); "
    "bound again"
)


async def check_bindings(link: PortalLink, notify: Callable[[Notice], None]) -> list[str]:
    """One watchdog look; returns the events that vanished (and were bound again)."""
    manager = link.subscriptions
    url = manager.handler_url if manager is not None else None
    if manager is None or url is None or not link.can_bind():
        return []
    had = {(r.event, r.mode) for r in link.report.rows if r.state in ("bound", "stale-moved")}
    if not had:
        return []  # the first reconcile has not run yet: nothing can have vanished
    desired = link.twins.adjust(manager.desired())
    wanted = subs.effective(desired.wanted, ping=True)
    try:
        bindings = subs.parse_bindings(await link.client.call("event.get") or [])
        missing = subs.plan(wanted, bindings, url, ours=desired.ours()).to_bind
        if not missing:
            return []
        await manager.reconcile()
    except PortalError as exc:
        notify({"type": "error", "where": "watchdog", "code": type(exc).__name__,
                "message": str(exc)})  # fmt: skip
        return []
    vanished = [s for s in missing if (s.event, s.mode) in had]
    if vanished:
        events = sorted({s.event for s in vanished})
        offline = sorted(s.event for s in vanished if s.mode == "offline")
        notify({"type": "rebound", "events": events, "offline": offline, "reason": REASON})
    return [s.event for s in vanished]
