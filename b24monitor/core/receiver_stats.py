"""What the receiver turned away or cut short, and how front ends word it (JSON line, text, tip).

The capture thread keeps the counters; front ends take `ReceiverStats` snapshots now and then,
report the difference once a minute when it is not zero, and say once when the hostile budget
is used up or the disk runs low (issue 15).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

DiskLevel = Literal["ok", "low", "floor"]


@dataclass(frozen=True, slots=True)
class ReceiverStats:
    """Totals since the receiver started, plus the disk guard's current verdict."""

    aborted: int = 0  # clients that hung up in the middle of a request
    refused: int = 0  # connections turned away at the connection cap
    timeouts: int = 0  # connections closed for sending no request head (or body) in time
    bodies_not_kept: int = 0  # rejected/malformed bodies past the budget (metadata only)
    refused_low_disk: int = 0  # unverified deliveries answered 503 below the disk floor
    disk: DiskLevel = "ok"
    free_bytes: int | None = None

    def since(self, earlier: ReceiverStats) -> ReceiverStats:
        """The counts that accrued after `earlier` (the disk fields are the current ones)."""
        return ReceiverStats(
            self.aborted - earlier.aborted,
            self.refused - earlier.refused,
            self.timeouts - earlier.timeouts,
            self.bodies_not_kept - earlier.bodies_not_kept,
            self.refused_low_disk - earlier.refused_low_disk,
            self.disk,
            self.free_bytes,
        )

    def connection_trouble(self) -> bool:
        return bool(self.aborted or self.refused or self.timeouts)

    def record(self) -> dict[str, Any]:
        """`{"type":"receiver","aborted":…,"refused":…,"timeouts":…}` for `listen --json`."""
        return {"type": "receiver", "aborted": self.aborted, "refused": self.refused,
                "timeouts": self.timeouts}  # fmt: skip

    def tooltip(self) -> str:
        """The status bar's receiver tooltip lines (totals)."""
        lines = [
            f"{self.aborted} clients hung up mid-request",
            f"{self.refused} connections refused at the connection cap",
            f"{self.timeouts} connections timed out",
        ]
        if self.bodies_not_kept:
            lines.append(f"{self.bodies_not_kept} rejected/malformed bodies not kept (budget)")
        if self.disk != "ok":
            lines.append(disk_notice(self))
        return "\n".join(lines)


BUDGET_NOTICE = (
    "rejected and malformed requests exceed the storage budget; from now on only their "
    "metadata is kept (raise --hostile-per-minute / --hostile-total-mb to keep more)"
)


def disk_notice(stats: ReceiverStats) -> str:
    """One sentence for the disk guard's verdict."""
    free = f"{stats.free_bytes / 2**20:.0f} MiB" if stats.free_bytes is not None else "little"
    if stats.disk == "floor":
        return (
            f"only {free} free for the database: only verified deliveries are stored, others "
            "get 503 — free some space"
        )
    if stats.disk == "low":
        return f"only {free} free for the database; free some space before it runs out"
    return f"disk space is fine again ({free} free)"


class ReceiverWatch:
    """Decides what to tell the user from successive snapshots (pure: the caller keeps time).

    Connection counters once per `every_s` when they grew; the budget running out, once; the
    disk guard's verdict, whenever it changes. Each item is a JSON-ready dict with a `type`.
    """

    def __init__(self, every_s: float = 60.0) -> None:
        self._every_s = every_s
        self._reported = ReceiverStats()
        self._reported_at: float | None = None
        self._told_budget = False
        self._disk: DiskLevel = "ok"

    def check(
        self, stats: ReceiverStats, now: float, *, final: bool = False
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if self._reported_at is None:
            self._reported_at = now
        if stats.bodies_not_kept and not self._told_budget:
            self._told_budget = True
            out.append({"type": "budget", "bodies_not_kept": stats.bodies_not_kept,
                        "message": BUDGET_NOTICE})  # fmt: skip
        if stats.disk != self._disk:
            self._disk = stats.disk
            out.append({"type": "disk", "level": stats.disk, "free_bytes": stats.free_bytes,
                        "message": disk_notice(stats)})  # fmt: skip
        if final or now - self._reported_at >= self._every_s:
            grown = stats.since(self._reported)
            if grown.connection_trouble():
                out.append(grown.record())
            self._reported, self._reported_at = stats, now
        return out


def watch_text(item: dict[str, Any]) -> str:
    """The plain-text line for one ReceiverWatch item."""
    if item["type"] == "receiver":
        return (
            f"receiver: {item['aborted']} aborted, {item['refused']} refused, "
            f"{item['timeouts']} timed out since the last report"
        )
    return f"{item['type']}: {item['message']}"
