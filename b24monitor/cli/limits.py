"""`listen` flags that bound what hostile traffic can cost: connections, stored bodies, disk."""

from __future__ import annotations

import argparse

from b24monitor.core.budget import MB, MiB, StoreLimits
from b24monitor.core.errors import UsageError

_DEFAULTS = StoreLimits()


def add_limit_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("limits on hostile traffic")
    g.add_argument("--max-connections", type=int, default=None, metavar="N",
                   help="concurrent connections before new ones are refused (default: half "
                   "the open-file limit)")  # fmt: skip
    g.add_argument("--hostile-per-minute", type=int, default=_DEFAULTS.hostile_per_minute,
                   metavar="N", help="bodies of rejected/malformed requests kept per minute "
                   "(default %(default)s; past it only their metadata)")  # fmt: skip
    g.add_argument(
        "--hostile-total-mb",
        type=float,
        default=_DEFAULTS.hostile_total_bytes / MB,
        metavar="MB",
        help="total size of such bodies kept (default %(default)g MB)",
    )
    g.add_argument(
        "--disk-warn-mb",
        type=float,
        default=_DEFAULTS.disk_warn_bytes / MiB,
        metavar="MiB",
        help="warn when less space is free (default %(default)g MiB)",
    )
    g.add_argument("--disk-floor-mb", type=float, default=_DEFAULTS.disk_floor_bytes / MiB,
                   metavar="MiB", help="below this much free space store only verified "
                   "deliveries (default %(default)g MiB)")  # fmt: skip


def store_limits(args: argparse.Namespace) -> StoreLimits:
    from b24monitor.services.config import store_limits as checked  # lazily: --help stays fast

    if args.max_connections is not None and args.max_connections < 1:
        raise UsageError("--max-connections must be at least 1")
    try:
        return checked(
            args.hostile_per_minute, args.hostile_total_mb, args.disk_warn_mb, args.disk_floor_mb
        )
    except UsageError as exc:  # name the flags
        raise UsageError(f"{exc} (--hostile-per-minute, --hostile-total-mb, --disk-warn-mb, "
                         "--disk-floor-mb)") from None  # fmt: skip
