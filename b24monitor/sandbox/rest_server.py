"""HTTP front of the sandbox REST API: `<client_endpoint><method>[.json]` for app tokens and
`/rest/<user>/<code>/<method>` for the incoming webhook (spec §5.1).

Accepts GET query strings, form (PHP bracket) and JSON bodies, merged like PHP's $_REQUEST; the
token comes as `auth`, `access_token` or `Authorization: Bearer`. Answers carry `result`,
`total`/`next` for lists and the `time` block; refusals the error envelope (spec §5.3).
Simplified: every answer is JSON (`.xml` is accepted but not honoured), and the webhook works over
plain http (the real one demands https).
"""

from __future__ import annotations

import json
import logging
import time
from functools import partial
from typing import Any
from urllib.parse import quote_plus, urlsplit

from aiohttp import web

from b24monitor.core.errors import MalformedDelivery
from b24monitor.core.phpform import parse_form
from b24monitor.sandbox import dispatch
from b24monitor.sandbox.api_errors import ApiError, no_auth_found, query_limit_exceeded
from b24monitor.sandbox.calls import Caller, Params
from b24monitor.sandbox.envelope import time_block
from b24monitor.sandbox.state import PortalState

log = logging.getLogger(__name__)

AUTH_PARAMS = ("auth", "access_token")

json_dumps = partial(json.dumps, ensure_ascii=False)


def error_response(exc: ApiError) -> web.Response:
    """The error envelope with its HTTP status."""
    return web.json_response(exc.body(), status=exc.status, dumps=json_dumps)


async def read_params(request: web.Request) -> dict[str, Any]:
    """Query string and body merged (body wins), decoded PHP-style or from JSON."""
    try:
        params = parse_form(request.query_string.encode("utf-8"))
        if request.method == "POST" and request.can_read_body:
            params.update(await _read_body(request))
    except (MalformedDelivery, UnicodeDecodeError) as exc:
        raise ApiError(400, "INVALID_REQUEST", f"Request could not be decoded: {exc}") from None
    return params


async def _read_body(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError:
            raise ApiError(400, "INVALID_REQUEST", "Request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "INVALID_REQUEST", "JSON body must be an object")
        return body
    if request.content_type.startswith("multipart/"):
        fields = await request.post()
        text = "&".join(f"{quote_plus(k)}={quote_plus(str(v))}" for k, v in fields.items())
        return parse_form(text.encode("utf-8"))
    return parse_form(await request.read())


def take_token(request: web.Request, params: dict[str, Any]) -> str | None:
    """Remove the auth parameters from `params` and return the access token, if any."""
    found: str | None = None
    for key in [k for k in params if k.lower() in AUTH_PARAMS]:
        value = params.pop(key)
        if isinstance(value, str) and value:
            found = found or value
    header = request.headers.get("Authorization", "")
    if not found and header.lower().startswith("bearer "):
        found = header[7:].strip() or None
    return found


def take_connector(params: dict[str, Any]) -> str:
    """Remove auth_connector (an auth-level parameter, spec §2.2) and return it."""
    value = ""
    for key in [k for k in params if k.lower() == "auth_connector"]:
        raw = params.pop(key)
        value = raw if isinstance(raw, str) else value
    return value


class RestServer:
    """aiohttp handlers answering REST calls against one PortalState."""

    def __init__(self, state: PortalState) -> None:
        self._state = state

    def routes(self) -> list[web.RouteDef]:
        """Routes for the app endpoint and the incoming webhook."""
        return [
            web.route("*", r"/rest/{user:\d+}/{code}/{method}", self.handle_webhook),
            web.route("*", "/rest/{method}", self.handle_app),
        ]

    async def handle_app(self, request: web.Request) -> web.Response:
        """A call with an application OAuth token."""
        return await self._answer(request, self._app_caller)

    async def handle_webhook(self, request: web.Request) -> web.Response:
        """A call through the incoming webhook."""
        return await self._answer(request, self._webhook_caller)

    def _app_caller(self, request: web.Request, params: dict[str, Any]) -> Caller:
        token = take_token(request, params)
        if token is None:
            raise no_auth_found()
        grant = self._state.tokens.check(token)
        admin = self._state.users.is_admin(grant.user_id)
        connector = take_connector(params)
        return Caller(grant.user_id, admin, via_app=True, session=grant.session,
                      connector=connector, app=grant.app)  # fmt: skip

    def _webhook_caller(self, request: web.Request, params: dict[str, Any]) -> Caller:
        user_id = int(request.match_info["user"])
        code = request.match_info["code"]
        if code != self._state.webhook_code or self._state.users.get(user_id) is None:
            raise ApiError(403, "INVALID_CREDENTIALS", "Invalid request credentials")
        take_connector(params)
        return Caller(user_id, self._state.users.is_admin(user_id), via_app=False)

    async def _answer(self, request: web.Request, identify: Any) -> web.Response:
        started = time.time()
        if request.method not in ("GET", "POST"):
            return error_response(ApiError(405, "INVALID_REQUEST", "Use GET or POST"))
        current = urlsplit(self._state.identity.client_endpoint).netloc
        moved_to = self._state.edition.redirect_for(request.host, request.path_qs, current)
        if moved_to is not None:  # a renamed portal, or an expired licence (spec §5.1)
            return web.Response(status=302, headers={"Location": moved_to})
        bucket = self._state.bucket
        if bucket is not None and not bucket.admit():
            return error_response(query_limit_exceeded())
        method = request.match_info["method"].removesuffix(".json").removesuffix(".xml")
        try:
            params = await read_params(request)
            caller = identify(request, params)
            began = time.time()
            reply = dispatch.call(self._state, caller, method, Params(params))
        except ApiError as exc:
            return error_response(exc)
        except Exception:
            log.exception("sandbox method %s failed", method)
            return error_response(ApiError(500, "INTERNAL_SERVER_ERROR", "Internal server error"))
        finished = time.time()
        body: dict[str, Any] = {"result": reply.result}
        if reply.next is not None:
            body["next"] = reply.next
        if reply.total is not None:
            body["total"] = reply.total
        skew = self._state.edition.clock_offset_s  # a portal clock that is off (edition.py)
        body["time"] = time_block(started + skew, finished + skew, finished - began)
        return web.json_response(body, dumps=json_dumps)
