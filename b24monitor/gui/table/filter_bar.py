"""FilterBar: the filter field, applied on Enter or after a typing pause; errors, help, history."""

from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QInputMethodEvent, QTextCharFormat
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from b24monitor.core.errors import FilterSyntaxError
from b24monitor.core.filters import FIELDS, Filter, parse
from b24monitor.gui.table.filter_menus import FilterMenus

DEBOUNCE_MS = 450


class FilterBar(QWidget):
    """Emits `filter_applied(Filter)` for a valid expression; shows the fault of an invalid one."""

    filter_applied = Signal(object)  # core.filters.Filter

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._applied_text = ""
        self.edit = QLineEdit(self)
        self.edit.setObjectName("filterEdit")
        self.edit.setClearButtonEnabled(True)
        self.edit.setPlaceholderText(self.tr("Filter: event:ONCRMDEAL* verified:no  (Ctrl+F)"))
        self.edit.setMinimumWidth(260)
        self.edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.error = QLabel(self)
        self.error.setObjectName("filterError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setStyleSheet("color: #d03030;")
        self.error.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.error.hide()
        self.busy = QLabel(self.tr("filtering…"), self)
        self.busy.hide()
        self._menus = FilterMenus(settings, self, self.edit.text)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._build_layout()
        self.edit.returnPressed.connect(self._on_edit_return_pressed)
        self.edit.textEdited.connect(self._on_edit_text_edited)
        self._debounce.timeout.connect(self._on_debounce_timeout)
        self._menus.expression_chosen.connect(self._on_menus_expression_chosen)

    def _build_layout(self) -> None:
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit, 3)
        history = self._button("▾", self.tr("Recent and saved filters"), self._menus.history)
        layout.addWidget(history)
        layout.addWidget(self._button("?", self.tr("Filter fields and syntax"), self._help_menu()))
        layout.addWidget(self.busy)
        layout.addWidget(self.error, 2)

    def _button(self, text: str, tip: str, menu: QMenu) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setMenu(menu)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setStyleSheet("QToolButton::menu-indicator { image: none; }")
        return button

    def _help_menu(self) -> QMenu:
        """Generated from core.filters.FIELDS; picking an entry inserts its example."""
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        for field in FIELDS:
            action = menu.addAction(f"{field.example}\t{field.description}")
            action.setData(field.example)
            action.triggered.connect(lambda _=False, text=field.example: self._insert_term(text))
        menu.addSeparator()
        menu.addAction(self.tr("Syntax…"), self._menus.show_syntax_help)
        return menu

    # -- commands -------------------------------------------------------------------------------

    def focus(self) -> None:
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    def set_expression(self, text: str, *, apply: bool = True) -> None:
        self.edit.setText(text)
        if apply:
            self.apply(remember=False)

    def set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)

    def apply(self, *, remember: bool = True) -> Filter | None:
        """Parse and emit; on a syntax error show it, mark its column and emit nothing."""
        self._debounce.stop()
        text = self.edit.text()
        try:
            flt = parse(text)
        except FilterSyntaxError as exc:
            self._show_error(exc)
            return None
        self._clear_error()
        self._applied_text = text
        if remember and text.strip():
            self._menus.remember(text.strip())
        self.filter_applied.emit(flt)
        return flt

    # -- errors ---------------------------------------------------------------------------------

    def _show_error(self, exc: FilterSyntaxError) -> None:
        text = self.tr("Column %1: %2").replace("%1", str(exc.column)).replace("%2", exc.message)
        self.error.setText(text)
        self.error.setToolTip(_marked_html(self.edit.text(), exc.column, exc.message))
        self.error.show()
        self._format_range(exc.column - 1, 1)

    def _clear_error(self) -> None:
        self.error.hide()
        self.error.clear()
        self._format_range(0, 0)

    def _format_range(self, start: int, length: int) -> None:
        """Underline the faulty character inside the field (QLineEdit's pre-edit formats)."""
        attributes = []
        if length:
            start = min(start, max(len(self.edit.text()) - 1, 0))
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(QColor("#d03030"))
            fmt.setBackground(QColor(220, 40, 40, 70))
            offset = start - self.edit.cursorPosition()
            attributes.append(
                QInputMethodEvent.Attribute(
                    QInputMethodEvent.AttributeType.TextFormat, offset, length, fmt
                )
            )
        event = QInputMethodEvent("", attributes)
        QCoreApplication.sendEvent(self.edit, event)

    # -- slots ----------------------------------------------------------------------------------

    def _on_edit_return_pressed(self) -> None:
        self.apply()

    def _on_edit_text_edited(self, text: str) -> None:
        self._format_range(0, 0)
        self._debounce.start()

    def _on_debounce_timeout(self) -> None:
        if self.edit.text() != self._applied_text:
            self.apply(remember=False)

    def _on_menus_expression_chosen(self, text: str) -> None:
        self.edit.setText(text)
        self.apply()

    def _insert_term(self, term: str) -> None:
        text = self.edit.text()
        joined = f"{text.rstrip()} {term}" if text.strip() else term
        self.edit.setText(joined)
        self.edit.setFocus()
        self.apply(remember=False)


def _marked_html(expression: str, column: int, message: str) -> str:
    index = max(0, min(column - 1, len(expression)))
    before, at, after = expression[:index], expression[index : index + 1], expression[index + 1 :]
    at = at or " "  # the fault is at the end: mark the place where something is missing
    mark = f'<span style="background:#d03030;color:white">{html.escape(at)}</span>'
    body = html.escape(before) + mark + html.escape(after)
    return f"<p>{html.escape(message)}</p><pre>{body}</pre>"
