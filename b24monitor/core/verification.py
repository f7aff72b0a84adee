"""Delivery verification: compare `auth[application_token]` with the token known per portal (§4).

The application_token is a per-installation secret that every delivery carries; it is first seen
in ONAPPINSTALL (spec §4). `TokenBook.judge` only gives a verdict; the caller stores a learned
token with `set()`, so judging the same delivery twice gives the same answer.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from b24monitor.core.model import KeyFields

# Events that hand the app its token for the first time (spec §4, §6.1).
_INSTALL_EVENTS = frozenset({"ONAPPINSTALL", "ONAPPUPDATE"})


@dataclass(frozen=True, slots=True)
class Verdict:
    """The result of checking one delivery's token.

    verified: True token matches, False mismatch or missing, None nothing known to compare with.
    learn: the delivery's token should be stored for its portal (first install).
    """

    verified: bool | None
    reason: str
    learn: bool = False


class TokenBook:
    """The application_token known for each portal, keyed by member_id (stable across renames)."""

    def __init__(self, known: Mapping[str, str] | None = None) -> None:
        self._tokens: dict[str, str] = dict(known or {})
        self._expected: set[str] = set()

    def get(self, member_id: str) -> str | None:
        """The token known for this portal, or None."""
        return self._tokens.get(member_id)

    def set(self, member_id: str, token: str) -> None:
        """Remember (or replace) the token of a portal."""
        self._tokens[member_id] = token

    def expect(self, token: str) -> None:
        """A token the user pasted (an outgoing webhook's, spec §4 step 4) before its portal
        is known: the first delivery that carries it teaches its member_id."""
        self._expected.add(token)

    def judge(self, fields: KeyFields) -> Verdict:
        """Check the delivery's token against the known one; never changes the book."""
        if not fields.member_id:
            return Verdict(None, "delivery carries no member_id, so its portal is unknown")
        known = self._tokens.get(fields.member_id)
        token = fields.application_token
        if known is None:
            if token and _any_equal(token, self._expected):
                return Verdict(True, "token matches the one you entered", learn=True)
            if token and fields.event in _INSTALL_EVENTS:
                return Verdict(None, "first install: token learned", learn=True)
            return Verdict(None, "no application token known for this portal yet")
        if not token:
            return Verdict(False, "delivery carries no application_token")
        # Constant-time, so a forger cannot find the token byte by byte from answer times (§4).
        if hmac.compare_digest(known.encode(), token.encode()):
            return Verdict(True, "token matches")
        # Also for ONAPPINSTALL: a forged install must not replace the token of a known portal.
        return Verdict(False, "application_token does not match the one known for this portal")


def _any_equal(token: str, candidates: set[str]) -> bool:
    return any(hmac.compare_digest(c.encode(), token.encode()) for c in candidates)
