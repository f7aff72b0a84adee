"""Errors the sandbox portal answers with, rendered as Bitrix24's error envelope (spec §2.0, §5.3).

Each error is an HTTP status plus `{"error": CODE, "error_description": text}`, with `argument`
for argument errors. They derive from PortalError because they are exactly what a client of a real
portal would meet; inside the sandbox they never leave the server side.
"""

from __future__ import annotations

from typing import Any

from b24monitor.core.errors import PortalError


class ApiError(PortalError):
    """A refused REST or OAuth call: HTTP status, error code, description, optional argument."""

    def __init__(self, status: int, code: str, description: str, argument: str | None = None):
        super().__init__(f"{code}: {description}")
        self.status = status
        self.code = code
        self.description = description
        self.argument = argument

    def body(self) -> dict[str, Any]:
        """The JSON error envelope."""
        body: dict[str, Any] = {"error": self.code, "error_description": self.description}
        if self.argument is not None:
            body["argument"] = self.argument
        return body


def argument_error(argument: str, description: str | None = None) -> ApiError:
    """400 ERROR_ARGUMENT naming the offending parameter (core ArgumentException)."""
    text = description or f"Argument '{argument}' is null or empty"
    return ApiError(400, "ERROR_ARGUMENT", text, argument)


def access_denied(reason: str = "") -> ApiError:
    """403 ACCESS_DENIED; the core appends the reason to "Access denied!" (spec §2.2)."""
    return ApiError(403, "ACCESS_DENIED", f"Access denied! {reason}".strip())


def wrong_auth_type() -> ApiError:
    """403 WRONG_AUTH_TYPE: event methods refuse webhook and session auth (spec §2.0)."""
    return ApiError(403, "WRONG_AUTH_TYPE", "Current authorization type is denied for this method")


def wrong_license(feature: str) -> ApiError:
    """403 WRONG_LICENSE for a feature switched off on this portal (spec §2.2, §2.6)."""
    text = f"This feature is not enabled for the current license: {feature}"
    return ApiError(403, "WRONG_LICENSE", text)


def method_not_found() -> ApiError:
    """404 ERROR_METHOD_NOT_FOUND: unknown method or its scope not granted (spec §5.3)."""
    return ApiError(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")


def no_auth_found() -> ApiError:
    """401 NO_AUTH_FOUND: the request carries no recognizable auth (spec §5.3)."""
    return ApiError(401, "NO_AUTH_FOUND", "Wrong authorization data")


def expired_token() -> ApiError:
    """401 expired_token: refresh and repeat (spec §5.3)."""
    return ApiError(401, "expired_token", "The access token provided has expired.")


def invalid_token() -> ApiError:
    """401 invalid_token: the token is unknown, garbled or revoked (spec §5.3)."""
    return ApiError(401, "invalid_token", "The access token provided is invalid.")


def query_limit_exceeded() -> ApiError:
    """503 QUERY_LIMIT_EXCEEDED from the leaky bucket (spec §5.4)."""
    return ApiError(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
