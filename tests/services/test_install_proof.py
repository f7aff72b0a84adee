"""Proving an install never sends the client secret where the install's body points (spec §4)."""

from __future__ import annotations

import pytest

from b24monitor.services.install_proof import oauth_server
from b24monitor.services.profiles import Profile

APP = Profile("dev", "app", client_id="local.1", client_secret="s" * 40)


@pytest.mark.parametrize(
    ("endpoint", "trusted"),
    [
        ("https://oauth.bitrix.info/rest/", True),
        ("https://oauth.bitrix24.tech/rest/", True),
        ("http://127.0.0.1:8091/rest/", True),  # the sandbox on this machine
        ("https://oauth.bitrix.info.evil.example/rest/", False),
        ("https://evil.example/rest/", False),
        (None, False),
    ],
)
def test_the_body_names_the_oauth_server_only_when_it_is_a_bitrix24_one(
    endpoint: str | None, trusted: bool
) -> None:
    auth = {} if endpoint is None else {"server_endpoint": endpoint}
    assert oauth_server(APP, auth) == (endpoint if trusted else None)


def test_a_profile_that_knows_its_oauth_server_ignores_the_body() -> None:
    known = Profile("dev", "app", client_id="c", client_secret="s",
                    server_endpoint="https://oauth.bitrix.info/rest/")  # fmt: skip
    assert oauth_server(known, {"server_endpoint": "https://evil.example/rest/"}) == (
        "https://oauth.bitrix.info/rest/"
    )
