"""The coverage timeline: recorded stretches, not-running holes, recovered counts per gap."""

from __future__ import annotations

from b24monitor.core.coverage import NOT_RUNNING, Interval, Stretch, timeline


def test_holes_between_stretches_are_gaps_with_what_was_recovered_in_them() -> None:
    stretches = [
        Stretch(100, 110, False, "the bindings are not in place"),
        Stretch(110, 200, True, None),
        Stretch(260, 270, True, None),
        Stretch(270, None, False, "the canary is lost"),
    ]
    recovered = {(199, 260): 5, (269, 300): 1}  # queue times have whole seconds
    lines = timeline(stretches, lambda a, b: recovered.get((int(a), int(b)), 0), now=300)
    assert lines == [
        Interval(100, 110, False, "the bindings are not in place", 0),
        Interval(110, 200, True),
        Interval(200, 260, False, NOT_RUNNING, 5),
        Interval(260, 270, True),
        Interval(270, None, False, "the canary is lost", 1),
    ]


def test_a_stop_after_the_last_stretch_is_a_gap_up_to_now() -> None:
    lines = timeline([Stretch(0, 50, True, None)], lambda a, b: 0, now=100, since=10)
    assert lines == [Interval(10, 50, True), Interval(50, None, False, NOT_RUNNING, 0)]
