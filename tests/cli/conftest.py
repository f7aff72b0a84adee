"""Run `python -m b24monitor` as a real subprocess and read its JSON lines as they come."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


class Monitor:
    """A running `b24monitor ... listen --json` child with a line reader on a thread."""

    def __init__(self, data_dir: Path, *args: str, **popen: Any) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "b24monitor", "--data-dir", str(data_dir), "listen", "--json",
             *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True, **popen,
        )  # fmt: skip
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr = ""
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._pump_thread.join(timeout=5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def next_json(self, timeout: float = 15.0) -> dict[str, Any]:
        line = self._lines.get(timeout=timeout)
        if line is None:
            raise AssertionError(f"monitor exited ({self.proc.wait()}): {self.stderr()}")
        parsed: dict[str, Any] = json.loads(line)
        return parsed

    def stderr(self) -> str:
        """All the monitor wrote to stderr (read to its end: call once it exited)."""
        if self.proc.stderr is not None and not self.proc.stderr.closed:
            self._stderr += self.proc.stderr.read()
        return self._stderr

    def next_of_type(self, kind: str, timeout: float = 15.0) -> dict[str, Any]:
        while True:
            obj = self.next_json(timeout)
            if obj.get("type") == kind:
                return obj


@pytest.fixture
def monitor(tmp_path: Path) -> Iterator[type[Monitor]]:
    started: list[Monitor] = []

    def start(*args: str, **popen: Any) -> Monitor:
        # popen: e.g. preexec_fn to lower the child's descriptor limit or umask.
        m = Monitor(tmp_path / "data", *args, **popen)
        started.append(m)
        return m

    yield start  # type: ignore[misc]
    for m in started:
        m.close()
