"""The Check setup room: Help → Check setup runs `doctor` for the linked portal and shows it."""

from b24monitor.gui.setup_check.dialog import CheckSetupDialog

__all__ = ["CheckSetupDialog"]
