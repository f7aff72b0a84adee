"""build_config: the checks and units both front ends share."""

from __future__ import annotations

from pathlib import Path

import pytest

from b24monitor.core.errors import UsageError
from b24monitor.core.replay import parse_routes
from b24monitor.services.config import build_config
from b24monitor.services.tunnel import TunnelSettings


def test_options_become_a_session_config(tmp_path: Path) -> None:
    config = build_config(
        tmp_path, host="0.0.0.0", port=8765, body_limit=4096,
        public_url=" https://hooks.example.com/ ", keep_rows=10, keep_days=1.5,
        tunnel=TunnelSettings(mode="ngrok"), portal="acme", keep_bindings=True,
        forward=parse_routes(["http://localhost:8000/"]),
    )  # fmt: skip
    assert (config.receiver.host, config.receiver.port, config.receiver.body_limit) == (
        "0.0.0.0", 8765, 4096,
    )  # fmt: skip
    assert config.public_url == "https://hooks.example.com"
    assert (config.retention.max_rows, config.retention.max_age_s) == (10, 1.5 * 86400)
    assert config.tunnel_settings().mode == "url"  # an own public URL wins over ngrok
    assert (config.portal, config.keep_bindings) == ("acme", True)
    assert config.forward is not None and config.forward.target_for("ONTASKADD")


def test_no_limits_and_no_public_url_by_default(tmp_path: Path) -> None:
    config = build_config(tmp_path)
    assert (config.retention.max_rows, config.retention.max_age_s) == (None, None)
    assert config.public_url is None and config.receiver.port == 0
    assert config.delay_threshold_s == 30.0  # the queue-delay finding's default (issue 12)


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"port": 70000}, "not a port number"),
        ({"port": -1}, "not a port number"),
        ({"body_limit": 1023}, "at least 1024 bytes"),
        ({"public_url": "ftp://files.example"}, "must start with http"),
        ({"delay_threshold_s": 0.0}, "queue-delay threshold 0 s must be above 0 s"),
    ],
)
def test_unusable_options_are_refused_with_a_sentence(
    tmp_path: Path, options: dict[str, object], says: str
) -> None:
    with pytest.raises(UsageError, match=says):
        build_config(tmp_path, **options)  # type: ignore[arg-type]
