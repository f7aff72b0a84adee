"""What the sandbox used to hide, against the sandbox in the matching mode over loopback HTTP.

Self-hosted portals (`ru_selfhosted` features, unpaced REST), a rename followed once in the
middle of a session, the licence-expired redirect, flagged offline rows that fail again, and
offline rows handed to the developer's own handler (issue 10, spec §2.9, §2.10, §5.1, §5.4).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from fake_rest import FakeClock, FakePortal, installed_store
from test_portal_sandbox import Env, installed

from b24monitor.core.errors import PortalRedirected
from b24monitor.core.phpform import parse_form
from b24monitor.services.offline_queue import OfflineQueue, OfflineRecord
from b24monitor.services.offline_sender import ROW_HEADER, OfflineSender, SendOutcome
from b24monitor.services.portal_client import PortalClient
from b24monitor.services.portal_link import PortalLink


async def offline_rows(env: Env, *deals: str) -> OfflineQueue:
    """Bind ONCRMDEALUPDATE offline and let the portal queue one row per deal."""
    await env.client.call("event.bind", {"event": "ONCRMDEALUPDATE", "event_type": "offline"})
    for deal in deals:
        await env.portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": deal}})
    return OfflineQueue(env.client)


def deal_of(record: OfflineRecord) -> str:
    return str(record.data["FIELDS"]["ID"])


@pytest.mark.asyncio
async def test_self_hosted_portal_consumes_safely(tmp_path: Path) -> None:
    async with installed(tmp_path, self_hosted="ru") as env:
        answer = await env.client.call("feature.get", {"CODE": "rest_offline_extended"})
        assert answer == {"value": "ru_selfhosted"}  # not "Y" (spec §2.10)
        queue = await offline_rows(env, "1", "2")

        async def done(records: Sequence[OfflineRecord]) -> list[str]:
            return []

        # Reading "ru_selfhosted" as unavailable would refuse this (DestructiveReadRefused).
        result = await queue.consume_safely(done)
        assert result.process_id and not result.destructive
        assert sorted(deal_of(r) for r in result.records) == ["1", "2"]
        assert await queue.list_all() == []


@pytest.mark.asyncio
@pytest.mark.parametrize(("rate", "paced"), [("none", False), ("standard", True)])
async def test_rest_pacing_follows_the_profiles_plan(
    tmp_path: Path, rate: str, paced: bool
) -> None:
    async with installed(tmp_path, self_hosted="ru", rate=rate) as env:
        clock = FakeClock()
        client = PortalClient("sandbox", env.store, env.http, clock=clock, sleep=clock.sleep)
        results = await asyncio.gather(*(client.call("scope") for _ in range(70)))
        assert len(results) == 70
        # Plan "none" never waits on a portal without a limit; standard waits after 50.
        assert bool(clock.sleeps) is paced


@pytest.mark.asyncio
async def test_a_rename_mid_session_keeps_binding_and_calling_and_tells_once(
    tmp_path: Path,
) -> None:
    async with installed(tmp_path) as env:
        notices: list[dict[str, Any]] = []
        link = PortalLink("sandbox", env.store, env.data_dir, env.http, notify=notices.append)
        await link.attach(env.handler.url, public=False)
        await link.set_wanted("ONCRMDEALADD", "online", True)
        old_domain = env.store.get("sandbox").domain
        new_endpoint = env.portal.rename()  # 127.0.0.1:PORT → localhost:PORT
        new_domain = new_endpoint.split("/")[2]

        # Several calls meet the redirect at once; the user hears about it once.
        await asyncio.gather(*(link.client.call("event.get") for _ in range(4)))
        await link.set_wanted("ONTASKADD", "online", True)
        moved = [n for n in notices if n["type"] == "portal_moved"]
        assert len(moved) == 1
        assert (moved[0]["from"], moved[0]["to"]) == (old_domain, new_domain)
        assert moved[0]["message"].startswith(f"portal sandbox moved to {new_domain}")
        profile = env.store.get("sandbox")
        assert (profile.domain, profile.client_endpoint) == (new_domain, new_endpoint)
        assert {"ONCRMDEALADD", "ONTASKADD"} <= {b.event for b in env.portal.bindings()}
        assert not [n for n in notices if n["type"] == "error"]

        # Calls now go straight to the new host: no more redirects.
        redirects = sum(1 for r in env.responses if r.status_code == 302)
        await env.portal.fire("ONTASKADD", {"FIELDS_AFTER": {"ID": "905"}})
        delivered = await env.handler.next_event("ONTASKADD")
        assert delivered["auth"]["domain"] == new_domain
        assert await link.client.call("event.get")
        assert sum(1 for r in env.responses if r.status_code == 302) == redirects


@pytest.mark.asyncio
async def test_a_redirect_to_the_same_host_is_one_sentence_not_a_loop(tmp_path: Path) -> None:
    async with installed(tmp_path, self_hosted="ru") as env:
        before = env.store.get("sandbox")
        env.portal.expire_licence()
        with pytest.raises(PortalRedirected, match="licence-expired page; renew the licence"):
            await env.client.call("event.get")
        assert sum(1 for r in env.responses if r.status_code == 302) == 1
        assert env.store.get("sandbox").client_endpoint == before.client_endpoint
        env.portal.expire_licence(False)
        assert [row["event"] for row in await env.client.call("event.get")] == ["ONAPPINSTALL"]


@pytest.mark.asyncio
async def test_a_second_redirect_is_one_sentence_not_a_loop(tmp_path: Path) -> None:
    hops: list[str] = []

    def always_moving(request: httpx.Request) -> httpx.Response:
        hops.append(request.url.host)
        target = f"https://hop{len(hops)}.bitrix24.com{request.url.path}"
        return httpx.Response(302, headers={"Location": target})

    store = installed_store(tmp_path, FakePortal())
    notices: list[tuple[str, str, str]] = []
    async with httpx.AsyncClient(transport=httpx.MockTransport(always_moving)) as http:
        client = PortalClient("acme", store, http, on_moved=lambda *a: notices.append(a))
        with pytest.raises(PortalRedirected, match=r"a second time .* open the portal"):
            await client.call("event.get")
    assert hops == ["acme.bitrix24.com", "hop1.bitrix24.com"]
    assert notices == [("acme", "acme.bitrix24.com", "hop1.bitrix24.com")]


@pytest.mark.asyncio
async def test_flagged_rows_that_fail_again_are_still_queued(tmp_path: Path) -> None:
    async with installed(tmp_path) as env:
        queue = await offline_rows(env, "1", "2")

        async def fail_deal_2(records: Sequence[OfflineRecord]) -> list[str]:
            return [r.message_id for r in records if deal_of(r) == "2"]

        first = await queue.consume_safely(fail_deal_2)
        assert [deal_of(r) for r in first.records] == ["1", "2"] and len(first.failed) == 1
        again = await queue.consume_safely(fail_deal_2, errors=True)
        assert [deal_of(r) for r in again.records] == ["2"] and again.failed == first.failed
        left = await queue.list_all()
        # Still queued, still flagged, still reserved by the get?error=1 (spec §2.9 errata).
        assert [(deal_of(r), r.error, r.process_id) for r in left] == [
            ("2", True, again.process_id)
        ]


@contextlib.asynccontextmanager
async def user_handler(statuses: dict[str, int]) -> AsyncIterator[tuple[str, list[Any]]]:
    """The developer's handler: answers by deal ID, records (headers, form) of each POST."""
    seen: list[Any] = []

    async def handle(request: web.Request) -> web.Response:
        form = parse_form(await request.read())
        seen.append((request.headers, form))
        return web.Response(status=statuses.get(form["data"]["FIELDS"]["ID"], 200))

    app = web.Application()
    app.router.add_post("/mine", handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/mine", seen
    finally:
        await runner.cleanup()


@pytest.mark.asyncio
async def test_rows_sent_to_a_handler_clear_on_2xx_and_stay_flagged_otherwise(
    tmp_path: Path,
) -> None:
    async with installed(tmp_path) as env:
        async with user_handler({"2": 500}) as (url, seen):
            queue = await offline_rows(env, "1", "2")
            profile = env.store.get("sandbox")
            outcomes: list[SendOutcome] = []
            sender = OfflineSender(env.http, url, profile=profile, on_outcome=outcomes.append)
            result = await queue.consume_safely(sender.handler())
            assert [(deal_of(o.record), o.status, o.ok) for o in outcomes] == [
                ("1", 200, True),
                ("2", 500, False),
            ]
            headers, form = seen[0]
            assert headers[ROW_HEADER] == result.records[0].message_id
            assert headers["Content-Type"] == "application/x-www-form-urlencoded"
            assert form["event"] == "ONCRMDEALUPDATE"
            assert form["data"] == {"FIELDS": {"ID": "1"}}
            assert form["auth"]["domain"] == profile.domain
            assert "access_token" not in form["auth"] and int(form["ts"]) > 0
            left = await queue.list_all()
            assert [(deal_of(r), r.error) for r in left] == [("2", True)]

        # The handler is gone now: reprocessing the flagged row gets no answer, so the row
        # has failed twice — and is still in the queue, flagged.
        dead = OfflineSender(env.http, url, on_outcome=outcomes.append)
        retried = await queue.consume_safely(dead.handler(), errors=True)
        assert [deal_of(r) for r in retried.records] == ["2"]
        assert outcomes[-1].status is None and outcomes[-1].answer == "ConnectError"
        assert [(deal_of(r), r.error) for r in await queue.list_all()] == [("2", True)]


@pytest.mark.asyncio
async def test_a_row_that_failed_twice_is_retried_once_the_handler_works(tmp_path: Path) -> None:
    from b24monitor.services.offline_reprocess import HeldReservations, reprocess_flagged

    async with installed(tmp_path) as env:
        queue = await offline_rows(env, "1", "2", "3")
        held = HeldReservations(env.data_dir, "sandbox")
        broken = {"2", "3"}

        async def handler(records: Sequence[OfflineRecord]) -> list[str]:
            return [r.message_id for r in records if deal_of(r) in broken]

        await queue.consume_safely(handler)  # 2 and 3 flagged
        broken = {"2"}
        await reprocess_flagged(queue, held, handler)  # 3 done; 2 fails again, held
        assert [(deal_of(r), r.error) for r in await queue.list_all()] == [("2", True)]
        assert len(held.load()) == 1
        # A plain get?error=1 no longer sees the re-failed row (still reserved) …
        assert (await queue.consume_safely(handler, errors=True)).records == ()
        broken = set()
        # … but the held reservation is re-read first, so the fixed handler gets it now.
        results = await reprocess_flagged(queue, held, handler)
        assert [deal_of(r) for r in results[0].records] == ["2"]
        assert await queue.list_all() == [] and held.load() == []
