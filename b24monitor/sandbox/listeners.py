"""Serving the sandbox's aiohttp apps on a host and port, the way the receiver does (house style).

`AppRunner(access_log=None, handle_signals=False)` + `TCPSite`; port 0 picks a free port, and the
bound port is read back so URLs can be built.
"""

from __future__ import annotations

from aiohttp import web

from b24monitor.core.errors import PortalError


def base_url(host: str, port: int) -> str:
    """`http://host:port`, with brackets for an IPv6 host."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def serve(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Start serving `app`; returns the runner (to clean up) and the bound port.

    Raises PortalError, in one sentence, when the port cannot be bound.
    """
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise PortalError(
            f"the sandbox portal cannot listen on {host}:{port} ({exc.strerror or exc}); "
            "choose another port or stop the program that uses it"
        ) from exc
    return runner, int(runner.addresses[0][1])
