"""REST methods for event registration and the app itself: events, event.*, feature.get, app.info.

Behaviour and errors follow spec §2.0–2.5 and §2.10. Every event method accepts only an
application token (webhooks get WRONG_AUTH_TYPE; the flag is set in the method table).
"""

from __future__ import annotations

from typing import Any

from b24monitor.sandbox.api_errors import (
    ApiError,
    access_denied,
    argument_error,
    wrong_license,
)
from b24monitor.sandbox.calls import Caller, MethodSpec, Params, Reply
from b24monitor.sandbox.catalog import GLOBAL_SCOPE
from b24monitor.sandbox.edition import check_handler_host
from b24monitor.sandbox.events_registry import DEFAULT_MIN_TIMEOUT, validate_handler_url
from b24monitor.sandbox.state import PortalState


def events(state: PortalState, caller: Caller, p: Params) -> Reply:
    """The event codes the app can bind: its scopes + global; SCOPE or FULL widen it (§2.1)."""
    scope = p.text("scope")
    if scope:
        return Reply(state.catalog.codes([scope]))
    if p.flag("full", False):
        return Reply(state.catalog.codes())
    return Reply(state.catalog.codes([GLOBAL_SCOPE, *state.app.scopes]))


def _event_type(p: Params) -> bool:
    """True for offline; anything but online/offline is an argument error (§2.2)."""
    value = p.text("event_type", "online").lower() or "online"
    if value not in ("online", "offline"):
        raise argument_error("EVENT_TYPE", "Value of EVENT_TYPE must be online or offline")
    return value == "offline"


def _required_event(p: Params) -> str:
    event = p.text("event").upper()
    if not event:
        raise argument_error("EVENT")
    return event


def _check_connector(state: PortalState, caller: Caller) -> None:
    if caller.connector and not state.app.features.get("rest_auth_connector"):
        raise wrong_license("auth_connector")


def _min_timeout(event: str, options: Any) -> int:
    """options[minTimeout], honoured only for ONOFFLINEEVENT; a non-map `options` is ignored."""
    if event != "ONOFFLINEEVENT" or not isinstance(options, dict):
        return DEFAULT_MIN_TIMEOUT
    value = {str(k).lower(): v for k, v in options.items()}.get("mintimeout")
    try:
        return max(0, int(value)) if value is not None else DEFAULT_MIN_TIMEOUT
    except (TypeError, ValueError):
        return DEFAULT_MIN_TIMEOUT


def event_bind(state: PortalState, caller: Caller, p: Params) -> Reply:
    """Register an online handler or an offline queue for an event (spec §2.2)."""
    event = _required_event(p)
    offline = _event_type(p)
    _check_connector(state, caller)
    handler, auth_type = "", 0
    if offline:
        if not caller.admin:
            raise access_denied("Offline events binding requires administrator access rights")
    else:
        handler = p.text("handler")
        if not handler:
            raise argument_error("HANDLER")
        validate_handler_url(handler)
        check_handler_host(state.edition, handler, state.install_url)
        auth_type = p.integer("auth_type", 0)
        if not caller.admin:
            if auth_type not in (0, caller.user_id):
                raise access_denied(
                    "Event binding with AUTH_TYPE requires administrator access rights"
                )
            auth_type = caller.user_id  # non-admins are forced to their own ID (§2.2)
    if not state.catalog.available(event, state.app.scopes):
        raise ApiError(400, "ERROR_EVENT_NOT_FOUND", "Event not found")
    if offline and event == "ONOFFLINEEVENT":
        raise ApiError(400, "ERROR_ARGUMENT", "Offline event cannot be registered for this event.")
    state.registry.bind(
        event,
        handler=handler,
        auth_type=auth_type,
        offline=offline,
        connector=caller.connector if offline else "",
        min_timeout=_min_timeout(event, p.get("options")),
        owner=caller.app,
    )
    return Reply(True)


def _unbind_auth_type(caller: Caller, raw: Any) -> int | None:
    """The auth_type filter of event.unbind, with the core's strict comparison (spec §7.9).

    For non-admins the core compares the raw value with the integer user ID, so a string "7"
    from a query or form never matches — only a JSON number does.
    """
    if raw is None or raw == "":
        return None if caller.admin else caller.user_id
    if caller.admin:
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise argument_error("AUTH_TYPE", "Argument 'AUTH_TYPE' must be integer") from None
    if isinstance(raw, bool) or raw != caller.user_id:
        raise access_denied("Event unbinding with AUTH_TYPE requires administrator access rights")
    return caller.user_id


def event_unbind(state: PortalState, caller: Caller, p: Params) -> Reply:
    """Remove registrations; the count of removed ones is the result (spec §2.3)."""
    event = _required_event(p)
    offline = _event_type(p)
    _check_connector(state, caller)
    if offline:
        if not caller.admin:
            raise access_denied("Offline events unbinding requires administrator access rights")
        count = state.registry.unbind(
            event, offline=True, connector=caller.connector, owner=caller.app
        )
        return Reply({"count": count})
    handler = p.text("handler")
    if not handler:
        raise argument_error("HANDLER")  # core rejects an empty handler (spec §7.8)
    auth_type = _unbind_auth_type(caller, p.get("auth_type"))
    count = state.registry.unbind(
        event, offline=False, handler=handler, auth_type=auth_type, owner=caller.app
    )
    return Reply({"count": count})


def event_get(state: PortalState, caller: Caller, p: Params) -> Reply:
    """The app's registrations; non-admins see only their own (spec §2.4)."""
    rows = state.registry.all(caller.app)  # only the calling app's own (spec §2.4)
    if not caller.admin:
        rows = [b for b in rows if not b.offline and b.auth_type == caller.user_id]
    return Reply([b.row() for b in rows])


def event_test(state: PortalState, caller: Caller, p: Params) -> Reply:
    """Fire ONAPPTEST echoing the call's parameters in data.QUERY (spec §2.5)."""
    data = {"QUERY": p.raw, "LANGUAGE_ID": state.app.language}
    state.sink.emit_soon("ONAPPTEST", data, caller.user_id, caller.session - 1)
    return Reply(1)


def feature_get(state: PortalState, caller: Caller, p: Params) -> Reply:
    """Whether a plan feature is on: rest_offline_extended, rest_auth_connector (spec §2.10).

    Y/N on the cloud; `<lang>_selfhosted` on a self-hosted portal (sandbox/edition.py).
    """
    code = p.text("code")
    if not code:
        raise argument_error("CODE")
    return Reply({"value": state.edition.feature_value(bool(state.app.features.get(code)))})


def app_info(state: PortalState, caller: Caller, p: Params) -> Reply:
    """The calling application as the portal describes it."""
    app = state.app
    return Reply(
        {
            "ID": 1,
            "CODE": app.client_id,
            "VERSION": app.version,
            "STATUS": state.identity.status,
            "INSTALLED": app.installed,
            "PAYMENT_EXPIRED": "N",
            "DAYS": None,
            "LANGUAGE_ID": app.language,
            "LICENSE": f"{app.language}_project",
            "LICENSE_TYPE": "project",
            "LICENSE_FAMILY": "project",
        }
    )


def scope(state: PortalState, caller: Caller, p: Params) -> Reply:
    """The scopes granted to the app."""
    return Reply(list(state.app.scopes))


def profile(state: PortalState, caller: Caller, p: Params) -> Reply:
    """The calling user, briefly."""
    user = state.users.get(caller.user_id)
    record = user.record() if user is not None else {"ID": str(caller.user_id), "ADMIN": False}
    keys = ("ID", "ADMIN", "NAME", "LAST_NAME")
    return Reply({key: record.get(key, "") for key in keys})


METHODS = {
    "events": MethodSpec(events, app_only=True),
    "event.bind": MethodSpec(event_bind, app_only=True),
    "event.unbind": MethodSpec(event_unbind, app_only=True),
    "event.get": MethodSpec(event_get, app_only=True),
    "event.test": MethodSpec(event_test, app_only=True),
    "feature.get": MethodSpec(feature_get),
    "app.info": MethodSpec(app_info, app_only=True),
    "scope": MethodSpec(scope),
    "profile": MethodSpec(profile),
}
