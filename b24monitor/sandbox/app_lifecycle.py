"""Installing, updating and removing the sandbox app, as the portal administrator would.

Install of a local "uses only API" app (spec §5.2): saving the app registers ONAPPINSTALL at its
installation path (events_registry.register_install), and the portal POSTs ONAPPINSTALL with
tokens (refresh_token included) through that registration, counting the app as installed at
once. Every install or update removes the app's other registrations (spec §2.0); the
installation path's row is registered again, as the app's settings still hold the path.
Removal sends ONAPPUNINSTALL to its handlers without tokens (spec §1.4) and forgets every token.
"""

from __future__ import annotations

import time

from b24monitor.sandbox.delivery import Deliverer, DeliveryRecord
from b24monitor.sandbox.emitter import EventEmitter
from b24monitor.sandbox.payloads import delivery
from b24monitor.sandbox.state import PortalState

INSTALLING_USER = 1
"""The administrator who adds the app; install tokens are issued for this user."""


def _install_data(state: PortalState, update: bool, previous: int) -> dict[str, str]:
    """`data` of ONAPPINSTALL / ONAPPUPDATE (spec §6.1)."""
    app = state.app
    if update:
        return {
            "VERSION": str(app.version),
            "PREVIOUS_VERSION": str(previous),
            "LANGUAGE_ID": app.language,
        }
    return {
        "VERSION": str(app.version),
        "ACTIVE": "Y",
        "INSTALLED": "Y",
        "LANGUAGE_ID": app.language,
    }


async def install(
    state: PortalState,
    emitter: EventEmitter,
    deliverer: Deliverer,
    handler_url: str,
    *,
    update: bool = False,
) -> DeliveryRecord:
    """Install (or update to the next version) and POST the lifecycle event to `handler_url`."""
    app = state.app
    previous = app.version
    if update:
        app.version += 1
    state.registry.clear()
    emitter.forget_signals()
    app.installed = True
    state.install_url = handler_url
    registration = state.registry.register_install(handler_url)
    code = "ONAPPUPDATE" if update else "ONAPPINSTALL"
    handler_id = None if update else registration.id  # ONAPPUPDATE: no registration of its own
    auth = emitter.auth_for(code, INSTALLING_USER)
    body = delivery(
        code, _install_data(state, update, previous), int(time.time()), auth, handler_id
    )
    return await deliverer.post(handler_url, body, handler_id=handler_id)


def edit_install_path(state: PortalState, url: str) -> None:
    """The administrator edits the app's installation path: its ONAPPINSTALL row follows."""
    state.install_url = url
    state.registry.register_install(url)


async def uninstall(
    state: PortalState, emitter: EventEmitter, *, clean: bool
) -> list[DeliveryRecord]:
    """Remove the app: ONAPPUNINSTALL (data.CLEAN) to its handlers, then forget everything."""
    data = {"LANGUAGE_ID": state.app.language, "CLEAN": "1" if clean else "0"}
    records = await emitter.emit("ONAPPUNINSTALL", data, 0)
    state.registry.clear()
    state.queue.delete(state.queue.all_rows())
    state.tokens.revoke_all()
    state.app.installed = False
    return records
