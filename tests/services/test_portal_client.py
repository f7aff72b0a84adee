"""PortalClient against a faked network: envelopes, refresh, pacing, retries, batch, pages."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_rest import (
    CLIENT_ENDPOINT,
    CLIENT_SECRET,
    TIME,
    FakeClock,
    FakePortal,
    RestFault,
    installed_store,
    make_store,
)

from b24monitor.core.errors import (
    BatchCommandSkipped,
    EventNotFound,
    OAuthError,
    PortalAccessDenied,
    PortalCallError,
    PortalUnavailable,
    ProfileError,
    QueryLimitExceeded,
    ReauthorizationNeeded,
    WrongAuthType,
)
from b24monitor.services.portal_client import PortalClient
from b24monitor.services.profiles import Profile, ProfileStore


def client_for(
    portal: FakePortal, store: ProfileStore, clock: FakeClock, **kwargs: Any
) -> PortalClient:
    return PortalClient("acme", store, portal.client(), clock=clock, sleep=clock.sleep, **kwargs)


@pytest.fixture
def portal() -> FakePortal:
    return FakePortal()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, portal: FakePortal) -> ProfileStore:
    return installed_store(tmp_path, portal)


@pytest.mark.asyncio
async def test_call_posts_json_with_auth_to_client_endpoint(
    portal: FakePortal, store: ProfileStore, clock: FakeClock
) -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return portal.handle(request)

    portal.methods["events"] = lambda _p: ["ONAPPINSTALL", "ONCRMDYNAMICITEMADD_1032"]
    http = httpx.AsyncClient(transport=httpx.MockTransport(record))
    client = PortalClient("acme", store, http, clock=clock, sleep=clock.sleep)
    assert await client.call("events", {"SCOPE": "crm"}) == [
        "ONAPPINSTALL",
        "ONCRMDYNAMICITEMADD_1032",
    ]
    assert str(seen[0].url) == CLIENT_ENDPOINT + "events"
    assert json.loads(seen[0].content) == {"SCOPE": "crm", "auth": portal.access_token}


@pytest.mark.asyncio
async def test_request_exposes_total_next_and_time(
    portal: FakePortal, store: ProfileStore, clock: FakeClock
) -> None:
    portal.methods["event.offline.list"] = lambda _p: httpx.Response(
        200, json={"result": [{"ID": "58"}], "total": 51, "next": 50, "time": TIME}
    )
    page = await client_for(portal, store, clock).request("event.offline.list")
    assert (page.result, page.total, page.next, page.time["operating"]) == (
        [{"ID": "58"}],
        51,
        50,
        0,
    )


@pytest.mark.parametrize(
    ("method", "fault", "cls", "message"),
    [
        (
            "event.bind",
            RestFault(
                403, "WRONG_AUTH_TYPE", "Current authorization type is denied for this method"
            ),
            WrongAuthType,
            "event.bind failed with WRONG_AUTH_TYPE: event.bind needs a local application; "
            "incoming webhooks cannot bind events.",
        ),
        (
            "event.offline.list",
            RestFault(403, "ACCESS_DENIED", "Access denied!"),
            PortalAccessDenied,
            "event.offline.list failed with ACCESS_DENIED: offline events need a portal "
            "administrator.",
        ),
        (
            "event.bind",
            RestFault(400, "ERROR_EVENT_NOT_FOUND", "Event not found"),
            EventNotFound,
            "event.bind failed with ERROR_EVENT_NOT_FOUND: ONTASKADD is not available with this "
            "app's scopes; add its scope to the app in the portal and re-install it.",
        ),
    ],
)
@pytest.mark.asyncio
async def test_error_envelopes_become_one_sentence_typed_errors(
    portal: FakePortal,
    store: ProfileStore,
    clock: FakeClock,
    method: str,
    fault: RestFault,
    cls: type[PortalCallError],
    message: str,
) -> None:
    def fail(_params: dict[str, Any]) -> Any:
        raise fault

    portal.methods[method] = fail
    with pytest.raises(cls) as caught:
        await client_for(portal, store, clock).call(method, {"event": "onTaskAdd"})
    assert str(caught.value) == message
    assert caught.value.status == fault.status
    assert portal.access_token not in str(caught.value)


@pytest.mark.asyncio
async def test_expired_token_refreshes_once_stores_newest_pair_and_retries(
    portal: FakePortal, store: ProfileStore, clock: FakeClock
) -> None:
    portal.methods["event.get"] = lambda _p: []
    client = client_for(portal, store, clock)
    portal.expire_access_token()
    assert await client.call("event.get") == []
    assert len(portal.token_requests) == 1
    request = portal.token_requests[0]
    assert request["grant_type"] == "refresh_token"
    assert request["refresh_token"] == "rt-0001-5c6d7e8f9a0b1c2d3e4f5a6b"
    saved = store.get("acme")
    assert (saved.access_token, saved.refresh_token) == (
        portal.access_token,
        portal.refresh_token,
    )
    assert saved.expires == 1764342192 + 2 * 3600


@pytest.mark.asyncio
async def test_concurrent_callers_share_one_refresh(
    portal: FakePortal, store: ProfileStore, clock: FakeClock
) -> None:
    portal.methods["event.get"] = lambda _p: []
    client = client_for(portal, store, clock)
    await client.call("event.get")
    portal.expire_access_token()
    results = await asyncio.gather(*(client.call("event.get") for _ in range(10)))
    assert results == [[]] * 10
    assert len(portal.token_requests) == 1


@pytest.mark.asyncio
async def test_pair_refreshed_by_another_process_is_used_without_oauth(
    tmp_path: Path, portal: FakePortal, store: ProfileStore, clock: FakeClock
) -> None:
    portal.methods["event.get"] = lambda _p: []
    client = client_for(portal, store, clock)
    await client.call("event.get")
    portal.rotate()  # the CLI refreshed meanwhile and saved the new pair
    other = make_store(tmp_path)
    assert other.save_tokens(
        "acme", access_token=portal.access_token, refresh_token=portal.refresh_token, expires=2e9
    )
    assert await client.call("event.get") == []
    assert portal.token_requests == []


@pytest.mark.asyncio
async def test_invalid_grant_rereads_store_and_uses_the_other_processes_pair(
    tmp_path: Path, portal: FakePortal, store: ProfileStore, clock: FakeClock
) -> None:
    portal.methods["event.get"] = lambda _p: []
    client = client_for(portal, store, clock)
    await client.call("event.get")
    portal.expire_access_token()

    def other_process_wins() -> None:
        # Another process refreshes first: our refresh token is then already spent.
        portal.on_token_request = None
        portal.rotate()
        make_store(tmp_path).save_tokens(
            "acme",
            access_token=portal.access_token,
            refresh_token=portal.refresh_token,
            expires=2_000_000_000,
        )

    portal.on_token_request = other_process_wins
    assert await client.call("event.get") == []
    assert len(portal.token_requests) == 1
    assert not client.needs_reauthorization


@pytest.mark.asyncio
async def test_dead_refresh_token_gives_reauthorization_state(
    tmp_path: Path, portal: FakePortal, store: ProfileStore, clock: FakeClock
) -> None:
    portal.methods["event.get"] = lambda _p: []
    client = client_for(portal, store, clock)
    portal.expire_access_token()
    portal.refresh_dead = True
    with pytest.raises(ReauthorizationNeeded) as caught:
        await client.call("event.get")
    assert "re-install the app" in str(caught.value)
    assert client.needs_reauthorization
    calls_before = len(portal.http_methods) + len(portal.token_requests)
    with pytest.raises(ReauthorizationNeeded):
        await client.call("event.get")
    assert len(portal.http_methods) + len(portal.token_requests) == calls_before
    # The app is re-installed: the new ONAPPINSTALL brings a working pair.
    portal.refresh_dead = False
    portal.rotate()
    store.reset_install("acme")
    assert store.apply_install("acme", portal.install_auth())
    assert await client.call("event.get") == []
    assert not client.needs_reauthorization


@pytest.mark.asyncio
async def test_wrong_client_secret_is_an_oauth_error_without_secrets(
    tmp_path: Path, portal: FakePortal, clock: FakeClock
) -> None:
    store = make_store(tmp_path)
    store.add(Profile("acme", "app", client_id="local.x", client_secret="wrong-secret-123"))
    store.apply_install("acme", portal.install_auth())
    portal.expire_access_token()
    with pytest.raises(OAuthError) as caught:
        await client_for(portal, store, clock).call("event.get")
    assert str(caught.value).startswith("oauth/token failed with invalid_client:")
    for secret in ("wrong-secret-123", portal.refresh_token, portal.access_token):
        assert secret not in str(caught.value)


@pytest.mark.asyncio
async def test_token_request_is_logged_without_secrets(
    portal: FakePortal, store: ProfileStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    portal.methods["event.get"] = lambda _p: []
    portal.expire_access_token()
    old_refresh = portal.refresh_token
    with caplog.at_level(logging.DEBUG):
        await client_for(portal, store, clock).call("event.get")
    text = caplog.text
    assert "oauth/token" in text
    for secret in (CLIENT_SECRET, old_refresh, portal.refresh_token, portal.access_token):
        assert secret not in text


@pytest.mark.asyncio
async def test_query_limit_is_paced_and_retried(
    portal: FakePortal, store: ProfileStore, clock: FakeClock
) -> None:
    answers = iter([RestFault(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")] * 3)

    def limited(_params: dict[str, Any]) -> Any:
        fault = next(answers, None)
        if fault:
            raise fault
        return True

    portal.methods["event.test"] = limited
    assert await client_for(portal, store, clock).call("event.test") is True
    assert clock.sleeps == [0.5, 0.5, 0.5]  # the bucket is full: one slot per 1/2 s


@pytest.mark.asyncio
async def test_query_limit_storm_gives_up_after_paced_retries(
    portal: FakePortal, store: ProfileStore, clock: FakeClock
) -> None:
    def limited(_params: dict[str, Any]) -> Any:
        raise RestFault(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")

    portal.methods["event.test"] = limited
    with pytest.raises(QueryLimitExceeded):
        await client_for(portal, store, clock, paced_retries=5).call("event.test")
    assert len(portal.calls) == 6


@pytest.mark.asyncio
async def test_bucket_allows_burst_of_50_then_two_per_second(
    portal: FakePortal, store: ProfileStore, clock: FakeClock
) -> None:
    portal.methods["event.test"] = lambda _p: 1
    client = client_for(portal, store, clock)
    for _ in range(60):
        await client.call("event.test")
    assert sum(clock.sleeps) == pytest.approx((60 - 50) / 2)


@pytest.mark.asyncio
async def test_server_errors_retry_with_backoff(
    portal: FakePortal, store: ProfileStore, clock: FakeClock
) -> None:
    failures = iter([RestFault(500, "INTERNAL_SERVER_ERROR", "Internal error")] * 2)

    def flaky(_params: dict[str, Any]) -> Any:
        fault = next(failures, None)
        if fault:
            raise fault
        return 1

    portal.methods["event.test"] = flaky
    assert await client_for(portal, store, clock).call("event.test") == 1
    assert clock.sleeps == [0.5, 1.0]


@pytest.mark.asyncio
async def test_timeouts_end_in_portal_unavailable(
    portal: FakePortal, store: ProfileStore, clock: FakeClock
) -> None:
    attempts = 0

    def hang(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        raise httpx.ReadTimeout("timed out", request=request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(hang))
    client = PortalClient("acme", store, http, clock=clock, sleep=clock.sleep, retries=2)
    with pytest.raises(PortalUnavailable) as caught:
        await client.call("event.get")
    assert attempts == 3
    assert clock.sleeps == [0.5, 1.0]
    assert str(caught.value).startswith("event.get failed with ReadTimeout after")


@pytest.mark.asyncio
async def test_bad_gateway_without_json_is_retried_then_unavailable(
    portal: FakePortal, store: ProfileStore, clock: FakeClock
) -> None:
    http = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda _r: httpx.Response(502, text="<html>Bad Gateway"))
    )
    client = PortalClient("acme", store, http, clock=clock, sleep=clock.sleep, retries=1)
    with pytest.raises(PortalUnavailable, match="HTTP 502"):
        await client.call("event.get")


@pytest.mark.asyncio
async def test_batch_chunks_by_50_and_maps_errors_back(
    portal: FakePortal, store: ProfileStore, clock: FakeClock
) -> None:
    def bind(params: dict[str, Any]) -> Any:
        if params["event"] == "ONNOPE":
            raise RestFault(400, "ERROR_EVENT_NOT_FOUND", "Event not found")
        return True

    portal.methods["event.bind"] = bind
    events = [f"ONEVENT{i}" for i in range(119)] + ["ONNOPE"]
    calls = [("event.bind", {"event": e, "handler": "https://h.example/x"}) for e in events]
    results = await client_for(portal, store, clock).batch(calls)
    assert portal.http_methods == ["batch"] * 3
    assert [len(p["cmd"]) for m, p in portal.calls if m == "batch"] == [50, 50, 20]
    assert results[:119] == [True] * 119
    assert isinstance(results[119], EventNotFound)
    assert "ONNOPE is not available" in str(results[119])
    sent = portal.calls[0][1]["cmd"]
    assert sent["c0"] == "event.bind?event=ONEVENT0&handler=https%3A%2F%2Fh.example%2Fx"


@pytest.mark.asyncio
async def test_batch_with_halt_skips_the_rest(
    portal: FakePortal, store: ProfileStore, clock: FakeClock
) -> None:
    def bind(params: dict[str, Any]) -> Any:
        if params["event"] == "ON1":
            raise RestFault(400, "ERROR_ARGUMENT", "Wrong handler URL")
        return True

    portal.methods["event.bind"] = bind
    calls = [("event.bind", {"event": f"ON{i}"}) for i in range(60)]
    results = await client_for(portal, store, clock).batch(calls, halt=True)
    assert results[0] is True
    assert isinstance(results[1], PortalCallError)
    assert all(isinstance(r, BatchCommandSkipped) for r in results[2:])
    assert portal.http_methods == ["batch"]  # the second chunk was never sent


@pytest.mark.asyncio
async def test_call_all_follows_next(
    portal: FakePortal, store: ProfileStore, clock: FakeClock
) -> None:
    rows = [{"ID": str(i)} for i in range(120)]

    def page(params: dict[str, Any]) -> httpx.Response:
        start = int(params.get("start", 0))
        body: dict[str, Any] = {"result": rows[start : start + 50], "total": 120, "time": TIME}
        if start + 50 < 120:
            body["next"] = start + 50
        return httpx.Response(200, json=body)

    portal.methods["event.offline.list"] = page
    assert await client_for(portal, store, clock).call_all("event.offline.list") == rows
    assert [p.get("start") for _, p in portal.calls] == [None, 50, 100]


@pytest.mark.asyncio
async def test_webhook_and_uninstalled_profiles_cannot_call(
    tmp_path: Path, portal: FakePortal, clock: FakeClock
) -> None:
    store = make_store(tmp_path)
    store.add(Profile("hook", "webhook", application_token="abc"))
    store.add(Profile("fresh", "app", client_id="local.x", client_secret="s"))
    for name, text in (("hook", "outgoing webhook"), ("fresh", "not installed yet")):
        client = PortalClient(name, store, portal.client(), clock=clock, sleep=clock.sleep)
        with pytest.raises(ProfileError, match=text):
            await client.call("event.get")
    assert portal.http_methods == []
