"""Identifiers and secrets the sandbox portal hands out, reproducible when a seed is given.

Formats copy what real portals show: 32-hex member_id and application_token, ~70-hex OAuth tokens
(spec §1.3 says their length is not fixed), `local.<hex>.<digits>` client IDs of local apps and
32-char mixed-case offline process IDs (spec §3.2). With a seed every value is reproducible, which
makes a sandbox session repeatable; without one they come from the system's secure source.
"""

from __future__ import annotations

import hashlib
import random
import string

_ALNUM = string.ascii_letters + string.digits


class IdSource:
    """Random identifiers in Bitrix24 formats; deterministic when `seed` is not None."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng: random.Random = (
            random.Random(seed) if seed is not None else random.SystemRandom()
        )

    def hex(self, length: int) -> str:
        """`length` lower-case hex digits."""
        return "".join(self._rng.choice("0123456789abcdef") for _ in range(length))

    def alnum(self, length: int) -> str:
        """`length` mixed-case letters and digits (offline `process_id`, client secrets)."""
        return "".join(self._rng.choice(_ALNUM) for _ in range(length))

    def token(self) -> str:
        """An OAuth access or refresh token: 72 hex digits, like the examples in spec §1.4."""
        return self.hex(72)

    def client_id(self) -> str:
        """A local application's client ID, e.g. `local.65f1a2b3c4d5e6.12345678`."""
        return f"local.{self.hex(14)}.{self._rng.randrange(10**7, 10**8)}"

    def client_secret(self) -> str:
        """A client secret: 50 letters and digits."""
        return self.alnum(50)


def application_token_for(member_id: str, client_id: str, client_secret: str) -> str:
    """The per-installation application_token: 32 hex from member_id, app and secret (spec §4)."""
    material = f"{member_id}|{client_id}|{client_secret}".encode()
    return hashlib.md5(material, usedforsecurity=False).hexdigest()
