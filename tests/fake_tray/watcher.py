"""A stand-in for a desktop's tray: the StatusNotifierWatcher a Linux panel runs on the session bus.

Qt on Linux shows a QSystemTrayIcon as a StatusNotifierItem (the freedesktop/KDE tray protocol)
when a watcher owns `org.kde.StatusNotifierWatcher` on the session bus and says a host (a panel
that draws the icons) is registered; QSystemTrayIcon.isSystemTrayAvailable() asks exactly that.
This watcher answers yes and prints one JSON line per icon that registers itself:
`{"item": "<bus name of the app>"}` (after `{"ready": true}` once it owns the name). A test then
reads the icon's tooltip and clicks it over the bus (`dbus-send`), as a panel would.

    DBUS_SESSION_BUS_ADDRESS=… python3 tests/fake_tray/watcher.py
"""

from __future__ import annotations

import json
import sys

from PySide6.QtCore import ClassInfo, Property, QCoreApplication, QObject, Signal, Slot
from PySide6.QtDBus import QDBusConnection, QDBusMessage

OPTIONS = (
    QDBusConnection.RegisterOption.ExportAllSlots
    | QDBusConnection.RegisterOption.ExportAllProperties
    | QDBusConnection.RegisterOption.ExportAllSignals
)


@ClassInfo({"D-Bus Interface": "org.kde.StatusNotifierWatcher"})
class Watcher(QObject):
    """The watcher's D-Bus interface, as much of it as Qt's tray icon uses."""

    StatusNotifierItemRegistered = Signal(str)
    StatusNotifierItemUnregistered = Signal(str)
    StatusNotifierHostRegistered = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.items: list[str] = []

    @Slot(str, QDBusMessage)
    def RegisterStatusNotifierItem(self, service: str, message: QDBusMessage) -> None:
        # Qt passes its own bus name (or a path, then the sender is the item's service).
        item = service if not service.startswith("/") else message.service()
        self.items.append(item)
        print(json.dumps({"item": item}), flush=True)
        self.StatusNotifierItemRegistered.emit(item)

    @Slot(str)
    def RegisterStatusNotifierHost(self, service: str) -> None:
        self.StatusNotifierHostRegistered.emit()

    def _host_registered(self) -> bool:
        return True  # a panel draws the icons

    def _registered_items(self) -> list[str]:
        return self.items

    def _protocol_version(self) -> int:
        return 0

    IsStatusNotifierHostRegistered = Property(bool, _host_registered)
    RegisteredStatusNotifierItems = Property("QStringList", _registered_items)
    ProtocolVersion = Property(int, _protocol_version)


def main() -> int:
    app = QCoreApplication(sys.argv[:1])
    bus = QDBusConnection.sessionBus()
    watcher = Watcher()
    if not bus.registerObject("/StatusNotifierWatcher", watcher, OPTIONS):
        print("cannot export the watcher on the session bus", file=sys.stderr)
        return 1
    if not bus.registerService("org.kde.StatusNotifierWatcher"):
        print("another watcher owns org.kde.StatusNotifierWatcher", file=sys.stderr)
        return 1
    print(json.dumps({"ready": True}), flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
