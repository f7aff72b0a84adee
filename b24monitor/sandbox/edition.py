"""How this sandbox portal differs from a plain cloud portal: self-hosted, renamed, licence, URLs.

Each behaviour is a switch on `Edition` (one per portal, in PortalState), set from the
constructor, the `b24monitor sandbox` flags or the control API, so a test picks the real
behaviour it needs:

* `self_hosted` ("ru"): feature.get answers `ru_selfhosted` for every feature, and both offline
  features work (spec §2.10); the portal has no REST rate limit (`SandboxPortal` drops the bucket).
* a rename (spec §5.1): from the moment `rename()` is called, REST calls that reach the portal
  under an old host name get 302 to the same path on the new host. The sandbox listens on
  loopback only, so "another host" is another *name for the same socket*: the portal starts as
  `127.0.0.1:PORT` and is renamed to `localhost:PORT` (or any name that resolves to the loopback
  address); the request's Host header tells the two apart, as a real portal's virtual hosts do.
  `member_id` and tokens stay the same across a rename.
* `licence_expired`: every REST call gets 302 to the portal's own licence page — the same host,
  which a client must not take for a rename (spec §5.1).
* `check_handler_host`: event.bind refuses a handler whose host is not the host of the app's
  installation path (the one it was installed with, or edited by the administrator),
  with ERROR_HANDLER_URL_MATCH, as the core's HandlerHelper::checkCallback does when the app has
  a URL; a saved URL on `localhost` allows every host, as in the core. Off by default because the
  sandbox's own tests move handlers between loopback names.
* `clock_offset_s`: the portal's clock runs that many seconds ahead (negative: behind), as on a
  self-hosted server without time sync: the `time` block of every REST answer (spec §5.7),
  server.time and the `ts` of its deliveries (§1.4) follow it (issue 12: `doctor`'s clock check).
Simplified: a real rename also changes the OAuth server's view of the portal; here only REST and
deliveries follow the new name.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from b24monitor.sandbox.api_errors import ApiError

LICENCE_PAGE = "/bitrix/coupon_activation.php"
"""Where a self-hosted portal with an expired licence sends every request."""


@dataclass(slots=True)
class Edition:
    """The switches of one sandbox portal (see the module docstring)."""

    self_hosted: str = ""  # the portal's language when self-hosted, e.g. "ru"; "" = cloud
    licence_expired: bool = False
    check_handler_host: bool = False
    old_hosts: set[str] = field(default_factory=set)  # netlocs the portal was renamed from
    clock_offset_s: float = 0.0  # the portal's clock minus the real one

    def now(self) -> float:
        """The portal's clock (Unix seconds)."""
        return time.time() + self.clock_offset_s

    def feature_value(self, enabled: bool) -> str:
        """feature.get's value: Y/N on the cloud, `<lang>_selfhosted` on premises (§2.10)."""
        if self.self_hosted:
            return f"{self.self_hosted}_selfhosted"
        return "Y" if enabled else "N"

    def feature_on(self, enabled: bool) -> bool:
        """Self-hosted portals have every offline feature, whatever the plan table says."""
        return enabled or bool(self.self_hosted)

    def redirect_for(self, host: str, path_qs: str, current: str) -> str | None:
        """The Location a REST call to `host` gets, or None when it is served normally."""
        if self.licence_expired:
            return f"http://{host}{LICENCE_PAGE}"
        if host.lower() in self.old_hosts:
            return f"http://{current}{path_qs}"
        return None


def check_handler_host(edition: Edition, handler: str, saved_url: str | None) -> None:
    """ERROR_HANDLER_URL_MATCH when the handler's host is not the app's saved host (§2.2)."""
    if not edition.check_handler_host or not saved_url:
        return
    saved = (urlsplit(saved_url).hostname or "").lower()
    if saved == "localhost" or saved == (urlsplit(handler).hostname or "").lower():
        return
    raise ApiError(400, "ERROR_HANDLER_URL_MATCH", "Handler URL host doesn't match application URL")
