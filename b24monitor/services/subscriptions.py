"""Keeps the portal's bindings equal to the desired set: persist the intent first, then reconcile.

Reconcile = `event.get` → diff (core/subscriptions.py) → ONE `batch` of event.bind/event.unbind
(spec §2.2–2.4, §5.5). The desired set lives in `<data dir>/subscriptions.json` per profile and
is written before any call, so a crash or a failed call never loses what the user asked for.

Next to it, per profile, the *ledger*: every binding b24monitor made (event, mode, handler URL,
when). Reconcile unbinds or moves only rows in the ledger; the portal's own ONAPPINSTALL row, a
colleague's handler or a binding made by hand are never touched. The ledger sits in this file
rather than in the events database because it is written by the same code at the same moments
as the desired set, under the same cross-process lock, and `bindings`, the GUI and `listen` all
read it without opening the event store. A bind is recorded *before* its call (a crash in
between leaves a record of a row that may exist, never an unrecorded row of ours); rows that
vanished from `event.get` are dropped from it.

Upgrade: a profile entry written before the ledger existed has no `made` list. On its first
reconcile with a handler URL, rows at our secret handler path (any host: an old tunnel URL) and
offline rows without a connector are adopted as ours — if their subscription is wanted or was
turned off — except ONAPPINSTALL, which is the portal's installation handler.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from b24monitor.core import subscriptions as subs
from b24monitor.core.portal_errors import is_already_bound
from b24monitor.core.subscriptions import Key, Mode, ReconcileReport, Subscription
from b24monitor.services.filelock import locked, read_json, write_json
from b24monitor.services.portal_client import PortalClient

_FORMAT = 1


@dataclass(frozen=True, order=True, slots=True)
class Made:
    """One ledger row: a binding b24monitor made (or adopted on upgrade), and when."""

    event: str
    mode: Mode
    handler: str = ""  # "" for offline rows
    at: float = 0.0
    adopted: bool = False

    @property
    def key(self) -> Key:
        return (self.event, self.mode, self.handler)


@dataclass(frozen=True, slots=True)
class Desired:
    """What the user asked for (`wanted`; `released`: turned off, maybe still bound) and the
    ledger `made` of our own bindings (None: written before the ledger existed)."""

    wanted: frozenset[Subscription] = frozenset()
    released: frozenset[Subscription] = frozenset()
    made: frozenset[Made] | None = None

    def ours(self) -> frozenset[Key]:
        """The keys of every row b24monitor made."""
        return frozenset(m.key for m in self.made or ())


class DesiredStore:
    """The desired subscriptions of one profile, shared safely between processes."""

    def __init__(self, data_dir: Path, profile_name: str) -> None:
        self._path = data_dir / "subscriptions.json"
        self._profile = profile_name

    def load(self) -> Desired:
        with locked(self._path, exclusive=False):
            return _decode(self._read_all().get(self._profile))

    def set(self, subscription: Subscription, wanted: bool) -> Desired:
        """Turn one subscription on or off (off also marks it for unbinding)."""
        return self._update(lambda d: _toggled(d, subscription, wanted))

    def forget_released(self, done: Iterable[Subscription]) -> Desired:
        """Drop released subscriptions that are no longer bound."""
        gone = frozenset(done)
        return self._update(lambda d: replace(d, released=d.released - gone))

    def record(self, made: Iterable[Made]) -> Desired:
        """Add rows to the ledger (also starts the ledger of a pre-ledger entry)."""
        new = {m.key: m for m in made}
        return self._update(lambda d: _with_made(d, [m for m in d.made or () if m.key not in new],
                                                 new.values()))  # fmt: skip

    def forget(self, keys: Iterable[Key], *, made_before: float | None = None) -> Desired:
        """Drop ledger rows by key (only those recorded before `made_before`, when given)."""
        gone = frozenset(keys)

        def keep(m: Made) -> bool:
            return m.key not in gone or (made_before is not None and m.at >= made_before)

        return self._update(lambda d: _with_made(d, [m for m in d.made or () if keep(m)]))

    def _update(self, change: Callable[[Desired], Desired]) -> Desired:
        with locked(self._path):
            everything = self._read_all()
            desired = change(_decode(everything.get(self._profile)))
            everything[self._profile] = _encode(desired)
            write_json(self._path, {"format": _FORMAT, "profiles": everything})
            return desired

    def _read_all(self) -> dict[str, Any]:
        document = read_json(self._path)
        profiles = document.get("profiles") if isinstance(document, dict) else None
        return profiles if isinstance(profiles, dict) else {}


class SubscriptionManager:
    """Binds what is wanted at the current handler URL; states flow out through `on_report`."""

    def __init__(
        self,
        client: PortalClient,
        desired_store: DesiredStore,
        handler_url: str | None,
        *,
        min_timeout: int = 10,
        ping: bool = True,
        on_report: Callable[[ReconcileReport], None] | None = None,
        adjust: Callable[[Desired], Desired] | None = None,
    ) -> None:
        self._client = client
        self._store = desired_store
        self._handler_url = handler_url
        self._min_timeout = min_timeout
        self._ping = ping  # keep ONAPPTEST bound so the Ping button works (spec §2.5)
        self._on_report = on_report
        self._adjust = adjust  # the safety net adds offline twins here (services/twin_switch.py)
        self._lock = asyncio.Lock()
        self.report = ReconcileReport(handler_url=handler_url)

    @property
    def handler_url(self) -> str | None:
        return self._handler_url

    def desired(self) -> Desired:
        return self._store.load()

    def remember(self, event: str, mode: Mode = "online", wanted: bool = True) -> None:
        """Persist the user's choice without calling the portal (not installed yet)."""
        self._store.set(Subscription(event.strip().upper(), mode), wanted)

    async def set_wanted(
        self, event: str, mode: Mode = "online", wanted: bool = True
    ) -> ReconcileReport:
        """Persist the user's choice, then reconcile."""
        self._store.set(Subscription(event.strip().upper(), mode), wanted)
        return await self.reconcile()

    def note_bound(self, event: str, handler: str) -> None:
        """Record an online binding made outside reconcile (before the call, like reconcile)."""
        self._store.record([Made(event, "online", handler, time.time())])

    def note_unbound(self, event: str, handler: str) -> None:
        """Forget an online binding that was unbound outside reconcile."""
        self._store.forget([(event, "online", handler)])

    async def set_handler_url(self, url: str | None) -> ReconcileReport:
        """A new public URL (tunnel restarted): move our bindings there."""
        self._handler_url = url
        return await self.reconcile()

    async def reconcile(self) -> ReconcileReport:
        """event.get → diff → one batch; returns (and publishes) every row's state."""
        async with self._lock:
            url = self._handler_url
            asked = time.time()
            rows = await self._client.call("event.get")
            bindings = subs.parse_bindings(rows if isinstance(rows, list) else [])
            desired = self._ledger_in_step(bindings, url, asked)
            if self._adjust is not None:
                desired = self._adjust(desired)
            wanted = subs.effective(desired.wanted, ping=self._ping)
            plan = subs.plan(wanted, bindings, url, ours=desired.ours())
            planned = subs.calls(plan, url, self._min_timeout)
            if planned:
                self._publish(subs.pending_report(plan, url))
                self._store.record(_made(c, time.time()) for c in planned if c.binding is None)
            outcomes = await self._client.batch([(c.method, c.params) for c in planned])
            self._settle(planned, outcomes)
            return self._publish(subs.report(plan, planned, outcomes, url))

    def _ledger_in_step(
        self, bindings: list[subs.Binding], url: str | None, asked: float
    ) -> Desired:
        """Adopt our rows once (pre-ledger data), drop ledger rows the portal no longer has."""
        desired = self._store.load()
        if desired.made is None and url is not None:
            wanted = subs.effective(desired.wanted, ping=self._ping) | desired.released
            desired = self._store.record(_adoptable(bindings, wanted, url, asked))
        present = {b.key for b in bindings}
        gone = desired.ours() - present
        if gone:  # rows recorded after event.get was asked may still be on their way
            desired = self._store.forget(gone, made_before=asked)
        return desired

    async def unbind_session_bindings(self) -> ReconcileReport:
        """On exit: unbind our online rows at the current URL (it dies with the session).

        No event.get first, to keep shutdown short; unbinding a missing row is not an error
        (`count: 0`, spec §2.3). The desired set is kept, so the next session binds again.
        """
        async with self._lock:
            url = self._handler_url
            if url is None:
                return self.report
            made = self._store.load().made or ()
            ours = sorted(m for m in made if m.mode == "online" and m.handler == url)
            rows = [subs.Binding(m.event, "online", handler=url) for m in ours]
            plan = subs.Plan(to_unbind=tuple(rows))
            planned = subs.calls(plan, url)
            outcomes = await self._client.batch([(c.method, c.params) for c in planned])
            self._settle(planned, outcomes)
            return self._publish(subs.report(plan, planned, outcomes, url))

    def _settle(self, planned: list[subs.Call], outcomes: list[Any]) -> None:
        """Bring the ledger in line with what the calls did; forget finished releases."""
        gone: set[Key] = set()
        for call, outcome in zip(planned, outcomes, strict=True):
            failed = isinstance(outcome, BaseException)
            if call.binding is not None and not failed and _removed(outcome):
                gone.add(call.binding.key)
            elif call.binding is None and failed and not is_already_bound(outcome):
                gone.add(_made(call, 0.0).key)  # the bind never happened
        desired = self._store.forget(gone) if gone else self._store.load()
        still_ours = {(event, mode) for event, mode, _ in desired.ours()}
        done = {s for s in desired.released if (s.event, s.mode) not in still_ours}
        if done:
            self._store.forget_released(done)

    def _publish(self, report: ReconcileReport) -> ReconcileReport:
        self.report = report
        if self._on_report is not None:
            self._on_report(report)
        return report


def _removed(outcome: Any) -> bool:
    """Whether event.unbind removed something (`count: 0` is not an error, spec §2.3): a row
    it did not match stays in the ledger until event.get no longer lists it."""
    return not (isinstance(outcome, dict) and outcome.get("count") in (0, "0"))


def _made(call: subs.Call, at: float) -> Made:
    """The ledger row an event.bind call creates."""
    handler = "" if call.subscription.mode == "offline" else str(call.params.get("handler", ""))
    return Made(call.subscription.event, call.subscription.mode, handler, at)


def _adoptable(
    bindings: Iterable[subs.Binding], wanted: Set[Subscription], url: str, at: float
) -> list[Made]:
    """Rows a pre-ledger b24monitor made: at our secret path (any host) or offline, wanted or
    turned off; never the portal's installation handler."""
    our_path = urlsplit(url).path
    adopted = []
    for row in bindings:
        if row.connector or row.subscription not in wanted or subs.is_install_handler(row):
            continue
        if row.mode == "offline" or urlsplit(row.handler).path == our_path:
            adopted.append(Made(row.event, row.mode, row.handler, at, adopted=True))
    return adopted


def _with_made(desired: Desired, *parts: Iterable[Made]) -> Desired:
    return replace(desired, made=frozenset(m for part in parts for m in part))


def _toggled(desired: Desired, subscription: Subscription, wanted: bool) -> Desired:
    if wanted:
        wanted_set, released = desired.wanted | {subscription}, desired.released - {subscription}
    else:
        wanted_set, released = desired.wanted - {subscription}, desired.released | {subscription}
    return replace(desired, wanted=wanted_set, released=released)


def _decode(entry: Any) -> Desired:
    if not isinstance(entry, dict):
        return Desired()
    made = entry.get("made")
    return Desired(
        _subscriptions(entry.get("wanted")),
        _subscriptions(entry.get("released")),
        _ledger(made) if isinstance(made, list) else None,
    )


def _ledger(items: list[Any]) -> frozenset[Made]:
    found = set()
    for item in items:
        if isinstance(item, dict) and item.get("mode") in ("online", "offline"):
            found.add(
                Made(
                    str(item.get("event", "")).upper(),
                    item["mode"],
                    str(item.get("handler") or ""),
                    float(item.get("at") or 0.0),
                    bool(item.get("adopted")),
                )
            )
    return frozenset(found)


def _subscriptions(items: Any) -> frozenset[Subscription]:
    found = set()
    for item in items if isinstance(items, list) else []:
        if isinstance(item, list) and len(item) == 2 and item[1] in ("online", "offline"):
            found.add(Subscription(str(item[0]).upper(), item[1]))
    return frozenset(found)


def _encode(desired: Desired) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "wanted": [[s.event, s.mode] for s in sorted(desired.wanted)],
        "released": [[s.event, s.mode] for s in sorted(desired.released)],
    }
    if desired.made is not None:
        entry["made"] = [
            {"event": m.event, "mode": m.mode, "handler": m.handler, "at": m.at}
            | ({"adopted": True} if m.adopted else {})
            for m in sorted(desired.made)
        ]
    return entry
