"""The sandbox's switchable real-portal behaviours (sandbox/edition.py), over loopback HTTP.

Self-hosted feature values and no rate limit (spec §2.10), a rename answering 302 to the new
host name (§5.1), the licence-expired redirect to the same host, event.offline.error leaving
flagged rows reserved (§2.9 errata) and event.bind's handler-host check (§2.2).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from b24monitor.sandbox import SandboxPortal
from b24monitor.sandbox.edition import LICENCE_PAGE

pytestmark = pytest.mark.asyncio


async def test_self_hosted_features_and_no_rate_limit(portal: SandboxPortal, installed, http):
    rest, _ = installed
    _, body = await rest("feature.get", {"CODE": "rest_offline_extended"})
    assert body["result"] == {"value": "Y"}
    switched = await http.post(portal.base_url + "/sandbox/self-hosted?language=ru")
    assert switched.status_code == 200
    for code in ("rest_offline_extended", "rest_auth_connector"):
        _, body = await rest("feature.get", {"CODE": code})
        assert body["result"] == {"value": "ru_selfhosted"}
    statuses = {(await rest("scope"))[0] for _ in range(80)}  # over the cloud's 50
    assert statuses == {200}


async def test_cloud_portal_limits_where_self_hosted_does_not(installed, http) -> None:
    async with SandboxPortal(seed=3) as cloud, SandboxPortal(seed=3, self_hosted="ru") as onprem:
        for p, limited in ((cloud, True), (onprem, False)):
            token = p.issue_tokens()["access_token"]
            answers = [
                (await http.post(p.client_endpoint + "scope", json={"auth": token})).status_code
                for _ in range(60)
            ]
            assert (503 in answers) is limited


async def test_a_renamed_portal_redirects_the_old_host(portal: SandboxPortal, installed, http):
    _, auth = installed
    old_endpoint = portal.client_endpoint
    answer = await http.post(portal.base_url + "/sandbox/rename")
    new_endpoint = answer.json()["client_endpoint"]
    port = old_endpoint.split(":")[2].split("/")[0]
    assert new_endpoint == f"http://localhost:{port}/rest/"
    assert portal.client_endpoint == new_endpoint and portal.domain == f"localhost:{port}"

    old = await http.post(old_endpoint + "event.get?x=1", json={"auth": auth["access_token"]})
    assert old.status_code == 302
    assert old.headers["Location"] == new_endpoint + "event.get?x=1"
    new = await http.post(new_endpoint + "event.get", json={"auth": auth["access_token"]})
    assert new.status_code == 200  # same tokens, same member
    assert [row["event"] for row in new.json()["result"]] == ["ONAPPINSTALL"]


async def test_an_expired_licence_redirects_to_the_same_host(portal: SandboxPortal, installed):
    rest, _ = installed
    portal.expire_licence()
    async with httpx.AsyncClient() as http:
        answer = await http.post(portal.client_endpoint + "event.get", json={})
    assert answer.status_code == 302
    assert answer.headers["Location"] == portal.base_url + LICENCE_PAGE
    portal.expire_licence(False)
    assert (await rest("event.get"))[0] == 200


async def test_error_leaves_already_flagged_rows_reserved(portal: SandboxPortal, installed):
    rest, _ = installed
    await rest("event.bind", {"event": "ONCRMDEALUPDATE", "event_type": "offline"})
    for deal in ("1", "2"):
        await portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": deal}})
    _, body = await rest("event.offline.get", {"clear": 0})
    first, ids = body["result"]["process_id"], [e["MESSAGE_ID"] for e in body["result"]["events"]]
    await rest("event.offline.error", {"process_id": first, "message_id": ids})
    _, body = await rest("event.offline.get", {"clear": 0, "error": 1})
    second = body["result"]["process_id"]
    assert len(body["result"]["events"]) == 2
    # Both fail again: ERROR=1 rows are not touched, they stay reserved under `second`.
    await rest("event.offline.error", {"process_id": second, "message_id": ids})
    rows = await listed(rest)
    assert {(r["ERROR"], r["PROCESS_ID"]) for r in rows} == {("1", second)}
    # Clearing exactly the processed one keeps the other; a bare clear would take both.
    await rest("event.offline.clear", {"process_id": second, "message_id": ids[:1]})
    assert [r["MESSAGE_ID"] for r in await listed(rest)] == ids[1:]
    await rest("event.offline.clear", {"process_id": second})
    assert await listed(rest) == []


async def listed(rest: Any) -> list[dict[str, Any]]:
    _, body = await rest("event.offline.list")
    return list(body["result"])


async def test_handler_host_must_match_the_apps_saved_url(portal: SandboxPortal, installed, http):
    rest, _ = installed
    moved = portal.state.install_url.replace("127.0.0.1", "localhost")  # the tunnel moved
    assert (await rest("event.bind", {"event": "ONCRMDEALADD", "handler": moved}))[0] == 200
    await http.post(portal.base_url + "/sandbox/check-handler-host?on=1")
    status, body = await rest("event.bind", {"event": "ONTASKADD", "handler": moved})
    assert (status, body["error"]) == (400, "ERROR_HANDLER_URL_MATCH")
    # The administrator saves the new URL in the app's settings: binding works again.
    await http.post(portal.base_url + "/sandbox/install-path", params={"url": moved})
    assert (await rest("event.bind", {"event": "ONTASKADD", "handler": moved}))[0] == 200


@pytest.mark.parametrize(
    ("handler", "code"),
    [
        ("ftp://hooks.example.com/x", "ERROR_UNSUPPORTED_PROTOCOL"),
        ("http://nodot/x", "ERROR_WRONG_HANDLER_URL"),
        ("http://hooks.example.com:99999/x", "ERROR_WRONG_HANDLER_URL"),
    ],
)
async def test_handler_url_errors_like_the_core(installed, handler: str, code: str) -> None:
    rest, _ = installed
    status, body = await rest("event.bind", {"event": "ONCRMDEALADD", "handler": handler})
    assert (status, body["error"]) == (400, code)
