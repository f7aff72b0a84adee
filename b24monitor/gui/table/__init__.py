"""The event table room: the live list of ids, its paged rows, the view, painter and filter bar.

Entry: what the main window needs is re-exported here; the room never imports a sibling room.
"""

from b24monitor.gui.table.deletion import PendingDeletion
from b24monitor.gui.table.event_list import EventList
from b24monitor.gui.table.filter_bar import FilterBar
from b24monitor.gui.table.groups import GroupedView
from b24monitor.gui.table.model import EventTableModel
from b24monitor.gui.table.view import EventTableView

__all__ = [
    "EventList", "EventTableModel", "EventTableView", "FilterBar", "GroupedView", "PendingDeletion",
]  # fmt: skip
