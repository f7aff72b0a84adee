"""ChecksTab: the detail pane's "Checks" tab — the shown event's findings, one paragraph each."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QTextBrowser, QWidget

from b24monitor.core.findings import severity_of, text_of
from b24monitor.core.model import CapturedEvent

_SEVERITY_COLOURS = {"error": "#d03030", "warn": "#b36b00", "info": "#3c6ea0"}


class ChecksTab(QTextBrowser):
    """Severity, code and detail, then the check's sentence, wrapped to the pane's width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checksTab")
        self.setOpenLinks(False)
        self.rows: list[tuple[str, str, str]] = []  # (severity, code, text) as shown

    def show_event(self, ev: CapturedEvent | None) -> None:
        self.rows = []
        if ev is None:
            self.clear()
            return
        if not ev.findings:
            self.setHtml(f"<p>✔ {escape(self.tr('every check passed'))}</p>")
            return
        for finding in ev.findings:
            text = text_of(finding.code)
            self.rows.append((severity_of(finding.code), finding.code,
                              f"{finding.detail}: {text}" if finding.detail else text))  # fmt: skip
        self.setHtml("".join(_paragraph(*row) for row in self.rows))


def _paragraph(severity: str, code: str, text: str) -> str:
    colour = _SEVERITY_COLOURS.get(severity, "#000000")
    return (f'<p><span style="color:{colour}; font-weight:bold">⚠ {escape(severity)}</span> '
            f"<b>{escape(code)}</b><br>{escape(text)}</p>")  # fmt: skip
