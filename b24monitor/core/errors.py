"""The one exception tree of b24monitor; every message says what happened and what to do.

    B24MonitorError
    ├── UsageError                 bad command-line or settings input (exit code 2)
    ├── MalformedDelivery          a delivery body that cannot be decoded (stored raw, answered 400)
    ├── FilterSyntaxError          a filter expression that does not parse (carries the column)
    ├── StoreError                 the database cannot be used
    │   ├── StoreCorrupt           the file is not a b24monitor database or is damaged
    │   └── StoreTooNew            the file was written by a newer b24monitor
    ├── ExportError                an export cannot be written
    ├── PortalError                the portal or its OAuth server refused or failed a call
    └── TunnelError                the public tunnel could not be started or reached
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


class ExportError(B24MonitorError):
    """An export could not be written."""


class PortalError(B24MonitorError):
    """A Bitrix24 portal or OAuth server call failed."""


class TunnelError(B24MonitorError):
    """The public tunnel could not be started or is not reachable."""
