"""The subscriptions room: the portal's events by scope, ticked online/offline, with bind states.

Entry: `SubscriptionsPane` (dock.py).
"""

from b24monitor.gui.subscriptions.dock import SubscriptionsPane

__all__ = ["SubscriptionsPane"]
