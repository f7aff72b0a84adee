"""The one exception tree of b24monitor; every message says what happened and what to do.

B24MonitorError
├── UsageError                 bad command-line or settings input (exit code 2)
├── MalformedDelivery          a delivery body that cannot be decoded (stored raw, answered 400)
├── FilterSyntaxError          a filter expression that does not parse (carries the column)
├── StoreError                 the database cannot be used
│   ├── StoreCorrupt           the file is not a b24monitor database or is damaged
│   ├── StoreTooNew            the file was written by a newer b24monitor
│   └── StoreFull              a commit failed for lack of disk space (the delivery gets 503)
├── ExportError                an export cannot be written
├── PortalError                the portal or its OAuth server refused or failed a call
│   ├── PortalCallError        a method answered with an error envelope (method, code, status)
│   │   ├── WrongAuthType      WRONG_AUTH_TYPE: event methods need a local application
│   │   ├── PortalAccessDenied ACCESS_DENIED and other rights errors (admin, scope, plan)
│   │   ├── EventNotFound      ERROR_EVENT_NOT_FOUND: the event is outside the app's scopes
│   │   ├── QueryLimitExceeded QUERY_LIMIT_EXCEEDED still failing after paced retries
│   │   ├── OperationTimeLimit OPERATION_TIME_LIMIT: the method is blocked for a while
│   │   └── OAuthError         the OAuth server refused a token refresh (not invalid_grant)
│   ├── PortalUnavailable      network failure, timeout or 5xx after bounded retries
│   ├── PortalRedirected       a redirect that is not a rename (same host, or a second one)
│   ├── ReauthorizationNeeded  the refresh token is dead: re-install the app or re-authorize
│   ├── BatchCommandSkipped    a batch command not run because an earlier one failed (halt)
│   ├── ProfileError           a portal profile is missing, of the wrong kind or not installed
│   ├── DestructiveReadRefused event.offline.get would delete rows and nobody confirmed it
│   └── PingTimeout            event.test was accepted but its ONAPPTEST never arrived
├── TunnelError                the public tunnel could not be started or reached
└── EngineError                the data dir's capture engine cannot be used over its channel
    ├── EngineNotRunning       no engine serves the data dir
    ├── EngineRefused          the engine refused the connection (token, another user)
    ├── EngineGone             the engine closed the channel (stopped, crashed, too slow)
    └── EngineRequestFailed    the engine answered a request with an error (code, message)
"""

from __future__ import annotations


class B24MonitorError(Exception):
    """Base of every error b24monitor reports to a user."""


class UsageError(B24MonitorError):
    """The user asked for something that does not make sense (exit code 2)."""


class MalformedDelivery(B24MonitorError):
    """A delivery body could not be decoded; the raw bytes are still kept."""


class FilterSyntaxError(B24MonitorError):
    """A filter expression does not parse; `column` is the 1-based position of the fault."""

    def __init__(self, message: str, column: int, expression: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.expression = expression

    def __str__(self) -> str:
        return f"filter error at column {self.column}: {self.message}"


class StoreError(B24MonitorError):
    """The event database cannot be opened or written."""


class StoreCorrupt(StoreError):
    """The database file is damaged or not a b24monitor database."""


class StoreTooNew(StoreError):
    """The database file was written by a newer version of b24monitor."""


class StoreFull(StoreError):
    """A commit failed because the disk (or the database's size limit) is full."""


class ExportError(B24MonitorError):
    """An export could not be written."""


class PortalError(B24MonitorError):
    """A Bitrix24 portal or OAuth server call failed."""


class TunnelError(B24MonitorError):
    """The public tunnel could not be started or is not reachable."""


class PortalCallError(PortalError):
    """A REST method answered with an error envelope (spec §2.0, §5.3).

    The message is one sentence: the method, the portal's code, and what to do. `description`
    keeps the portal's own text for the detail view; it never carries tokens.
    """

    def __init__(
        self, method: str, code: str, advice: str, *, status: int = 400, description: str = ""
    ) -> None:
        super().__init__(f"{method} failed with {code}: {advice}.")
        self.method = method
        self.code = code
        self.advice = advice
        self.status = status
        self.description = description


class WrongAuthType(PortalCallError):
    """WRONG_AUTH_TYPE: event methods accept only an application's OAuth token (spec §2.0)."""


class PortalAccessDenied(PortalCallError):
    """ACCESS_DENIED and kin: the user, the app's scopes or the plan do not allow the call."""


class EventNotFound(PortalCallError):
    """ERROR_EVENT_NOT_FOUND: the event code is unknown or outside the app's scopes (spec §2.2)."""


class QueryLimitExceeded(PortalCallError):
    """QUERY_LIMIT_EXCEEDED kept coming back although the client paced its retries (spec §5.4)."""


class OperationTimeLimit(PortalCallError):
    """OPERATION_TIME_LIMIT: the method is blocked until `reset_at` (Unix seconds, if known)."""

    def __init__(
        self,
        method: str,
        code: str,
        advice: str,
        *,
        status: int = 429,
        description: str = "",
        reset_at: float | None = None,
    ) -> None:
        super().__init__(method, code, advice, status=status, description=description)
        self.reset_at = reset_at


class OAuthError(PortalCallError):
    """The OAuth server refused a token refresh for a reason other than a dead refresh token."""


class PortalUnavailable(PortalError):
    """The portal could not be reached or kept failing (network, timeout, 5xx) after retries."""

    def __init__(self, method: str, reason: str) -> None:
        super().__init__(
            f"{method} failed with {reason} after several attempts: "
            "check the network connection and the portal's availability, then try again."
        )
        self.method = method
        self.reason = reason


class PortalRedirected(PortalError):
    """The portal redirected a REST call in a way that is not a rename (spec §5.1)."""

    def __init__(self, method: str, reason: str) -> None:
        super().__init__(f"{method} was redirected {reason}")
        self.method = method


class ReauthorizationNeeded(PortalError):
    """The refresh token was rejected (invalid_grant) and no newer pair exists (spec §5.2)."""

    def __init__(self, profile: str) -> None:
        super().__init__(
            f"oauth/token failed with invalid_grant for profile “{profile}”: "
            "re-install the app in the portal or re-authorize it to get new tokens."
        )
        self.profile = profile


class BatchCommandSkipped(PortalError):
    """A batch command was not run because an earlier one failed under halt=1 (spec §5.5)."""

    def __init__(self, method: str) -> None:
        super().__init__(
            f"{method} was not run because an earlier command of the same batch failed "
            "(halt): fix that error and run it again."
        )
        self.method = method


class ProfileError(PortalError):
    """A portal profile is missing, of the wrong kind, not installed, or cannot be stored."""


class DestructiveReadRefused(PortalError):
    """event.offline.get would delete the rows it returns, and nobody confirmed that (spec §2.6)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "event.offline.get cannot reserve rows because feature rest_offline_extended is "
            "off on this plan: confirm a destructive read (rows are deleted as they are fetched) "
            "or use the read-only queue view."
        )


class PingTimeout(PortalError):
    """event.test was accepted but no ONAPPTEST delivery came back in time (spec §2.5)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"event.test was accepted but no ONAPPTEST delivery arrived within {seconds:g} s: "
            "check that the tunnel is up and ONAPPTEST is bound at the current handler URL."
        )
        self.seconds = seconds


class EngineError(B24MonitorError):
    """The data dir's capture engine cannot be used over its control channel (issue 14)."""


class EngineNotRunning(EngineError):
    """No engine serves the data dir: nothing listens on its engine.sock."""


class EngineRefused(EngineError):
    """The engine refused the connection: a wrong token, or another user's engine."""


class EngineGone(EngineError):
    """The engine closed the channel: it stopped, crashed or dropped a client too slow."""


class EngineRequestFailed(EngineError):
    """The engine answered a request with an error; `code` is its code (a portal's, or ours)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
