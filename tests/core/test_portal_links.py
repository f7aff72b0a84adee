"""record_url: the portal page of an event's record, by event family."""

from __future__ import annotations

import pytest

from b24monitor.core.portal_links import is_loopback_host, portal_base, record_url

D = "acme.bitrix24.ru"


@pytest.mark.parametrize(
    ("code", "entity_id", "type_id", "user", "path"),
    [
        ("ONCRMDEALUPDATE", "3187", None, "1", "/crm/deal/details/3187/"),
        ("ONCRMLEADADD", "12", None, "1", "/crm/lead/details/12/"),
        ("ONCRMCONTACTADD", "221", None, None, "/crm/contact/details/221/"),
        ("ONCRMCOMPANYDELETE", "5", None, "1", "/crm/company/details/5/"),
        ("ONCRMQUOTEADD", "7", None, "1", "/crm/quote/show/7/"),
        ("ONCRMINVOICEADD", "8", None, "1", "/crm/invoice/show/8/"),
        ("ONCRMDYNAMICITEMADD", "9", "31", "1", "/crm/type/31/details/9/"),
        ("ONCRMDYNAMICITEMUPDATE_1032", "44", "1032", "1", "/crm/type/1032/details/44/"),
        ("ONTASKADD", "905", None, "7", "/company/personal/user/7/tasks/task/view/905/"),
        ("ONTASKUPDATE", "905", None, None, "/company/personal/user/1/tasks/task/view/905/"),
        ("ONTASKCOMMENTADD", "905", None, "0", "/company/personal/user/1/tasks/task/view/905/"),
        ("onuseradd", "15", None, "1", "/company/personal/user/15/"),
        ("ONSONETGROUPADD", "3", None, "1", "/workgroups/group/3/"),
    ],
)
def test_pages_by_family(
    code: str, entity_id: str, type_id: str | None, user: str | None, path: str
) -> None:
    assert record_url(D, code, entity_id, type_id, user) == f"https://{D}{path}"


@pytest.mark.parametrize(
    ("code", "entity_id", "type_id"),
    [
        ("ONCALENDARENTRYADD", "4", None),  # no stable page of its own
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
