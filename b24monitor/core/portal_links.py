"""Portal page of an event's record: `record_url(domain, code, entity_id, …)` → the URL, or None.

The page kind comes from the event family (core/decoding.py `FAMILIES`, spec §6.1); the paths are
the ones the Bitrix24 web UI opens for a record. Kinds without a stable page of their own
(activities, calendar entries, live feed posts, catalog products) give None, and so does anything
that does not look like a portal address or a numeric ID: the result is opened in a browser.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from b24monitor.core.decoding import family_of

_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?\.?)+(?::\d{1,5})?$")
_IPV6 = re.compile(r"^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$")
SMART_INVOICE_TYPE = "31"  # entityTypeId of smart invoices in every portal

# kind → path from (entity id, entity type id, user id); None when the record has no page
_PAGES: dict[str, Callable[[str, str | None, str], str | None]] = {
    "deal": lambda i, t, u: f"/crm/deal/details/{i}/",
    "lead": lambda i, t, u: f"/crm/lead/details/{i}/",
    "contact": lambda i, t, u: f"/crm/contact/details/{i}/",
    "company": lambda i, t, u: f"/crm/company/details/{i}/",
    "quote": lambda i, t, u: f"/crm/quote/show/{i}/",
    # ONCRMINVOICE* are the old invoices, whose IDs are not smart-invoice IDs: their own page.
    "invoice": lambda i, t, u: f"/crm/invoice/show/{i}/",
    "smart item": lambda i, t, u: f"/crm/type/{t}/details/{i}/" if t else None,
    "task": lambda i, t, u: f"/company/personal/user/{u}/tasks/task/view/{i}/",
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


def portal_base(domain: str) -> str | None:
    """`https://domain`, or `http://…` for a portal on this machine (the sandbox); None if junk."""
    host = domain.strip().rstrip("/")
    if not host or not (_HOST.match(host) or _IPV6.match(host)):
        return None
    return ("http://" if is_loopback_host(host) else "https://") + host


def record_url(
    domain: str | None,
    event_code: str | None,
    entity_id: str | None,
    entity_type_id: str | None = None,
    user_id: str | None = None,
) -> str | None:
    """The portal page of the event's record, or None when there is no page to open."""
    if not domain or not event_code or not _is_id(entity_id):
        return None
    base = portal_base(domain)
    kind = family_of(event_code.strip().upper()).kind
    page = _PAGES.get(kind or "")
    if base is None or page is None:
        return None
    type_id = entity_type_id if _is_id(entity_type_id) else None
    # Tasks open under a user's path; a robot (no user) or user 0 → the portal's first admin.
    user = user_id if _is_id(user_id) and user_id != "0" else "1"
    path = page(str(entity_id), type_id, str(user))
    return base + path if path else None


def _is_id(value: str | None) -> bool:
    return bool(value) and str(value).isascii() and str(value).isdigit() and len(str(value)) <= 20
