"""Small text formats shared by more than one room of the window."""

from __future__ import annotations


def format_delay(seconds: float) -> str:
    """Bitrix24's queue lag (received − ts, spec §1.4): `0s`, `47s`, `3m 5s`, `2h 10m`, `3d 4h`."""
    sign = "−" if seconds < 0 else ""  # the portal's clock is ahead of ours
    whole = round(abs(seconds))
    if whole < 60:
        return f"{sign}{whole}s"
    if whole < 3600:
        return f"{sign}{whole // 60}m {whole % 60}s"
    if whole < 86400:
        return f"{sign}{whole // 3600}h {whole % 3600 // 60}m"
    return f"{sign}{whole // 86400}d {whole % 86400 // 3600}h"
