"""`doctor`: check a portal setup end to end — profile, tokens, install, events, bindings, URL.

Asks the portal through the profile's PortalClient and the public URL over HTTP; judging the
answers is core/setup_checks.py. A check that cannot run because an earlier one failed (no
profile, no tokens) is not reported as passing: the run stops at the first blocking failure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from b24monitor.core import setup_checks
from b24monitor.core.catalog import Catalog
from b24monitor.core.errors import B24MonitorError
from b24monitor.core.setup_checks import Verdict
from b24monitor.services.portal_client import PortalClient
from b24monitor.services.profiles import ProfileStore
from b24monitor.services.subscriptions import DesiredStore

FEATURES = ("rest_offline_extended", "rest_auth_connector")


@dataclass(frozen=True, slots=True)
class DoctorSettings:
    data_dir: Path
    portal: str
    handler_path: str  # this data dir's secret handler path ("" when never listened)
    public_url: str | None  # the public base URL to expect in bindings and to probe
    tunnel_mode: str  # ngrok | url | none, as `listen` would choose it
    ngrok_authtoken_set: bool


async def run_doctor(
    settings: DoctorSettings, profiles: ProfileStore, http: httpx.AsyncClient
) -> list[Verdict]:
    """Every check's verdicts, in order; stops early when the profile cannot be used at all."""
    verdicts = [_tunnel(settings)]
    try:
        profile = profiles.get(settings.portal)
    except B24MonitorError as exc:
        return [Verdict("profile", "fail", str(exc)), *verdicts]
    if profile.kind != "app" or not profile.installed:
        why = ("is a webhook profile: event methods need a local application" if
               profile.kind != "app" else "is not installed yet: run `b24monitor listen --portal "
               f"{profile.name}` and install the app in the portal")  # fmt: skip
        return [Verdict("profile", "fail", f"profile “{profile.name}” {why}"), *verdicts]
    verdicts.insert(0, Verdict("profile", "ok", f"profile “{profile.name}” for {profile.domain}"))
    client = PortalClient(profile.name, profiles, http, retries=0)
    try:
        await client.refresh_now()
    except B24MonitorError as exc:
        verdicts.append(Verdict("tokens", "fail", f"the refresh token does not work: {exc}"))
        return verdicts
    verdicts.append(Verdict("tokens", "ok", "a token refresh worked (the new pair is stored)"))
    try:
        verdicts += await _portal_checks(settings, client)
    except B24MonitorError as exc:
        verdicts.append(Verdict("portal", "fail", str(exc)))
    verdicts.append(await _probe(settings, http))
    return verdicts


async def _portal_checks(settings: DoctorSettings, client: PortalClient) -> list[Verdict]:
    info = await client.call("app.info")
    installed = isinstance(info, dict) and info.get("INSTALLED") in (True, "Y", 1, "1")
    verdicts = [Verdict("app", "ok" if installed else "fail", "the app is installed" if installed
                        else "the portal says the app is not installed: reinstall it")]  # fmt: skip
    offered, granted = await client.call("events"), await client.call("scope")
    wanted = [s.event for s in DesiredStore(settings.data_dir, settings.portal).load().wanted]
    verdicts += setup_checks.ticked_events(wanted, _strings(offered), _strings(granted),
                                           Catalog.load())  # fmt: skip
    rows = await client.call("event.get")
    handler_url = settings.public_url + settings.handler_path if settings.public_url else None
    verdicts += setup_checks.bindings(rows if isinstance(rows, list) else [],
                                      settings.handler_path, handler_url)  # fmt: skip
    for code in FEATURES:
        answer = await client.call("feature.get", {"CODE": code})
        verdicts.append(setup_checks.feature(code, (answer or {}).get("value")))
    verdicts.append(await _clock(client))
    return verdicts


async def _clock(client: PortalClient) -> Verdict:
    before = time.time()
    response = await client.request("scope")  # every answer has the time block (spec §5.7)
    after = time.time()
    start = response.time.get("start")
    portal = float(start) if isinstance(start, int | float) else None
    return setup_checks.clock(portal, (before + after) / 2, after - before)


async def _probe(settings: DoctorSettings, http: httpx.AsyncClient) -> Verdict:
    """GET <public URL>/healthz: a running `listen` answers `ok` there (services/receiver.py)."""
    if settings.public_url is None:
        return Verdict("public URL", "warn", "no public URL to probe: pass --public-url (the one "
                       "`listen` printed) to check that Bitrix24 can reach it")  # fmt: skip
    url = settings.public_url.rstrip("/") + "/healthz"
    try:
        response = await http.get(url, timeout=10, headers={"ngrok-skip-browser-warning": "1"})
    except httpx.HTTPError as exc:
        return Verdict(
            "public URL",
            "fail",
            f"{settings.public_url} cannot be reached "
            f"({type(exc).__name__}): start `b24monitor listen` and its tunnel",
        )
    if response.status_code == 200 and response.text == "ok\n":
        return Verdict("public URL", "ok", f"{settings.public_url} reaches a running b24monitor")
    return Verdict(
        "public URL",
        "fail",
        f"{settings.public_url} answered HTTP "
        f"{response.status_code}, not b24monitor: check where the tunnel points",
    )


def _tunnel(settings: DoctorSettings) -> Verdict:
    if settings.tunnel_mode == "ngrok" and not settings.ngrok_authtoken_set:
        return Verdict("ngrok", "fail", "the tunnel is ngrok but no authtoken is set: "
                       "`b24monitor tunnel authtoken TOKEN`")  # fmt: skip
    if settings.tunnel_mode == "ngrok":
        return Verdict("ngrok", "ok", "an ngrok authtoken is set")
    if settings.tunnel_mode == "url":
        return Verdict("ngrok", "ok", "your own public URL is used; ngrok is not needed")
    return Verdict("ngrok", "warn", "no tunnel: without --public-url or an ngrok authtoken "
                   "Bitrix24 cannot reach this machine")  # fmt: skip


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []
