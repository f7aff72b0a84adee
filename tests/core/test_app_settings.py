"""The one warning about the app's saved URLs in the portal (spec §1.1)."""

from __future__ import annotations

from b24monitor.core.app_settings import app_settings_warning, is_stale
from b24monitor.core.subscriptions import ReconcileReport, SubscriptionRow

OLD = "https://old.ngrok-free.app/b24/abc"
NEW = "https://new.ngrok-free.app/b24/abc"


def test_the_warning_names_what_the_portal_holds_and_what_to_set() -> None:
    warning = app_settings_warning(OLD, NEW)
    assert warning is not None
    assert f"still send installs and reinstalls to {OLD}" in warning
    assert f"“Handler path” and “Initial installation path” to {NEW}" in warning
    assert "reserved ngrok domain" in warning


def test_no_warning_while_the_urls_agree_or_one_is_unknown() -> None:
    for saved, current in ((NEW, NEW), ("", NEW), (OLD, None), (None, None)):
        assert app_settings_warning(saved, current) is None and not is_stale(saved, current)


def test_the_installation_row_warns_with_the_same_sentence() -> None:
    row = SubscriptionRow("ONAPPINSTALL", "online", "foreign", "", OLD, "install")
    report = ReconcileReport((row,), NEW)
    assert report.install_warning == app_settings_warning(OLD, NEW)
