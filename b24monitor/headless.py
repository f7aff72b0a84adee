"""The headless front end: a Session under plain asyncio, printing one line (or JSON) per event."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from b24monitor.demo import DemoPortal

from b24monitor.core.export import iso_utc, key_record
from b24monitor.core.filters import Filter
from b24monitor.core.masking import mask_secrets
from b24monitor.core.model import CapturedEvent
from b24monitor.core.receiver_stats import ReceiverWatch, watch_text
from b24monitor.core.replay import Attempt, attempt_record, format_attempt_line
from b24monitor.core.tasks import spawn
from b24monitor.core.traffic_patterns import Alert
from b24monitor.core.whole_write import write_whole
from b24monitor.services.batch import Batch
from b24monitor.services.engine_state import tunnel_record
from b24monitor.services.portal_link import Notice
from b24monitor.services.session import Session, SessionConfig
from b24monitor.services.tunnel import TunnelState

VERIFIED_MARK = {True: "✔", False: "✖", None: "–"}
# json.dumps(x, ensure_ascii=False) builds an encoder per call; one built once says the same.
_to_json = json.JSONEncoder(ensure_ascii=False).encode


class LinePrinter:
    """Writes each line at once (flushed) and whole: scripts and tests read the stream live."""

    def __init__(self, out: TextIO, *, as_json: bool) -> None:
        self._out = out
        self.as_json = as_json
        self.closed = False  # the reader went away (`| head`)
        self.on_closed: Callable[[], object] | None = None

    def json(self, obj: dict[str, Any]) -> None:
        self._write([json.dumps(obj, ensure_ascii=False)])

    def text(self, line: str) -> None:
        self._write([line])

    def _write(self, lines: list[str]) -> None:
        try:
            # Once per batch (a burst is not a syscall per event), and whole (core/whole_write).
            write_whole(self._out, "".join(line + "\n" for line in lines))
        except BrokenPipeError:
            # The reader went away (`| head`): stop the way Ctrl+C does, storing what arrived.
            self.closed = True
            if self.on_closed is not None:
                self.on_closed()

    def events(self, events: list[CapturedEvent]) -> None:
        if self.as_json:
            self._write([_to_json(event_line(ev)) for ev in events])
        else:
            self._write([format_event_line(ev) for ev in events])


def _attempt_printer(printer: LinePrinter) -> Callable[[Attempt], None]:
    def show(a: Attempt) -> None:
        if printer.as_json:
            printer.json({"type": "forward", **attempt_record(a)})
        else:
            printer.text(format_attempt_line(a))

    return show


def event_line(ev: CapturedEvent) -> dict[str, Any]:
    """The JSON line of an event (`listen --json`, `wait`)."""
    # A rejected (✖) payload is whatever a stranger sent, up to the body limit: live lines
    # leave it out (it is stored within the budget; `export` writes it), so a flood of
    # forged bodies costs the front end little and never floods the terminal (issue 15).
    data = mask_secrets(ev.payload_data) if ev.status != "rejected" else None
    if ev.origin == "recovered":  # missed online, recovered from the offline queue (issue 11)
        # A recovered event's received_at is its queue row's TIMESTAMP_X (spec §3.3).
        queued_at = iso_utc(ev.received_at)
        return {"type": "missed", "id": ev.id, "event": ev.event, "entity_id": ev.entity_id,
                "queued_at": queued_at, "data": data}  # fmt: skip
    return {"type": "event", **key_record(ev), "data": data}


def format_event_line(ev: CapturedEvent) -> str:
    """`12:03:10  ONCRMDEALUPDATE  3187  acme.bitrix24.com  ✔ dev-app` (+ status when not ok);
    the sender is the label of the app or webhook whose token matched (spec §4). A recovered
    event (missed online, fetched from the offline queue) starts with ↺."""
    when = datetime.fromtimestamp(ev.received_at).strftime("%H:%M:%S")
    if ev.origin == "recovered":
        when = "↺ " + when
    parts = [when, ev.event or "(no event)", ev.entity_id or "-", ev.domain or "-"]
    parts.append(VERIFIED_MARK[ev.verified] + (f" {ev.sender}" if ev.sender else ""))
    if ev.status != "ok":
        parts.append(f"{ev.status}: {ev.error}")
    if ev.findings:
        parts.append("⚠ " + ", ".join(f.code for f in ev.findings))
    return "  ".join(parts)


async def listen(
    config: SessionConfig,
    flt: Filter,
    printer: LinePrinter,
    *,
    demo: tuple[DemoPortal, Sequence[str], Sequence[str]] | None = None,
    authorize: str | None = None,
    news: bool = True,
    sink: Callable[[list[CapturedEvent]], None] | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Run until SIGINT/SIGTERM (or a control client's `stop`, or `stop`); print each committed
    event that matches `flt`.

    `demo`: a sandbox portal to start first, with the events to bind online and offline.
    `news=False` (`listen --engine`): print only where it listens; events, tunnel and portal
    news reach attached windows over the control channel instead.
    `sink`: takes the matching events instead of the printer (`wait --listen`).
    """
    if demo is not None:
        portal, online, offline = demo
        config = replace(config, portal=await portal.start(online, offline))
    session = Session(config)
    if news:
        session.tunnel_changed.connect(lambda state: _print_tunnel(session, state, printer))
        session.notice.connect(lambda notice: _print_notice(notice, printer))
        session.attempt_recorded.connect(_attempt_printer(printer))
        session.alerts.connect(lambda alert: _print_alert(alert, printer))
    stop = stop or asyncio.Event()
    session.stop_requested.connect(lambda _who: stop.set())
    try:
        await session.start()
    except BaseException:
        if demo is not None:
            await demo[0].stop()
        raise
    _install_signal_handlers(stop.set)
    printer.on_closed = stop.set
    where, params = flt.to_sql(now=time.time())
    show = sink or printer.events

    def on_batch(batch: Batch) -> None:
        store = session.store
        if store is None:
            return
        events = batch.select(store, where, params)  # the writer's summaries: no read back
        if events:
            show(events)

    if news:
        session.committed_summaries.connect(on_batch)
    _announce(session, printer, local_only_hint=demo is None)
    if session.permissions_notice:
        _print_status({"type": "permissions", "message": session.permissions_notice}, printer)
    starting = None
    if config.tunnel_settings().mode != "none":
        starting = spawn(session.start_tunnel(), name="tunnel-start")
    watch = ReceiverWatch()
    watching = None
    if news:  # the engine's counters go out in hello/status instead
        watching = spawn(_watch_receiver(session, watch, printer), name="receiver-watch")
    try:
        if demo is not None:
            await demo[0].install(session.handler_url)
        if authorize is not None and session.portal is not None:
            url = session.portal.authorize_url(authorize, session.handler_url)
            if printer.as_json:
                printer.json({"type": "authorize", "url": url})
            else:
                print(f"Open this URL and approve the app: {url}", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        if starting is not None:
            starting.cancel()  # an agent still starting is killed, not orphaned
            await asyncio.gather(starting, return_exceptions=True)
        if watching is not None:
            watching.cancel()
        await session.stop()  # unbinds first, while the portal is still there
        for item in watch.check(session.last_stats, time.monotonic(), final=True) if news else ():
            _print_status(item, printer)
        if demo is not None:
            await demo[0].stop()
    if printer.closed:
        raise BrokenPipeError  # the CLI ends quietly with the status of a closed pipe
    return 0


def _print_alert(alert: Alert, printer: LinePrinter) -> None:
    """A loop or storm: a JSON line, or one line on stdout with what to do."""
    if printer.as_json:
        printer.json(alert.record())
    elif alert.kind == "loop":
        printer.text(f"⚠ loop: {alert.event} {alert.entity_id} updated {alert.count}× within "
                     f"30 s ({alert.reason}). {alert.advice}")  # fmt: skip
    else:
        printer.text(f"⚠ storm: {alert.count} × {alert.event} in {alert.seconds:.0f} s "
                     f"(peak {alert.peak_rate:.0f}/s). {alert.advice}")  # fmt: skip


async def _watch_receiver(session: Session, watch: ReceiverWatch, printer: LinePrinter) -> None:
    """Every few seconds: budget and disk news at once, connection counters once a minute."""
    while session.capture is not None:
        await asyncio.sleep(2.0)
        if session.capture is not None:
            for item in watch.check(session.capture.stats(), time.monotonic()):
                _print_status(item, printer)


def _print_status(item: dict[str, Any], printer: LinePrinter) -> None:
    if printer.as_json:
        printer.json(item)
    else:
        print(watch_text(item), file=sys.stderr, flush=True)


def _print_notice(notice: Notice, printer: LinePrinter) -> None:
    """Portal news as JSON lines (installed, bound, unbound, error, …) or one stderr line."""
    kind = notice["type"]
    if kind == "subscriptions":
        return  # the whole table, for the GUI; its changes arrive as bound/unbound notices
    if printer.as_json:
        printer.json(notice)
        return
    print(f"portal: {_notice_text(notice)}", file=sys.stderr, flush=True)


def _notice_text(n: Notice) -> str:
    match n["type"]:
        case "installed":
            who = f"profile “{n['profile']}”: " if n.get("profile") else ""
            return f"{who}app installed on {n.get('domain')} (member {n.get('member_id')})"
        case "pending_install" | "uninstalled" | "profile_known":
            return str(n.get("message"))
        case "bound" | "unbound":
            return f"{n['type']} {n['event']} ({n['event_type']})"
        case "error":
            return f"{n.get('where')}: {n.get('message')}"
        case "offline":
            return "new rows in the offline queue (`b24monitor offline list`)"
        case "portal_moved":
            return str(n.get("message"))
        case "app_settings_stale":
            return "⚠ " + str(n.get("message"))
        case "health":
            ms = n.get("canary_ms")
            extra = f" — {n['reason']}" if n.get("reason") else ""
            return f"health {n['state']}{f' (canary {ms:g} ms)' if ms is not None else ''}{extra}"
        case "rebound":
            return f"bound again: {', '.join(n['events'])} — {n['reason']}"
        case "coverage":
            return "capture path covered" if n["covered"] else f"NOT covered: {n['reason']}"
        case "safety-net":
            return (f"safety net: {n['recovered']} missed event(s) recovered, {n['covered']} "
                    "queue row(s) had arrived live")  # fmt: skip
    return json.dumps(n, ensure_ascii=False)


async def tunnel_check(config: SessionConfig, printer: LinePrinter) -> int:
    """Start the receiver and tunnel, probe once, print the verdict, stop: 0 when reachable."""
    session = Session(config)
    session.tunnel_changed.connect(lambda state: _print_tunnel(session, state, printer))
    await session.start()
    try:
        state = await session.start_tunnel()
    finally:
        await session.stop()
    if not printer.as_json:
        verdict = "reachable" if state.state == "reachable" else f"NOT reachable ({state.reason})"
        printer.text(f"{state.public_url or 'no public URL'}: {verdict}")
        for line in tunnel_usage_lines(state):
            printer.text(line)
    return 0 if state.state == "reachable" else 1


def tunnel_usage_lines(state: TunnelState) -> list[str]:
    """`tunnel check`'s footnotes: the agent, this month's tunnel requests, any warning."""
    lines = state.usage.describe() if state.usage is not None else []
    if state.warning:
        lines.append(f"warning: {state.warning}")
    return lines


def _print_tunnel(session: Session, state: TunnelState, printer: LinePrinter) -> None:
    record = tunnel_record(session, state)  # the control channel sends the same shape
    if printer.as_json:
        printer.json(record)
        return
    line = f"tunnel: {state.state}"
    if state.state == "reachable":
        line += f" — handler URL: {record['handler_url']}"
    elif state.reason:
        line += f" — {state.reason}"
    if state.warning:
        line += f" (warning: {state.warning})"
    print(line, file=sys.stderr, flush=True)


def _announce(session: Session, printer: LinePrinter, *, local_only_hint: bool = True) -> None:
    if printer.as_json:
        printer.json(
            {
                "type": "listening",
                "local_url": session.local_url,
                "handler_url": session.handler_url,
                "public_url": session.public_url,
            }
        )
        return
    print(f"Listening on {session.local_url}", file=sys.stderr, flush=True)
    print(f"Handler URL: {session.handler_url}", file=sys.stderr, flush=True)
    if local_only_hint and session.config.tunnel_settings().mode == "none":
        print(
            "No public URL: Bitrix24 cannot reach localhost. Pass --public-url URL, or "
            "--tunnel ngrok with an ngrok authtoken (`b24monitor tunnel authtoken TOKEN`).",
            file=sys.stderr,
            flush=True,
        )
    print("Press Ctrl+C to stop.", file=sys.stderr, flush=True)


def run_until_signal(coro: Coroutine[Any, Any, None]) -> int:
    """Run `coro` until it ends or SIGINT/SIGTERM cancels it; exit code 0 either way."""

    async def main() -> int:
        task = spawn(coro, name="main")
        _install_signal_handlers(task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return 0

    return asyncio.run(main())


def _install_signal_handlers(callback: Callable[[], object]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, callback)
