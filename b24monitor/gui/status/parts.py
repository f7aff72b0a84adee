"""Parts the status items share: the warning colour and a label with a [copy] button."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

WARN_STYLE = "color: #d03030;"


def warn_style(label: QLabel, warning: bool) -> None:
    """Red text for a warning; restyled only on a change (a style sheet re-polishes the label)."""
    style = WARN_STYLE if warning else ""
    if label.styleSheet() != style:
        label.setStyleSheet(style)


def label_with_copy(owner: QWidget, label: QLabel, name: str, text: str, tip: str) -> QToolButton:
    """Lay `label` out in `owner` with a [copy] button (returned; the owner connects it).

    The texts come translated from the owner, so each item keeps its own translation context.
    """
    copy = QToolButton(owner)
    copy.setObjectName(name)
    copy.setText(text)
    copy.setToolTip(tip)
    copy.setAutoRaise(True)
    layout = QHBoxLayout(owner)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(label)
    layout.addWidget(copy)
    return copy
