"""A profile takes a pending install: proved by refreshing its token with the profile's credentials.

Spec §1.1: the install of a "uses only API" app arrives when it is saved, before its profile
exists. `portal add`, the wizard's last page and a listener's linked profile call `adopt`: the
first pending install whose refresh token refreshes with the profile's client_id/secret belongs
to it (spec §4 step 2), or one the writer already proved for this profile. Its tokens move into
the profile (with the fresh pair: the refresh spent the old one, spec §5.2) and leave the
pending store; bindings then follow as usual, with no reinstall.
"""

from __future__ import annotations

import asyncio
import dataclasses

import httpx

from b24monitor.services.install_proof import refresh_with, with_pair
from b24monitor.services.pending_installs import PendingInstall, PendingInstalls
from b24monitor.services.profiles import ProfileStore


async def adopt(
    name: str, profiles: ProfileStore, pending: PendingInstalls, http: httpx.AsyncClient
) -> PendingInstall | None:
    """Move the pending install that belongs to profile `name` into it; None when none does."""
    profile = await asyncio.to_thread(profiles.get, name)
    if profile.kind != "app":
        return None
    for entry in await asyncio.to_thread(pending.list):
        if entry.profile and entry.profile != name:
            continue  # proved for another profile already
        if profile.member_id and entry.member_id != profile.member_id:
            continue  # a local app belongs to one portal
        auth = entry.auth
        if not entry.profile:
            pair = await refresh_with(http, profile, entry.auth)
            if pair is None:
                continue
            auth = with_pair(entry.auth, pair)
        if not await asyncio.to_thread(profiles.apply_install, name, auth, proved=True):
            continue
        await asyncio.to_thread(_forget_same_sender, pending, entry)
        return dataclasses.replace(entry, auth=auth, profile=name)
    return None


def _forget_same_sender(pending: PendingInstalls, taken: PendingInstall) -> None:
    """The adopted install and older ones of the same app are no longer pending."""
    token = taken.text("application_token")
    for entry in pending.list():
        if entry.event_id == taken.event_id or entry.text("application_token") == token:
            pending.remove(entry.event_id)
