"""run_sandbox: serve a sandbox portal until cancelled, optionally with generated traffic.

This is what `b24monitor sandbox` runs; the CLI only parses arguments and calls it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from b24monitor.sandbox.portal import SandboxPortal
from b24monitor.sandbox.traffic import TrafficGenerator


async def run_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    traffic_rate: float | None = None,
    oauth_port: int = 0,
    client_id: str | None = None,
    client_secret: str | None = None,
    seed: int | None = None,
    rate_limit: bool = True,
    install_url: str | None = None,
    save_app_url: str | None = None,
    out: Callable[[str], None] = print,
    self_hosted: str = "",
    check_handler_host: bool = False,
    ready: Callable[[SandboxPortal], None] | None = None,
) -> None:
    """Start a portal, print how to connect, then serve (and generate traffic) until cancelled.

    Args:
        traffic_rate: events per second to generate once something is bound; None: no traffic.
        install_url: install the app right away, delivering ONAPPINSTALL to this handler URL.
        self_hosted: the language of a self-hosted portal ("ru"); "" for a cloud portal.
        check_handler_host: event.bind checks handler hosts against the app's saved URL.
        save_app_url: play the administrator saving the app with this installation path: the
            portal POSTs ONAPPINSTALL there at once, before its profile exists (spec §1.1).
        out: where the connection details and status lines go.
        ready: called with the started portal (for callers that want to drive it).
    """
    portal = SandboxPortal(
        host=host,
        port=port,
        oauth_port=oauth_port,
        client_id=client_id,
        client_secret=client_secret,
        seed=seed,
        rate_limit=rate_limit,
        delivery_delay=(0.05, 0.4),  # the queue hop's small variable lag (spec §1.1)
        self_hosted=self_hosted,
        check_handler_host=check_handler_host,
    )
    async with portal:
        out(portal.describe())
        if ready is not None:
            ready(portal)
        if install_url:
            record = await portal.install(install_url)
            out(f"ONAPPINSTALL → {install_url}: {record.status or record.error}")
        if save_app_url:
            _, saved = await portal.save_app(save_app_url, app=portal.state.app)
            answer = (saved.status or saved.error) if saved else "not sent"
            out(f"App saved with installation path {save_app_url}; ONAPPINSTALL → {answer}")
            out(f"  client_id      {portal.client_id}\n  client_secret  {portal.client_secret}")
        if traffic_rate:
            out(f"Generating about {traffic_rate:g} events/s once events are bound.")
            await TrafficGenerator(portal, rate=traffic_rate, seed=seed).run()
        else:
            await asyncio.Event().wait()  # serve until cancelled
