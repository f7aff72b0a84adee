"""Run services/doctor.py for the session's portal on a worker thread (its own loop and client).

The doctor refreshes tokens, asks the portal and probes the public URL: seconds of network and
keyring work that must never run on the GUI thread.
"""

from __future__ import annotations

import asyncio

import httpx

from b24monitor.core.setup_checks import Verdict
from b24monitor.services.doctor import DoctorSettings, run_doctor
from b24monitor.services.profiles import ProfileStore
from b24monitor.services.secrets import open_secret_store
from b24monitor.services.session_view import SessionView

NO_PORTAL = Verdict(
    "profile", "fail", "no portal is linked: connect one with Portal → Connect a portal…"
)


def doctor_settings(session: SessionView) -> DoctorSettings | None:
    """What `b24monitor doctor` would be told about this session (None: no portal linked)."""
    if session.portal is None:
        return None
    tunnel = session.config.tunnel_settings()
    return DoctorSettings(
        data_dir=session.config.data_dir,
        portal=session.portal.profile_name,
        handler_path=session.handler_path,
        public_url=session.public_url,
        tunnel_mode=tunnel.mode,
        ngrok_authtoken_set=bool(tunnel.authtoken),
    )


async def check_setup(session: SessionView) -> list[Verdict]:
    """The doctor's verdicts for the session's portal, computed off the calling thread."""
    settings = doctor_settings(session)
    if settings is None:
        return [NO_PORTAL]
    return await asyncio.to_thread(asyncio.run, _run(settings))


async def _run(settings: DoctorSettings) -> list[Verdict]:
    profiles = ProfileStore(settings.data_dir, open_secret_store())
    async with httpx.AsyncClient(timeout=30.0) as http:
        return list(await run_doctor(settings, profiles, http))
