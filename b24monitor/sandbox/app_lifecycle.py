"""Installing, updating and removing the sandbox app, as the portal administrator would.

Install of a local "uses only API" app (spec §5.2): saving the app registers ONAPPINSTALL at its
installation path (events_registry.register_install), and the portal POSTs ONAPPINSTALL with
tokens (refresh_token included) through that registration, counting the app as installed at
once. Every install or update removes the app's other registrations (spec §2.0); the
installation path's row is registered again, as the app's settings still hold the path.
Removal sends ONAPPUNINSTALL to its handlers without tokens (spec §1.4) and forgets the app's
tokens. A reinstall is removal plus a new install: the app's row is made again, so its
application_token is new (spec §4) while its credentials stay. Each call acts on one app.
Simplified: deleting a local app and adding it again would give it new credentials on
Bitrix24; the sandbox keeps them, as a market app's reinstall does.
"""

from __future__ import annotations

import time

from b24monitor.sandbox.delivery import Deliverer, DeliveryRecord
from b24monitor.sandbox.emitter import EventEmitter
from b24monitor.sandbox.ids import application_token_for
from b24monitor.sandbox.payloads import delivery
from b24monitor.sandbox.state import AppInfo, PortalState

INSTALLING_USER = 1
"""The administrator who adds the app; install tokens are issued for this user."""


def _install_data(app: AppInfo, update: bool, previous: int) -> dict[str, str]:
    """`data` of ONAPPINSTALL / ONAPPUPDATE (spec §6.1)."""
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
    app: AppInfo | None = None,
    by: int = INSTALLING_USER,
) -> DeliveryRecord:
    """Install (or update to the next version) and POST the lifecycle event to `handler_url`.

    `by`: the user who installs; the install's tokens are theirs. A portal may let employees
    who are not administrators install apps, and then every admin-only method (offline
    bindings and the queue, spec §2.0) answers ACCESS_DENIED to those tokens."""
    app = app or state.app
    previous = app.version
    if update:
        app.version += 1
    state.registry.clear(app.client_id)
    emitter.forget_signals()
    app.installed = True
    app.install_url = app.install_url or handler_url
    app.handler_url = app.handler_url or handler_url
    state.install_url = handler_url
    registration = state.registry.register_install(handler_url, app.client_id)
    code = "ONAPPUPDATE" if update else "ONAPPINSTALL"
    handler_id = None if update else registration.id  # ONAPPUPDATE: no registration of its own
    auth = emitter.auth_for(code, by, owner=app.client_id)
    body = delivery(code, _install_data(app, update, previous), int(time.time()), auth, handler_id)
    return await deliverer.post(handler_url, body, handler_id=handler_id)


def edit_install_path(state: PortalState, url: str, app: AppInfo | None = None) -> None:
    """The administrator edits an app's installation path: its ONAPPINSTALL row follows."""
    app = app or state.app
    state.install_url = app.install_url = url
    state.registry.register_install(url, app.client_id)


async def uninstall(
    state: PortalState, emitter: EventEmitter, *, clean: bool, app: AppInfo | None = None
) -> list[DeliveryRecord]:
    """Remove the app: ONAPPUNINSTALL (data.CLEAN) to its handlers, then forget its tokens."""
    app = app or state.app
    data = {"LANGUAGE_ID": app.language, "CLEAN": "1" if clean else "0"}
    records = await emitter.emit("ONAPPUNINSTALL", data, 0, owner=app.client_id)
    state.registry.clear(app.client_id)
    if app is state.app:
        state.queue.delete(state.queue.all_rows())
    state.tokens.revoke_all(app.client_id)
    app.installed = False
    return records


def renew_row(state: PortalState, app: AppInfo) -> None:
    """The app's row is made again (reinstall): a new application_token (spec §4)."""
    app.row_id += 1
    app.application_token = application_token_for(
        state.identity.member_id, app.client_id, f"{app.client_secret}#{app.row_id}"
    )
