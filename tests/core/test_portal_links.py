"""record_url: the portal page of an event's record, by event family."""

from __future__ import annotations

import pytest

from b24monitor.core.phpform import build_form, parse_form
from b24monitor.core.portal_links import (
    ascii_host,
    display_url,
    event_record_url,
    is_loopback_host,
    portal_base,
    record_url,
)

D = "acme.bitrix24.ru"


@pytest.mark.parametrize(
    ("code", "entity_id", "type_id", "user", "path"),
    [
        ("ONCRMDEALUPDATE", "3187", None, "1", "/crm/deal/details/3187/"),
        ("ONCRMLEADADD", "12", None, "1", "/crm/lead/details/12/"),
        ("ONCRMCONTACTADD", "221", None, None, "/crm/contact/details/221/"),
        ("ONCRMCOMPANYDELETE", "5", None, "1", "/crm/company/details/5/"),
        ("ONCRMQUOTEADD", "7", None, "1", "/crm/type/7/details/7/"),
        ("ONCRMQUOTEUPDATE", "12", None, "1", "/crm/type/7/details/12/"),
        ("ONCRMINVOICEADD", "8", None, "1", "/crm/invoice/show/8/"),
        ("ONCRMDYNAMICITEMADD", "9", "31", "1", "/crm/type/31/details/9/"),
        ("ONCRMDYNAMICITEMUPDATE_1032", "44", "1032", "1", "/crm/type/1032/details/44/"),
        ("ONTASKADD", "905", None, "7", "/company/personal/user/7/tasks/task/view/905/"),
        ("ONTASKUPDATE", "905", None, None, "/company/personal/user/1/tasks/task/view/905/"),
        ("ONTASKCOMMENTADD", "905", None, "0", "/company/personal/user/1/tasks/task/view/905/"),
        ("onuseradd", "15", None, "1", "/company/personal/user/15/"),
        ("ONSONETGROUPADD", "3", None, "1", "/workgroups/group/3/"),
        ("ONCALENDARENTRYADD", "4", None, "7", "/company/personal/user/7/calendar/?EVENT_ID=4"),
        ("ONCALENDARENTRYUPDATE", "4", None, None, "/company/personal/user/1/calendar/?EVENT_ID=4"),
    ],
)
def test_pages_by_family(
    code: str, entity_id: str, type_id: str | None, user: str | None, path: str
) -> None:
    assert record_url(D, code, entity_id, type_id, user) == f"https://{D}{path}"


@pytest.mark.parametrize(
    ("code", "entity_id", "type_id"),
    [
        ("ONLIVEFEEDPOSTADD", "4", None),
        ("ONCRMACTIVITYADD", "4", None),  # opens in its owner's slider only
        ("ONCRMDYNAMICITEMADD", "4", None),  # the type is needed for the path
        ("ONAPPINSTALL", "4", None),
        ("ONCRMDEALADD", None, None),
        ("ONCRMDEALADD", "12/../../evil", None),  # IDs are digits, never paths
        ("ONCRMDEALADD", "", None),
    ],
)
def test_no_page(code: str, entity_id: str | None, type_id: str | None) -> None:
    assert record_url(D, code, entity_id, type_id) is None


def test_sandbox_on_loopback_is_http_and_junk_domains_give_nothing() -> None:
    assert record_url("127.0.0.1:8123", "ONCRMDEALADD", "5") == (
        "http://127.0.0.1:8123/crm/deal/details/5/"
    )
    assert portal_base("localhost:80") == "http://localhost:80"
    assert portal_base("[::1]:9000") == "http://[::1]:9000"
    for junk in ("", "evil.com/x?", "a b", "user@host", "javascript:alert(1)"):
        assert record_url(junk, "ONCRMDEALADD", "5") is None
    assert record_url(None, "ONCRMDEALADD", "5") is None
    assert record_url(D, None, "5") is None


def test_loopback_hosts() -> None:
    assert is_loopback_host("127.0.0.1") and is_loopback_host("127.1.2.3:99")
    assert is_loopback_host("localhost") and is_loopback_host("[::1]:80")
    assert not is_loopback_host("acme.bitrix24.ru") and not is_loopback_host("10.0.0.1")
    assert not is_loopback_host("")


def test_the_scheme_follows_the_portals_endpoint() -> None:
    # A self-hosted portal on plain http keeps http (spec §2.10); https stays https.
    assert record_url(
        "crm.example.org", "ONCRMDEALADD", "5", endpoint="http://crm.example.org/rest/"
    ) == ("http://crm.example.org/crm/deal/details/5/")
    assert (
        portal_base("crm.example.org", "https://crm.example.org/rest/") == "https://crm.example.org"
    )
    assert portal_base("crm.example.org", "ftp://crm.example.org/") == "https://crm.example.org"
    assert portal_base("127.0.0.1:81", "https://127.0.0.1:81/rest/") == "https://127.0.0.1:81"


def test_cyrillic_domains_open_as_punycode_and_read_as_unicode() -> None:
    url = record_url("портал.рф", "ONCRMDEALADD", "5")
    assert url == "https://xn--80awhdgm.xn--p1ai/crm/deal/details/5/"
    assert display_url(url) == "https://портал.рф/crm/deal/details/5/"
    # The portal may send either form; both give the same link.
    assert record_url("xn--80awhdgm.xn--p1ai", "ONCRMDEALADD", "5") == url
    assert ascii_host("портал.рф:8080") == "xn--80awhdgm.xn--p1ai:8080"
    assert display_url("http://acme.bitrix24.ru/x/") == "http://acme.bitrix24.ru/x/"
    assert record_url("порт ал.рф", "ONCRMDEALADD", "5") is None


def test_a_stored_delivery_links_with_its_own_endpoint_scheme() -> None:
    from b24monitor.core.model import CapturedEvent

    body = build_form({"event": "ONCRMQUOTEADD", "data": {"FIELDS": {"ID": "9"}},
                       "auth": {"domain": "портал.рф", "client_endpoint": "http://портал.рф/rest/",
                                "member_id": "m"}})  # fmt: skip
    payload = parse_form(body.encode())
    ev = CapturedEvent(1, 0.0, "ONCRMQUOTEADD", "m", "портал.рф", "9", None, None, None, None,
                       None, "ok", None, 0, "", (), b"", data=payload)  # fmt: skip
    assert event_record_url(ev) == "http://xn--80awhdgm.xn--p1ai/crm/type/7/details/9/"
