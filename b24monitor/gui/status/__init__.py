"""The status room: the status bar's items — receiver, tunnel, portal, rate chart, coverage,
live counts.

Entry: `StatusBar` (bar.py) with the items the main window places in it.
"""

from b24monitor.gui.status.bar import StatusBar
from b24monitor.gui.status.coverage_strip import CoverageStrip
from b24monitor.gui.status.live_stats import LiveStats
from b24monitor.gui.status.portal_status import PortalStatus
from b24monitor.gui.status.rate_chart import RateChart

__all__ = ["CoverageStrip", "LiveStats", "PortalStatus", "RateChart", "StatusBar"]
