"""The Stats room: per event code figures for the current filter, and events per minute."""

from b24monitor.gui.stats.panel import StatsPanel

__all__ = ["StatsPanel"]
