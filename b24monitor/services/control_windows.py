"""The windows attached to an engine: which are shown and which wait in the background.

A window announces itself over its control channel (`window` op: its pid, whether the user sent
it to the background with "keep capturing") and again whenever that changes (issue 14). The
engine uses this to bring a background window back when b24monitor is started again on the data
dir (`show_window`), and to keep capturing while another window is still attached when one
window asks to stop (`stop` with "unless_windows").
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Generic, TypeVar

C = TypeVar("C")


@dataclass
class WindowInfo:
    """One attached window as it last announced itself."""

    pid: int
    background: bool
    order: int  # when it last announced: the newest background window is shown first


class Windows(Generic[C]):
    """The windows among an engine's clients (`C`: the server's client objects)."""

    def __init__(self) -> None:
        self._windows: dict[C, WindowInfo] = {}
        self._clock = itertools.count()

    def announce(self, client: C, pid: int, background: bool) -> None:
        self._windows[client] = WindowInfo(pid, background, next(self._clock))

    def forget(self, client: C) -> None:
        self._windows.pop(client, None)

    def is_window(self, client: C) -> bool:
        return client in self._windows

    def count(self) -> int:
        return len(self._windows)

    def listed(self) -> list[dict[str, int | bool]]:
        """[{"pid", "background"}] in the order they announced, for the status op."""
        windows = sorted(self._windows.values(), key=lambda w: w.order)
        return [{"pid": w.pid, "background": w.background} for w in windows]

    def others(self, client: C) -> int:
        """How many windows besides `client` are attached."""
        return sum(1 for other in self._windows if other is not client)

    def background(self) -> tuple[C, WindowInfo] | None:
        """The window the user sent to the background most recently, if any waits there."""
        waiting = [(c, w) for c, w in self._windows.items() if w.background]
        return max(waiting, key=lambda cw: cw[1].order) if waiting else None
