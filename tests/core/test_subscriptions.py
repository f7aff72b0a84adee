"""Subscription diff: bound, to bind, to unbind, stale (old tunnel URL), foreign, implied rows.

Only rows in the ledger (`ours`) are ever unbound or moved; everything else is foreign.
"""

from __future__ import annotations

from b24monitor.core import subscriptions as subs
from b24monitor.core.errors import EventNotFound, PortalCallError
from b24monitor.core.subscriptions import Binding, Subscription

URL = "https://new-tunnel.ngrok-free.app/b24/S3cr3tPathSegment22ch/events"
OLD = "https://3f2a-91-0-0-1.ngrok-free.app/b24/S3cr3tPathSegment22ch/events"
OTHER = "https://3f2a-91-0-0-1.ngrok-free.app/b24/events"

# event.get's answer shape (spec §2.4), with our current, old and a foreign handler.
EVENT_GET = [
    {"event": "ONCRMDEALUPDATE", "handler": URL, "auth_type": "0", "offline": 0},
    {"event": "ONTASKADD", "handler": OLD, "auth_type": "1", "offline": 0},
    {"event": "ONCRMDEALUPDATE", "handler": OTHER, "auth_type": "0", "offline": 0},
    {"event": "ONCRMDEALUPDATE", "connector_id": "", "offline": 1},
    {"event": "ONCRMLEADADD", "connector_id": "crm-sync", "offline": 1},
]
# The ledger: what b24monitor itself bound (the first, second and fourth row).
OURS = frozenset(
    {
        ("ONCRMDEALUPDATE", "online", URL),
        ("ONTASKADD", "online", OLD),
        ("ONCRMDEALUPDATE", "offline", ""),
    }
)


def test_parse_bindings_reads_online_and_offline_rows() -> None:
    rows = subs.parse_bindings([*EVENT_GET, {"no": "event"}, "junk"])
    assert rows[1] == Binding("ONTASKADD", "online", handler=OLD, auth_type="1")
    assert rows[3] == Binding("ONCRMDEALUPDATE", "offline")
    assert rows[4].connector == "crm-sync"
    assert len(rows) == 5


def test_effective_adds_the_offline_signal_and_ping() -> None:
    wanted = subs.effective(
        {Subscription("ONCRMDEALUPDATE", "offline"), Subscription("ONOFFLINEEVENT", "offline")},
        ping=True,
    )
    assert wanted == {
        Subscription("ONCRMDEALUPDATE", "offline"),
        Subscription("ONOFFLINEEVENT", "online"),
        Subscription("ONAPPTEST", "online"),
        Subscription("ONAPPUNINSTALL", "online"),  # an uninstall is always noticed (issue 10)
    }
    assert subs.effective({Subscription("ONTASKADD")}) == {Subscription("ONTASKADD")}


def test_plan_classifies_every_row() -> None:
    wanted = subs.effective(
        {
            Subscription("ONCRMDEALUPDATE"),
            Subscription("ONTASKADD"),
            Subscription("ONCRMDEALUPDATE", "offline"),
            Subscription("ONCRMCONTACTADD"),
        }
    )
    plan = subs.plan(wanted, subs.parse_bindings(EVENT_GET), URL, ours=OURS)
    assert set(plan.bound) == {
        Subscription("ONCRMDEALUPDATE"),
        Subscription("ONCRMDEALUPDATE", "offline"),
    }
    assert set(plan.to_bind) == {
        Subscription("ONTASKADD"),
        Subscription("ONCRMCONTACTADD"),
        Subscription("ONOFFLINEEVENT"),
    }
    assert [b.handler for b in plan.stale] == [OLD]
    assert [(b.event, b.handler) for b in plan.to_unbind] == [("ONTASKADD", OLD)]
    assert {(b.event, b.handler, b.connector) for b in plan.foreign} == {
        ("ONCRMDEALUPDATE", OTHER, ""),
        ("ONCRMLEADADD", "", "crm-sync"),
    }


def test_unwanted_rows_of_ours_are_unbound_and_nothing_else() -> None:
    bindings = subs.parse_bindings(EVENT_GET)
    plan = subs.plan(frozenset(), bindings, URL, ours=OURS)
    assert [(b.event, b.mode) for b in plan.to_unbind] == [
        ("ONCRMDEALUPDATE", "online"),
        ("ONTASKADD", "online"),
        ("ONCRMDEALUPDATE", "offline"),
    ]
    untouched = subs.plan(frozenset(), bindings, URL)  # an empty ledger: nothing is ours
    assert untouched.to_unbind == () and len(untouched.foreign) == len(bindings)


def test_rows_at_our_url_we_did_not_make_are_never_unbound() -> None:
    install = Binding("ONAPPINSTALL", "online", handler=URL)
    by_hand = Binding("ONCRMDEALUPDATE", "online", handler=URL)
    wanted = {Subscription("ONCRMDEALUPDATE")}
    plan = subs.plan(wanted, [install, by_hand], URL)
    assert plan.to_unbind == () and plan.to_bind == ()
    assert plan.borrowed == (Subscription("ONCRMDEALUPDATE"),)  # delivers to us: no second bind
    assert plan.foreign == (install,)
    # A new tunnel URL: neither row is moved.
    moved = subs.plan(wanted, [install, by_hand], OLD)
    assert moved.to_unbind == () and moved.stale == ()
    assert moved.to_bind == (Subscription("ONCRMDEALUPDATE"),)


def test_the_installation_handler_is_labelled_and_warned_about() -> None:
    install = Binding("ONAPPINSTALL", "online", handler=OLD)
    plan = subs.plan({Subscription("ONTASKADD")}, [install], URL)
    report = subs.report(plan, [], [], URL)
    row = next(r for r in report.rows if r.event == "ONAPPINSTALL")
    assert (row.state, row.role) == ("foreign", "install")
    assert "installation handler" in row.detail
    assert report.install_handler == OLD
    assert report.install_warning is not None
    assert "“Initial installation path”" in report.install_warning
    assert OLD in report.install_warning and URL in report.install_warning
    current = subs.report(subs.plan(frozenset(), [install], OLD), [], [], OLD)
    assert current.install_handler == OLD and current.install_warning is None


def test_without_a_handler_url_online_rows_wait() -> None:
    wanted = {Subscription("ONTASKADD"), Subscription("ONCRMDEALADD", "offline")}
    plan = subs.plan(subs.effective(wanted), [], None)
    assert plan.to_bind == (Subscription("ONCRMDEALADD", "offline"),)
    assert set(plan.waiting) == {Subscription("ONTASKADD"), Subscription("ONOFFLINEEVENT")}
    rows = subs.report(plan, [], [], None).rows
    assert {r.state for r in rows} == {"pending"}


def test_calls_bind_first_with_options_for_the_offline_signal() -> None:
    wanted = subs.effective({Subscription("ONCRMDEALADD", "offline"), Subscription("ONTASKADD")})
    plan = subs.plan(wanted, subs.parse_bindings(EVENT_GET[1:2]), URL, ours=OURS)
    planned = subs.calls(plan, URL, min_timeout=30)
    assert [(c.method, dict(c.params)) for c in planned] == [
        ("event.bind", {"event": "ONCRMDEALADD", "event_type": "offline"}),
        ("event.bind", {"event": "ONOFFLINEEVENT", "handler": URL, "options": {"minTimeout": 30}}),
        ("event.bind", {"event": "ONTASKADD", "handler": URL}),
        ("event.unbind", {"event": "ONTASKADD", "handler": OLD}),
    ]


def test_report_states_after_the_calls() -> None:
    wanted = {Subscription("ONTASKADD"), Subscription("ONCRMDEALADD"), Subscription("ONX")}
    bindings = subs.parse_bindings(
        [*EVENT_GET[1:3], {"event": "ONCRMDEALADD", "handler": URL, "offline": 0}]
    )
    ours = OURS | {("ONCRMDEALADD", "online", URL)}
    plan = subs.plan(wanted, bindings, URL, ours=ours)
    planned = subs.calls(plan, URL)
    assert [(c.method, c.subscription.event) for c in planned] == [
        ("event.bind", "ONTASKADD"),
        ("event.bind", "ONX"),
        ("event.unbind", "ONTASKADD"),
    ]
    missing = EventNotFound("event.bind", "ERROR_EVENT_NOT_FOUND", "ONX is not available")
    report = subs.report(plan, planned, [True, missing, {"count": 1}], URL)
    assert report.state_of("ONCRMDEALADD") == "bound"
    assert report.state_of("ONTASKADD") == "stale-moved"
    assert report.state_of("ONX") == "error"
    assert report.errors[0].detail == str(missing)
    foreign = [r for r in report.rows if r.state == "foreign"]
    assert [(r.event, r.handler) for r in foreign] == [("ONCRMDEALUPDATE", OTHER)]


def test_handler_already_binded_counts_as_bound() -> None:
    plan = subs.plan({Subscription("ONTASKADD")}, [], URL)
    planned = subs.calls(plan, URL)
    already = PortalCallError(
        "event.bind",
        "ERROR_CORE",
        "x",
        description="Unable to set event handler: Handler already binded",
    )
    assert subs.report(plan, planned, [already], URL).state_of("ONTASKADD") == "bound"


def test_pending_report_marks_binds_in_flight() -> None:
    plan = subs.plan({Subscription("ONTASKADD")}, subs.parse_bindings(EVENT_GET[2:3]), URL)
    report = subs.pending_report(plan, URL)
    assert report.state_of("ONTASKADD") == "pending"
    assert [r.state for r in report.rows] == ["foreign", "pending"]
