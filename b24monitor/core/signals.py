"""A small typed signal: connect, disconnect, emit — one type instead of a listener list per class.

Services announce facts (a committed batch, a tunnel state, a portal notice) through a
`Signal[T]`; front ends connect callables and can disconnect them when a pane closes (the Qt
side bridges each signal once, gui/session_signals.py). Slots run synchronously, in connection
order, on the thread that emits; one slot that raises does not keep the others from hearing
the news — its error is logged.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


class Signal(Generic[T]):
    """Holds slots `slot(value)`; `emit(value)` calls each once, in the order they connected."""

    __slots__ = ("_name", "_slots")

    def __init__(self, name: str = "signal") -> None:
        self._name = name
        self._slots: list[Callable[[T], object]] = []

    def connect(self, slot: Callable[[T], object]) -> Callable[[], None]:
        """Add `slot`; returns a function that disconnects it again."""
        self._slots.append(slot)
        return lambda: self.disconnect(slot)

    def disconnect(self, slot: Callable[[T], object]) -> None:
        """Remove `slot` (its first connection); a slot not connected is ignored."""
        with contextlib.suppress(ValueError):
            self._slots.remove(slot)

    def emit(self, value: T) -> None:
        """Call every slot with `value`; a slot that raises is logged, the rest still run."""
        for slot in list(self._slots):  # a slot may disconnect itself while we iterate
            try:
                slot(value)
            except Exception:
                log.exception("a listener of %s failed", self._name)

    def __len__(self) -> int:
        return len(self._slots)
