"""POSTing events to handlers the way Bitrix24's queue server does, once, and logging the outcome.

Spec §1.1–1.2: one `application/x-www-form-urlencoded` POST per handler per event, built like PHP's
http_build_query; no retries — a timeout, refused connection or non-2xx answer is recorded and the
event is dropped. The User-Agent is the one third-party logs show for Bitrix24 callbacks (§1.1).
Simplified: no slow-handler throttling and no source-IP pool; the optional delay stands in for
the queue hop's variable lag.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from b24monitor.core.phpform import build_form

USER_AGENT = "Bitrix24 Webhook Engine"
DEAD_HANDLER = "the handler did not answer (sandbox: dead-handler switch on)"
LOG_LIMIT = 100_000
"""The log keeps at most this many records; the oldest half goes when it is reached."""


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One delivery attempt: where, what, and how it ended."""

    url: str
    event: str
    status: int | None  # HTTP status, None when no answer came
    error: str | None  # why no answer came (timeout, connection refused, ...)
    latency: float  # seconds from sending to the answer or the failure
    handler_id: int | None = None
    sent_at: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the handler answered 2xx (the only thing the sender looks at, spec §1.5)."""
        return self.status is not None and 200 <= self.status < 300


class Deliverer:
    """Sends delivery POSTs over one pooled HTTP client and keeps `log`."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        delay: tuple[float, float] = (0.0, 0.0),
        rng: random.Random | None = None,
    ) -> None:
        self.log: list[DeliveryRecord] = []
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._delay = delay
        self._rng = rng or random.Random()
        self._session: aiohttp.ClientSession | None = None
        self.dead = False
        """A dead handler as Bitrix24 sees it: every POST fails, is logged, and is dropped."""

    async def start(self) -> None:
        """Open the HTTP client."""
        connector = aiohttp.TCPConnector(limit=100)
        headers = {"User-Agent": USER_AGENT}
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=self._timeout, headers=headers
        )

    async def close(self) -> None:
        """Close the HTTP client."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(
        self, url: str, payload: dict[str, Any], *, handler_id: int | None = None
    ) -> DeliveryRecord:
        """Deliver one payload once; the outcome is returned and appended to `log`."""
        if self._session is None:
            raise RuntimeError("the sandbox portal is not started")
        if self._delay[1] > 0:
            await asyncio.sleep(self._rng.uniform(*self._delay))
        if self.dead:  # nothing reaches the handler, nothing is retried (spec §1.1)
            record = DeliveryRecord(url, str(payload.get("event", "")), None, DEAD_HANDLER, 0.0,
                                    handler_id, time.time())  # fmt: skip
            self._append(record)
            return record
        body = build_form(payload).encode("utf-8")
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        sent_at = time.time()
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            async with self._session.post(url, data=body, headers=headers) as response:
                await response.read()
                status = response.status
        except TimeoutError:
            error = "timeout"
        except aiohttp.ClientError as exc:
            error = f"{type(exc).__name__}: {exc}"
        record = DeliveryRecord(
            url,
            str(payload.get("event", "")),
            status,
            error,
            time.perf_counter() - started,
            handler_id,
            sent_at,
        )
        self._append(record)
        return record

    def _append(self, record: DeliveryRecord) -> None:
        if len(self.log) >= LOG_LIMIT:
            del self.log[: LOG_LIMIT // 2]
        self.log.append(record)
