"""Token verification (spec §4): a delivery is trusted only if it carries its portal's token."""

from __future__ import annotations

import pytest

from b24monitor.core.decoding import decode_body, key_fields
from b24monitor.core.model import KeyFields
from b24monitor.core.verification import TokenBook, Verdict

MEMBER = "0c4f5e9a8b7d6c5e4f3a2b1c0d9e8f7a"
OTHER_MEMBER = "ffffeeeeddddccccbbbbaaaa99998888"
TOKEN = "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"
FORGED = "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4c"


def delivery(
    event: str = "ONCRMDEALUPDATE", member: str | None = MEMBER, token: str | None = TOKEN
) -> KeyFields:
    return KeyFields(event=event, member_id=member, application_token=token)


def test_a_known_portal_with_the_right_token_is_verified() -> None:
    assert TokenBook({MEMBER: TOKEN}).judge(delivery()) == Verdict(True, "token matches", False)


def test_a_wrong_token_for_a_known_portal_is_rejected() -> None:
    verdict = TokenBook({MEMBER: TOKEN}).judge(delivery(token=FORGED))
    assert verdict == Verdict(
        False, "application_token does not match the one known for this portal", False
    )


@pytest.mark.parametrize("token", [None, ""])
def test_a_known_portal_without_a_token_is_rejected(token: str | None) -> None:
    verdict = TokenBook({MEMBER: TOKEN}).judge(delivery(token=token))
    assert verdict == Verdict(False, "delivery carries no application_token", False)


def test_tokens_of_other_lengths_and_non_ascii_are_rejected_not_crashed() -> None:
    book = TokenBook({MEMBER: TOKEN})
    for token in (TOKEN[:-1], TOKEN + "0", "ключ", TOKEN.upper()):
        assert book.judge(delivery(token=token)).verified is False


def test_an_unknown_portal_cannot_be_judged_yet() -> None:
    verdict = TokenBook({OTHER_MEMBER: TOKEN}).judge(delivery())
    assert verdict == Verdict(None, "no application token known for this portal yet", False)


@pytest.mark.parametrize("event", ["ONAPPINSTALL", "ONAPPUPDATE"])
def test_install_or_update_of_an_unknown_portal_teaches_its_token(event: str) -> None:
    verdict = TokenBook().judge(delivery(event=event))
    assert verdict == Verdict(None, "first install: token learned", True)


def test_an_install_without_a_token_teaches_nothing() -> None:
    verdict = TokenBook().judge(delivery(event="ONAPPINSTALL", token=None))
    assert verdict == Verdict(None, "no application token known for this portal yet", False)


def test_a_forged_install_for_a_known_portal_is_rejected_and_not_learned() -> None:
    verdict = TokenBook({MEMBER: TOKEN}).judge(delivery(event="ONAPPINSTALL", token=FORGED))
    assert (verdict.verified, verdict.learn) == (False, False)


def test_a_reinstall_with_the_same_token_is_verified() -> None:
    verdict = TokenBook({MEMBER: TOKEN}).judge(delivery(event="ONAPPINSTALL"))
    assert verdict == Verdict(True, "token matches", False)


def test_an_uninstall_from_an_unknown_portal_is_not_learned() -> None:
    verdict = TokenBook().judge(delivery(event="ONAPPUNINSTALL"))
    assert (verdict.verified, verdict.learn) == (None, False)


@pytest.mark.parametrize("member", [None, ""])
def test_a_delivery_without_member_id_cannot_be_judged(member: str | None) -> None:
    book = TokenBook({MEMBER: TOKEN})
    for event in ("ONCRMDEALUPDATE", "ONAPPINSTALL"):
        verdict = book.judge(delivery(event=event, member=member))
        assert (verdict.verified, verdict.learn) == (None, False)


def test_judging_never_changes_the_book() -> None:
    book = TokenBook()
    book.judge(delivery(event="ONAPPINSTALL"))
    assert book.get(MEMBER) is None
    assert book.judge(delivery()).verified is None


def test_the_book_starts_from_a_copy_of_what_it_was_given() -> None:
    known = {MEMBER: TOKEN}
    book = TokenBook(known)
    book.set(OTHER_MEMBER, FORGED)
    assert known == {MEMBER: TOKEN}
    assert (book.get(MEMBER), book.get(OTHER_MEMBER), book.get("nobody")) == (TOKEN, FORGED, None)


def test_install_then_events_from_real_bodies() -> None:
    auth = (
        b"&auth%5Bdomain%5D=acme.bitrix24.com&auth%5Bmember_id%5D=0c4f5e9a8b7d6c5e4f3a2b1c0d9e8f7a"
        b"&auth%5Bapplication_token%5D="
    )
    install = key_fields(decode_body(b"event=ONAPPINSTALL" + auth + TOKEN.encode(), ""))
    update = key_fields(decode_body(b"event=ONCRMDEALUPDATE" + auth + TOKEN.encode(), ""))
    forged = key_fields(decode_body(b"event=ONCRMDEALUPDATE" + auth + FORGED.encode(), ""))
    reinstall = key_fields(decode_body(b"event=ONAPPINSTALL" + auth + FORGED.encode(), ""))

    book = TokenBook()
    assert book.judge(update).verified is None  # nothing known before the install
    first = book.judge(install)
    assert first.learn
    assert install.member_id and install.application_token
    book.set(install.member_id, install.application_token)  # the caller's part when learn is True
    assert book.judge(update).verified is True
    assert book.judge(forged).verified is False
    assert book.judge(reinstall).verified is False
    assert book.get(MEMBER) == TOKEN


def test_a_pasted_webhook_token_verifies_its_portal_and_is_learned() -> None:
    book = TokenBook()
    book.expect("webhook-token-1234")
    first = KeyFields(event="ONCRMDEALADD", member_id="m1", application_token="webhook-token-1234")
    verdict = book.judge(first)
    assert (verdict.verified, verdict.learn) == (True, True)
    other = KeyFields(event="ONCRMDEALADD", member_id="m2", application_token="something-else")
    assert book.judge(other).verified is None
