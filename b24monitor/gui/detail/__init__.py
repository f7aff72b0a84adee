"""The detail room: the selected event's pane (tree, JSON, raw, auth) and the actions on events.

Entry: what the main window and its event commands need is re-exported here.
"""

from b24monitor.gui.detail.actions import EventActions
from b24monitor.gui.detail.attempts_tab import AttemptsTab
from b24monitor.gui.detail.diff_dialog import DiffDialog
from b24monitor.gui.detail.pane import DetailPane
from b24monitor.gui.detail.ping_control import PingControl
from b24monitor.gui.detail.replay_menu import (
    AS_RECORDED,
    EDITED,
    EventActionsBar,
    ReplayEditDialog,
)

__all__ = [
    "AS_RECORDED",
    "EDITED",
    "AttemptsTab",
    "DetailPane",
    "DiffDialog",
    "EventActions",
    "EventActionsBar",
    "PingControl",
    "ReplayEditDialog",
]
