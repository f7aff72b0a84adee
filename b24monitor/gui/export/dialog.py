"""ExportDialog: format, which events, reveal secrets, file; runs off the GUI thread with Cancel."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from b24monitor.core.errors import ExportError
from b24monitor.core.export import FORMATS, format_names
from b24monitor.core.tasks import spawn
from b24monitor.gui.export.job import ExportCancelled, ExportRequest, count_events, run_export

DIR_KEY = "export/dir"
FORMAT_KEY = "export/format"


class ExportDialog(QDialog):
    """Emits `exported(count, path)` when a file was written."""

    exported = Signal(int, str)

    def __init__(
        self,
        db_path: Path,
        settings: QSettings,
        view_ids: Sequence[int],
        selected_ids: Sequence[int],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle(self.tr("Export events"))
        self._db_path = db_path
        self._settings = settings
        self._sources: list[Sequence[int] | None] = [view_ids, selected_ids, None]
        self._cancel = threading.Event()
        self._running = False
        self.format = QComboBox(self)
        for name in format_names():
            spec = FORMATS.get(name)
            self.format.addItem(name, name)
            if spec is not None:
                self.format.setItemData(self.format.count() - 1, spec.description, 3)
        saved = str(settings.value(FORMAT_KEY, "jsonl"))
        self.format.setCurrentIndex(max(0, self.format.findData(saved)))
        self.which = QButtonGroup(self)
        self.reveal = QCheckBox(self.tr("Reveal secrets (tokens are masked otherwise)"), self)
        self.path = QLineEdit(self)
        self.path.setObjectName("exportPath")
        self.progress = QProgressBar(self)
        self.progress.hide()
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(self)
        accept = QDialogButtonBox.ButtonRole.AcceptRole
        self.start = self.buttons.addButton(self.tr("Export"), accept)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self._build_layout(len(view_ids), len(selected_ids))
        self.path.setText(str(self._default_path()))
        self.format.currentIndexChanged.connect(self._on_format_current_index_changed)
        self.start.clicked.connect(self._on_start_clicked)
        self.buttons.rejected.connect(self._on_buttons_rejected)

    def _build_layout(self, in_view: int, selected: int) -> None:
        which = QVBoxLayout()
        labels = (
            self.tr("The filtered view — rows: %1").replace("%1", f"{in_view:,}"),
            self.tr("The selection — rows: %1").replace("%1", f"{selected:,}"),
            self.tr("Every stored event"),
        )
        for number, label in enumerate(labels):
            radio = QRadioButton(label, self)
            radio.setEnabled(number != 1 or selected > 0)
            self.which.addButton(radio, number)
            which.addWidget(radio)
        self.which.button(0).setChecked(True)
        browse = QPushButton(self.tr("Browse…"), self)
        browse.clicked.connect(self._on_browse_clicked)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(browse)
        form = QFormLayout()
        form.addRow(self.tr("Format:"), self.format)
        form.addRow(self.tr("Events:"), which)
        form.addRow("", self.reveal)
        form.addRow(self.tr("File:"), file_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)

    def _extension(self) -> str:
        spec = FORMATS.get(self.format.currentData())
        return spec.extension if spec is not None else f".{self.format.currentData()}"

    def _default_path(self) -> Path:
        folder = Path(str(self._settings.value(DIR_KEY, str(Path.home()))))
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return folder / f"b24monitor-events-{stamp}{self._extension()}"

    # -- running --------------------------------------------------------------------------------

    def request(self) -> ExportRequest:
        return ExportRequest(
            target=Path(self.path.text()).expanduser(),
            fmt=self.format.currentData(),
            reveal_secrets=self.reveal.isChecked(),
            ids=self._sources[self.which.checkedId()],
        )

    async def run(self, request: ExportRequest) -> int | None:
        """Export with progress; returns the count, or None when cancelled or failed."""
        self._running = True
        self._cancel.clear()
        self._set_controls_enabled(False)
        self.status.setText(self.tr("Exporting…"))
        loop = asyncio.get_running_loop()
        try:
            total = await asyncio.to_thread(count_events, self._db_path, request.ids)
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(0)
            self.progress.show()

            def progress(done: int) -> None:
                loop.call_soon_threadsafe(self._on_job_progress, done)

            count = await asyncio.to_thread(
                run_export, self._db_path, request, progress, self._cancel
            )
        except ExportCancelled:
            self.status.setText(self.tr("Cancelled; no file was written."))
            return None
        except ExportError as exc:
            self.status.setText(str(exc))
            return None
        finally:
            self._running = False
            self._set_controls_enabled(True)
        self._settings.setValue(DIR_KEY, str(request.target.parent))
        self._settings.setValue(FORMAT_KEY, request.fmt)
        self.exported.emit(count, str(request.target))
        return count

    def _set_controls_enabled(self, enabled: bool) -> None:
        for widget in (self.format, self.reveal, self.path, self.start):
            widget.setEnabled(enabled)

    # -- slots ----------------------------------------------------------------------------------

    def _on_job_progress(self, done: int) -> None:
        if self._running:
            self.progress.setValue(done)

    def _on_start_clicked(self) -> None:
        if not self.path.text().strip():
            self.status.setText(self.tr("Choose a file to write."))
            return
        spawn(self._run_and_close(self.request()), name="export")

    async def _run_and_close(self, request: ExportRequest) -> None:
        if await self.run(request) is not None:
            self.accept()

    def _on_buttons_rejected(self) -> None:
        if self._running:
            self._cancel.set()  # the job removes its .part file; the dialog stays for the verdict
        else:
            self.reject()

    def _on_format_current_index_changed(self, index: int) -> None:
        path = Path(self.path.text())
        if path.name:
            self.path.setText(str(path.with_suffix(self._extension())))

    def _on_browse_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, self.tr("Export to"), self.path.text())
        if name:
            self.path.setText(name)

    def done(self, result: int) -> None:
        self._cancel.set()  # closing the window (Esc, ×) cancels a running export
        super().done(result)
