"""Send to handler: the offline queue's rows POSTed to the developer's handler, as the CLI does.

Same path as `b24monitor offline consume --to URL` (services/offline_sender.py): rows are reserved,
each one is POSTed as a form like an event delivery, 2xx clears it, anything else flags it
(event.offline.error, spec §2.9). With "Errored only" ticked, flagged rows are reprocessed,
including the ones that failed again and stay reserved (services/offline_reprocess.py).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication

from b24monitor.core.errors import B24MonitorError, DestructiveReadRefused
from b24monitor.services.offline_reprocess import HeldReservations, reprocess_flagged
from b24monitor.services.offline_sender import OfflineSender, SendOutcome
from b24monitor.services.portal_link import PortalLink

MAX_LISTED = 3  # failures named in the status line; the rest are counted
ROUND = 50  # rows reserved per round (event.offline.get's default limit, spec §2.6)


def valid_handler_url(url: str) -> bool:
    """Only http(s) URLs are sent to."""
    return url.startswith(("http://", "https://")) and len(url) > len("https://x")


async def send_to_handler(
    link: PortalLink, data_dir: Path, url: str, *, errors: bool
) -> tuple[str, bool]:
    """Send every row (or every flagged row) to `url`; (sentence for the status line, warn)."""
    outcomes: list[SendOutcome] = []
    sender = OfflineSender(link.client.http, url, profile=link.profile, on_outcome=outcomes.append)
    try:
        if errors:
            held = HeldReservations(data_dir, link.profile_name)
            await reprocess_flagged(link.offline, held, sender.handler())
        else:
            while True:  # round after round, until a round finds fewer rows than it asked for
                result = await link.offline.consume_safely(sender.handler(), limit=ROUND)
                if len(result.records) < ROUND:
                    break
    except DestructiveReadRefused:
        text = QCoreApplication.translate(
            "OfflinePane", "This plan cannot reserve rows (no rest_offline_extended), so rows "
            "cannot be sent and kept on failure: use Fetch and clear instead.")  # fmt: skip
        return text, True
    except B24MonitorError as exc:
        return str(exc), True
    return summary(outcomes, url), any(not o.ok for o in outcomes)


def summary(outcomes: list[SendOutcome], url: str) -> str:
    """`Sent 3 rows to URL: 2 cleared, 1 flagged (ONCRMDEALADD: HTTP 500).`"""
    if not outcomes:
        return QCoreApplication.translate("OfflinePane", "Nothing to send: no rows are waiting.")
    failed = [o for o in outcomes if not o.ok]
    text = QCoreApplication.translate("OfflinePane", "Sent %1 rows to %2: %3 cleared, %4 flagged.")
    text = text.replace("%1", str(len(outcomes))).replace("%2", url)
    text = text.replace("%3", str(len(outcomes) - len(failed))).replace("%4", str(len(failed)))
    if failed:
        named = ", ".join(f"{o.record.event}: {o.answer}" for o in failed[:MAX_LISTED])
        more = f" +{len(failed) - MAX_LISTED}" if len(failed) > MAX_LISTED else ""
        text = text.removesuffix(".") + f" ({named}{more})."
    return text
