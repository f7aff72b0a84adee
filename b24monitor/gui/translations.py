"""Which language the UI speaks (the system's, or the Settings override) and the .ts/.qm tooling.

`install(app, settings)` makes the chosen locale the default QLocale (so `ui_language()` and
number formats agree with the texts) and loads the translators through i18n.install_translators.
Event descriptions are not in the .qm: they come from the catalog's Russian column.

Tooling, using the lupdate/lrelease that ship with PySide6-Essentials:

    python -m b24monitor.gui.translations update   # re-extract strings into b24monitor_ru.ts
    python -m b24monitor.gui.translations release  # compile b24monitor_ru.qm
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

from b24monitor.gui.i18n import install_translators
from b24monitor.gui.icons import resources_dir
from b24monitor.gui.settings_store import GuiSettings


def ui_locale(settings: GuiSettings | None = None) -> QLocale:
    """The Settings override ("en"/"ru"), else the system locale."""
    language = settings.language if settings is not None else ""
    return QLocale(language) if language else QLocale.system()


def install(app: QCoreApplication, settings: GuiSettings | None = None) -> list[QTranslator]:
    """Load the translations for the UI language; keep the returned list alive."""
    locale = ui_locale(settings)
    QLocale.setDefault(locale)
    return install_translators(app, locale)


def remove(app: QCoreApplication, translators: list[QTranslator]) -> None:
    for translator in translators:
        app.removeTranslator(translator)
    QLocale.setDefault(QLocale.system())


def ui_language() -> str:
    """ "ru" or "en": the language for catalog descriptions, following the default locale."""
    return "ru" if QLocale().language() == QLocale.Language.Russian else "en"


def _tool(name: str, *args: str) -> None:
    subprocess.run([f"pyside6-{name}", *args], check=True)


def main(argv: list[str]) -> int:
    """`update`: re-extract strings into the .ts; `release`: compile the .qm."""
    folder = resources_dir() / "translations"
    ts = folder / "b24monitor_ru.ts"
    if argv[:1] == ["update"]:
        sources = sorted(str(p) for p in (Path(__file__).parent).rglob("*.py"))
        _tool("lupdate", "-locations", "none", *sources, "-ts", str(ts))
    elif argv[:1] == ["release"]:
        _tool("lrelease", str(ts), "-qm", str(ts.with_suffix(".qm")))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
