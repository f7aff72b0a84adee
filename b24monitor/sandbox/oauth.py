"""The OAuth side: the portal's /oauth/authorize/ page and the OAuth server (token URL, app.info).

Spec §5.2: `/oauth/token/` on the OAuth server host (the host of `server_endpoint`) answers
`grant_type=refresh_token` (rotating pairs) and `grant_type=authorization_code` with JSON, or
`invalid_request` / `invalid_client` (401) / `invalid_grant` (400). The OAuth server's REST
endpoint answers `app.info`, the token check the PHP SDK uses (spec §4).
The redirect goes where Bitrix24 sends it: to the URL saved in the app's settings (spec §1.1),
not to the request's `redirect_uri` — unless the portal is made with
`oauth_redirect="redirect_uri"`, or the app has no saved URL yet.
Simplified: the authorize page asks nothing — it acts as the portal's administrator (user 1),
counts as a finished installation and redirects at once with `code`, `state`, `domain`,
`member_id`, `scope`, `server_domain`.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from aiohttp import web

from b24monitor.sandbox.api_errors import ApiError, method_not_found, no_auth_found
from b24monitor.sandbox.calls import Params
from b24monitor.sandbox.envelope import time_block
from b24monitor.sandbox.payloads import token_response
from b24monitor.sandbox.rest_server import error_response, json_dumps, read_params, take_token
from b24monitor.sandbox.state import PortalState
from b24monitor.sandbox.tokens import TokenPair

AUTHORIZING_USER = 1


class OAuthServer:
    """Handlers of the authorize page (portal host) and of the OAuth server host."""

    def __init__(self, state: PortalState, *, redirect: str = "saved") -> None:
        self._state = state
        self._redirect = redirect  # "saved": the app's saved URL; "redirect_uri": the request's
        self.install_url: str | None = (
            None  # set by the portal on install; authorize falls back to it
        )

    def portal_routes(self) -> list[web.RouteDef]:
        """Routes served by the portal host."""
        return [web.get("/oauth/authorize/", self.authorize)]

    def server_routes(self) -> list[web.RouteDef]:
        """Routes served by the OAuth server host."""
        return [
            web.route("*", "/oauth/token/", self.token),
            web.route("*", "/rest/{method}", self.rest),
        ]

    async def authorize(self, request: web.Request) -> web.Response:
        """Grant a code to the app and redirect back, as if the admin had approved (spec §5.2)."""
        p = Params(dict(request.query))
        app = self._state.app_by_id(p.text("client_id"))
        if app is None:
            return error_response(ApiError(400, "invalid_client", "Unknown client_id"))
        saved = app.handler_url or app.install_url
        asked = p.text("redirect_uri")
        target = (asked or saved) if self._redirect == "redirect_uri" else (saved or asked)
        if not target:
            text = "Pass redirect_uri: the sandbox app has no installation URL yet"
            return error_response(ApiError(400, "invalid_request", text))
        app.installed = True
        identity = self._state.identity
        query = {
            "code": self._state.tokens.new_code(AUTHORIZING_USER, app.client_id),
            "state": p.text("state"),
            "domain": identity.domain,
            "member_id": identity.member_id,
            "scope": identity.scope,
            "server_domain": self._state.oauth_host,
        }
        separator = "&" if "?" in target else "?"
        raise web.HTTPFound(target + separator + urlencode(query))

    async def token(self, request: web.Request) -> web.Response:
        """Exchange a refresh token or an authorization code for a new pair (spec §5.2)."""
        try:
            p = Params(await read_params(request))
            pair = self._grant(p)
        except ApiError as exc:
            return error_response(exc)
        tokens = self._state.tokens
        body = token_response(self._state.identity, pair, self._state.oauth_host, tokens.access_ttl)
        return web.json_response(body, dumps=json_dumps)

    def _grant(self, p: Params) -> TokenPair:
        grant_type = p.text("grant_type")
        if grant_type not in ("refresh_token", "authorization_code"):
            raise ApiError(
                400, "invalid_request", "grant_type must be refresh_token or authorization_code"
            )
        app = self._state.app_by_id(p.text("client_id"))
        if app is None or p.text("client_secret") != app.client_secret:
            raise ApiError(401, "invalid_client", "Wrong client_id or client_secret")
        if grant_type == "refresh_token":
            return self._state.tokens.refresh(p.text("refresh_token"), app.client_id)
        return self._state.tokens.exchange_code(p.text("code"), app.client_id)

    async def rest(self, request: web.Request) -> web.Response:
        """The OAuth server's REST endpoint: only `app.info` (token verification, spec §4)."""
        started = time.time()
        method = request.match_info["method"].removesuffix(".json").lower()
        try:
            params = await read_params(request)
            token = take_token(request, params)
            if token is None:
                raise no_auth_found()
            grant = self._state.tokens.check(token)
            if method != "app.info":
                raise method_not_found()
        except ApiError as exc:
            return error_response(exc)
        identity = self._state.identity
        app = self._state.app_by_id(grant.app) or self._state.app
        result = {
            "scope": identity.scope,
            "client_id": app.client_id,
            "expires": int(grant.expires_at),
            "install": {
                "installed": app.installed,
                "version": app.version,
                "status": identity.status,
                "domain": identity.domain,
                "member_id": identity.member_id,
            },
            "user_id": grant.user_id,
        }
        finished = time.time()
        body = {"result": result, "time": time_block(started, finished, finished - started)}
        return web.json_response(body, dumps=json_dumps)
