"""Why the canary stopped coming back: check the capture path part by part, name the first break.

Order (issue 11): receiver up → tunnel proven → event.get still points at our handler → the
token refreshes → the portal answers. The first part that fails is the cause, in one sentence
saying what happened and what to do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from b24monitor.core.errors import (
    OAuthError,
    PortalError,
    PortalUnavailable,
    ReauthorizationNeeded,
)
from b24monitor.core.subscriptions import PING_EVENT, parse_bindings
from b24monitor.services.portal_client import PortalClient
from b24monitor.services.tunnel import TunnelState


async def receiver_answers(host: str, port: int, within: float = 3.0) -> bool:
    """Whether the receiver still accepts connections."""
    try:
        async with asyncio.timeout(within):
            _, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError):
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def find_cause(
    *,
    client: PortalClient,
    host: str,
    port: int,
    tunnel: Callable[[], TunnelState | None],
    handler_url: str,
) -> str:
    """The first broken part of the capture path, as one sentence."""
    if not port or not await receiver_answers(host, port):
        return (f"the receiver on {host}:{port} does not accept connections; restart "
                "b24monitor")  # fmt: skip
    state = tunnel()
    if state is not None and state.state != "reachable":
        why = f" ({state.reason})" if state.reason else ""
        return (f"the tunnel is {state.state}{why}: Bitrix24 cannot reach the handler; check "
                "the tunnel or the network")  # fmt: skip
    try:
        rows = parse_bindings(await client.call("event.get") or [])
    except (ReauthorizationNeeded, OAuthError) as exc:
        return f"the app's token no longer refreshes: {exc}"
    except PortalUnavailable as exc:
        return f"the portal cannot be reached: {exc}"
    except PortalError as exc:
        return f"the portal refused event.get: {exc}"
    if not any(r.event == PING_EVENT and r.handler == handler_url for r in rows):
        return (
            f"the portal no longer sends ONAPPTEST to {handler_url} (an app update or "
            "reinstall deletes handlers, spec §1.1); the bindings watchdog binds it again"
        )
    if client.needs_reauthorization:
        return "the app's refresh token was refused; reinstall the app or authorize again"
    return (f"the portal accepts event.test but does not deliver to {handler_url}: Bitrix24 "
            "drops deliveries a handler fails or answers slowly (spec §1.1) — check that the "
            "public URL serves this listener and look at the portal's event log")  # fmt: skip
