"""The capture thread's event loop: uvloop where it exists, asyncio's own elsewhere.

Whoever finds the public URL can open hundreds of connections a second (issue 15's idle flood,
bench/hostile.py); with asyncio's selector loop each accept, transport and close costs the
capture thread ~170 µs of Python (py-spy under bench/hostile.py: three quarters of its busy
time), and a valid delivery waits behind them. uvloop does that work in C (libuv), as it does
under uvicorn with the same httptools parser. It has no Windows build: there, and with
B24MONITOR_LOOP=asyncio (to compare the two), the standard loop serves.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable

ENV = "B24MONITOR_LOOP"


def capture_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The loop factory for the capture thread's asyncio.Runner (None: asyncio's default)."""
    if os.environ.get(ENV, "").strip().lower() == "asyncio" or sys.platform == "win32":
        return None
    try:
        import uvloop
    except ImportError:  # an install without it (a platform with no wheel): still works
        return None
    return uvloop.new_event_loop
