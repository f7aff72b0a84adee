"""Delivery verification: compare `auth[application_token]` with every sender known for a portal.

A portal has one application_token per sender — each local or market app, each outgoing webhook —
and a deleted-and-re-added app gets a new one (spec §4, errata turn 2). So tokens are kept per
(member_id, token), each with a label that names the sender: a profile name, "webhook NAME" or
"learned from install". `TokenBook.judge` only gives a verdict; the caller stores a learned token
with `add()`, so judging the same delivery twice gives the same answer.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from b24monitor.core.model import KeyFields

# Events that hand the app its token for the first time (spec §4, §6.1).
INSTALL_EVENTS = frozenset({"ONAPPINSTALL", "ONAPPUPDATE"})
LEARNED = "learned from install"
"""The label of a token learned from a first install that no profile has claimed yet."""


@dataclass(frozen=True, slots=True)
class Sender:
    """One known sender of a portal: its token and the label deliveries are shown with."""

    member_id: str
    token: str
    label: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The result of checking one delivery's token.

    verified: True token matches, False mismatch or missing, None nothing known to compare with.
    learn: the delivery's token should be stored for its portal under `sender`.
    sender: the label of the matching (or learned) sender.
    prove: an install with a token new for a known portal: accepted only once proved (§4 step 2).
    """

    verified: bool | None
    reason: str
    learn: bool = False
    sender: str | None = None
    prove: bool = False


@dataclass(frozen=True, slots=True)
class Proof:
    """What proving a new install found (spec §4 step 2): accepted or not, and why.

    profile: the profile whose client credentials refreshed the install's refresh token (None when
    app.info proved it, or nothing did). auth: the install's auth block, with the fresh pair when a
    refresh proved it (the refresh spent the delivered refresh token, spec §5.2).
    """

    proved: bool
    reason: str
    profile: str | None = None
    auth: Mapping[str, Any] | None = None

    @property
    def label(self) -> str:
        return self.profile or LEARNED


class TokenBook:
    """The senders known for each portal, keyed by member_id (stable across renames)."""

    def __init__(self, known: Iterable[Sender] = ()) -> None:
        self._tokens: dict[str, dict[str, str]] = {}
        self._expected: dict[str, str] = {}
        for sender in known:
            self.add(sender.member_id, sender.token, sender.label)

    def senders(self, member_id: str) -> dict[str, str]:
        """Token → label of every sender known for this portal (a copy)."""
        return dict(self._tokens.get(member_id, {}))

    def add(self, member_id: str, token: str, label: str) -> None:
        """Remember a sender of a portal (a known token gets the new label)."""
        self._tokens.setdefault(member_id, {})[token] = label

    def expect(self, token: str, label: str) -> None:
        """A token the user pasted (an outgoing webhook's, spec §4 step 4) before its portal
        is known: the first delivery that carries it teaches its member_id."""
        self._expected[token] = label

    def judge(self, fields: KeyFields) -> Verdict:
        """Check the delivery's token against the known senders; never changes the book."""
        if not fields.member_id:
            return Verdict(None, "delivery carries no member_id, so its portal is unknown")
        known = self._tokens.get(fields.member_id, {})
        token = fields.application_token
        expected = _match(token, self._expected) if token else None
        if expected is not None:
            return Verdict(True, "token matches the one you entered", learn=True, sender=expected)
        if not known:
            if token and fields.event in INSTALL_EVENTS:
                return Verdict(None, "first install: token learned", learn=True, sender=LEARNED)
            return Verdict(None, "no application token known for this portal yet")
        if not token:
            return Verdict(False, "delivery carries no application_token")
        label = _match(token, known)
        if label is not None:
            return Verdict(True, "token matches", sender=label)
        if fields.event in INSTALL_EVENTS:
            # A new app, a reinstall — or a forgery: the caller proves it before answering.
            return Verdict(None, "a new install for a known portal must be proved", prove=True)
        return Verdict(False, "application_token matches none of the senders known for this portal")


def _match(token: str | None, candidates: Mapping[str, str]) -> str | None:
    """The label of the candidate equal to `token`; every candidate is compared in constant
    time, so a forger cannot find a token byte by byte from answer times (§4)."""
    found = None
    encoded = (token or "").encode()
    for candidate, label in candidates.items():
        if hmac.compare_digest(candidate.encode(), encoded) and found is None:
            found = label
    return found
