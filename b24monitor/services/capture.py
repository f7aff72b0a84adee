"""The capture path's own thread and plain asyncio loop: receiver + decoding + store writer.

It runs apart from the front end's loop in the GUI and headless alike: inside a qasync loop an
HTTP server answers several times fewer requests, and a GUI stall would delay every
acknowledgement (../shared/guide/architecture.md, "The path of one delivery"). Committed ids
are handed to the front end once per batch through `on_batch(outcomes)`, which is called on
the capture thread.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from b24monitor.core.budget import StoreLimits
from b24monitor.core.findings import DEFAULT_DELAY_THRESHOLD_S
from b24monitor.core.receiver_stats import ReceiverStats
from b24monitor.core.verification import Sender
from b24monitor.services.capture_loop import capture_loop_factory
from b24monitor.services.findings import FindingsRecorder
from b24monitor.services.install_gate import KeepInstall, Prover
from b24monitor.services.receiver import Receiver, ReceiverSettings
from b24monitor.services.tunnel_budget import PublicArrivals
from b24monitor.services.writer import Outcome, Retention, StoreWriter

# How long another thread may hold the GIL while the capture loop waits for it (default 5 ms).
# Each delivery needs the GIL several times on this loop (accept, head, body, answer); while the
# writer decodes a flood of forged bodies, every one of those waits could cost the full 5 ms
# (issue 15; bench/hostile.py measures it). Process-wide.
SWITCH_INTERVAL_S = 0.0005


class CaptureThread:
    """Start/stop the capture path from any thread; `on_batch(outcomes)` fires after each commit."""

    def __init__(
        self,
        db_path: Path,
        handler_path: str,
        settings: ReceiverSettings,
        *,
        on_batch: Callable[[list[Outcome]], None],
        retention: Retention | None = None,
        limits: StoreLimits | None = None,
        on_oauth_code: Callable[[dict[str, str]], None] | None = None,
        arrivals: PublicArrivals | None = None,
        prover: Prover | None = None,
        keep_install: KeepInstall | None = None,
        delay_threshold_s: float = DEFAULT_DELAY_THRESHOLD_S,
    ) -> None:
        self._delay_threshold_s = delay_threshold_s
        self._prover = prover
        self._keep_install = keep_install
        self._db_path = db_path
        self.arrivals = arrivals
        self._handler_path = handler_path
        self._settings = settings
        self._on_batch = on_batch
        self._retention = retention
        self._limits = limits
        self._on_oauth_code = on_oauth_code
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None
        self.receiver: Receiver | None = None
        self.writer: StoreWriter | None = None

    @property
    def port(self) -> int:
        return self.receiver.port if self.receiver else 0

    @property
    def stray_hits(self) -> int:
        return self.receiver.stray_hits if self.receiver else 0

    def stats(self) -> ReceiverStats:
        """A snapshot of the counters (plain ints written on the capture thread)."""
        r, w = self.receiver, self.writer
        if r is None or w is None:
            return ReceiverStats()
        c = r.counters
        return ReceiverStats(
            c.aborted, c.refused, c.timeouts, w.bodies_not_kept, w.refused_low_disk,
            w.disk.current, w.disk.free_bytes,
        )  # fmt: skip

    def register_probe(self, token: str) -> None:
        if self.receiver is not None:
            self.receiver.register_probe(token)

    def add_sender(self, sender: Sender) -> None:
        if self.writer is not None:
            self.writer.add_sender(sender)

    def expect_app_token(self, token: str, label: str) -> None:
        if self.writer is not None:
            self.writer.expect_app_token(token, label)

    def start(self) -> None:
        """Start the thread and wait until the receiver listens; re-raises start-up errors."""
        started: Future[None] = Future()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self._thread = threading.Thread(
            target=self._main, args=(started,), name="b24monitor-capture", daemon=True
        )
        self._thread.start()
        started.result()

    def stop(self) -> None:
        """Stop accepting, commit what was received, close the store; blocks until done."""
        if self._loop is None or self._thread is None or self._stopped is None:
            return
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join()
        self._thread = None

    def _main(self, started: Future[None]) -> None:
        # The Runner cancels and awaits what is left (connections still lingering) on close.
        with asyncio.Runner(loop_factory=capture_loop_factory()) as runner:
            self._loop = runner.get_loop()
            runner.run(self._serve(started))

    async def _serve(self, started: Future[None]) -> None:
        self._stopped = asyncio.Event()
        writer = StoreWriter(
            self._db_path,
            on_committed=self._on_batch,
            retention=self._retention,
            limits=self._limits,
            prover=self._prover,
            keep_install=self._keep_install,
            findings=FindingsRecorder(delay_threshold_s=self._delay_threshold_s),
        )
        try:
            await writer.open()
            self.writer = writer
            self.receiver = Receiver(
                self._settings,
                self._handler_path,
                writer.submit,
                self._on_oauth_code,
                arrivals=self.arrivals,
                note=writer.note,
            )
            await self.receiver.start()
        except BaseException as exc:
            try:
                await writer.close()
            finally:  # whatever close() does, the starter must not wait forever
                started.set_exception(exc)
            return
        started.set_result(None)
        await self._stopped.wait()
        await self.receiver.stop()
        await writer.close()
