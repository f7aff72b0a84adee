"""The window's engine is `listen --engine` with the window's settings: nothing may be lost on the
way through the command line (a setting the engine never got would silently not apply)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from b24monitor.cli import build_parser
from b24monitor.cli.listen import listen_setup
from b24monitor.core.budget import MB, MiB, StoreLimits
from b24monitor.core.replay import parse_routes
from b24monitor.services.config import build_config
from b24monitor.services.engine_spawn import engine_command
from b24monitor.services.tunnel import TunnelSettings


def test_every_setting_the_window_saves_reaches_the_engine(tmp_path: Path) -> None:
    config = build_config(
        tmp_path / "data",
        port=8123,
        body_limit=65536,
        keep_rows=5000,
        keep_days=2.5,
        tunnel=TunnelSettings(mode="ngrok", domain="hooks.ngrok.app"),
        portal="acme",
        keep_bindings=True,
        forward=parse_routes(["ONCRM*=http://127.0.0.1:9/crm", "http://127.0.0.1:9/all"]),
        max_connections=300,
        limits=StoreLimits(
            hostile_per_minute=7,
            hostile_total_bytes=3 * MB,
            disk_warn_bytes=2048 * MiB,
            disk_floor_bytes=50 * MiB,
        ),
        engine="window",
    )
    config = replace(config, delay_threshold_s=200.0)
    command = engine_command(config)
    at = command.index("--data-dir")
    args = build_parser().parse_args(command[at:])
    engine, _demo = listen_setup(args, engine="window")
    for name in ("receiver", "retention", "portal", "keep_bindings", "forward", "limits",
                 "delay_threshold_s", "data_dir"):  # fmt: skip
        assert getattr(engine, name) == getattr(config, name), name
    assert (engine.tunnel.mode, engine.tunnel.domain) == ("ngrok", "hooks.ngrok.app")
