"""SubscriptionsPane: the portal's events by scope with online/offline boxes, search and a footer.

The list is the portal's `events` answer (what this app may bind, spec §2.1) described by the
catalog in the UI language. Ticks go out as intents to PortalLink (one event, or a scope as one
batch); the ReconcileReport that comes back is what the boxes and marks show.
"""

from __future__ import annotations

import html
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from b24monitor.core.errors import B24MonitorError
from b24monitor.core.subscriptions import Mode, ReconcileReport
from b24monitor.core.tasks import spawn
from b24monitor.gui.session_signals import SessionSignals
from b24monitor.gui.subscriptions.filter import SubscriptionsFilter
from b24monitor.gui.subscriptions.menu import scope_menu
from b24monitor.gui.subscriptions.model import (
    CODE,
    EVENT,
    OFFLINE,
    ONLINE,
    SubscriptionsModel,
)
from b24monitor.gui.subscriptions.state import SubscriptionsState
from b24monitor.gui.translations import ui_language
from b24monitor.services.portal_link import Notice, PortalLink

WARN_STYLE = "color: #d03030;"


class SubscriptionsPane(QWidget):
    """The dock's content; its windowTitle is the dock title. Follows the session's portal."""

    def __init__(self, signals: SessionSignals, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("subscriptionsPane")
        self.setWindowTitle(self.tr("Subscriptions"))
        self.session = signals.session
        self.link: PortalLink | None = None
        self.state = SubscriptionsState()
        self.model = SubscriptionsModel(self.state, ui_language(), self)
        self.proxy = SubscriptionsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.search = QLineEdit(self)
        self.search.setObjectName("subscriptionsSearch")
        self.search.setPlaceholderText(self.tr("Search events…"))
        self.search.setClearButtonEnabled(True)
        self.ticked = QToolButton(self)
        self.ticked.setObjectName("subscriptionsTickedOnly")
        self.ticked.setText(self.tr("Ticked only"))
        self.ticked.setToolTip(self.tr("Only events that are wanted, bound, failing or foreign"))
        self.ticked.setCheckable(True)
        self.catch_missed = QCheckBox(self.tr("Catch missed events"), self)
        self.catch_missed.setObjectName("catchMissedEvents")
        self.catch_missed.setToolTip(self.tr(
            "Also bind every ticked event to the portal's offline queue and recover what the "
            "handler missed (marked ↺). Needs a portal administrator; the offline twins stay "
            "bound when b24monitor closes."))  # fmt: skip
        self.reason = QLabel(self)
        self.reason.setObjectName("subscriptionsReason")
        self.reason.setWordWrap(True)
        self.reason.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.tree = QTreeView(self)
        self.tree.setObjectName("subscriptionsTree")
        self.footer = QLabel(self)
        self.footer.setObjectName("subscriptionsFooter")
        self.footer.setTextFormat(Qt.TextFormat.RichText)
        self.footer.setWordWrap(True)
        self._build()
        self._connect_signals(signals)
        self.follow_portal()

    def _build(self) -> None:
        tree = self.tree
        tree.setModel(self.proxy)
        tree.setRootIsDecorated(False)
        tree.setIndentation(0)  # scope rows are bold; the boxes of all rows line up
        tree.setUniformRowHeights(True)
        tree.setAlternatingRowColors(True)
        tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header = tree.header()
        header.setStretchLastSection(False)
        for column in (ONLINE, OFFLINE):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, 46)
        header.setSectionResizeMode(EVENT, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(CODE, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(CODE, 130)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.ticked)
        layout.addLayout(top)
        layout.addWidget(self.catch_missed)
        layout.addWidget(self.reason)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.footer)
        self.setMinimumWidth(360)

    def _connect_signals(self, signals: SessionSignals) -> None:
        signals.notice.connect(self._on_signals_notice)
        signals.portal_switched.connect(self._on_signals_portal_switched)
        self.model.toggle_requested.connect(self._on_model_toggle_requested)
        self.model.bulk_requested.connect(self._on_model_bulk_requested)
        self.model.modelReset.connect(self.tree.expandAll)
        self.proxy.layoutChanged.connect(self.tree.expandAll)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.ticked.toggled.connect(self._on_ticked_toggled)
        self.catch_missed.clicked.connect(self._on_catch_missed_clicked)
        self.tree.customContextMenuRequested.connect(self._on_tree_context_menu_requested)

    # -- following the portal -------------------------------------------------------------------

    def follow_portal(self) -> None:
        """Re-read the session's portal: its events, the wishes and the last report."""
        link = self.link = self.session.portal
        manager = link.subscriptions if link is not None else None
        self.state.set_listed(None)
        self.state.set_report(link.report if link is not None else ReconcileReport())
        if manager is not None:
            self.state.set_desired(manager.desired())
        self._show_catch_missed()
        if link is None:
            self._disable(
                self.tr("No portal connected: use “Connect a portal…” to choose events."),
                warn=False,
            )
        elif manager is None:
            self._disable(
                self.tr(
                    "“%1” is an outgoing-webhook profile: Bitrix24 lets only an application "
                    "bind events. Connect a local application to choose them here."
                ).replace("%1", link.profile_name)
            )
        elif not link.profile.installed:
            self._disable(
                self.tr(
                    "Waiting for the application to be installed: open it in Bitrix24 "
                    "(Developer resources → your local application) so ONAPPINSTALL arrives."
                ),
                warn=False,
            )
        else:
            self._disable(self.tr("Loading the portal's event list…"), warn=False)
            spawn(self._load(link), name="subscriptions-events", on_error=self._on_task_failed)
        self._show_footer()

    async def _load(self, link: PortalLink) -> None:
        try:
            codes = await link.client.call("events")
        except B24MonitorError as exc:
            if link is self.link:
                self._disable(self.tr("Cannot load the event list: %1").replace("%1", str(exc)))
            return
        if link is not self.link:
            return  # the portal changed while we waited
        self.state.set_listed([str(c) for c in codes] if isinstance(codes, list) else [])
        self.reason.hide()
        self.tree.setEnabled(True)
        self.tree.show()

    def _disable(self, reason: str, *, warn: bool = True) -> None:
        self.reason.setText(reason)
        self.reason.setStyleSheet(WARN_STYLE if warn else "")
        self.reason.show()
        self.tree.setEnabled(False)
        self.tree.setVisible(bool(self.state.groups))

    def _show_footer(self) -> None:
        counts = self.state.counts()
        parts = [self.tr("%1 bound").replace("%1", str(counts["bound"] + counts["stale-moved"]))]
        if counts["stale-moved"]:
            parts.append(self.tr("%1 stale → moved ✔").replace("%1", str(counts["stale-moved"])))
        if counts["pending"]:
            parts.append(self.tr("%1 pending ⟳").replace("%1", str(counts["pending"])))
        if counts["error"]:
            failed = self.tr("%1 failed ✖").replace("%1", str(counts["error"]))
            parts.append(f'<span style="{WARN_STYLE}">{html.escape(failed)}</span>')
        if counts["foreign"]:
            parts.append(self.tr("%1 foreign (left alone)").replace("%1", str(counts["foreign"])))
        text = " · ".join(parts)
        report = self.state.report
        if report.install_warning is not None:  # only the administrator can fix it (§1.1)
            # A pointer only: the status bar's "app settings stale" item is the one warning.
            warning = self.tr("⚠ Installs still go to the app's old URL: see “app settings "
                              "stale” in the status bar.")  # fmt: skip
            text += f'<br><span style="{WARN_STYLE}">{html.escape(warning)}</span>'
        self.footer.setText(text if self.link is not None else "")
        self.footer.setStyleSheet("")

    # -- intents --------------------------------------------------------------------------------

    def _request(self, keys: list[tuple[str, Mode]], wanted: bool) -> None:
        link = self.link
        if link is None or link.subscriptions is None or not keys:
            return
        self.state.request(keys, wanted)
        if len(keys) == 1:
            call = link.set_wanted(keys[0][0], keys[0][1], wanted)
        else:
            call = link.set_wanted_many(keys, wanted)
        spawn(self._carry_out(link, keys, call), name="subscriptions-set",
              on_error=self._on_task_failed)  # fmt: skip

    async def _carry_out(
        self, link: PortalLink, keys: list[tuple[str, Mode]], call: Coroutine[Any, Any, None]
    ) -> None:
        try:
            await call
        finally:
            if link.subscriptions is not None and link is self.link:
                self.state.set_desired(link.subscriptions.desired())
            self.state.settle(keys)

    # -- slots ----------------------------------------------------------------------------------

    def _on_model_toggle_requested(self, event: str, mode: str, wanted: bool) -> None:
        self._request([(event, "offline" if mode == "offline" else "online")], wanted)

    def _on_model_bulk_requested(self, events: list[str], mode: str, wanted: bool) -> None:
        checked: Mode = "offline" if mode == "offline" else "online"
        self._request([(event, checked) for event in events], wanted)

    def _on_signals_portal_switched(self, name: str) -> None:
        self.follow_portal()

    def _on_signals_notice(self, notice: Notice) -> None:
        if notice.get("type") == "safety-net-switched":
            self._show_catch_missed()
        kind = notice.get("type")
        if kind in ("installed", "uninstalled"):
            self.follow_portal()
        elif kind == "subscriptions" and self.link is not None:
            self.state.set_report(notice["report"])
            if self.link.subscriptions is not None:
                self.state.set_desired(self.link.subscriptions.desired())
            self._show_footer()
        elif (
            kind == "error"
            and notice.get("where") in ("reconcile", "event.bind")
            and notice.get("code") not in {row.event for row in self.state.report.rows}
        ):
            self.footer.setText("✖ " + str(notice.get("message", "")))
            self.footer.setStyleSheet(WARN_STYLE)

    def _on_search_text_changed(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        self.tree.expandAll()

    def _show_catch_missed(self) -> None:
        link = self.link
        app = link is not None and link.subscriptions is not None
        self.catch_missed.setVisible(app)
        twins = link is not None and app and link.twins.enabled()
        if link is not None and app:
            self.catch_missed.setChecked(twins)
        self.state.set_twins(twins)  # the twins show as ticked by the safety net, not unticked

    def _on_catch_missed_clicked(self, checked: bool) -> None:
        guard = self.session.guard
        if guard is not None:  # intent → the session carries it out → the notice comes back
            spawn(guard.set_safety_net(checked), name="safety-net-switch",
                  on_error=self._on_task_failed)  # fmt: skip

    def _on_ticked_toggled(self, checked: bool) -> None:
        self.proxy.set_active_only(checked)
        self.tree.expandAll()

    def _on_tree_context_menu_requested(self, point: QPoint) -> None:
        index = self.proxy.mapToSource(self.tree.indexAt(point))
        group = self.model.group_of(index)
        if group is None or not self.tree.isEnabled():
            return
        menu = scope_menu(self, group, self.model.item_of(index), self._request)
        menu.popup(self.tree.viewport().mapToGlobal(point))

    def _on_task_failed(self, name: str, exc: BaseException) -> None:
        self.footer.setText(html.escape("✖ " + (str(exc) or type(exc).__name__)))
        self.footer.setStyleSheet(WARN_STYLE)
