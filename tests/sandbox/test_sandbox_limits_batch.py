"""The leaky-bucket limit (spec §5.4) and batch (spec §5.5)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import httpx
import pytest

from b24monitor.sandbox import SandboxPortal

if TYPE_CHECKING:
    pass

pytestmark = pytest.mark.asyncio


async def test_request_storm_hits_the_limit_then_recovers(receiver, http: httpx.AsyncClient):
    async with SandboxPortal(rate_limit=True) as portal:
        token = portal.issue_tokens()["access_token"]
        url = portal.client_endpoint + "profile"

        responses = await asyncio.gather(
            *(http.get(url, params={"auth": token}) for _ in range(80))
        )

        statuses = [r.status_code for r in responses]
        assert 50 <= statuses.count(200) <= 53  # 50 fit, a few more drain at 2/s meanwhile
        limited = [r for r in responses if r.status_code == 503]
        assert limited and limited[0].json() == {
            "error": "QUERY_LIMIT_EXCEEDED",
            "error_description": "Too many requests",
        }
        # One request drains every 0.5 s: the limit lifts again (waited for, not slept out).
        deadline = time.monotonic() + 30
        recovered = await http.get(url, params={"auth": token})
        while recovered.status_code == 503 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            recovered = await http.get(url, params={"auth": token})
        assert recovered.status_code == 200


async def test_batch_mixes_results_and_errors(portal: SandboxPortal, installed, receiver):
    rest, _ = installed
    status, body = await rest(
        "batch",
        {
            "cmd": {
                "bind": f"event.bind?event=ONCRMDEALADD&handler={receiver.url}",
                "again": f"event.bind?event=ONCRMDEALADD&handler={receiver.url}",
                "bad": "event.bind?event=ONNOSUCH&handler=http://127.0.0.1:9/h",
                "list": "event.get",
                "nested": "batch?cmd[x]=profile",
                "me": "profile",
                "user": "user.get?ID=$result[me][ID]",
            }
        },
    )

    assert status == 200
    result = body["result"]
    assert result["result"]["bind"] is True
    assert [r["event"] for r in result["result"]["list"]] == ["ONAPPINSTALL", "ONCRMDEALADD"]
    assert result["result"]["user"][0]["ID"] == "1"
    assert result["result_total"] == {"user": 1}
    assert result["result_error"]["again"]["error"] == "ERROR_CORE"
    assert result["result_error"]["bad"]["error"] == "ERROR_EVENT_NOT_FOUND"
    assert result["result_error"]["nested"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"
    assert set(result["result_time"]) == {"bind", "again", "bad", "list", "nested", "me", "user"}
    assert "time" in body


async def test_batch_halt_stops_at_first_failure(installed):
    rest, _ = installed
    _, body = await rest("batch", {"halt": 1, "cmd": ["profile", "no.such.method", "profile"]})
    result = body["result"]
    assert result["result"] == [{"ID": "1", "ADMIN": True, "NAME": "Анна", "LAST_NAME": "Смирнова"}]
    assert result["result_error"] == {
        "1": {"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}
    }


async def test_batch_over_fifty_commands(installed):
    rest, _ = installed
    _, body = await rest("batch", {"cmd": {f"c{i}": "scope" for i in range(52)}}, as_json=True)
    result = body["result"]
    assert len(result["result"]) == 50
    assert {k: v["error"] for k, v in result["result_error"].items()} == {
        "c50": "ERROR_BATCH_LENGTH_EXCEEDED",
        "c51": "ERROR_BATCH_LENGTH_EXCEEDED",
    }


async def test_batch_through_webhook_refuses_event_methods(portal: SandboxPortal, http):
    response = await http.post(
        portal.webhook_url + "batch", json={"cmd": {"a": "event.get", "b": "profile"}}
    )
    result = response.json()["result"]
    assert result["result_error"]["a"]["error"] == "WRONG_AUTH_TYPE"
    assert result["result"]["b"]["ID"] == "1"
