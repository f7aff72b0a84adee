"""Translation: marking strings for lupdate, translating them, and loading the .qm files.

Every user-visible string goes through Qt's translation (`self.tr()` in widgets, `translate()`
here for tables of words), so Russian .qm files can be dropped into resources/translations later
(`b24monitor_ru.qm`) without touching the code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from PySide6 import QtCore
from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from b24monitor.gui.icons import resources_dir

# lupdate finds strings by this name; the cast only gives mypy the real signature.
QT_TRANSLATE_NOOP = cast(Callable[[str, str], str], QtCore.QT_TRANSLATE_NOOP)


def translate(context: str, text: str) -> str:
    return QCoreApplication.translate(context, text)


def install_translators(app: QCoreApplication, locale: QLocale | None = None) -> list[QTranslator]:
    """Load Qt's own and b24monitor's translations for the system locale; keep the result alive."""
    locale = locale or QLocale.system()
    loaded = []
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    ours = str(resources_dir() / "translations")
    for name, directory in (("qtbase", qt_dir), ("b24monitor", ours)):
        translator = QTranslator(app)
        if translator.load(locale, name, "_", directory):
            app.installTranslator(translator)
            loaded.append(translator)
    return loaded
