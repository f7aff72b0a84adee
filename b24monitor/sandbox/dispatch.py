"""Find and run a REST method by name, enforcing its scope and auth-type rules (spec §2.0, §5.3).

Method names are case-insensitive, like the portal's. A method outside the app's scopes looks the
same as an unknown one (404 ERROR_METHOD_NOT_FOUND).
"""

from __future__ import annotations

from b24monitor.sandbox import entity_methods, offline_methods, rest_methods
from b24monitor.sandbox.api_errors import method_not_found, wrong_auth_type
from b24monitor.sandbox.batch import run_batch
from b24monitor.sandbox.calls import Caller, MethodSpec, Params, Reply
from b24monitor.sandbox.state import PortalState

METHODS: dict[str, MethodSpec] = {
    **rest_methods.METHODS,
    **offline_methods.METHODS,
    **entity_methods.METHODS,
}


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


def method_names() -> list[str]:
    """Every method the sandbox answers, sorted (for describe())."""
    return sorted([*METHODS, "batch"])
