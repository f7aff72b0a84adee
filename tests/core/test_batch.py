"""batch: the `cmd` map and the mapping of `result`/`result_error` back to the calls (§5.5)."""

from __future__ import annotations

from b24monitor.core import batch
from b24monitor.core.errors import BatchCommandSkipped, EventNotFound


def test_command_map_encodes_params_like_http_build_query() -> None:
    cmd = batch.command_map(
        [
            (
                "event.bind",
                {
                    "event": "ONOFFLINEEVENT",
                    "handler": "https://a.b/x?y=1",
                    "options": {"minTimeout": 10},
                },
            ),
            ("event.get", {}),
            ("event.offline.error", {"process_id": "p", "message_id": ["m1", "m2"]}),
        ]
    )
    assert cmd == {
        "c0": "event.bind?event=ONOFFLINEEVENT&handler=https%3A%2F%2Fa.b%2Fx%3Fy%3D1"
        "&options%5BminTimeout%5D=10",
        "c1": "event.get",
        "c2": "event.offline.error?process_id=p&message_id%5B0%5D=m1&message_id%5B1%5D=m2",
    }


def test_chunks_of_fifty() -> None:
    calls = [("event.get", {})] * 101
    assert [len(c) for c in batch.chunks(calls)] == [50, 50, 1]
    assert batch.chunks([]) == []


def test_unpack_handles_php_empty_arrays_errors_and_halted_commands() -> None:
    calls = [("event.bind", {"event": "onA"}), ("event.bind", {"event": "onB"}), ("event.get", {})]
    answer = {
        "result": {"c0": True},
        "result_error": {"c1": {"error": "ERROR_EVENT_NOT_FOUND", "error_description": "x"}},
        "result_total": [],
        "result_next": [],
    }
    first, second, third = batch.unpack(calls, answer)
    assert first is True
    assert isinstance(second, EventNotFound) and "ONB is not available" in str(second)
    assert isinstance(third, BatchCommandSkipped)
    assert batch.unpack(calls[:1], {"result": {"c0": []}, "result_error": []}) == [[]]
