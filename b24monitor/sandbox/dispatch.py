"""Find and run a REST method by name, enforcing its scope and auth-type rules (spec §2.0, §5.3).

Method names are case-insensitive, like the portal's. A method outside the app's scopes looks the
same as an unknown one (404 ERROR_METHOD_NOT_FOUND).
"""

from __future__ import annotations

from b24monitor.sandbox import common_methods, entity_methods, offline_methods, rest_methods
from b24monitor.sandbox.api_errors import argument_error, method_not_found, wrong_auth_type
from b24monitor.sandbox.batch import run_batch
from b24monitor.sandbox.calls import Caller, MethodSpec, Params, Reply
from b24monitor.sandbox.state import PortalState

METHODS: dict[str, MethodSpec] = {
    **rest_methods.METHODS,
    **offline_methods.METHODS,
    **entity_methods.METHODS,
    **common_methods.METHODS,
}


def method_get(state: PortalState, caller: Caller, p: Params) -> Reply:
    """method.get: whether a method exists, and whether this caller may call it."""
    name = p.text("name").lower()
    if not name:
        raise argument_error("NAME")
    spec = METHODS.get(name)
    existing = spec is not None or name == "batch"
    available = name == "batch" or (
        spec is not None
        and state.app.has_scope(spec.scope)
        and (caller.via_app or not spec.app_only)
    )
    return Reply({"isExisting": existing, "isAvailable": available})


METHODS["method.get"] = MethodSpec(method_get)


def call(state: PortalState, caller: Caller, name: str, params: Params) -> Reply:
    """Run one method for a caller; raises ApiError with the portal's answer on refusal."""
    name = name.lower()
    if name == "batch":
        return run_batch(state, caller, params, call)
    spec = METHODS.get(name)
    if spec is None or not state.app.has_scope(spec.scope):
        raise method_not_found()
    if spec.app_only and not caller.via_app:
        raise wrong_auth_type()
    return spec.function(state, caller, params)
