"""The export room: the export dialog and the job that writes the file off the GUI thread.

Entry: `ExportDialog` (dialog.py).
"""

from b24monitor.gui.export.dialog import ExportDialog

__all__ = ["ExportDialog"]
