"""Reprocessing flagged offline rows without losing the ones that fail again (spec §2.9 errata).

event.offline.error leaves an already-flagged row reserved under the process_id of the
`get?error=1` that fetched it, so a row that fails a second time disappears from every later
`get?error=1` until its reservation lapses (~30 days, spec §3.2). The process_ids of such
reservations are remembered per profile in `<data dir>/offline-held.json`, and the next
reprocessing run re-reads them first (`get?process_id=`, spec §2.6): a fixed handler can retry
those rows at once instead of a month later.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from b24monitor.services.filelock import locked, read_json, write_json
from b24monitor.services.offline_queue import ConsumeResult, Handler, OfflineQueue

_FORMAT = 1


class HeldReservations:
    """process_ids that hold re-failed flagged rows, per profile, shared between processes."""

    def __init__(self, data_dir: Path, profile_name: str) -> None:
        self._path = data_dir / "offline-held.json"
        self._profile = profile_name

    def load(self) -> list[str]:
        """The remembered process_ids, oldest first."""
        with locked(self._path, exclusive=False):
            return list(self._read().get(self._profile, []))

    def keep(self, process_id: str) -> None:
        """Remember a reservation that still holds rows."""
        self._change(lambda ids: ids if process_id in ids else [*ids, process_id])

    def forget(self, process_id: str) -> None:
        """The reservation holds nothing any more."""
        self._change(lambda ids: [i for i in ids if i != process_id])

    def _change(self, change: Any) -> None:
        with locked(self._path):
            everything = self._read()
            ids = change(list(everything.get(self._profile, [])))
            if ids:
                everything[self._profile] = ids
            else:
                everything.pop(self._profile, None)
            write_json(self._path, {"format": _FORMAT, "profiles": everything})

    def _read(self) -> dict[str, list[str]]:
        document = read_json(self._path)
        profiles = document.get("profiles") if isinstance(document, dict) else None
        if not isinstance(profiles, dict):
            return {}
        return {k: [str(i) for i in v] for k, v in profiles.items() if isinstance(v, list)}


async def reprocess_flagged(
    queue: OfflineQueue,
    held: HeldReservations,
    handle: Handler,
    *,
    limit: int = 50,
    confirm_destructive: bool = False,
) -> list[ConsumeResult]:
    """Retry held reservations, then every flagged row round by round; remember re-failures."""
    results = []
    for process_id in held.load():
        result = await queue.reprocess_reserved(process_id, handle, limit=limit)
        results.append(result)
        if not result.failed:
            held.forget(process_id)
    while True:
        result = await queue.consume_safely(
            handle, confirm_destructive=confirm_destructive, limit=limit, errors=True
        )
        results.append(result)
        if result.failed and result.process_id and not result.destructive:
            held.keep(result.process_id)
        if len(result.records) < limit:
            return results
