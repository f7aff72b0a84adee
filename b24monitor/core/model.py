"""The event model: what the receiver got (Delivery) and what the store keeps (CapturedEvent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Verified = bool | None
"""True: token matches the known one; False: mismatch; None: no token known for the portal."""

Status = Literal["ok", "malformed", "rejected"]
Origin = Literal["online", "recovered", "replayed", "canary"]
"""online: POSTed by Bitrix24; recovered: fetched from the offline queue by the safety net
(it never arrived online); replayed: sent again by b24monitor; canary: the health check's own."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One HTTP request to the handler path, exactly as received (raw is the source of truth)."""

    received_at: float  # Unix seconds, wall clock
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    content_type: str
    peer: str | None = None
    # Set when the body was refused for its size (413): the Content-Length it announced, or 0
    # when it came without one (issue 15).
    announced: int | None = None


@dataclass(frozen=True, slots=True)
class KeyFields:
    """The fields of a delivery that are indexed and shown in lists (spec §1.4)."""

    event: str | None = None
    handler_id: str | None = None
    ts: int | None = None
    member_id: str | None = None
    domain: str | None = None
    user_id: str | None = None
    application_token: str | None = None
    entity_id: str | None = None
    entity_type_id: str | None = None


Severity = Literal["error", "warn", "info"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One Bitrix24-aware check that tripped on a stored event (core/findings.py has the table)."""

    code: str
    detail: str = ""  # the figures behind it, e.g. "45 s" for a queue delay


@dataclass(slots=True)
class CapturedEvent:
    """A stored delivery: raw request, decoded payload, key fields and the verdicts on it."""

    id: int
    received_at: float
    event: str | None
    member_id: str | None
    domain: str | None
    entity_id: str | None
    entity_type_id: str | None
    user_id: str | None
    handler_id: str | None
    ts: int | None
    verified: Verified
    status: Status
    error: str | None
    size: int
    content_type: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    data: dict[str, Any] | None = field(default=None)  # the whole decoded payload
    pinned: bool = False
    peer: str | None = None
    method: str = "POST"
    path: str = ""
    http_status: int = 200  # what the receiver answered
    sender: str | None = None  # label of the sender whose token matched (spec §4)
    findings: tuple[Finding, ...] = ()  # computed after the acknowledgement (core/findings.py)
    origin: Origin = "online"

    @property
    def payload_data(self) -> dict[str, Any]:
        """The delivery's `data` block (spec §1.4: a missing `data` is `{}`)."""
        if not self.data:
            return {}
        inner = self.data.get("data")
        return inner if isinstance(inner, dict) else {}
