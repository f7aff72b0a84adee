"""The shape of one REST call inside the sandbox: who calls, with which parameters, what comes back.

Parameter names are case-insensitive on Bitrix24 (the core folds them, spec §2.0), so `Params`
looks names up case-insensitively while keeping the values exactly as sent — strings from a query
or form, typed values from a JSON body (the difference matters, spec §7.9).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from b24monitor.sandbox.api_errors import argument_error
from b24monitor.sandbox.state import PortalState
from b24monitor.sandbox.tokens import HANDLER_SESSION_TTL


@dataclass(frozen=True, slots=True)
class Caller:
    """Who makes the call: the user, whether they are admin, and how they authenticated."""

    user_id: int
    admin: bool
    via_app: bool  # an application OAuth token; False for an incoming webhook
    session: int = HANDLER_SESSION_TTL  # event-session counter of the token (spec §1.1)
    connector: str = ""  # auth_connector, an auth-level parameter (spec §2.2, §3.1)
    app: str = ""  # the client_id of the calling app (its registrations are its own)


@dataclass(frozen=True, slots=True)
class Reply:
    """A method's result plus the list fields `total` and `next` (spec §5.6)."""

    result: Any
    total: int | None = None
    next: int | None = None


class Params:
    """Call parameters with case-insensitive names."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = dict(raw)
        self._folded = {str(k).lower(): v for k, v in raw.items()}

    def get(self, name: str, default: Any = None) -> Any:
        """The value of a parameter, or `default` when absent."""
        return self._folded.get(name.lower(), default)

    def text(self, name: str, default: str = "") -> str:
        """A scalar parameter as a string ("" / default when absent or not scalar)."""
        value = self.get(name)
        if value is None or isinstance(value, dict | list):
            return default
        if isinstance(value, bool):
            return "1" if value else "0"
        return str(value)

    def integer(self, name: str, default: int) -> int:
        """An integer parameter; a non-numeric value is an ERROR_ARGUMENT naming it."""
        value = self.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise argument_error(
                name.upper(), f"Argument '{name.upper()}' must be integer"
            ) from None

    def flag(self, name: str, default: bool) -> bool:
        """A 0/1 (Y/N, true/false) parameter."""
        value = self.text(name)
        if value == "":
            return default
        return value.lower() not in ("0", "n", "false", "no")


Method = Callable[[PortalState, Caller, Params], Reply]


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """A REST method: its function, the scope it needs, and whether only app tokens may call it."""

    function: Method
    scope: str | None = None
    app_only: bool = False
