"""The event catalog: the shipped file, variants, and the merge with the portal's `events`."""

from __future__ import annotations

from pathlib import Path

from b24monitor.core.catalog import Catalog, CatalogEntry

# A copy of the shared spec's event-code list (../shared/spec/event-codes.txt), kept with the
# tests so the comparison runs everywhere instead of passing silently where the spec is absent.
SPEC_CODES = Path(__file__).with_name("event_codes_spec.txt")

# The `events` answer from spec §2.1.
PORTAL_EVENTS = [
    "ONAPPUNINSTALL",
    "ONAPPINSTALL",
    "ONAPPUPDATE",
    "ONAPPPAYMENT",
    "ONAPPTEST",
    "ONAPPMETHODCONFIRM",
    "ONOFFLINEEVENT",
    "ONCRMLEADADD",
    "ONCRMLEADUPDATE",
    "ONCRMDEALADD",
    "ONCRMDYNAMICITEMADD_1032",
    "ONTASKADD",
]


def test_shipped_catalog_has_every_code_with_both_languages() -> None:
    catalog = Catalog.load()
    assert len(catalog) == 212
    for entry in catalog:
        assert entry.scope and entry.description_en and entry.description_ru, entry.code
        assert any("а" <= ch <= "я" for ch in entry.description_ru.lower()), entry.code
    assert catalog.scopes()[:3] == ["basic", "user", "crm"]


def test_shipped_catalog_matches_the_spec_list() -> None:
    rows = [line.split("\t") for line in SPEC_CODES.read_text(encoding="utf-8").splitlines()]
    codes = [code for _, code, _ in rows]
    assert [e.code for e in Catalog.load()] == codes
    assert {e.code: e.scope for e in Catalog.load()} == {c: s for s, c, _ in rows}


def test_descriptions_by_language() -> None:
    entry = Catalog.load().lookup("onCrmDealAdd")
    assert entry == CatalogEntry("ONCRMDEALADD", "crm", "Deal created", "Создана сделка")
    assert entry.description("ru_RU") == "Создана сделка"
    assert entry.description("en") == "Deal created"
    assert entry.description("de") == "Deal created"


def test_per_type_variants_take_their_base_description() -> None:
    catalog = Catalog.load()
    entry = catalog.lookup("ONCRMDYNAMICITEMADD_1032")
    assert entry.scope == "crm"
    assert entry.description_en == "Item of dynamic CRM type 1032 created (type-specific variant)"
    assert "1032" in entry.description_ru
    assert not entry.is_template
    assert "ONCRMDYNAMICITEMADD_{entityTypeId}" in catalog


def test_variant_of_a_code_without_template_uses_the_base() -> None:
    catalog = Catalog.parse(
        "scope\tcode\tdescription_en\tdescription_ru\ncrm\tONCRMTHINGADD\tThing added\tДобавлено\n"
    )
    entry = catalog.lookup("ONCRMTHINGADD_7")
    assert (entry.description_en, entry.description_ru) == (
        "Thing added (type 7)",
        "Добавлено (тип 7)",
    )


def test_merge_uses_the_portal_list_as_truth() -> None:
    merged = Catalog.load().merge([*PORTAL_EVENTS, "onTaskAdd", "ONSOMETHINGNEW", ""])
    codes = [e.code for e in merged]
    assert sorted(codes) == sorted({*PORTAL_EVENTS, "ONSOMETHINGNEW"})
    assert codes[:7] == [
        "ONAPPINSTALL",
        "ONAPPUPDATE",
        "ONAPPUNINSTALL",
        "ONAPPPAYMENT",
        "ONAPPTEST",
        "ONAPPMETHODCONFIRM",
        "ONOFFLINEEVENT",
    ]
    assert codes.index("ONCRMDEALADD") < codes.index("ONCRMDYNAMICITEMADD_1032")
    assert codes.index("ONCRMDYNAMICITEMADD_1032") < codes.index("ONTASKADD")
    assert codes[-1] == "ONSOMETHINGNEW"
    assert not merged[-1].known and merged[-1].scope == ""
