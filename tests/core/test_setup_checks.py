"""doctor's pure verdicts: clock, features, bindings, ticked events."""

from __future__ import annotations

from b24monitor.core import setup_checks as sc
from b24monitor.core.catalog import Catalog

PATH = "/b24/secret/events"


def test_clock() -> None:
    assert sc.clock(1000.5, 1000.0, 0.1).level == "ok"
    assert sc.clock(1030.0, 1000.0, 0.1).level == "warn"
    late = sc.clock(1000.0, 1300.0, 0.1)
    assert late.level == "fail" and "-300 s" in late.text
    assert sc.clock(None, 1000.0, 0.1).level == "warn"


def test_features_follow_feature_get_values() -> None:
    assert sc.feature("rest_offline_extended", "Y").level == "ok"
    assert sc.feature("rest_offline_extended", "ru_selfhosted").level == "ok"  # spec §2.10
    assert sc.feature("rest_auth_connector", "N").level == "warn"
    assert sc.feature("rest_auth_connector", None).level == "warn"


def test_bindings_stale_and_twice() -> None:
    rows = [{"event": "ONCRMDEALADD", "handler": "https://new.example" + PATH, "offline": 0},
            {"event": "ONCRMDEALADD", "handler": "https://old.example" + PATH, "offline": 0},
            {"event": "ONTASKADD", "handler": "https://elsewhere.example/hook", "offline": 0},
            {"event": "ONCRMDEALADD", "connector_id": "", "offline": 1}]  # fmt: skip
    verdicts = sc.bindings(rows, PATH, "https://new.example" + PATH)
    assert [(v.check, v.level) for v in verdicts] == [("bindings", "fail"), ("bound twice", "fail")]
    clean = sc.bindings(rows[:1] + rows[2:], PATH, "https://new.example" + PATH)
    assert [v.level for v in clean] == ["ok", "ok"]
    assert sc.bindings(rows[2:], PATH, None)[0].level == "warn"  # none of ours


def test_ticked_events_need_the_portal_and_the_scope() -> None:
    catalog = Catalog.load()
    verdicts = sc.ticked_events(["ONCRMDEALADD", "ONTASKADD", "ONNOSUCHEVENT"], ["ONCRMDEALADD"],
                                ["crm"], catalog)  # fmt: skip
    texts = [v.text for v in verdicts]
    assert all(v.level == "fail" for v in verdicts) and len(texts) == 2
    assert texts[0].startswith("ONNOSUCHEVENT is not offered")
    assert texts[1].startswith("ONTASKADD needs the “task” scope")
    assert sc.ticked_events(["ONCRMDEALADD"], ["ONCRMDEALADD"], ["crm"], catalog)[0].level == "ok"
