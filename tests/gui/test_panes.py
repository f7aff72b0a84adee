"""Detail pane (verdicts, masking, Reveal) and the rate chart, on events built from real bodies."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QColor, QPalette

from b24monitor.core.decoding import decode_body
from b24monitor.core.model import CapturedEvent
from b24monitor.gui.detail.pane import DetailPane
from b24monitor.gui.status.rate_chart import LEGEND_WIDTH, SERIES_COLORS, RateChart
from b24monitor.gui.status.rate_history import OTHER, RateHistory

FORM = "application/x-www-form-urlencoded"
TOKEN = "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"


def captured(body: bytes, *, verified: bool | None = True, event_id: int = 1) -> CapturedEvent:
    data = decode_body(body, FORM)
    return CapturedEvent(
        id=event_id, received_at=1764338593.5, event=data["event"], member_id=None,
        domain="acme.bitrix24.com", entity_id="3187", entity_type_id=None, user_id="1",
        handler_id="412", ts=1764338592, verified=verified, status="ok", error=None,
        size=len(body), content_type=FORM, headers=(("Content-Type", FORM),), body=body,
        data=data, path="/b24/x/events",
    )  # fmt: skip


def test_detail_masks_tokens_until_reveal_and_reveal_never_carries_over(
    qtbot, make_delivery: Callable[..., bytes]
) -> None:
    pane = DetailPane()
    qtbot.addWidget(pane)
    pane.show_event(captured(make_delivery(), verified=False))
    assert pane.verdict.text().startswith("✖ mismatch")
    assert TOKEN not in pane.raw.toPlainText() and TOKEN not in pane.json.toPlainText()
    assert "9e7d…(32)" in pane.raw.toPlainText()
    pane.reveal.setChecked(True)
    assert TOKEN in pane.raw.toPlainText()
    auth = {pane.auth.topLevelItem(i).text(0): pane.auth.topLevelItem(i).text(1)
            for i in range(pane.auth.topLevelItemCount())}  # fmt: skip
    assert auth["application_token"] == TOKEN
    pane.show_event(captured(make_delivery("ONTASKADD"), event_id=2))
    assert not pane.reveal.isChecked() and TOKEN not in (pane.payload_json() or "")
    assert pane.verdict.text().startswith("✔ token matches")


def test_detail_and_row_tooltip_name_the_sender(qtbot, make_delivery: Callable[..., bytes]) -> None:
    from dataclasses import replace

    from b24monitor.gui.table.row_cache import Row

    ev = replace(captured(make_delivery()), sender="webhook crm-sync")
    pane = DetailPane()
    qtbot.addWidget(pane)
    pane.show_event(ev)
    assert pane.verdict.text() == "✔ token matches: sent by webhook crm-sync"
    assert Row.of(ev).sender == "webhook crm-sync"  # the ✔ cell's tooltip names it


def test_malformed_event_shows_the_error_and_the_raw_body(qtbot) -> None:
    pane = DetailPane()
    qtbot.addWidget(pane)
    body = b"event=X&bad=%ff"
    ev = CapturedEvent(
        id=7, received_at=1.0, event=None, member_id=None, domain=None, entity_id=None,
        entity_type_id=None, user_id=None, handler_id=None, ts=None, verified=None,
        status="malformed", error="the body is not valid UTF-8", size=len(body),
        content_type=FORM, headers=(), body=body, data=None, http_status=400,
    )  # fmt: skip
    pane.show_event(ev)
    assert pane.verdict.text() == "✖ malformed: the body is not valid UTF-8"
    assert pane.raw.toPlainText().endswith("event=X&bad=%ff")
    assert pane.payload_json() is None


def test_rate_history_stacks_top_codes_and_the_chart_reports_hover_counts(qtbot) -> None:
    history = RateHistory(seconds=600, top=2)
    now = 1_000_000.0
    arrivals = ((-3, "A", 5), (-3, "B", 2), (-3, "C", 1), (-1, "A", 4), (-700, "A", 9))
    for second, code, count in arrivals:
        for _ in range(count):
            history.add(now + second + 0.5, code)
    snap = history.snapshot(now)
    assert snap.codes == ("A", "B", OTHER)
    assert snap.counts[-4] == (5, 2, 1) and len(snap.counts) == 600
    assert history.per_second(now, window=5) == (8 + 4) / 5
    chart = RateChart(history)
    qtbot.addWidget(chart)
    chart.resize(LEGEND_WIDTH + 608, 96)  # the plot is 600 px wide: 2 seconds a column
    chart.refresh(now)
    image = chart.grab().toImage()  # paints without warnings
    base = chart.palette().color(QPalette.ColorRole.Base)
    assert image.pixelColor(100, 40) == base  # ten minutes ago nothing came: an empty plot
    bottom = int(chart._plot_rect().bottom()) - 2
    assert image.pixelColor(4 + 596, bottom) == QColor(SERIES_COLORS[0])  # A, 3 s ago
    found = chart.counts_at(4 + 596.5)
    assert found is not None and found[1] == {"A": 5, "B": 2, "other": 1}
    chart.resize(LEGEND_WIDTH + 1208, 96)  # wider: a second a column, laid out again
    image = chart.grab().toImage()
    assert image.pixelColor(4 + 1196, bottom) == QColor(SERIES_COLORS[0])  # A, 3 s ago
    assert image.pixelColor(4 + 596, bottom) == base  # not where the narrower chart had it


def test_rate_history_forgets_codes_that_left_the_ten_minutes() -> None:
    history = RateHistory(seconds=600, top=2)
    now = 1_000_000.0
    history.add(now - 650, "OLD")
    history.add(now - 10, "NEW")
    assert history.snapshot(now - 100).codes == ("OLD", "NEW")
    assert history.snapshot(now).codes == ("NEW",)  # OLD fell out of the window
    history.add(now + 1, "NEW")
    assert sum(map(sum, history.snapshot(now + 2).counts)) == 2


def test_checks_tab_lists_findings_with_their_sentence_and_counts_them(
    qtbot, make_delivery: Callable[..., bytes]
) -> None:
    from b24monitor.core.findings import text_of
    from b24monitor.core.model import Finding

    pane = DetailPane()
    qtbot.addWidget(pane)
    ev = captured(make_delivery(user_id=None))
    ev.findings = (Finding("no_access_token"), Finding("queue_delay", "45 s"))
    pane.show_event(ev)
    index = pane.tabs.indexOf(pane.checks)
    assert pane.tabs.tabText(index) == "Checks ⚠2"
    rows = pane.checks.rows
    assert rows[0] == ("info", "no_access_token", text_of("no_access_token"))
    assert rows[1][:2] == ("warn", "queue_delay") and rows[1][2].startswith("45 s: ")
    assert "no_access_token" in pane.checks.toPlainText()
    pane.show_event(captured(make_delivery(), event_id=2))
    assert pane.tabs.tabText(index) == "Checks"
    assert pane.checks.toPlainText() == "✔ every check passed"
