"""The subscriptions dock's context menu: select or clear a whole scope, copy an event code."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu, QWidget

from b24monitor.core.subscriptions import Mode
from b24monitor.gui.subscriptions.state import MODES, Group, Item
from b24monitor.gui.subscriptions.words import scope_events, scope_title

Request = Callable[[list[tuple[str, Mode]], bool], None]


def scope_menu(parent: QWidget, group: Group, item: Item | None, request: Request) -> QMenu:
    """Four bulk actions for `group` (each one batch through `request`), plus Copy code."""
    menu = QMenu(parent)
    title = scope_title(group.scope)
    texts = {
        ("online", True): QCoreApplication.translate(
            "SubscriptionsPane", "Select all in “%1” — online"),
        ("offline", True): QCoreApplication.translate(
            "SubscriptionsPane", "Select all in “%1” — offline"),
        ("online", False): QCoreApplication.translate(
            "SubscriptionsPane", "Clear all in “%1” — online"),
        ("offline", False): QCoreApplication.translate(
            "SubscriptionsPane", "Clear all in “%1” — offline"),
    }  # fmt: skip
    for wanted in (True, False):
        for mode in MODES:
            keys = [(code, mode) for code in scope_events(group, mode)]
            action = menu.addAction(texts[(mode, wanted)].replace("%1", title))
            action.triggered.connect(lambda _=False, k=keys, w=wanted: request(k, w))
    if item is not None:
        menu.addSeparator()
        code = item.entry.code
        copy = QCoreApplication.translate("SubscriptionsPane", "Copy event code")
        menu.addAction(copy, lambda: QGuiApplication.clipboard().setText(code))
    return menu
