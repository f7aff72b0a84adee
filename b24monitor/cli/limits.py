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
    if args.max_connections is not None and args.max_connections < 1:
        raise UsageError("--max-connections must be at least 1")
    if min(args.hostile_per_minute, args.hostile_total_mb) < 0:
        raise UsageError("--hostile-per-minute and --hostile-total-mb cannot be negative")
    if args.disk_floor_mb < 0 or args.disk_warn_mb < args.disk_floor_mb:
        raise UsageError("--disk-warn-mb must be at least --disk-floor-mb, and both ≥ 0")
    return StoreLimits(
        hostile_per_minute=args.hostile_per_minute,
        hostile_total_bytes=int(args.hostile_total_mb * MB),
        disk_warn_bytes=int(args.disk_warn_mb * MiB),
        disk_floor_bytes=int(args.disk_floor_mb * MiB),
    )
