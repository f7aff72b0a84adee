"""The event catalog: shipped EN/RU descriptions merged with the portal's `events` list (§2.1, §6).

The shipped file (resources/event-catalog.tsv: scope, code, English, Russian) describes events;
the portal's `events` answer is the truth for what can be bound — it also lists per-type
variants such as ONCRMDYNAMICITEMADD_1032, which take the description of their base code.
In a wheel the file is `b24monitor/resources/…`; in a checkout it is the top-level `resources/`.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

CATALOG_FILE = "event-catalog.tsv"
_VARIANT = re.compile(r"^(?P<base>.+)_(?P<type_id>\d+)$")
_TYPE_PLACEHOLDER = "{entityTypeId}"


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One event code with its permission scope and descriptions ("" when unknown)."""

    code: str
    scope: str = ""
    description_en: str = ""
    description_ru: str = ""

    @property
    def known(self) -> bool:
        """True when the shipped catalog describes this code (or its base code)."""
        return bool(self.description_en)

    @property
    def is_template(self) -> bool:
        """True for the catalog's `…_{entityTypeId}` rows, which are not bindable codes."""
        return _TYPE_PLACEHOLDER in self.code

    def description(self, language: str = "en") -> str:
        """The description in `language` ("ru…" → Russian), falling back to English."""
        if language.lower().startswith("ru") and self.description_ru:
            return self.description_ru
        return self.description_en


class Catalog:
    """Shipped descriptions by code, in file order; looks up per-type variants too."""

    def __init__(self, entries: Iterable[CatalogEntry]) -> None:
        self._entries = {entry.code: entry for entry in entries}
        self._order = {code: i for i, code in enumerate(self._entries)}
        self._scopes = list(dict.fromkeys(e.scope for e in self._entries.values()))

    @classmethod
    def parse(cls, text: str) -> Catalog:
        """Read the TSV format: `#` comments, one header line, then 4 tab-separated columns."""
        entries = []
        for line in text.splitlines():
            if not line.strip() or line.startswith("#") or line.startswith("scope\t"):
                continue
            scope, code, english, russian = [*line.split("\t"), "", "", ""][:4]
            entries.append(CatalogEntry(normalize(code), scope.strip(), english, russian))
        return cls(entries)

    @classmethod
    def load(cls, path: Path | None = None) -> Catalog:
        """The catalog at `path`, or the shipped one."""
        return cls.parse(path.read_text(encoding="utf-8")) if path else _shipped()

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and normalize(code) in self._entries

    def scopes(self) -> list[str]:
        """Scopes in catalog order (basic first), for grouping the picker."""
        return list(self._scopes)

    def lookup(self, code: str) -> CatalogEntry:
        """The entry for `code`; a variant gets its base's description; unknown → bare entry."""
        code = normalize(code)
        entry = self._entries.get(code)
        if entry is not None:
            return entry
        match = _VARIANT.match(code)
        if match is None:
            return CatalogEntry(code)
        base, type_id = match["base"], match["type_id"]
        template = self._entries.get(f"{base}_{_TYPE_PLACEHOLDER}")
        if template is not None:
            return CatalogEntry(
                code,
                template.scope,
                template.description_en.replace(_TYPE_PLACEHOLDER, type_id),
                template.description_ru.replace(_TYPE_PLACEHOLDER, type_id),
            )
        parent = self._entries.get(base)
        if parent is None:
            return CatalogEntry(code)
        return CatalogEntry(
            code,
            parent.scope,
            f"{parent.description_en} (type {type_id})",
            f"{parent.description_ru} (тип {type_id})" if parent.description_ru else "",
        )

    def merge(self, portal_codes: Iterable[str]) -> list[CatalogEntry]:
        """What can be bound: the portal's codes, described, grouped by scope in catalog order.

        Codes the catalog does not know keep an empty scope and come last, alphabetically.
        """
        codes = dict.fromkeys(normalize(c) for c in portal_codes if c and c.strip())
        return sorted((self.lookup(code) for code in codes), key=self._sort_key)

    def _sort_key(self, entry: CatalogEntry) -> tuple[int, int, int, str]:
        if not entry.known:
            return (len(self._scopes), 0, 0, entry.code)
        scope_rank = self._scopes.index(entry.scope) if entry.scope in self._scopes else 0
        match = _VARIANT.match(entry.code)
        if entry.code in self._order or match is None:
            return (scope_rank, self._order.get(entry.code, 0), 0, entry.code)
        template = f"{match['base']}_{_TYPE_PLACEHOLDER}"
        rank = self._order.get(template, self._order.get(match["base"], 0))
        return (scope_rank, rank, int(match["type_id"]), entry.code)


def normalize(code: str) -> str:
    """Event codes are case-insensitive and stored upper-case (spec §2.0); placeholders kept."""
    return code.strip().upper().replace(_TYPE_PLACEHOLDER.upper(), _TYPE_PLACEHOLDER)


@functools.cache
def _shipped() -> Catalog:
    return Catalog.parse(_shipped_text())


def _shipped_text() -> str:
    """The shipped TSV: inside the installed package first, else the checkout's resources/."""
    packaged = importlib.resources.files("b24monitor").joinpath("resources", CATALOG_FILE)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parents[2] / "resources" / CATALOG_FILE
    return checkout.read_text(encoding="utf-8")
