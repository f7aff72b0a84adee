"""The row painter draws what the model's data() says: texts, tint, ✔/✖ colour and links.

Rows of every look (verified, rejected, malformed, pinned, linked) come from a real Session over
loopback HTTP. For each row the painter's tabbed line must hold data()'s texts, and the pixels
it paints must carry data()'s background tint and mark colour.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from b24monitor.gui.store_worker import StoreWorker
from b24monitor.gui.table.columns import COLUMNS, ENTITY_COLUMN, VERIFIED_COLUMN
from b24monitor.gui.table.event_list import EventList
from b24monitor.gui.table.model import LINK_ROLE, EventTableModel
from b24monitor.gui.table.painter import PADDING, RowPainter, visible_sections
from b24monitor.gui.table.view import EventTableView
from b24monitor.services.session import Session, SessionConfig

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ROLE = Qt.ItemDataRole


@asynccontextmanager
async def table(tmp_path: Path, bodies: list[bytes]) -> AsyncIterator[EventTableView]:
    """A shown EventTableView over a real session holding `bodies` (posted in order)."""
    session = Session(SessionConfig(data_dir=tmp_path))
    worker = StoreWorker(session.db_path)
    events = EventList(worker)
    session.committed.connect(events.note_committed)
    await session.start()
    await worker.open()
    view = EventTableView(EventTableModel(events, worker.rows))
    try:
        async with httpx.AsyncClient() as client:
            for body in bodies:
                await client.post(session.handler_url, content=body, headers=FORM)
        await events.reapply()
        await worker.set_pinned([2], True)
        events.refresh([2])
        view.setAlternatingRowColors(False)  # one background, so a tint can be told from it
        view.resize(1400, 300)
        view.show()
        yield view
    finally:
        view.close()
        view.deleteLater()
        events.close()
        await worker.close()
        await session.stop()


def bodies(make: Callable[..., bytes]) -> list[bytes]:
    return [
        make("ONAPPINSTALL", {"VERSION": "1"}),  # teaches the token: later rows are ✔
        make("ONCRMDEALADD", {"FIELDS": {"ID": "3187"}}),  # pinned below
        make("ONCRMDEALUPDATE", {"FIELDS": {"ID": "3188"}}, token="f" * 32),  # ✖, tinted
        b"%%%not a form",  # malformed, tinted
        make("ONTASKADD", {"FIELDS_AFTER": {"ID": "905"}}),
    ]


def pixel(image: QImage, x: int, y: int) -> QColor:
    return image.pixelColor(QPoint(x, y))


def over(background: QColor, tint: QColor) -> QColor:
    """`tint` painted over `background`, the way the painter fills a tinted row."""
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    image.fill(background)
    painter = QPainter(image)
    painter.fillRect(0, 0, 1, 1, tint)
    painter.end()
    return image.pixelColor(0, 0)


def near(a: QColor, b: QColor, slack: int = 60) -> bool:
    return sum(abs(x - y) for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True)) <= slack


@pytest.mark.asyncio
async def test_each_painted_line_holds_the_texts_data_gives(
    tmp_path: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    async with table(tmp_path, bodies(make_delivery)) as view:
        model = view.model()
        assert isinstance(model, EventTableModel)
        await wait_until(lambda: all(model.index(r, 0).data() for r in range(5)))
        sections = visible_sections(view, 0, view.viewport().width())
        assert [s[0] for s in sections] == list(range(len(COLUMNS)))
        image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32)
        painter = QPainter(image)
        painter.setFont(view.font())
        for row in range(model.rowCount()):
            look = model.look(row)
            cells = [model.index(row, c).data() or "" for c in range(len(COLUMNS))]
            link = model.index(row, ENTITY_COLUMN).data(LINK_ROLE)
            expected = [
                "" if c == VERIFIED_COLUMN or (c == ENTITY_COLUMN and link) else text
                for c, text in enumerate(cells)
            ]
            assert RowPainter(view.windowIcon()).line(painter, look, sections) == (
                "\t" + "\t".join(expected)
            )
            assert (look.link, look.pinned) == (
                link,
                model.index(row, 0).data(ROLE.FontRole) is not None,
            )
        painter.end()
        assert model.index(1, ENTITY_COLUMN).data(LINK_ROLE)  # the deal links to its portal page
        assert model.index(3, 0).data(ROLE.BackgroundRole) is not None  # malformed: tinted


@pytest.mark.asyncio
async def test_painted_pixels_carry_the_tint_and_mark_colour_data_gives(
    tmp_path: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    async with table(tmp_path, bodies(make_delivery)) as view:
        model = view.model()
        assert isinstance(model, EventTableModel)
        await wait_until(lambda: all(model.index(r, 0).data() for r in range(5)))
        image = view.viewport().grab().toImage()
        plain = pixel(image, 1, view.rowViewportPosition(0) + 2)  # the install row: no tint
        assert model.index(0, 0).data(ROLE.BackgroundRole) is None
        verified = view.horizontalHeader().sectionViewportPosition(VERIFIED_COLUMN)
        for row in range(model.rowCount()):
            y = view.rowViewportPosition(row)
            tint = model.index(row, 0).data(ROLE.BackgroundRole)
            shown = pixel(image, 1, y + 2)  # left padding: background only, no text
            expected = plain if tint is None else over(plain, tint)
            assert near(shown, expected, 6), (row, shown.name(), expected.name())
            mark = model.index(row, VERIFIED_COLUMN).data(ROLE.ForegroundRole)
            if mark is not None:  # some pixel of the ✔/✖ glyph is in the mark's colour
                box = [pixel(image, x, yy) for x in range(verified + PADDING, verified + 24)
                       for yy in range(y, y + view.rowHeight(row))]  # fmt: skip
                assert any(near(p, mark) for p in box), row
        assert model.index(2, VERIFIED_COLUMN).data(ROLE.ForegroundRole) != model.index(
            1, VERIFIED_COLUMN
        ).data(ROLE.ForegroundRole)  # ✖ and ✔ differ
