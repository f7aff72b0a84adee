"""Loops and storms in the event stream: pure detectors fed with committed events, in order.

A loop (spec §1.1): a handler that writes back to the object it was told about triggers the
same event again; the portal's guard only counts calls made with the event's own token, so a
handler using a stored token loops without end. Suspected when one object gets `LOOP_COUNT`
update events within `LOOP_WINDOW_S` and either each one followed a forwarded delivery of the
same object that the user's handler answered (the handler's write triggered it), or, without
forwarding, the updates come at a steady rhythm (a program, not a person).

A storm (spec §1.1: a mass change sends one POST per object, unthrottled): an event code whose
rate over `STORM_WINDOW_S` reaches `STORM_RATE` per second, or ten times its usual rate (once
a minute of history says what usual is). One alert per storm, when it is over, with its size.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

LOOP_COUNT = 5
LOOP_WINDOW_S = 30.0
RHYTHM_MAX_SPREAD = 0.25  # steady: the gaps' standard deviation under this share of their mean
RHYTHM_MIN_GAP_S = 0.5  # a write-back through the portal's queue takes longer than this
STORM_RATE = 20.0  # events per second
STORM_WINDOW_S = 5.0
STORM_FACTOR = 10.0  # … or this many times the code's usual rate
STORM_MIN_RATE = 5.0  # but never a storm below this rate
USUAL_HISTORY_S = 600.0
USUAL_MIN_HISTORY_S = 60.0
PRUNE_EVERY = 1024  # updates between sweeps of objects that went quiet

LOOP_ADVICE = (
    "Your handler probably writes to the object it was told about, which fires the event again: "
    "compare FIELDS with the stored values before writing. The portal's guard only counts calls "
    "made with the event's own token (spec §1.1), so writes with a stored token loop forever."
)
STORM_ADVICE = (
    "A mass change sends one delivery per object (spec §1.1): answer fast and queue the work, "
    "or the portal's queue will throttle your handler."
)

ObjectKey = tuple[str | None, str, str | None, str]
"""(member_id, event code, entity_type_id, entity_id)."""


@dataclass(frozen=True, slots=True)
class Seen:
    """What the detectors need of one committed event."""

    id: int
    received_at: float
    event: str
    entity_id: str | None = None
    member_id: str | None = None
    entity_type_id: str | None = None

    @property
    def object_key(self) -> ObjectKey | None:
        if not self.entity_id:
            return None
        return (self.member_id, self.event, self.entity_type_id, self.entity_id)


@dataclass(frozen=True, slots=True)
class Alert:
    """A loop or a storm, as the front ends show it."""

    kind: Literal["loop", "storm"]
    event: str
    count: int
    entity_id: str | None = None
    event_ids: tuple[int, ...] = ()  # loop: the events to flag
    seconds: float = 0.0  # storm: how long it lasted
    peak_rate: float = 0.0  # storm: events per second at its peak (over the window)
    reason: str = ""

    @property
    def advice(self) -> str:
        return LOOP_ADVICE if self.kind == "loop" else STORM_ADVICE

    def record(self) -> dict[str, object]:
        """The alert as a JSON line (`listen --json`)."""
        line: dict[str, object] = {"type": "alert", "kind": self.kind, "event": self.event,
                                   "entity_id": self.entity_id, "count": self.count}  # fmt: skip
        if self.kind == "storm":
            line |= {"seconds": round(self.seconds, 1), "peak_rate": round(self.peak_rate, 1)}
        else:
            line |= {"reason": self.reason, "event_ids": list(self.event_ids)}
        return line | {"advice": self.advice}


def is_update(code: str) -> bool:
    """ONCRMDEALUPDATE, ONTASKUPDATE, ONCRMDYNAMICITEMUPDATE_1032, …"""
    return code.rstrip("0123456789").removesuffix("_").endswith("UPDATE")


Forwarded = Callable[[list[int]], dict[int, float]]
"""Event ids → when the user's handler answered each one's forward (absent: it did not)."""


@dataclass
class LoopDetector:
    """Watches update events per object; `add` returns an alert the first time one loops."""

    count: int = LOOP_COUNT
    window_s: float = LOOP_WINDOW_S
    _recent: dict[ObjectKey, deque[Seen]] = field(default_factory=dict)
    _looping: dict[ObjectKey, float] = field(default_factory=dict)  # alerted → last update
    _added: int = 0

    @property
    def tracked(self) -> int:
        """How many objects' recent updates are kept."""
        return len(self._recent)

    def add(self, ev: Seen) -> None:
        key = ev.object_key
        if key is None or not is_update(ev.event):
            return
        recent = self._recent.setdefault(key, deque())
        recent.append(ev)
        while recent and ev.received_at - recent[0].received_at > self.window_s:
            recent.popleft()
        self._added += 1
        if self._added % PRUNE_EVERY == 0:
            # Objects updated once and never again were kept for ever: ~600 bytes an event,
            # +18 % RSS in 5 minutes at 200 events/s (bench/soak.py). Two windows of silence
            # and an object is forgotten (its alert, if any, is remembered).
            cutoff = ev.received_at - 2 * self.window_s
            self._recent = {k: r for k, r in self._recent.items() if r[-1].received_at >= cutoff}

    def still_looping(self, ev: Seen) -> bool:
        """True for an update of an object already alerted that keeps coming (flag it too)."""
        key = ev.object_key
        last = self._looping.get(key) if key is not None else None
        if key is None or last is None or ev.received_at - last > self.window_s:
            return False
        self._looping[key] = ev.received_at
        return True

    def check(self, keys: Iterable[ObjectKey], forwarded: Forwarded) -> list[Alert]:
        """Alerts for the objects among `keys` that loop now (each object alerts once)."""
        alerts = []
        for key in dict.fromkeys(keys):
            recent = self._recent.get(key)
            if key in self._looping or recent is None or len(recent) < self.count:
                continue
            # The newest `count` updates decide: bounded work however many there were.
            last = list(recent)[-self.count :]
            reason = _loop_reason(last, forwarded)
            if reason:
                self._looping[key] = last[-1].received_at
                alerts.append(Alert("loop", key[1], len(last), key[3],
                                    tuple(e.id for e in last), reason=reason))  # fmt: skip
        return alerts

    def keys_of(self, ids: set[int]) -> list[ObjectKey]:
        """The objects whose recent updates include one of these event ids."""
        return [k for k, recent in self._recent.items() if any(e.id in ids for e in recent)]


def _loop_reason(updates: list[Seen], forwarded: Forwarded) -> str:
    answered = forwarded([e.id for e in updates[:-1]])
    answers = [answered.get(e.id) for e in updates[:-1]]
    if all(a is not None for a in answers):
        # Each update came after the handler was given the previous one (it answers after
        # writing, so its answer may even come after the update it caused).
        return "forwarded"
    if any(a is not None for a in answers):
        return ""  # forwarding is on but the handler did not see them all: not its doing
    gaps = [b.received_at - a.received_at for a, b in itertools.pairwise(updates)]
    mean = statistics.fmean(gaps)
    if mean >= RHYTHM_MIN_GAP_S and statistics.pstdev(gaps) <= RHYTHM_MAX_SPREAD * mean:
        return "steady rhythm"
    return ""


@dataclass
class _CodeRate:
    window: deque[float] = field(default_factory=deque)
    seconds: dict[int, int] = field(default_factory=dict)  # whole second → events (history)
    first_seen: float | None = None
    # The sum of `seconds` over the usual-rate span, and that span as whole seconds [first,
    # end): tick runs once per committed batch, the span moves once a second, so the sum (up
    # to 660 items per code, more with every minute of history) is taken once a second. An
    # event stored late for a second already summed counts from the next second on.
    usual_span: tuple[int, int] | None = None
    usual_sum: int = 0
    storm_start: float | None = None
    storm_count: int = 0
    storm_peak: float = 0.0


@dataclass
class StormDetector:
    """Per event code rates; `add` and `tick` return the storms that just ended."""

    rate: float = STORM_RATE
    window_s: float = STORM_WINDOW_S
    _codes: dict[str, _CodeRate] = field(default_factory=dict)

    def add(self, ev: Seen) -> None:
        state = self._codes.setdefault(ev.event, _CodeRate())
        if state.first_seen is None:
            state.first_seen = ev.received_at
        state.window.append(ev.received_at)
        second = int(ev.received_at)
        state.seconds[second] = state.seconds.get(second, 0) + 1
        if state.storm_start is not None:
            state.storm_count += 1

    def tick(self, now: float) -> list[Alert]:
        """Advance to `now`: storms start, grow or end. Returns the ones that ended."""
        ended = []
        for code, state in self._codes.items():
            while state.window and now - state.window[0] > self.window_s:
                state.window.popleft()
            _forget_old(state, now)
            current = len(state.window) / self.window_s
            if state.storm_start is None and current < STORM_MIN_RATE:
                continue  # far from any threshold: skip the usual-rate sum
            threshold = self._threshold(state, now)
            if state.storm_start is None and current >= threshold:
                state.storm_start = state.window[0]
                state.storm_count = len(state.window)
                state.storm_peak = current
            elif state.storm_start is not None:
                state.storm_peak = max(state.storm_peak, current)
                if current < threshold / 2:
                    ended.append(self._end(code, state, now))
        return ended

    def _threshold(self, state: _CodeRate, now: float) -> float:
        history = min(USUAL_HISTORY_S, now - (state.first_seen or now)) - self.window_s
        if history < USUAL_MIN_HISTORY_S:
            return self.rate
        # Whole seconds s with start <= s < now - window_s.
        span = (math.ceil(now - self.window_s - history), math.ceil(now - self.window_s))
        if span != state.usual_span:
            first, end = span
            state.usual_sum = sum(n for s, n in state.seconds.items() if first <= s < end)
            state.usual_span = span
        usual = state.usual_sum / history
        return min(self.rate, max(STORM_FACTOR * usual, STORM_MIN_RATE))

    def _end(self, code: str, state: _CodeRate, now: float) -> Alert:
        assert state.storm_start is not None
        last = state.window[-1] if state.window else now
        alert = Alert("storm", code, state.storm_count, seconds=max(0.0, last - state.storm_start),
                      peak_rate=state.storm_peak)  # fmt: skip
        state.storm_start, state.storm_count, state.storm_peak = None, 0, 0.0
        return alert


def _forget_old(state: _CodeRate, now: float) -> None:
    if len(state.seconds) > USUAL_HISTORY_S + 60:
        for second in [s for s in state.seconds if s < now - USUAL_HISTORY_S - 60]:
            del state.seconds[second]
