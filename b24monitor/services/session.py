"""One running b24monitor: data dir, store, capture thread — the object both front ends attach to.

Composition happens in exactly two places, gui/app.py and headless.py; both build one Session
and attach a different front end to it (mitmproxy's dump and web masters differ the same way).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from b24monitor.core.budget import StoreLimits
from b24monitor.core.errors import UsageError
from b24monitor.core.findings import DEFAULT_DELAY_THRESHOLD_S
from b24monitor.core.model import CapturedEvent
from b24monitor.core.receiver_stats import ReceiverStats
from b24monitor.core.replay import Attempt, Routes
from b24monitor.core.signals import Signal
from b24monitor.core.tasks import spawn
from b24monitor.core.traffic_patterns import Alert
from b24monitor.services.adoption import adopt
from b24monitor.services.analysis import TrafficAnalysis
from b24monitor.services.batch import Batch
from b24monitor.services.capture import CaptureThread
from b24monitor.services.capture_guard import CaptureGuard, GuardSettings
from b24monitor.services.control_server import ControlServer
from b24monitor.services.engine_lock import EngineLock
from b24monitor.services.forwarder import Forwarder
from b24monitor.services.install_proof import InstallProver
from b24monitor.services.pending_installs import PendingInstalls
from b24monitor.services.portal_link import (
    LIFECYCLE_EVENTS,
    Notice,
    PortalLink,
    pending_sentence,
)
from b24monitor.services.private_dir import make_private_dir
from b24monitor.services.profile_watch import stamp, watch_file
from b24monitor.services.profiles import ProfileStore
from b24monitor.services.receiver import ReceiverSettings, new_handler_path
from b24monitor.services.senders import profile_known_notice, profile_senders
from b24monitor.services.store import EventStore
from b24monitor.services.store_flush import flush_database
from b24monitor.services.tunnel import Tunnel, TunnelSettings, TunnelState
from b24monitor.services.tunnel_budget import PublicArrivals
from b24monitor.services.writer import Outcome, Retention

if TYPE_CHECKING:
    from b24monitor.services.profiles import ProfileStore
    from b24monitor.services.secrets import SecretStore

DB_NAME = "events.sqlite3"
DATA_DIR_ENV = "B24MONITOR_DATA_DIR"


def default_data_dir() -> Path:
    """$B24MONITOR_DATA_DIR, else the platform's per-user data folder."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs  # imported late: only needed when no data dir was given

    return Path(platformdirs.user_data_dir("b24monitor", appauthor=False))


def normalize_public_url(url: str) -> str:
    """`https://x.example/` → `https://x.example`; anything but an http(s) URL is a usage error."""
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")) or "://" not in url or len(url) < 10:
        raise UsageError(f"public URL {url!r} must start with http:// or https://")
    return url


@dataclass
class SessionConfig:
    data_dir: Path
    receiver: ReceiverSettings = field(default_factory=ReceiverSettings)
    public_url: str | None = None  # the user's own public base URL (tunnel mode "url")
    retention: Retention = field(default_factory=Retention)
    tunnel: TunnelSettings = field(default_factory=TunnelSettings)
    portal: str | None = None  # the profile whose bindings follow this session's handler URL
    keep_bindings: bool = False  # leave online bindings in place on exit
    follow_bindings: bool = True  # False: a one-off command that must not move the bindings
    forward: Routes | None = None  # listen --forward-to: POST committed events on to these
    limits: StoreLimits = field(default_factory=StoreLimits)  # hostile budget, disk guard
    guard: GuardSettings = field(default_factory=GuardSettings)  # safety net, canary (issue 11)
    # Who holds the data dir's engine lock ("listen", "window"); None: a one-off that borrows a
    # receiver for seconds and leaves the bindings alone (tunnel check, offline ping).
    engine: str | None = "listen"
    delay_threshold_s: float = DEFAULT_DELAY_THRESHOLD_S  # the queue-delay finding (issue 12)

    def tunnel_settings(self) -> TunnelSettings:
        """The tunnel settings with the own-URL mode and our private ngrok config filled in."""
        settings = self.tunnel
        if self.public_url is not None:
            settings = replace(settings, mode="url", public_url=self.public_url)
        if settings.mode == "ngrok" and settings.config_path is None:
            settings = replace(settings, config_path=self.data_dir / "ngrok" / "ngrok.yml")
        if settings.ledger_path is None:
            settings = replace(settings, ledger_path=self.data_dir / "tunnel-traffic.json")
        return settings


class Session:
    """Owns the store, the capture thread and the shared services (secrets, profiles, HTTP
    client), which front ends take from here; tells listeners about committed ids per batch."""

    def __init__(self, config: SessionConfig, *, secrets: SecretStore | None = None) -> None:
        """`secrets`: an already opened secret store (else start() opens one off the loop)."""
        self.config = config
        self._secrets = secrets
        self.db_path = config.data_dir / DB_NAME
        self.store: EventStore | None = None
        self.capture: CaptureThread | None = None
        self.handler_path = ""
        self.public_url = config.public_url
        # The session's news, each a Signal front ends connect to (and disconnect from when a
        # pane closes); all emitted on the front end's loop.
        self.committed: Signal[list[int]] = Signal("committed")  # ids, once per batch
        # The same batch with its lifecycle ids (install, uninstall, …), for the control channel.
        self.committed_batch: Signal[tuple[list[int], list[int]]] = Signal("committed_batch")
        self.portal_changed: Signal[str | None] = Signal("portal_changed")  # switch_portal
        # A control client asked the engine to stop; the front end that runs it decides how.
        self.stop_requested: Signal[str] = Signal("stop_requested")
        # The same batch with the writer's summaries of its events, just before `committed`.
        self.committed_summaries: Signal[Batch] = Signal("committed_summaries")
        self.tunnel_changed: Signal[TunnelState] = Signal("tunnel_changed")
        self._loop: asyncio.AbstractEventLoop | None = None
        self.tunnel: Tunnel | None = None
        self.tunnel_state = TunnelState("stopped")
        # Deliveries through the public URL, seen by the receiver: proof of the tunnel (issue 17).
        self.arrivals = PublicArrivals()
        self.portal: PortalLink | None = None
        self._profiles: ProfileStore | None = None
        self.pending: PendingInstalls | None = None
        self.notice: Signal[Notice] = Signal("notice")  # installed, bound, error, …
        self._http: httpx.AsyncClient | None = None
        self.forwarder: Forwarder | None = None
        self.attempt_recorded: Signal[Attempt] = Signal("attempt_recorded")  # each forward
        self.analysis: TrafficAnalysis | None = None  # loops and storms (issue 12)
        self.alerts: Signal[Alert] = Signal("alerts")  # its news, connectable before start()
        self._taught: set[tuple[str, str, str]] = set()  # (profile, member_id, token) known
        self._profile_watch: asyncio.Task[None] | None = None
        self.permissions_notice: str | None = None  # what start() tightened in the data dir
        self.last_stats = ReceiverStats()  # the receiver's counters when capture stopped
        self.guard: CaptureGuard | None = None
        self.engine_lock: EngineLock | None = None  # never two engines on one store (issue 14)
        self.control: ControlServer | None = None  # windows attach to the lock holder here

    @property
    def last_public_proof(self) -> float | None:
        """Wall time the public URL last proved to work (a probe, or a delivery through it)."""
        return self.tunnel.last_proof if self.tunnel is not None else None

    def _on_attempt(self, attempt: Attempt) -> None:
        self.attempt_recorded.emit(attempt)

    @property
    def secrets(self) -> SecretStore:
        """The secret store (keyring or 0600 file), opened once; never probed on the loop."""
        if self._secrets is None:
            raise RuntimeError("the session's secret store is opened by start()")
        return self._secrets

    @property
    def profiles(self) -> ProfileStore:
        """The portal profiles of this data dir, over the session's secret store."""
        if self._profiles is None:
            self._profiles = ProfileStore(self.config.data_dir, self.secrets)
        return self._profiles

    @property
    def http(self) -> httpx.AsyncClient:
        """The one HTTP client for the portal, forwarding and replays; closed by stop()."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=30.0)
        return self._http

    @property
    def local_url(self) -> str:
        port = self.capture.port if self.capture else 0
        return f"http://{self.config.receiver.host}:{port}"

    @property
    def handler_url(self) -> str:
        """Where Bitrix24 must POST: the public base (or the local one) + the secret path."""
        return (self.public_url or self.local_url) + self.handler_path

    async def start(self) -> None:
        """Take the data dir's engine lock, then start capture; a failed start frees it again."""
        self._loop = asyncio.get_running_loop()
        self.permissions_notice = await asyncio.to_thread(make_private_dir, self.config.data_dir)
        if self.config.engine is not None:  # before the store: a second engine must not migrate
            self.engine_lock = await asyncio.to_thread(
                EngineLock.acquire, self.config.data_dir, self.config.engine
            )
            # Before the store opens (the lock holder alone, no SQLite descriptor of ours yet).
            await asyncio.to_thread(flush_database, self.db_path)
        try:
            await self._start_engine()
        except BaseException:
            self._release_engine()
            raise
        # No await from here on: _start_engine spawned the portal's attach, and the front end
        # must print where it listens before any portal news (`listen --json`'s first line).
        if self.engine_lock is not None:
            self.engine_lock.announce(local_url=self.local_url)  # a small write, no fsync

    def _release_engine(self) -> None:
        if self.engine_lock is not None:
            self.engine_lock.release()
            self.engine_lock = None

    async def _start_engine(self) -> None:
        if self._secrets is None:  # choosing a keyring backend can block for seconds (D-Bus)
            from b24monitor.services.secrets import open_secret_store

            self._secrets = await asyncio.to_thread(open_secret_store)
        self.store = await asyncio.to_thread(EventStore, self.db_path)
        self.handler_path = await asyncio.to_thread(self._handler_path, self.store)
        self.pending = PendingInstalls(self.config.data_dir, self.secrets)
        self.capture = CaptureThread(
            self.db_path,
            self.handler_path,
            self.config.receiver,
            on_batch=self._on_capture_batch,
            retention=self.config.retention,
            limits=self.config.limits,
            on_oauth_code=self._on_oauth_code,
            arrivals=self.arrivals,
            prover=InstallProver(self.profiles),  # new installs of known portals (spec §4)
            keep_install=self.pending.add,  # install tokens: secret store, not the table
            delay_threshold_s=self.config.delay_threshold_s,
        )
        try:
            await asyncio.to_thread(self.capture.start)
        except OSError as exc:
            self.capture = None
            self.store.close()
            self.store = None
            host, port = self.config.receiver.host, self.config.receiver.port
            raise UsageError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose another port"
            ) from None
        except BaseException:
            self.capture = None
            self.store.close()
            self.store = None
            raise
        # Loops and storms, after the commit; each batch is announced once analysed.
        self.analysis = TrafficAnalysis(self.db_path, self.alerts)
        self.attempt_recorded.connect(self.analysis.on_attempt)
        self.analysis.start()
        if self.config.forward is not None:
            # After the capture path: events reach the forwarder only once acknowledged.
            self.forwarder = Forwarder(
                self.db_path, self.config.forward, http=self.http, on_attempt=self._on_attempt
            )
            await self.forwarder.start()
            self.committed.connect(self.forwarder.enqueue)
        # Stamp first, then learn: a profile added in between is seen as a change (issue 10c).
        seen = await asyncio.to_thread(stamp, self.profiles.path)
        await asyncio.to_thread(self.learn_profile_senders)
        self._profile_watch = spawn(
            watch_file(self.profiles.path, self._profiles_changed, seen=seen), name="profile-watch"
        )
        if self.engine_lock is not None:  # before the portal's news
            self.control = ControlServer(self)
            try:
                await self.control.start()
            except BaseException:
                await self.stop()
                raise
        if self.config.portal is not None:
            try:
                self.link_portal(self.config.portal)
            except BaseException:
                await self.stop()
                raise

    async def switch_portal(self, name: str | None) -> None:
        """Follow another profile (or none): the old one's session bindings are released."""
        await self._stop_guard()
        if self.portal is not None:
            await self.portal.close(keep_bindings=self.config.keep_bindings)
            self.portal = None
        if name is not None:
            self.link_portal(name)
        self.portal_changed.emit(name)

    def learn_profile_senders(self) -> list[str]:
        """Verification knows every profile's token, named (spec §4); returns the names of
        profiles whose token is new to this session."""
        assert self.capture is not None
        listed = self.profiles.list()
        known, expected = profile_senders(listed)
        for sender in known:
            self.capture.add_sender(sender)
        for token, label in expected:
            self.capture.expect_app_token(token, label)
        taught = {(p.name, p.member_id, p.application_token) for p in listed if p.application_token}
        fresh = sorted({name for name, _, _ in taught - self._taught})
        self._taught |= taught
        return fresh

    async def _profiles_changed(self) -> None:
        """Another process (`portal add`, the wizard) changed the profiles: teach verification
        the new senders at once, so their next delivery is ✔ and named without a restart."""
        if self.capture is None:
            return
        linked = self.portal.profile_name if self.portal is not None else None
        for name in await asyncio.to_thread(self.learn_profile_senders):
            if name != linked:  # the linked profile's news come as `installed` notices
                self._on_notice(profile_known_notice(self.profiles.get(name)))

    def link_portal(self, name: str) -> None:
        """Attach profile `name`: its pending install is adopted, bindings follow our URL."""
        assert self.capture is not None
        self.profiles.get(name)  # a missing profile is a clear error before anything runs
        self.learn_profile_senders()  # a profile added while running (the wizard) is known too
        self.portal = PortalLink(name, self.profiles, self.config.data_dir, self.http,
                                 notify=self._on_notice, pending=self.pending,
                                 on_sender=self.capture.add_sender)  # fmt: skip
        if self.config.follow_bindings:
            self.guard = CaptureGuard(self, self.portal, self.config.guard)
            spawn(self.guard.start(), name="capture-guard")
            spawn(self.attach_portal(), name="portal-attach")

    async def attach_portal(self) -> None:
        """Point the portal's bindings at the current handler URL (binds once possible)."""
        if self.portal is not None:
            await self.portal.attach(self.handler_url, public=self.public_url is not None)

    def _on_notice(self, notice: Notice) -> None:
        if self.guard is not None:
            self.guard.on_notice(notice)
        self.notify(notice)

    def notify(self, notice: Notice) -> None:
        """Tell the front ends (the guard's news goes out this way too)."""
        self.notice.emit(notice)

    def dispatch_ids(self, ids: list[int]) -> None:
        """Events stored outside the capture path (recovered ones): on to listeners like a batch."""
        if ids:
            self._dispatch(Batch(ids), [])  # never lifecycle events: only twins' are recovered

    async def start_tunnel(self) -> TunnelState:
        """Bring up the public route (ngrok or own URL) and probe it; never raises for failures.

        Separate from start() so front ends can show the local receiver at once and the tunnel's
        progress as it comes (an agent download or start can take seconds).
        """
        assert self.capture is not None, "start() first"
        self.tunnel = Tunnel(
            self.config.tunnel_settings(),
            local_port=self.capture.port,
            register_probe=self.capture.register_probe,
            on_state=self._on_tunnel_state,
            arrivals=self.arrivals,
        )
        return await self.tunnel.start()

    def _on_tunnel_state(self, state: TunnelState) -> None:
        self.tunnel_state = state
        # Only a proven URL becomes the handler URL; while unreachable the last one is kept,
        # so bindings are not re-pointed at a URL that does not work.
        if state.state == "reachable" and state.public_url:
            self.public_url = state.public_url
            if self.engine_lock is not None:
                self.engine_lock.announce(public_url=state.public_url)
            if self.portal is not None and self.config.follow_bindings:
                # Bindings follow the proven URL; stale ones (old tunnel URLs) are moved.
                spawn(self.attach_portal(), name="portal-follow-url")
        if self.guard is not None:
            self.guard.on_tunnel(state)
        self.tunnel_changed.emit(state)

    async def stop(self) -> None:
        """Unbind, stop the tunnel, stop accepting, commit what arrived, close the store."""
        if self._profile_watch is not None:
            self._profile_watch.cancel()
            await asyncio.gather(self._profile_watch, return_exceptions=True)
            self._profile_watch = None
        await self._stop_guard()
        if self.portal is not None:
            await self.portal.close(keep_bindings=self.config.keep_bindings)
            self.portal = None
        if self.tunnel is not None:
            await self.tunnel.stop()
            self.tunnel = None
        if self.capture is not None:
            await asyncio.to_thread(self.capture.stop)
            self.last_stats = self.capture.stats()
            self.capture = None
        if self.analysis is not None:  # announces the last batches (the forwarder hears them)
            await self.analysis.stop()
        if self.forwarder is not None:
            await self.forwarder.stop()
            self.forwarder = None
        if self.control is not None:  # after the last batches and notices: clients hear them
            await self.control.stop()
            self.control = None
        if self.store is not None:
            self.store.close()
            self.store = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        self._release_engine()  # last: the store is closed, the next engine may open it

    async def _stop_guard(self) -> None:
        if self.guard is not None:
            await self.guard.stop()
            self.guard = None

    @staticmethod
    def _handler_path(store: EventStore) -> str:
        path = store.setting("handler_path")
        if path is None:  # generated once per data dir, so bindings survive restarts
            path = new_handler_path()
            store.set_setting("handler_path", path)
        return path

    def _on_capture_batch(self, outcomes: list[Outcome]) -> None:
        # Called on the capture thread: hop to the front end's loop once per batch. The writer
        # says which deliveries are lifecycle events, so nobody reads the batch back for that.
        loop = self._loop
        if loop is None:
            return
        ids = [o.event_id for o in outcomes]
        lifecycle = [o.event_id for o in outcomes if o.event in LIFECYCLE_EVENTS]
        events = [o.summary for o in outcomes if o.summary is not None]
        batch = Batch(ids, events if len(events) == len(ids) else None)
        # A closed front-end loop means we are shutting down; the ids are in the store anyway.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._dispatch, batch, lifecycle)

    def _on_oauth_code(self, params: dict[str, str]) -> None:
        # Called on the capture thread, like _on_capture_batch.
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._complete_authorization, params)

    def _complete_authorization(self, params: dict[str, str]) -> None:
        if self.portal is None:
            self._on_notice({"type": "error", "where": "oauth", "code": "NO_PROFILE",
                             "message": "an authorization code arrived but no portal profile is "
                             "linked: run with --portal NAME"})  # fmt: skip
            return
        spawn(self._authorize(self.portal, params), name="oauth-code")

    async def _authorize(self, portal: PortalLink, params: dict[str, str]) -> None:
        if await portal.complete_authorization(params, redirect_uri=self.handler_url):
            await self.attach_portal()

    def _dispatch(self, batch: Batch, lifecycle: list[int]) -> None:
        if self.analysis is not None:  # first loops and storms, so what is shown carries them
            then = partial(self._announce, batch, lifecycle)
            self.analysis.on_batch(batch.ids, then=then, events=batch.events)
        else:
            self._announce(batch, lifecycle)

    def _announce(self, batch: Batch, lifecycle: list[int]) -> None:
        ids = batch.ids
        self.committed_summaries.emit(batch)
        self.committed.emit(ids)
        self.committed_batch.emit((ids, lifecycle))
        if self.guard is not None:
            self.guard.on_batch(ids)
        if lifecycle:
            spawn(self._on_lifecycle(self.portal, lifecycle), name="portal-lifecycle")

    async def _on_lifecycle(self, portal: PortalLink | None, ids: list[int]) -> None:
        # Rare (installs, tests): a short-lived connection on a worker thread, off the loop.
        events = await asyncio.to_thread(_read_events, self.db_path, ids)
        if portal is not None:
            await portal.on_deliveries(events)
            return
        for ev in events:
            if ev.event in ("ONAPPINSTALL", "ONAPPUPDATE"):
                await self._unlinked_install(ev.id, ev.domain)

    async def _unlinked_install(self, event_id: int, domain: str | None) -> None:
        """No profile is linked: a proved install goes to its profile, any other is pending."""
        if self.pending is None:
            return
        entry = await asyncio.to_thread(self.pending.get, event_id)
        if entry is None:
            return
        if entry.profile and await adopt(entry.profile, self.profiles, self.pending, self.http):
            self._on_notice({"type": "installed", "member_id": entry.member_id,
                             "domain": domain, "profile": entry.profile})  # fmt: skip
            return
        self._on_notice({"type": "pending_install", "member_id": entry.member_id,
                         "domain": domain, "message": pending_sentence(entry)})  # fmt: skip


def _read_events(db_path: Path, ids: list[int]) -> list[CapturedEvent]:
    store = EventStore(db_path)
    try:
        return store.fetch(ids)
    finally:
        store.close()
