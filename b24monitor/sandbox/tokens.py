"""OAuth tokens of the sandbox portal: minting, checking, rotating refresh tokens, auth codes.

Rules from spec §5.2: access tokens live `access_ttl` seconds (1 hour by default); a refresh returns
a new pair and the used refresh token stops working (the old training-course rule the spec advises
assuming, §7.7); authorization codes live 30 s and work once. Each token also carries the
event-session counter of spec §1.1 so chains of events triggered through event tokens stop.
Every token belongs to one app (its client_id): a refresh or a code exchange with another app's
credentials fails with invalid_grant, as only the app a token was issued to can refresh it (§4).
Simplified: refresh tokens never expire by age (real: 180 days), and nothing is persisted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from b24monitor.sandbox.api_errors import ApiError, expired_token, invalid_token
from b24monitor.sandbox.ids import IdSource

HANDLER_SESSION_TTL = 3
"""Event-chain depth after which no further events are emitted (spec §1.1 loop guard)."""

CODE_TTL = 30.0
"""Seconds an authorization code stays valid (spec §5.2)."""

_PRUNE_ABOVE = 20_000
"""Above this many access tokens, long-expired ones are forgotten (a busy sandbox mints many)."""


@dataclass(slots=True)
class Grant:
    """What an access token stands for: a user, an expiry and the event-session counter."""

    user_id: int
    expires_at: float
    session: int = HANDLER_SESSION_TTL
    app: str = ""  # the client_id of the app the token was issued to


@dataclass(frozen=True, slots=True)
class TokenPair:
    """A freshly minted access token, its expiry, and a refresh token (None for event tokens)."""

    access_token: str
    expires: int
    user_id: int
    refresh_token: str | None = None


class TokenStore:
    """All live tokens of one sandbox portal."""

    def __init__(
        self, ids: IdSource, *, access_ttl: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.access_ttl = access_ttl
        self._ids = ids
        self._clock = clock
        self._access: dict[str, Grant] = {}
        self._refresh: dict[str, tuple[int, str]] = {}  # refresh token → (user ID, app)
        self._codes: dict[str, tuple[int, float, str]] = {}  # code → (user, valid until, app)

    def issue(
        self,
        user_id: int,
        *,
        refresh: bool = True,
        session: int = HANDLER_SESSION_TTL,
        app: str = "",
    ) -> TokenPair:
        """Mint an access token for a user of `app`, with a refresh token unless `refresh` is
        False."""
        self._prune()
        expires = self._clock() + self.access_ttl
        access = self._ids.token()
        self._access[access] = Grant(user_id, expires, session, app)
        refresh_token = None
        if refresh:
            refresh_token = self._ids.token()
            self._refresh[refresh_token] = (user_id, app)
        return TokenPair(access, int(expires), user_id, refresh_token)

    def check(self, access_token: str) -> Grant:
        """The grant behind a token; raises invalid_token or expired_token (spec §5.3)."""
        grant = self._access.get(access_token)
        if grant is None:
            raise invalid_token()
        if self._clock() >= grant.expires_at:
            raise expired_token()
        return grant

    def refresh(self, refresh_token: str, app: str = "") -> TokenPair:
        """Rotate: a new pair for the token's user; the used refresh token is spent (spec §5.2).
        A token issued to another app is invalid_grant and stays unspent."""
        entry = self._refresh.get(refresh_token)
        if entry is None or entry[1] != app:
            raise ApiError(400, "invalid_grant", "Invalid refresh token")
        del self._refresh[refresh_token]
        return self.issue(entry[0], app=app)

    def new_code(self, user_id: int, app: str = "") -> str:
        """An authorization code for the code flow (spec §5.2)."""
        code = self._ids.hex(72)
        self._codes[code] = (user_id, self._clock() + CODE_TTL, app)
        return code

    def exchange_code(self, code: str, app: str = "") -> TokenPair:
        """Trade a code for a pair; unknown, reused, another app's or older than 30 s →
        invalid_grant."""
        entry = self._codes.pop(code, None)
        if entry is None or self._clock() >= entry[1] or entry[2] != app:
            raise ApiError(400, "invalid_grant", "The authorization code is invalid or expired")
        return self.issue(entry[0], app=app)

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far expired; the next call gets expired_token."""
        now = self._clock()
        for grant in self._access.values():
            grant.expires_at = min(grant.expires_at, now)

    def revoke_refresh_tokens(self) -> None:
        """Forget every refresh token; refreshing then fails with invalid_grant."""
        self._refresh.clear()

    def revoke_all(self, app: str | None = None) -> None:
        """Forget every token and code of `app` (None: of every app) — it was uninstalled."""
        if app is None:
            self._access.clear()
            self._refresh.clear()
            self._codes.clear()
            return
        self._access = {t: g for t, g in self._access.items() if g.app != app}
        self._refresh = {t: e for t, e in self._refresh.items() if e[1] != app}
        self._codes = {c: e for c, e in self._codes.items() if e[2] != app}

    def _prune(self) -> None:
        if len(self._access) < _PRUNE_ABOVE:
            return
        # Keep recently expired tokens so their holders still see expired_token, not invalid_token.
        horizon = self._clock() - self.access_ttl
        self._access = {t: g for t, g in self._access.items() if g.expires_at > horizon}
