"""`doctor`'s verdicts: pure functions from what the portal answered to ok / warn / fail sentences.

services/doctor.py asks the portal; these functions judge the answers, so every rule is tested
without a network. Each verdict is one sentence: what is wrong and what to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from b24monitor.core.catalog import Catalog

Level = Literal["ok", "warn", "fail"]
CLOCK_WARN_S = 5.0
CLOCK_FAIL_S = 120.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """One line of `doctor`."""

    check: str
    level: Level
    text: str

    def record(self) -> dict[str, str]:
        return {"check": self.check, "level": self.level, "text": self.text}


def ticked_events(
    wanted: Iterable[str], offered: Iterable[str], granted: Iterable[str], catalog: Catalog
) -> list[Verdict]:
    """Every ticked event must be in the portal's `events` list, its scope granted (§2.0, §2.1)."""
    offered_set = {c.upper() for c in offered}
    granted_set = {s.lower() for s in granted} | {"basic"}
    verdicts = []
    for code in sorted(set(wanted)):
        scope = catalog.lookup(code).scope
        if code in offered_set:
            continue
        if scope and scope.lower() not in granted_set:
            text = (f"{code} needs the “{scope}” scope, which the app was not granted: tick it in "
                    "the local application's settings and reinstall")  # fmt: skip
        else:
            text = f"{code} is not offered by this portal (`events`): untick it or check its name"
        verdicts.append(Verdict("events", "fail", text))
    if not verdicts:
        count = len(set(wanted))
        verdicts.append(Verdict("events", "ok", f"all {count} ticked events exist on the portal "
                                "and their scopes are granted"))  # fmt: skip
    return verdicts


def _ours(row: Mapping[str, Any], handler_path: str) -> bool:
    handler = str(row.get("handler") or "")
    return bool(handler_path) and urlsplit(handler).path == handler_path


def bindings(
    rows: Sequence[Mapping[str, Any]], handler_path: str, handler_url: str | None
) -> list[Verdict]:
    """Our online bindings point at the current handler URL, and no event is bound twice."""
    online = [r for r in rows if str(r.get("offline", "0")) != "1"]
    ours = [r for r in online if _ours(r, handler_path)]
    verdicts = []
    urls = sorted({str(r.get("handler")) for r in ours})
    if not ours:
        text = "no online binding points at this data dir's handler: bind with `listen --bind`"
        verdicts.append(Verdict("bindings", "warn", text))
    elif handler_url is not None and urls != [handler_url]:
        stale = [u for u in urls if u != handler_url]
        verdicts.append(Verdict("bindings", "fail", f"{len(stale)} handler URL(s) of ours are "
                                f"stale ({', '.join(stale)}): run `listen` so bindings move to "
                                f"{handler_url}"))  # fmt: skip
    elif len(urls) > 1:
        verdicts.append(
            Verdict(
                "bindings",
                "warn",
                f"our bindings point at {len(urls)} URLs "
                f"({', '.join(urls)}); pass --public-url to say which is current",
            )
        )
    else:
        verdicts.append(Verdict("bindings", "ok", f"{len(ours)} binding(s) point at {urls[0]}"))
    verdicts += _bound_twice(ours)
    return verdicts


def _bound_twice(ours: Sequence[Mapping[str, Any]]) -> list[Verdict]:
    seen: dict[str, set[str]] = {}
    for row in ours:
        seen.setdefault(str(row.get("event")).upper(), set()).add(str(row.get("handler")))
    twice = sorted(code for code, urls in seen.items() if len(urls) > 1)
    if not twice:
        return [Verdict("bound twice", "ok", "no event is bound twice to our handlers")]
    return [Verdict("bound twice", "fail", f"{', '.join(twice)} bound to more than one of our "
                    "handler URLs: every change arrives twice — unbind the stale URL")]  # fmt: skip


def clock(portal_time: float | None, local_time: float, round_trip: float) -> Verdict:
    """The portal's `time.start` (§5.7) against this machine's clock at the midpoint of the call."""
    if portal_time is None:
        return Verdict("clock", "warn", "the portal's answer carried no time block to compare")
    diff = portal_time - local_time
    if abs(diff) <= max(CLOCK_WARN_S, round_trip):
        return Verdict(
            "clock", "ok", f"the portal's clock and this machine's agree ({diff:+.1f} s)"
        )
    level: Level = "fail" if abs(diff) > CLOCK_FAIL_S else "warn"
    return Verdict(
        "clock",
        level,
        f"the portal's clock differs from this machine's by {diff:+.0f} "
        "s: queue delays (received − ts) are off by as much; sync this clock",
    )


def feature(code: str, value: object) -> Verdict:
    """feature.get: N or empty is unavailable, anything else (Y, `ru_selfhosted`) is (§2.10)."""
    available = isinstance(value, str) and value not in ("", "N")
    what = {"rest_offline_extended": "safe offline consumption (reserve, then clear)",
            "rest_auth_connector": "offline queues per connector"}.get(code, code)  # fmt: skip
    if available:
        return Verdict("offline", "ok", f"{what} is available ({code})")
    return Verdict("offline", "warn", f"{what} is not on this portal's plan ({code}): offline "
                   "events are read with the destructive clear=1")  # fmt: skip
