"""Proving an install never sends the client secret where the install's body points (spec §4)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from b24monitor.core.model import KeyFields
from b24monitor.core.verification import Proof
from b24monitor.services.install_gate import PROOF_TIMEOUT_S, prove_install
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


@pytest.mark.asyncio
async def test_a_proof_that_never_answers_is_refused_after_the_bound() -> None:
    # The delivery's answer waits for the proof (services/writer.py): a portal and OAuth server
    # that never answer must not hold it for ever. This waits the real bound (8 s).
    started = asyncio.Event()

    async def hanging(fields: KeyFields, auth: Mapping[str, Any], endpoint: str | None) -> Proof:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    fields = KeyFields(event="ONAPPINSTALL", member_id="m1", application_token="new")
    bounded = prove_install(hanging, fields, {"access_token": "a"}, "https://x.bitrix24.com/rest/")
    proof = await asyncio.wait_for(bounded, PROOF_TIMEOUT_S + 30)  # fails, not hangs, unbounded
    assert started.is_set()
    assert not proof.proved
    assert proof.reason.startswith(f"this install could not be proved within {PROOF_TIMEOUT_S:g} s")
