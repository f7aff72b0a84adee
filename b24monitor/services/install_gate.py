"""What the store writer does with install deliveries: prove a new one, mask it, keep its tokens.

Spec §4 step 2: an ONAPPINSTALL/ONAPPUPDATE whose token is new for a known portal is accepted only
when proved (services/install_proof.py). The writer's answer waits for the proof, bounded by
PROOF_TIMEOUT_S (services/writer.py says why). Spec §1.1: install tokens are secrets like a
profile's — the stored row gets them masked, the clear auth block goes to the pending-install
store (services/pending_installs.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from b24monitor.core.masking import mask_body, mask_secrets
from b24monitor.core.model import KeyFields
from b24monitor.core.verification import INSTALL_EVENTS, Proof

PROOF_TIMEOUT_S = 8.0  # how long a new install's answer may wait for its proof

Prover = Callable[[KeyFields, Mapping[str, Any], str | None], Awaitable[Proof]]
"""Proves a new install: (its key fields, its clear auth block, the portal's known endpoint)."""
KeepInstall = Callable[[int, Mapping[str, Any], str | None], None]
"""Keeps an install's clear auth block: (event id, auth, the profile that proved it or None)."""
Install = tuple[Mapping[str, Any], str | None]
"""An install's clear auth block and the profile that proved it (or None)."""


async def prove_install(
    prover: Prover | None, fields: KeyFields, auth: Mapping[str, Any], endpoint: str | None
) -> Proof:
    """Prove a new install of a known portal within PROOF_TIMEOUT_S; never raises."""
    if prover is None:
        return Proof(False, "a new install for a known portal cannot be proved here: "
                     "no profile credentials are available to this receiver")  # fmt: skip
    try:
        return await asyncio.wait_for(prover(fields, auth, endpoint), PROOF_TIMEOUT_S)
    except TimeoutError:
        return Proof(False, f"this install could not be proved within {PROOF_TIMEOUT_S:g} s "
                     "(the OAuth server and the portal did not answer): install the app "
                     "again once they are reachable")  # fmt: skip


def secure_install(
    body: bytes,
    fields: KeyFields,
    payload: dict[str, Any] | None,
    accepted: bool,
    proof: Proof | None,
) -> tuple[bytes, Any, Install | None]:
    """Body and data to store, and the install's clear auth block to keep apart: install tokens
    are secrets like a profile's, never in the events table in clear (spec §4, §1.1)."""
    if fields.event not in INSTALL_EVENTS or payload is None:
        return body, payload, None
    install = None
    if accepted and _has_pair(payload):
        proved_by = proof.profile if proof is not None and proof.proved else None
        fresh = proof.auth if proof is not None and proved_by else None  # the refreshed pair
        install = (dict(fresh or auth_of(payload)), proved_by)
    return mask_body(body), mask_secrets(payload), install


def auth_of(payload: Mapping[str, Any] | None) -> Mapping[str, Any]:
    auth = (payload or {}).get("auth")
    return auth if isinstance(auth, Mapping) else {}


def _has_pair(payload: Mapping[str, Any]) -> bool:
    auth = auth_of(payload)
    return bool(auth.get("access_token") or auth.get("refresh_token"))
