"""RowPainter: draws the visible rows of the event table with a few Qt calls per row.

Measured here (2 cores, capture thread busy at 1,000 deliveries/s): a QTableView asks the model
~5 roles for each of ~250 visible cells, and every call from C++ into Python — and every call
from Python into a Qt function that releases the GIL — may wait for the capture thread to let
go of the GIL. Repaints took 25–55 ms. Here a row is one tab-separated line drawn with tab stops
at the column edges (right tabs for numbers), plus its background and the ✔/✖ mark: ~5 calls a
row instead of ~25. What a row shows — texts, tint, mark colour, link — comes from the model's
`look()`, the same answer `data()` gives (tooltips, accessibility, tests): one place decides.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QIcon,
    QPainter,
    QPalette,
    QPen,
    QTextOption,
)
from PySide6.QtWidgets import QTableView

from b24monitor.gui.table.columns import COLUMNS, ENTITY_COLUMN, TIME_COLUMN, VERIFIED_COLUMN
from b24monitor.gui.table.model import EventTableModel, RowLook

PADDING = 4
PIN = 16  # room for the pin icon in the time column of a pinned row


def visible_sections(view: QTableView, left: int, right: int) -> list[tuple[int, int, int]]:
    """(logical column, x, width) of the columns that cross [left, right], in visual order."""
    header = view.horizontalHeader()
    sections = []
    for visual in range(header.count()):
        logical = header.logicalIndex(visual)
        if header.isSectionHidden(logical):
            continue
        x, width = header.sectionViewportPosition(logical), header.sectionSize(logical)
        if x + width >= left and x <= right:
            sections.append((logical, x, width))
    return sections


class RowPainter:
    """Paints rows for one view; remembers elided texts (most cells repeat: "ok", a domain)."""

    def __init__(self, pin: QIcon) -> None:
        self._pin = pin
        self._elided: dict[tuple[str, int, bool], str] = {}
        self._font_key = ""
        self._widest = {False: 0, True: 0}  # widest character of the plain and bold fonts

    def paint(
        self, view: QTableView, model: EventTableModel, painter: QPainter, area: QRect
    ) -> None:
        count = model.rowCount()
        sections = visible_sections(view, area.left(), area.right())
        if count == 0 or not sections:
            return
        first, last = view.rowAt(area.top()), view.rowAt(area.bottom())
        first, last = max(first, 0), count - 1 if last < 0 else last
        header = view.horizontalHeader()
        # Only as wide as the columns: the blank space to their right is not repainted when
        # the selection moves, so a highlight drawn there would stay behind.
        width = min(view.viewport().width(), header.length() - header.offset())
        colors = _colors(view)
        fonts = {False: QFont(view.font()), True: QFont(view.font())}
        fonts[True].setBold(True)
        if fonts[False].key() != self._font_key:
            self._elided.clear()
            self._font_key = fonts[False].key()
            self._widest = {bold: QFontMetrics(fonts[bold]).maxWidth() for bold in fonts}
        options = {pinned: self._tab_option(sections, pinned) for pinned in (False, True)}
        origin = sections[0][1]
        verified = next((s for s in sections if s[0] == VERIFIED_COLUMN), None)
        entity = next((s for s in sections if s[0] == ENTITY_COLUMN), None)
        selection = view.selectionModel()
        current = view.currentIndex().row() if view.hasFocus() else -1
        for number in range(first, last + 1):
            look = model.look(number)
            y, height = view.rowViewportPosition(number), view.rowHeight(number)
            selected = selection.isRowSelected(number, QModelIndex())
            rect = QRect(0, y, width, height)
            self._background(painter, view, number, look, selected, colors, rect)
            painter.setFont(fonts[look.pinned])
            painter.setPen(colors["hl_text"] if selected else colors["text"])
            line = self.line(painter, look, sections)
            line_rect = QRectF(origin, y, width - origin, height)
            painter.drawText(line_rect, line, options[look.pinned])
            if look.pinned and sections[0][0] == TIME_COLUMN:
                self._pin.paint(painter, QRect(origin + PADDING, y + (height - 14) // 2, 14, 14))
            if verified is not None:
                plain_color = colors["hl_text"] if selected else colors["text"]
                painter.setPen(plain_color if selected or look.mark is None else look.mark)
                box = QRect(verified[1] + PADDING, y, verified[2] - 2 * PADDING, height)
                text = look.texts[VERIFIED_COLUMN]
                painter.drawText(box, Qt.AlignmentFlag.AlignVCenter, text)
            if entity is not None and look.link:
                self._link(painter, look, entity, (y, height), colors, selected)
            if number == current:
                painter.setPen(QPen(colors["text"], 1, Qt.PenStyle.DotLine))
                painter.drawRect(0, y, width - 1, height - 1)

    @staticmethod
    def _tab_option(sections: list[tuple[int, int, int]], pinned: bool) -> QTextOption:
        """Tab stops relative to the first visible column: left tabs, right tabs for numbers."""
        origin = sections[0][1]
        tabs = []
        for logical, x, section_width in sections:
            if COLUMNS[logical].right:
                right = x + section_width - PADDING - origin
                tab = QTextOption.Tab(right, QTextOption.TabType.RightTab)
            else:
                shift = PIN if pinned and logical == TIME_COLUMN else 0
                tab = QTextOption.Tab(x + PADDING + shift - origin, QTextOption.TabType.LeftTab)
            tabs.append(tab)
        option = QTextOption(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        option.setWrapMode(QTextOption.WrapMode.NoWrap)
        option.setTabs(tabs)
        return option

    def line(self, painter: QPainter, look: RowLook, sections: list[tuple[int, int, int]]) -> str:
        """The row's plain cells as one tabbed line (the mark and a link are drawn on their own)."""
        cells = []
        for logical, _, section_width in sections:
            if logical == VERIFIED_COLUMN or (logical == ENTITY_COLUMN and look.link):
                cells.append("")  # drawn on its own, in its colour
                continue
            pin = PIN if look.pinned and logical == TIME_COLUMN else 0
            room = section_width - 2 * PADDING - pin
            cells.append(self._elide(painter, look.texts[logical], room, look.pinned))
        return "\t" + "\t".join(cells)

    def _link(
        self, painter: QPainter, look: RowLook, section: tuple[int, int, int],
        rows: tuple[int, int], colors: dict[str, QColor], selected: bool,
    ) -> None:  # fmt: skip
        """The entity cell as a link: underlined, in the link colour (plain when selected)."""
        _, x, section_width = section
        y, height = rows
        font = QFont(painter.font())
        font.setUnderline(True)
        painter.setFont(font)
        painter.setPen(colors["hl_text"] if selected else colors["link"])
        room = section_width - 2 * PADDING
        text = self._elide(painter, look.texts[ENTITY_COLUMN], room, look.pinned)
        box = QRect(x + PADDING, y, room, height)
        painter.drawText(box, Qt.AlignmentFlag.AlignVCenter, text)
        font.setUnderline(False)
        painter.setFont(font)

    def _elide(self, painter: QPainter, text: str, room: int, bold: bool) -> str:
        """The text cut with … to fit `room` px: a tabbed line must not overflow a column."""
        if not text or len(text) * self._widest[bold] <= room:
            return text.replace("\t", " ")
        key = (text, room, bold)
        shown = self._elided.get(key)
        if shown is None:
            if len(self._elided) > 20_000:
                self._elided.clear()
            metrics = painter.fontMetrics()
            shown = metrics.elidedText(text.replace("\t", " "), Qt.TextElideMode.ElideRight, room)
            self._elided[key] = shown
        return shown

    @staticmethod
    def _background(
        painter: QPainter, view: QTableView, number: int, look: RowLook, selected: bool,
        colors: dict[str, QColor], rect: QRect,
    ) -> None:  # fmt: skip
        if selected:
            painter.fillRect(rect, colors["hl"])
        elif view.alternatingRowColors() and number % 2:
            painter.fillRect(rect, colors["alt"])
        if look.tint is not None:
            painter.fillRect(rect, look.tint)


def _colors(view: QTableView) -> dict[str, QColor]:
    palette = view.palette()
    active = view.window().isActiveWindow()
    group = QPalette.ColorGroup.Active if active else QPalette.ColorGroup.Inactive
    roles = {
        "alt": QPalette.ColorRole.AlternateBase,
        "text": QPalette.ColorRole.Text,
        "hl": QPalette.ColorRole.Highlight,
        "hl_text": QPalette.ColorRole.HighlightedText,
        "link": QPalette.ColorRole.Link,
    }
    return {name: palette.color(group, role) for name, role in roles.items()}
