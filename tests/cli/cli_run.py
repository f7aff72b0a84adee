"""Running `python -m b24monitor` one-off commands and finding a free port, for the CLI tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path


def cli(data_dir: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`b24monitor --data-dir DATA ARGS…` as a real subprocess, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "b24monitor", "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, timeout=timeout, env=os.environ.copy(),
    )  # fmt: skip


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
