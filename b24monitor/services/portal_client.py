"""REST client for one app profile: auth, token refresh, pacing, retries, batch, pagination.

Calls go to `<client_endpoint><method>` as a JSON body with `auth=<access token>` (spec §5.1).
Error envelopes become typed exceptions (core/portal_errors.py, spec §5.3). expired_token or
invalid_token triggers one refresh, serialized so concurrent callers share it (spec §5.2; the
CRest race in crest#13); the store is re-read first because another process may already have
refreshed. Requests are paced by a leaky bucket sized by the profile's rate plan (spec §5.4).

A renamed portal answers 302 to its new host (spec §5.1): the call is repeated there once, the
profile's domain and endpoint switch for good, and `on_moved` tells the front end. A redirect to
the same host (a self-hosted portal whose licence expired) or a second redirect ends the call
with one sentence instead of a loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

import httpx

from b24monitor.core import batch as rest_batch
from b24monitor.core.errors import (
    BatchCommandSkipped,
    PortalError,
    PortalRedirected,
    PortalUnavailable,
    ProfileError,
    ReauthorizationNeeded,
)
from b24monitor.core.portal_errors import (
    QUERY_LIMIT,
    RETRY_CODES,
    TOKEN_CODES,
    error_code,
    from_envelope,
    oauth_error,
)
from b24monitor.services import oauth
from b24monitor.services.profiles import Profile, ProfileStore
from b24monitor.services.rate_limit import LeakyBucket

log = logging.getLogger(__name__)

MovedListener = Callable[[str, str, str], None]
"""(profile name, old domain, new domain) after a rename was followed (spec §5.1)."""


@dataclass(frozen=True, slots=True)
class RestResponse:
    """One successful answer: `result` plus the pagination and timing fields (spec §5.6, §5.7)."""

    result: Any
    total: int | None = None
    next: int | None = None
    time: Mapping[str, Any] = field(default_factory=dict)


class PortalClient:
    """Calls the portal of one installed app profile on behalf of the front end's loop."""

    def __init__(
        self,
        profile_name: str,
        store: ProfileStore,
        http: httpx.AsyncClient,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        bucket: LeakyBucket | None = None,
        retries: int = 3,
        paced_retries: int = 60,
        backoff: float = 0.5,
        on_moved: MovedListener | None = None,
    ) -> None:
        self.profile_name = profile_name
        self._store = store
        self._http = http
        self._clock = clock
        self._sleep = sleep
        self._bucket = bucket  # None: sized from the profile's rate plan on first use
        self.on_moved = on_moved
        self._retries = retries
        self._paced_retries = paced_retries
        self._backoff = backoff
        self._profile: Profile | None = None
        self._refresh_lock = asyncio.Lock()
        self._dead_refresh_token: str | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        """The HTTP client calls go through (shared with the OAuth code exchange)."""
        return self._http

    @property
    def needs_reauthorization(self) -> bool:
        """True after the refresh token was rejected and no newer pair appeared in the store."""
        return self._dead_refresh_token is not None

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        """Call `method` and return its `result`; raises a PortalError subclass on failure."""
        return (await self.request(method, params)).result

    async def request(self, method: str, params: Mapping[str, Any] | None = None) -> RestResponse:
        """Call `method` and return the whole answer (result, total, next, time)."""
        profile = self._current()
        refreshed_via_oauth = False
        for attempt in range(3):
            status, body = await self._send(method, params or {}, profile)
            code = error_code(body)
            if code is None and status < 400 and "result" in body:
                return _response(body)
            if code not in TOKEN_CODES or refreshed_via_oauth or attempt == 2:
                break
            # One OAuth refresh per call; a pair another process stored is tried first.
            profile, refreshed_via_oauth = await self._refreshed(profile.access_token)
        subject = str((params or {}).get("event", ""))
        raise from_envelope(method, status, body, subject.upper())

    async def refresh_now(self) -> None:
        """Refresh the OAuth pair at once (doctor proves the refresh token works, spec §5.2)."""
        await self._refreshed(self._current().access_token)

    async def batch(self, calls: Sequence[rest_batch.Call], halt: bool = False) -> list[Any]:
        """Run calls in `batch` requests of ≤ 50; each item is a result or a PortalError (§5.5)."""
        results: list[Any] = []
        for chunk in rest_batch.chunks(calls):
            if halt and any(isinstance(r, PortalError) for r in results):
                results.extend(BatchCommandSkipped(method) for method, _ in chunk)
                continue
            cmd = rest_batch.command_map(chunk)
            answer = await self.call("batch", {"halt": 1 if halt else 0, "cmd": cmd})
            results.extend(rest_batch.unpack(chunk, answer))
        return results

    async def call_all(self, method: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Every item of a list method, following `next` page by page (spec §5.6)."""
        items: list[Any] = []
        query = dict(params or {})
        while True:
            page = await self.request(method, query)
            result = page.result
            items.extend(result if isinstance(result, list) else [result])
            if page.next is None or page.next <= int(query.get("start", 0)):
                return items
            query["start"] = page.next

    def _current(self) -> Profile:
        if self._profile is None or self._dead_refresh_token is not None:
            profile = self._store.get(self.profile_name)
            if profile.kind != "app":
                raise ProfileError(
                    f"profile “{self.profile_name}” is an outgoing webhook: it receives events "
                    "but cannot call the portal; use a local-application profile."
                )
            if not profile.installed:
                raise ProfileError(
                    f"profile “{self.profile_name}” is not installed yet: add the local app in "
                    "the portal and wait for its ONAPPINSTALL to arrive."
                )
            if profile.refresh_token == self._dead_refresh_token:
                raise ReauthorizationNeeded(self.profile_name)
            self._dead_refresh_token = None
            self._profile = profile
        return self._profile

    async def _send(
        self, method: str, params: Mapping[str, Any], profile: Profile
    ) -> tuple[int, dict[str, Any]]:
        """POST once the bucket allows; QUERY_LIMIT_EXCEEDED is paced, 5xx/timeouts retried."""
        url = profile.client_endpoint.rstrip("/") + "/" + method
        payload = {**params, "auth": profile.access_token}
        bucket = self._bucket_for(profile)
        failures = paced = 0
        moved = False
        while True:
            await bucket.acquire()
            try:
                response = await self._http.post(url, json=payload)
            except httpx.TransportError as exc:
                status, body, reason = 0, {}, type(exc).__name__
            else:
                if response.is_redirect:
                    url = self._follow_move(method, url, response, again=moved)
                    moved = True
                    continue
                status, body, reason = response.status_code, _json(response), ""
            code = error_code(body)
            if code == QUERY_LIMIT and paced < self._paced_retries:
                paced += 1
                bucket.fill()  # the next slot is 1/rate away: the portal drains too
                continue
            if (status and status < 500) or (code and code not in RETRY_CODES):
                return status, body
            failures += 1
            if failures > self._retries:
                if code:
                    return status, body
                raise PortalUnavailable(method, reason or f"HTTP {status}")
            await self._sleep(self._backoff * 2 ** (failures - 1))

    def _bucket_for(self, profile: Profile) -> LeakyBucket:
        if self._bucket is None:
            self._bucket = LeakyBucket.for_plan(profile.rate, clock=self._clock, sleep=self._sleep)
        return self._bucket

    def _follow_move(self, method: str, url: str, response: httpx.Response, *, again: bool) -> str:
        """A rename (302 to another host, spec §5.1): switch the profile, return the new URL."""
        old = urlsplit(url)
        target = urlsplit(urljoin(url, response.headers.get("location", "")))
        if again:
            raise PortalRedirected(
                method, f"a second time (to {target.netloc}) after following a rename: open "
                "the portal in a browser and add its current address as a new profile."
            )  # fmt: skip
        if target.scheme not in ("http", "https") or not _is_move(old, target):
            raise PortalRedirected(
                method, f"by {old.netloc} to its own address ({target.path or '/'}): on a "
                "self-hosted portal this is the licence-expired page; renew the licence or "
                "open the portal in a browser to see why."
            )  # fmt: skip
        profile = self._store.get(self.profile_name)
        endpoint = urlsplit(profile.client_endpoint)
        new_endpoint = f"{target.scheme}://{target.netloc}{endpoint.path or '/rest/'}"
        old_domain = profile.domain
        # A domain with a port (a portal on a non-standard port, the sandbox) keeps one.
        new_domain = target.netloc if ":" in old_domain else (target.hostname or target.netloc)
        if self._store.move(self.profile_name, new_domain, new_endpoint):
            log.warning("portal of profile %s moved to %s", self.profile_name, new_domain)
            if self.on_moved is not None:
                self.on_moved(self.profile_name, old_domain, new_domain)
        self._profile = self._store.get(self.profile_name)
        return new_endpoint.rstrip("/") + "/" + method

    async def _refreshed(self, failed_access_token: str) -> tuple[Profile, bool]:
        """A newer pair: from the store if someone already refreshed (False), else via OAuth."""
        async with self._refresh_lock:
            latest = self._store.get(self.profile_name)
            if latest.access_token != failed_access_token:
                self._profile = latest  # another caller or process already refreshed
                return latest, False
            answer = await oauth.refresh(
                self._http,
                server_endpoint=latest.server_endpoint,
                client_id=latest.client_id,
                client_secret=latest.client_secret,
                refresh_token=latest.refresh_token,
                sleep=self._sleep,
                retries=self._retries,
                backoff=self._backoff,
            )
            if isinstance(answer, oauth.TokenPair):
                self._store.save_tokens(
                    self.profile_name,
                    access_token=answer.access_token,
                    refresh_token=answer.refresh_token,
                    expires=answer.expires,
                    scope=answer.scope or None,
                    client_endpoint=answer.client_endpoint or None,
                )
                log.info("access token of profile %s refreshed", self.profile_name)
            elif answer.code == "invalid_grant":
                self._after_invalid_grant(latest)
            else:
                raise oauth_error(answer.status, answer.body)
            self._profile = self._store.get(self.profile_name)  # newest pair wins (spec §7.7)
            return self._profile, True

    def _after_invalid_grant(self, used: Profile) -> None:
        """Another process may have rotated the pair meanwhile; else re-authorization is due."""
        latest = self._store.get(self.profile_name)
        if latest.refresh_token != used.refresh_token:
            return
        self._dead_refresh_token = used.refresh_token
        log.warning("refresh token of profile %s rejected (invalid_grant)", self.profile_name)
        raise ReauthorizationNeeded(self.profile_name)


def _is_move(old: SplitResult, new: SplitResult) -> bool:
    """Another host (a rename), or the same call upgraded from http to https on the same host.

    Anything else on the same host — the licence-expired page of a self-hosted portal, a login
    page — is not a new address for REST (spec §5.1).
    """
    if (old.hostname or "").lower() != (new.hostname or "").lower() or old.port != new.port:
        return True
    return old.scheme == "http" and new.scheme == "https" and old.path == new.path


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def _response(body: Mapping[str, Any]) -> RestResponse:
    timing = body.get("time")
    return RestResponse(
        result=body["result"],
        total=_int_or_none(body.get("total")),
        next=_int_or_none(body.get("next")),
        time=timing if isinstance(timing, Mapping) else {},
    )
