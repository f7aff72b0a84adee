"""Loop and storm detectors on synthetic event streams (times are given, never waited for)."""

from __future__ import annotations

import random

from b24monitor.core.traffic_patterns import LoopDetector, Seen, StormDetector, is_update

T0 = 1_800_000_000.0


def update(i: int, at: float, entity: str = "3187", code: str = "ONCRMDEALUPDATE") -> Seen:
    return Seen(i, at, code, entity, "m1")


def feed(detector: LoopDetector, events: list[Seen], answered: set[int]) -> list:
    alerts = []
    for ev in events:
        detector.add(ev)
        alerts += detector.check([ev.object_key], lambda ids: {i: T0 for i in ids if i in answered})
    return alerts


def test_update_codes() -> None:
    assert is_update("ONCRMDEALUPDATE") and is_update("ONCRMDYNAMICITEMUPDATE_1032")
    assert not is_update("ONCRMDEALADD") and not is_update("ONTASKCOMMENTUPDATED")


def test_forwarded_updates_of_one_object_loop_by_the_fifth() -> None:
    events = [update(i, T0 + i * 0.3 + random.random() * 0.2) for i in range(1, 8)]
    alerts = feed(LoopDetector(), events, answered={e.id for e in events})
    assert len(alerts) == 1
    [alert] = alerts
    assert (alert.kind, alert.entity_id, alert.count, alert.reason) == ("loop", "3187", 5,
                                                                         "forwarded")  # fmt: skip
    assert alert.event_ids == (1, 2, 3, 4, 5)
    assert alert.record()["type"] == "alert" and "compare FIELDS" in alert.advice


def test_a_handler_that_did_not_see_the_updates_is_not_blamed() -> None:
    events = [update(i, T0 + i * 0.5) for i in range(1, 8)]
    assert feed(LoopDetector(), events, answered={1, 3}) == []


def test_without_forwarding_a_steady_rhythm_loops_and_a_person_does_not() -> None:
    steady = [update(i, T0 + i * 2.0 + (0.05 if i % 2 else 0)) for i in range(1, 6)]
    assert [a.reason for a in feed(LoopDetector(), steady, answered=set())] == ["steady rhythm"]
    person = [update(i, T0 + at) for i, at in enumerate([0, 1, 7, 8.5, 20, 21], 1)]
    assert feed(LoopDetector(), person, answered=set()) == []


def test_updates_spread_over_more_than_30_s_or_other_objects_do_not_loop() -> None:
    slow = [update(i, T0 + i * 8.0) for i in range(1, 8)]
    assert feed(LoopDetector(), slow, answered={e.id for e in slow}) == []
    many = [update(i, T0 + i * 0.1, entity=str(i)) for i in range(1, 50)]
    assert feed(LoopDetector(), many, answered={e.id for e in many}) == []


def test_an_alerted_object_that_keeps_updating_is_flagged_again() -> None:
    detector = LoopDetector()
    events = [update(i, T0 + i) for i in range(1, 6)]
    feed(detector, events, answered={e.id for e in events})
    assert detector.still_looping(update(6, T0 + 6))
    assert not detector.still_looping(update(7, T0 + 6, entity="other"))


def storm_alerts(detector: StormDetector, times: list[float], code: str, end: float) -> list:
    alerts = []
    for i, at in enumerate(times):
        detector.add(Seen(i, at, code))
        if i % 25 == 0:
            alerts += detector.tick(at)
    t = times[-1]
    while t < end:
        t += 1.0
        alerts += detector.tick(t)
    return alerts


def test_objects_that_went_quiet_are_forgotten_and_a_loop_is_still_caught() -> None:
    """An object updated once is not kept for ever: what the detector holds follows the last
    minute of traffic, not every object ever seen (hours of distinct deals at 200/s)."""
    detector = LoopDetector()
    for i in range(1, 50_001):  # 50,000 distinct objects, 100 a second, over 500 s
        detector.add(update(i, T0 + i * 0.01, entity=str(i)))
    assert detector.tracked <= 100 * 2 * 30 + 1024  # two windows of objects, plus one sweep
    looping = [update(60_000 + i, T0 + 500 + i * 0.3, entity="3187") for i in range(1, 8)]
    assert len(feed(detector, looping, answered={e.id for e in looping})) == 1


def test_a_storm_of_500_raises_exactly_one_alert_with_its_size_when_it_ends() -> None:
    burst = [T0 + i * 0.004 for i in range(500)]  # 500 events in 2 s
    alerts = storm_alerts(StormDetector(), burst, "ONCRMDEALUPDATE", end=T0 + 30)
    assert len(alerts) == 1
    [storm] = alerts
    assert (storm.kind, storm.event, storm.count) == ("storm", "ONCRMDEALUPDATE", 500)
    assert storm.peak_rate >= 20


def test_steady_traffic_below_the_rate_is_no_storm() -> None:
    steady = [T0 + i * 0.1 for i in range(600)]  # 10/s for a minute
    assert storm_alerts(StormDetector(), steady, "ONTASKADD", end=T0 + 90) == []


def test_ten_times_the_usual_rate_is_a_storm_after_a_minute_of_history() -> None:
    usual = [T0 + i * 2.0 for i in range(60)]  # 0.5/s for two minutes
    burst_start = usual[-1] + 1
    burst = [burst_start + i * 0.125 for i in range(80)]  # 8/s for 10 s: 16× usual, under 20/s
    alerts = storm_alerts(StormDetector(), usual + burst, "ONCRMLEADADD", end=burst[-1] + 20)
    assert [(a.kind, a.event) for a in alerts] == [("storm", "ONCRMLEADADD")]
    assert 60 <= alerts[0].count <= 80
