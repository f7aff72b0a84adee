"""SubscriptionManager: intent persisted first, one batch per reconcile, rows with states."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_rest import FakeClock, FakePortal, RestFault, installed_store

from b24monitor.core.errors import PortalUnavailable
from b24monitor.core.subscriptions import ReconcileReport, Subscription
from b24monitor.services.portal_client import PortalClient
from b24monitor.services.profiles import ProfileStore
from b24monitor.services.subscriptions import DesiredStore, SubscriptionManager

URL = "https://new-tunnel.ngrok-free.app/b24/S3cr3tPathSegment22ch/events"
OLD = "https://3f2a-91-0-0-1.ngrok-free.app/b24/S3cr3tPathSegment22ch/events"
FOREIGN = "https://crm-sync.example.com/bitrix/hook"


def online(event: str, handler: str) -> dict[str, Any]:
    return {"event": event, "handler": handler, "auth_type": "0", "offline": 0}


def make_manager(
    tmp_path: Path, portal: FakePortal, url: str | None = URL, **kwargs: Any
) -> SubscriptionManager:
    store = installed_store(tmp_path, portal)
    return manager_for(store, tmp_path, portal, url, **kwargs)


def manager_for(
    store: ProfileStore, tmp_path: Path, portal: FakePortal, url: str | None, **kwargs: Any
) -> SubscriptionManager:
    """Another process's manager over the same data folder (a restart)."""
    clock = FakeClock()
    client = PortalClient("acme", store, portal.client(), clock=clock, sleep=clock.sleep)
    desired = DesiredStore(tmp_path / "data", "acme")
    return SubscriptionManager(client, desired, url, **kwargs)


def batches(portal: FakePortal) -> list[dict[str, str]]:
    return [p["cmd"] for m, p in portal.calls if m == "batch"]


@pytest.mark.asyncio
async def test_set_wanted_binds_in_one_batch_and_reports_bound(tmp_path: Path) -> None:
    portal = FakePortal()
    reports: list[ReconcileReport] = []
    manager = make_manager(tmp_path, portal, ping=False, on_report=reports.append)
    report = await manager.set_wanted("onCrmDealAdd")
    assert report.state_of("ONCRMDEALADD") == "bound"
    assert portal.bindings == [online("ONCRMDEALADD", URL)]
    assert portal.http_methods == ["event.get", "batch"]
    assert [r.state_of("ONCRMDEALADD") for r in reports] == ["pending", "bound"]
    # Nothing to do the second time: event.get only, no batch.
    await manager.reconcile()
    assert portal.http_methods == ["event.get", "batch", "event.get"]


@pytest.mark.asyncio
async def test_desired_set_is_persisted_before_any_call(tmp_path: Path) -> None:
    portal = FakePortal()
    manager = make_manager(tmp_path, portal)

    def down(_params: dict[str, Any]) -> Any:
        return httpx.Response(503, text="maintenance")

    portal.methods["event.get"] = down
    with pytest.raises(PortalUnavailable):
        await manager.set_wanted("ONTASKADD", "offline")
    saved = json.loads((tmp_path / "data" / "subscriptions.json").read_text())
    assert saved["profiles"]["acme"]["wanted"] == [["ONTASKADD", "offline"]]
    assert DesiredStore(tmp_path / "data", "acme").load().wanted == {
        Subscription("ONTASKADD", "offline")
    }


@pytest.mark.asyncio
async def test_stale_bindings_move_foreign_stay(tmp_path: Path) -> None:
    portal = FakePortal()
    portal.bindings = [online("ONTASKADD", OLD), online("ONTASKADD", FOREIGN)]
    manager = make_manager(tmp_path, portal, ping=False)
    DesiredStore(tmp_path / "data", "acme").set(Subscription("ONTASKADD"), True)
    report = await manager.reconcile()
    assert report.state_of("ONTASKADD") == "stale-moved"
    assert portal.bindings == [online("ONTASKADD", FOREIGN), online("ONTASKADD", URL)]
    foreign = [r for r in report.rows if r.state == "foreign"]
    assert [(r.event, r.handler) for r in foreign] == [("ONTASKADD", FOREIGN)]
    assert len(batches(portal)) == 1


@pytest.mark.asyncio
async def test_new_handler_url_moves_every_binding(tmp_path: Path) -> None:
    portal = FakePortal()
    manager = make_manager(tmp_path, portal, url=OLD)
    await manager.set_wanted("ONCRMDEALUPDATE")
    report = await manager.set_handler_url(URL)
    assert {r["handler"] for r in portal.bindings} == {URL}
    assert {r["event"] for r in portal.bindings} == {"ONCRMDEALUPDATE", "ONAPPTEST",
                                                      "ONAPPUNINSTALL"}  # fmt: skip
    assert report.state_of("ONCRMDEALUPDATE") == "stale-moved"
    assert manager.handler_url == URL


@pytest.mark.asyncio
async def test_offline_subscription_brings_the_offline_signal(tmp_path: Path) -> None:
    portal = FakePortal()
    manager = make_manager(tmp_path, portal, ping=False, min_timeout=15)
    report = await manager.set_wanted("ONCRMDEALUPDATE", "offline")
    assert report.state_of("ONCRMDEALUPDATE", "offline") == "bound"
    assert report.state_of("ONOFFLINEEVENT") == "bound"
    assert "event.bind?event=ONOFFLINEEVENT&handler=" in " ".join(batches(portal)[0].values())
    assert any("options%5BminTimeout%5D=15" in c for c in batches(portal)[0].values())
    # Turning it off unbinds the offline row and the signal, and forgets the release.
    report = await manager.set_wanted("ONCRMDEALUPDATE", "offline", wanted=False)
    assert portal.bindings == []
    assert manager.desired().released == frozenset()


@pytest.mark.asyncio
async def test_offline_rows_not_ours_are_left_alone(tmp_path: Path) -> None:
    portal = FakePortal()
    portal.bindings = [{"event": "ONCRMLEADADD", "connector_id": "", "offline": 1}]
    report = await make_manager(tmp_path, portal, ping=False).reconcile()
    assert [r.state for r in report.rows] == ["foreign"]
    assert portal.bindings == [{"event": "ONCRMLEADADD", "connector_id": "", "offline": 1}]


@pytest.mark.asyncio
async def test_already_binded_is_bound_and_errors_are_sentences(tmp_path: Path) -> None:
    portal = FakePortal()
    bind = portal.methods["event.bind"]

    def picky(params: dict[str, Any]) -> Any:
        if params["event"] == "ONIMBOTMESSAGEADD":
            raise RestFault(400, "ERROR_EVENT_NOT_FOUND", "Event not found")
        if params["event"] == "ONTASKADD":
            raise RestFault(
                400, "ERROR_CORE", "Unable to set event handler: Handler already binded"
            )
        return bind(params)

    portal.methods["event.bind"] = picky
    manager = make_manager(tmp_path, portal, ping=False)
    desired = DesiredStore(tmp_path / "data", "acme")
    for event in ("ONTASKADD", "ONIMBOTMESSAGEADD", "ONCRMDEALADD"):
        desired.set(Subscription(event), True)
    report = await manager.reconcile()
    assert report.state_of("ONTASKADD") == "bound"
    assert report.state_of("ONCRMDEALADD") == "bound"
    assert report.state_of("ONIMBOTMESSAGEADD") == "error"
    assert report.errors[0].detail == (
        "event.bind failed with ERROR_EVENT_NOT_FOUND: ONIMBOTMESSAGEADD is not available with "
        "this app's scopes; add its scope to the app in the portal and re-install it."
    )


@pytest.mark.asyncio
async def test_without_handler_url_online_rows_are_pending(tmp_path: Path) -> None:
    portal = FakePortal()
    manager = make_manager(tmp_path, portal, url=None)
    report = await manager.set_wanted("ONTASKADD")
    assert report.state_of("ONTASKADD") == "pending"
    assert report.state_of("ONAPPTEST") == "pending"
    assert portal.bindings == []


@pytest.mark.asyncio
async def test_unbind_session_bindings_keeps_the_wish(tmp_path: Path) -> None:
    portal = FakePortal()
    portal.bindings = [online("ONTASKADD", FOREIGN)]
    manager = make_manager(tmp_path, portal)
    await manager.set_wanted("ONTASKADD")
    await manager.set_wanted("ONCRMDEALADD", "offline")
    # foreign, ONAPPTEST, ONAPPUNINSTALL, ONOFFLINEEVENT, ONTASKADD, offline
    assert len(portal.bindings) == 6
    before = len(portal.http_methods)
    await manager.unbind_session_bindings()
    assert portal.http_methods[before:] == ["batch"]
    assert portal.bindings == [
        online("ONTASKADD", FOREIGN),
        {"event": "ONCRMDEALADD", "connector_id": "", "offline": 1},
    ]
    assert Subscription("ONTASKADD") in manager.desired().wanted


def ledger(tmp_path: Path) -> list[dict[str, Any]]:
    saved = json.loads((tmp_path / "data" / "subscriptions.json").read_text())
    made: list[dict[str, Any]] = saved["profiles"]["acme"]["made"]
    return made


@pytest.mark.asyncio
async def test_every_bind_is_recorded_in_the_ledger_and_unbinds_leave_it(tmp_path: Path) -> None:
    portal = FakePortal()
    manager = make_manager(tmp_path, portal, ping=False)
    await manager.set_wanted("ONTASKADD")
    await manager.set_wanted("ONCRMDEALADD", "offline")
    made = ledger(tmp_path)
    assert {(m["event"], m["mode"], m["handler"]) for m in made} == {
        ("ONTASKADD", "online", URL),
        ("ONCRMDEALADD", "offline", ""),
        ("ONOFFLINEEVENT", "online", URL),
    }
    assert all(m["at"] > 0 and "adopted" not in m for m in made)
    await manager.set_wanted("ONCRMDEALADD", "offline", wanted=False)
    assert [m["event"] for m in ledger(tmp_path)] == ["ONTASKADD"]


@pytest.mark.asyncio
async def test_rows_we_did_not_make_stay_even_at_our_url_through_moves_and_exit(
    tmp_path: Path,
) -> None:
    portal = FakePortal()
    install, by_hand = online("ONAPPINSTALL", OLD), online("ONCRMDEALADD", OLD)
    portal.bindings = [install, by_hand, online("ONTASKADD", FOREIGN)]
    DesiredStore(tmp_path / "data", "acme").record([])  # a ledger exists: nothing to adopt
    manager = make_manager(tmp_path, portal, url=OLD)
    report = await manager.set_wanted("ONCRMDEALADD")
    assert report.state_of("ONCRMDEALADD") == "bound"  # delivered here already: not bound twice
    assert report.install_warning is None
    # The tunnel URL changes: our own rows move, the two rows at the old URL stay.
    report = await manager.set_handler_url(URL)
    assert install in portal.bindings and by_hand in portal.bindings
    assert online("ONCRMDEALADD", URL) in portal.bindings
    assert report.install_handler == OLD and "Initial installation path" in str(
        report.install_warning
    )
    # Turned off and the session ends: only our rows go.
    await manager.set_wanted("ONCRMDEALADD", wanted=False)
    await manager.unbind_session_bindings()
    assert portal.bindings == [install, by_hand, online("ONTASKADD", FOREIGN)]
    assert ledger(tmp_path) == []


@pytest.mark.asyncio
async def test_the_ledger_outlives_the_process_so_a_restart_moves_old_rows(
    tmp_path: Path,
) -> None:
    portal = FakePortal()
    store = installed_store(tmp_path, portal)
    await manager_for(store, tmp_path, portal, OLD, ping=False).set_wanted("ONTASKADD")
    assert portal.bindings == [online("ONTASKADD", OLD)]
    portal.bindings.append(online("ONCRMDEALADD", OLD))  # made by hand at our old URL
    report = await manager_for(store, tmp_path, portal, URL, ping=False).reconcile()
    assert report.state_of("ONTASKADD") == "stale-moved"
    assert portal.bindings == [online("ONCRMDEALADD", OLD), online("ONTASKADD", URL)]


@pytest.mark.asyncio
async def test_upgrade_adopts_our_secret_path_rows_but_not_the_install_handler(
    tmp_path: Path,
) -> None:
    portal = FakePortal()
    portal.bindings = [
        online("ONAPPINSTALL", OLD),  # the portal's installation handler at our old URL
        online("ONTASKADD", OLD),  # bound by a b24monitor that kept no ledger
        online("ONAPPTEST", OLD),
        online("ONCRMLEADADD", OLD),  # at our path but never wanted: not ours to judge
    ]
    path = tmp_path / "data" / "subscriptions.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"format": 1, "profiles": {"acme": {
        "wanted": [["ONTASKADD", "online"]], "released": []}}}))  # fmt: skip
    report = await make_manager(tmp_path, portal, url=URL).reconcile()
    assert report.state_of("ONTASKADD") == "stale-moved"
    assert report.state_of("ONAPPTEST") == "stale-moved"
    assert portal.bindings == [
        online("ONAPPINSTALL", OLD),
        online("ONCRMLEADADD", OLD),
        online("ONAPPTEST", URL),
        online("ONAPPUNINSTALL", URL),  # always bound for a linked profile (issue 10)
        online("ONTASKADD", URL),
    ]
    assert {(m["event"], m["handler"]) for m in ledger(tmp_path)} == {
        ("ONTASKADD", URL),
        ("ONAPPTEST", URL),
        ("ONAPPUNINSTALL", URL),
    }


@pytest.mark.asyncio
async def test_an_unbind_that_matched_nothing_keeps_the_row_ours_until_it_is_gone(
    tmp_path: Path,
) -> None:
    portal = FakePortal()
    manager = make_manager(tmp_path, portal, url=OLD, ping=False)
    await manager.set_wanted("ONTASKADD")
    unbind = portal.methods["event.unbind"]
    portal.methods["event.unbind"] = lambda _params: {"count": 0}  # e.g. an auth_type mismatch
    await manager.set_handler_url(URL)
    assert online("ONTASKADD", OLD) in portal.bindings
    assert {m["handler"] for m in ledger(tmp_path)} == {OLD, URL}  # still ours: tried again
    portal.methods["event.unbind"] = unbind
    await manager.reconcile()
    assert portal.bindings == [online("ONTASKADD", URL)]
    assert [m["handler"] for m in ledger(tmp_path)] == [URL]
