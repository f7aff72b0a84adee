"""The offline room: the portal's offline queue, read without deleting, fetched and cleared here.

Entry: `OfflinePane` (pane.py).
"""

from b24monitor.gui.offline.pane import OfflinePane

__all__ = ["OfflinePane"]
