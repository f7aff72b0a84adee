"""AttemptsTab: the detail pane's "Forwarding" tab — every forward and replay of the shown event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from b24monitor.core.replay import Attempt
from b24monitor.core.tasks import spawn

AttemptLoader = Callable[[int], Awaitable[list[Attempt]]]
ErrorSink = Callable[[str, BaseException], None]
_ATTEMPT_ROLE = Qt.ItemDataRole.UserRole


class AttemptsTab(QWidget):
    """Lists the attempts of one event; a selected attempt shows the target's answer below."""

    def __init__(
        self, loader: AttemptLoader, on_error: ErrorSink, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("attemptsTab")
        self._loader = loader
        self._on_error = on_error
        self._event_id = -1
        self.list = QTreeWidget(self)
        self.list.setObjectName("attemptsList")
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels([
            self.tr("time"), self.tr("kind"), self.tr("variant"), self.tr("target"),
            self.tr("status"), self.tr("latency"), self.tr("error"),
        ])  # fmt: skip
        self.empty = QLabel(self)
        self.empty.setWordWrap(True)
        self.answer = QPlainTextEdit(self)
        self.answer.setReadOnly(True)
        self.answer.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.answer.setPlaceholderText(self.tr("Select an attempt to see the handler's answer"))
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.list)
        splitter.addWidget(self.answer)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(splitter, 1)
        self.list.currentItemChanged.connect(self._on_list_current_item_changed)
        self.show_event(-1)

    @property
    def count(self) -> int:
        return self.list.topLevelItemCount()

    def show_event(self, event_id: int) -> None:
        """Load the attempts of `event_id` (-1: none) in the background."""
        self._event_id = event_id
        self.list.clear()
        self.answer.clear()
        self._update_empty()
        if event_id >= 0:
            spawn(self._load(event_id), name="load-attempts", on_error=self._on_error)

    def note_attempt(self, attempt: Attempt) -> None:
        """A new attempt was recorded: show it when it belongs to the shown event."""
        if attempt.event_id == self._event_id and not self._shows(attempt.id):
            self._add(attempt)
            self._update_empty()

    async def _load(self, event_id: int) -> None:
        attempts = await self._loader(event_id)
        if event_id != self._event_id:
            return  # another event was shown meanwhile
        # Attempts announced while the read ran (the engine may be another process) stay.
        loaded = {a.id for a in attempts}
        noted = [a for a in self._shown() if a.id is None or a.id not in loaded]
        self.list.clear()
        for attempt in [*attempts, *noted]:
            self._add(attempt)
        self._update_empty()

    def _shown(self) -> list[Attempt]:
        items = (self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount()))
        return [item.data(0, _ATTEMPT_ROLE) for item in items if item is not None]

    def _shows(self, attempt_id: int | None) -> bool:
        return attempt_id is not None and any(a.id == attempt_id for a in self._shown())

    def _add(self, a: Attempt) -> None:
        when = datetime.fromtimestamp(a.started_at).strftime("%d.%m %H:%M:%S")
        status = str(a.status) if a.status is not None else "—"
        latency = f"{a.latency_ms:.0f} ms" if a.latency_ms is not None else ""
        item = QTreeWidgetItem([when, a.kind, a.variant, a.target, status, latency, a.error or ""])
        item.setData(0, _ATTEMPT_ROLE, a)
        item.setToolTip(6, a.error or "")
        self.list.addTopLevelItem(item)

    def _update_empty(self) -> None:
        if self._event_id < 0:
            self.empty.setText(self.tr("No event selected"))
        elif self.count == 0:
            self.empty.setText(
                self.tr("Not forwarded or replayed yet: Ctrl+R replays it to the forward target")
            )
        else:
            self.empty.setText(self.tr("%1 attempts").replace("%1", str(self.count)))

    def _on_list_current_item_changed(self, item: QTreeWidgetItem | None, *_: object) -> None:
        attempt = item.data(0, _ATTEMPT_ROLE) if item is not None else None
        if not isinstance(attempt, Attempt):
            self.answer.clear()
            return
        lines = [f"HTTP {attempt.status}" if attempt.status is not None else attempt.error or ""]
        lines += [f"{name}: {value}" for name, value in attempt.response_headers]
        body = attempt.response_body.decode("utf-8", errors="replace")
        if attempt.truncated:
            body += "\n" + self.tr("(the answer was cut at the size limit)")
        self.answer.setPlainText("\n".join(lines) + "\n\n" + body)
