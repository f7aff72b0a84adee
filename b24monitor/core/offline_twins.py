"""Offline twins (spec §3.1a): which offline bindings the safety net adds to the wanted set.

Every online subscription of an event that can be queued gets an offline twin, so a change the
handler missed is still in the portal's queue. App lifecycle events, ONAPPTEST and
ONOFFLINEEVENT get none (they cannot be queued, or queuing them means nothing). A twin is
bound by reconcile like any wanted binding, so it enters the ledger of bindings b24monitor made
(services/subscriptions.py) — and leaves the portal as soon as it is no longer wanted (the
online event unticked, the safety net off), while an offline binding someone else made stays.
"""

from __future__ import annotations

from collections.abc import Set

from b24monitor.core.subscriptions import OFFLINE_SIGNAL, PING_EVENT, Subscription

NO_TWIN = frozenset(
    {"ONAPPINSTALL", "ONAPPUPDATE", "ONAPPUNINSTALL", "ONAPPPAYMENT", "ONAPPMETHODCONFIRM",
     PING_EVENT, OFFLINE_SIGNAL}
)  # fmt: skip


def twins_of(wanted: Set[Subscription]) -> frozenset[Subscription]:
    """The offline twin of every wanted online subscription that can have one."""
    return frozenset(
        Subscription(s.event, "offline")
        for s in wanted
        if s.mode == "online" and s.event not in NO_TWIN
    )
