"""Portal page of an event's record: `record_url(domain, code, entity_id, …)` → the URL, or None.

The page kind comes from the event family (core/decoding.py `FAMILIES`, spec §6.1); the paths are
the ones the Bitrix24 web UI opens for a record. Kinds without a stable page of their own
(activities, live feed posts, catalog products) give None, and so does anything that does not look
like a portal address or a numeric ID: the result is opened in a browser.

The scheme is the one of the portal's `client_endpoint` when known (a self-hosted portal on plain
http stays http, spec §2.10); without it cloud portals are https and loopback ones (the sandbox)
http. Internationalised domains (`портал.рф`) become punycode in the URL — every browser and
`QDesktopServices` accepts that form, and it cannot be confused with a look-alike — while
`display_url` turns the host back into Unicode for people to read.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from b24monitor.core.decoding import family_of
from b24monitor.core.model import CapturedEvent

_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?\.?)+(?::\d{1,5})?$")
_IPV6 = re.compile(r"^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$")

# kind → path from (entity id, entity type id, user id); None when the record has no page
_PAGES: dict[str, Callable[[str, str | None, str], str | None]] = {
    "deal": lambda i, t, u: f"/crm/deal/details/{i}/",
    "lead": lambda i, t, u: f"/crm/lead/details/{i}/",
    "contact": lambda i, t, u: f"/crm/contact/details/{i}/",
    "company": lambda i, t, u: f"/crm/company/details/{i}/",
    # Quotes are smart-process items of type 7 in today's CRM; the old /crm/quote/show/ is gone.
    "quote": lambda i, t, u: f"/crm/type/7/details/{i}/",
    # ONCRMINVOICE* are the old invoices, whose IDs are not smart-invoice IDs: their own page.
    "invoice": lambda i, t, u: f"/crm/invoice/show/{i}/",
    "smart item": lambda i, t, u: f"/crm/type/{t}/details/{i}/" if t else None,
    "task": lambda i, t, u: f"/company/personal/user/{u}/tasks/task/view/{i}/",
    "calendar event": lambda i, t, u: f"/company/personal/user/{u}/calendar/?EVENT_ID={i}",
    "user": lambda i, t, u: f"/company/personal/user/{i}/",
    "workgroup": lambda i, t, u: f"/workgroups/group/{i}/",
    "order": lambda i, t, u: f"/shop/orders/details/{i}/",
}


def is_loopback_host(host: str) -> bool:
    """True for `localhost`, 127.0.0.0/8 and ::1 (a port or IPv6 brackets may be attached)."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[1:].partition("]")[0]
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def portal_base(domain: str, endpoint: str | None = None) -> str | None:
    """`scheme://host` of the portal, or None if `domain` is junk.

    The scheme comes from `endpoint` (the portal's client_endpoint) when it is http(s); else
    https, or http for a portal on this machine (the sandbox). The host is ASCII (punycode).
    """
    host = ascii_host(domain.strip().rstrip("/"))
    if not host or not (_HOST.match(host) or _IPV6.match(host)):
        return None
    scheme = _scheme(endpoint) or ("http" if is_loopback_host(host) else "https")
    return f"{scheme}://{host}"


def ascii_host(host: str) -> str | None:
    """`портал.рф` → `xn--80awhdgm.xn--p1ai` (IDNA); ASCII unchanged; None if not encodable."""
    if host.isascii():
        return host
    name, sep, port = host.rpartition(":") if _has_port(host) else (host, "", "")
    try:
        encoded = name.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return encoded + sep + port


def display_url(url: str) -> str:
    """The URL with its punycode host shown in Unicode, for tooltips and status lines."""
    parts = urlsplit(url)
    host = parts.netloc
    if "xn--" not in host.lower():
        return url
    name, sep, port = host.rpartition(":") if _has_port(host) else (host, "", "")
    try:
        readable = name.encode("ascii").decode("idna")
    except UnicodeError:
        return url
    return parts._replace(netloc=readable + sep + port).geturl()


def _has_port(host: str) -> bool:
    return ":" in host and host.rpartition(":")[2].isdigit() and not host.startswith("[")


def _scheme(endpoint: str | None) -> str | None:
    if not endpoint:
        return None
    scheme = endpoint.split("://", 1)[0].lower() if "://" in endpoint else ""
    return scheme if scheme in ("http", "https") else None


def record_url(
    domain: str | None,
    event_code: str | None,
    entity_id: str | None,
    entity_type_id: str | None = None,
    user_id: str | None = None,
    endpoint: str | None = None,
) -> str | None:
    """The portal page of the event's record, or None when there is no page to open.

    `endpoint`: the delivery's `auth[client_endpoint]`, whose scheme the link keeps.
    """
    if not domain or not event_code or not _is_id(entity_id):
        return None
    base = portal_base(domain, endpoint)
    kind = family_of(event_code.strip().upper()).kind
    page = _PAGES.get(kind or "")
    if base is None or page is None:
        return None
    type_id = entity_type_id if _is_id(entity_type_id) else None
    # Tasks and calendars open under a user's path; a robot or user 0 → the first admin.
    user = user_id if _is_id(user_id) and user_id != "0" else "1"
    path = page(str(entity_id), type_id, str(user))
    return base + path if path else None


def _is_id(value: str | None) -> bool:
    return bool(value) and str(value).isascii() and str(value).isdigit() and len(str(value)) <= 20


def event_record_url(ev: CapturedEvent) -> str | None:
    """`record_url` for a stored delivery, with the scheme of its own client_endpoint."""
    auth = ev.data.get("auth") if isinstance(ev.data, dict) else None
    endpoint = auth.get("client_endpoint") if isinstance(auth, dict) else None
    return record_url(
        ev.domain,
        ev.event,
        ev.entity_id,
        ev.entity_type_id,
        ev.user_id,
        endpoint if isinstance(endpoint, str) else None,
    )
