"""Profiles: public fields in the data dir, secrets apart, installs checked, newest pair kept."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fake_rest import (
    APP_TOKEN,
    CLIENT_ID,
    CLIENT_SECRET,
    MEMBER_ID,
    FakePortal,
    installed_store,
    make_store,
)

from b24monitor.core.errors import ProfileError
from b24monitor.services.profiles import Profile, ProfileStore
from b24monitor.services.secrets import FileSecrets


def test_add_get_list_remove_keep_secrets_out_of_the_public_file(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    store.add(Profile("acme", "app", client_id=CLIENT_ID, client_secret=CLIENT_SECRET))
    store.add(Profile("hook", "webhook", application_token="wh-token-1", domain="x.bitrix24.ru"))
    assert [p.name for p in store.list()] == ["acme", "hook"]
    assert store.get("acme").client_secret == CLIENT_SECRET
    assert store.get("hook").application_token == "wh-token-1"
    public = (tmp_path / "data" / "profiles.json").read_text()
    assert CLIENT_SECRET not in public and "wh-token-1" not in public
    assert json.loads(public)["profiles"]["acme"]["client_id"] == CLIENT_ID
    store.remove("hook")
    with pytest.raises(ProfileError, match="there is no profile “hook”"):
        store.get("hook")
    assert "wh-token-1" not in (tmp_path / "config" / "secrets.json").read_text()


def test_repr_never_shows_secrets() -> None:
    profile = Profile("a", "app", client_secret="cs-1", access_token="at-1", refresh_token="rt-1")
    assert not {"cs-1", "at-1", "rt-1"} & set(repr(profile).replace("'", " ").split())


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (Profile("acme", "app", client_id="x"), "client_id and client_secret"),
        (Profile("hook", "webhook"), "application token"),
        (Profile(" ", "webhook", application_token="t"), "1–64 printable"),
    ],
)
def test_incomplete_profiles_are_refused(tmp_path: Path, profile: Profile, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        make_store(tmp_path).add(profile)


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    store.add(Profile("hook", "webhook", application_token="t"))
    with pytest.raises(ProfileError, match="already exists"):
        store.add(Profile("hook", "webhook", application_token="u"))


def test_apply_install_stores_the_installation(tmp_path: Path) -> None:
    portal = FakePortal()
    profile = installed_store(tmp_path, portal).get("acme")
    assert profile.installed
    assert (profile.member_id, profile.application_token) == (MEMBER_ID, APP_TOKEN)
    assert profile.client_endpoint == "https://acme.bitrix24.com/rest/"
    assert profile.scope == "crm,task,user"
    assert profile.expires == 1764342192 + 3600


def test_forged_install_for_a_known_member_is_refused(tmp_path: Path) -> None:
    portal = FakePortal()
    store = installed_store(tmp_path, portal)
    forged = {**portal.install_auth(), "application_token": "f" * 32, "access_token": "evil"}
    forged["expires"] = "2000000000"
    assert store.apply_install("acme", forged) is False
    other_portal = {**portal.install_auth(), "member_id": "1" * 32, "expires": "2000000000"}
    assert store.apply_install("acme", other_portal) is False
    assert store.get("acme").access_token == portal.access_token


def test_update_of_the_same_installation_keeps_the_newest_pair(tmp_path: Path) -> None:
    portal = FakePortal()
    store = installed_store(tmp_path, portal)
    old = portal.install_auth()
    portal.rotate()
    assert store.apply_install("acme", portal.install_auth())  # ONAPPUPDATE, newer pair
    assert store.get("acme").access_token == portal.access_token
    assert store.apply_install("acme", {**old, "scope": "crm,task,user,im"})  # stale pair
    profile = store.get("acme")
    assert profile.access_token == portal.access_token
    assert profile.scope == "crm,task,user,im"


def test_reset_install_accepts_a_new_installation(tmp_path: Path) -> None:
    portal = FakePortal()
    store = installed_store(tmp_path, portal)
    store.reset_install("acme")
    assert not store.get("acme").installed
    assert store.apply_install("acme", {**portal.install_auth(), "application_token": "n" * 32})
    assert store.get("acme").application_token == "n" * 32


def test_install_block_must_be_complete_and_for_an_app_profile(tmp_path: Path) -> None:
    portal = FakePortal()
    store = make_store(tmp_path)
    store.add(Profile("acme", "app", client_id=CLIENT_ID, client_secret=CLIENT_SECRET))
    store.add(Profile("hook", "webhook", application_token="t"))
    incomplete = {k: v for k, v in portal.install_auth().items() if k != "refresh_token"}
    with pytest.raises(ProfileError, match="lacks refresh_token"):
        store.apply_install("acme", incomplete)
    with pytest.raises(ProfileError, match="outgoing-webhook profile"):
        store.apply_install("hook", portal.install_auth())


def test_expires_in_counts_from_now(tmp_path: Path) -> None:
    portal = FakePortal()
    secrets = FileSecrets(tmp_path / "secrets.json")
    store = ProfileStore(tmp_path / "data", secrets, wall_clock=lambda: 1_800_000_000.0)
    store.add(Profile("acme", "app", client_id=CLIENT_ID, client_secret=CLIENT_SECRET))
    auth = {k: v for k, v in portal.install_auth().items() if k != "expires"}
    store.apply_install("acme", auth)
    assert store.get("acme").expires == 1_800_003_600


def test_save_tokens_never_replaces_a_newer_pair(tmp_path: Path) -> None:
    store = installed_store(tmp_path, FakePortal())
    assert store.save_tokens("acme", access_token="a2", refresh_token="r2", expires=2_000_000_100)
    assert not store.save_tokens("acme", access_token="a1", refresh_token="r1", expires=2e9)
    profile = store.get("acme")
    assert (profile.access_token, profile.refresh_token) == ("a2", "r2")


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from b24monitor.services.profiles import ProfileStore
    from b24monitor.services.secrets import FileSecrets
    root, tag = Path(sys.argv[1]), sys.argv[2]
    store = ProfileStore(root / "data", FileSecrets(root / "config" / "secrets.json"))
    for i in range(40):
        expires = 2_000_000_000 + i * 2 + (1 if tag == "b" else 0)
        store.save_tokens("acme", access_token=f"a-{tag}-{i}", refresh_token=f"r-{tag}-{i}",
                          expires=expires)
        assert store.get("acme").expires >= expires
    """
)


def test_two_processes_writing_at_once_keep_the_files_whole(tmp_path: Path) -> None:
    store = installed_store(tmp_path, FakePortal())
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path), tag]) for tag in "ab"
    ]
    assert [w.wait(timeout=60) for w in writers] == [0, 0]
    profile = store.get("acme")
    assert profile.expires == 2_000_000_000 + 39 * 2 + 1
    assert (profile.access_token, profile.refresh_token) == ("a-b-39", "r-b-39")
    assert profile.member_id == MEMBER_ID


def test_rate_plan_and_app_url_are_public_and_a_move_keeps_the_installation(
    tmp_path: Path,
) -> None:
    store = installed_store(tmp_path, FakePortal())
    path = tmp_path / "data" / "profiles.json"
    document = json.loads(path.read_text())
    del document["profiles"]["acme"]["rate"], document["profiles"]["acme"]["app_url"]
    path.write_text(json.dumps(document))  # a profile written before the fields existed
    assert store.get("acme").rate == "standard" and store.get("acme").app_url == ""
    with pytest.raises(ProfileError, match="rate “fast” is not a pacing plan"):
        store.add(Profile("x", "app", client_id="a", client_secret="b", rate="fast"))
    store.set_app_url("acme", "https://old.ngrok-free.app/b24/x/events")
    before = store.get("acme")
    assert store.move("acme", "acme-new.bitrix24.ru", "https://acme-new.bitrix24.ru/rest/")
    assert not store.move("acme", "acme-new.bitrix24.ru", "https://acme-new.bitrix24.ru/rest/")
    after = store.get("acme")
    assert (after.domain, after.client_endpoint) == (
        "acme-new.bitrix24.ru", "https://acme-new.bitrix24.ru/rest/",
    )  # fmt: skip
    # member_id stays the same across a rename (spec §5.1); tokens and the saved URL are kept.
    assert (after.member_id, after.access_token, after.app_url) == (
        before.member_id, before.access_token, "https://old.ngrok-free.app/b24/x/events",
    )  # fmt: skip
    public = json.loads((tmp_path / "data" / "profiles.json").read_text())["profiles"]["acme"]
    assert public["rate"] == "standard" and public["app_url"].startswith("https://old.")
