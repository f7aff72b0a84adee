"""Token verification (spec §4): a delivery is trusted only if it carries a token of one of its
portal's senders, and it is named after that sender."""

from __future__ import annotations

import pytest

from b24monitor.core.decoding import decode_body, key_fields
from b24monitor.core.model import KeyFields
from b24monitor.core.verification import LEARNED, Sender, TokenBook, Verdict

MEMBER = "0c4f5e9a8b7d6c5e4f3a2b1c0d9e8f7a"
OTHER_MEMBER = "ffffeeeeddddccccbbbbaaaa99998888"
TOKEN = "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"
FORGED = "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4c"
STAGING = "0123456789abcdef0123456789abcdef"
HOOK = "fedcba9876543210fedcba9876543210"


def delivery(
    event: str = "ONCRMDEALUPDATE", member: str | None = MEMBER, token: str | None = TOKEN
) -> KeyFields:
    return KeyFields(event=event, member_id=member, application_token=token)


def book_of(*senders: tuple[str, str, str]) -> TokenBook:
    return TokenBook(Sender(*s) for s in senders)


DEV = (MEMBER, TOKEN, "dev-app")


def test_a_known_portal_with_the_right_token_is_verified_and_named() -> None:
    verdict = book_of(DEV).judge(delivery())
    assert verdict == Verdict(True, "token matches", sender="dev-app")


def test_every_sender_of_one_portal_is_verified_under_its_own_name() -> None:
    book = book_of(DEV, (MEMBER, STAGING, "staging-app"), (MEMBER, HOOK, "webhook crm-sync"))
    names = [book.judge(delivery(token=t)).sender for t in (TOKEN, STAGING, HOOK)]
    assert names == ["dev-app", "staging-app", "webhook crm-sync"]
    assert all(book.judge(delivery(token=t)).verified for t in (TOKEN, STAGING, HOOK))


def test_a_wrong_token_for_a_known_portal_is_rejected() -> None:
    verdict = book_of(DEV).judge(delivery(token=FORGED))
    assert verdict == Verdict(
        False, "application_token matches none of the senders known for this portal"
    )


@pytest.mark.parametrize("token", [None, ""])
def test_a_known_portal_without_a_token_is_rejected(token: str | None) -> None:
    verdict = book_of(DEV).judge(delivery(token=token))
    assert verdict == Verdict(False, "delivery carries no application_token")


def test_tokens_of_other_lengths_and_non_ascii_are_rejected_not_crashed() -> None:
    book = book_of(DEV)
    for token in (TOKEN[:-1], TOKEN + "0", "ключ", TOKEN.upper()):
        assert book.judge(delivery(token=token)).verified is False


def test_an_unknown_portal_cannot_be_judged_yet() -> None:
    verdict = book_of((OTHER_MEMBER, TOKEN, "x")).judge(delivery())
    assert verdict == Verdict(None, "no application token known for this portal yet")


@pytest.mark.parametrize("event", ["ONAPPINSTALL", "ONAPPUPDATE"])
def test_install_or_update_of_an_unknown_portal_teaches_its_token(event: str) -> None:
    verdict = TokenBook().judge(delivery(event=event))
    assert verdict == Verdict(None, "first install: token learned", True, LEARNED)


def test_an_install_without_a_token_teaches_nothing() -> None:
    verdict = TokenBook().judge(delivery(event="ONAPPINSTALL", token=None))
    assert verdict == Verdict(None, "no application token known for this portal yet")


@pytest.mark.parametrize("event", ["ONAPPINSTALL", "ONAPPUPDATE"])
def test_an_install_with_a_new_token_for_a_known_portal_must_be_proved(event: str) -> None:
    verdict = book_of(DEV).judge(delivery(event=event, token=FORGED))
    assert (verdict.verified, verdict.learn, verdict.prove) == (None, False, True)


def test_a_reinstall_with_the_same_token_is_verified() -> None:
    verdict = book_of(DEV).judge(delivery(event="ONAPPINSTALL"))
    assert verdict == Verdict(True, "token matches", sender="dev-app")


def test_an_uninstall_from_an_unknown_portal_is_not_learned() -> None:
    verdict = TokenBook().judge(delivery(event="ONAPPUNINSTALL"))
    assert (verdict.verified, verdict.learn) == (None, False)


def test_an_uninstall_with_an_unknown_token_is_rejected_not_proved() -> None:
    verdict = book_of(DEV).judge(delivery(event="ONAPPUNINSTALL", token=FORGED))
    assert (verdict.verified, verdict.prove) == (False, False)


@pytest.mark.parametrize("member", [None, ""])
def test_a_delivery_without_member_id_cannot_be_judged(member: str | None) -> None:
    book = book_of(DEV)
    for event in ("ONCRMDEALUPDATE", "ONAPPINSTALL"):
        verdict = book.judge(delivery(event=event, member=member))
        assert (verdict.verified, verdict.learn) == (None, False)


def test_judging_never_changes_the_book() -> None:
    book = TokenBook()
    book.judge(delivery(event="ONAPPINSTALL"))
    assert book.senders(MEMBER) == {}
    assert book.judge(delivery()).verified is None


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
    assert first.learn and first.sender == LEARNED
    assert install.member_id and install.application_token
    book.add(install.member_id, install.application_token, LEARNED)  # the caller's part
    assert book.judge(update).verified is True
    assert book.judge(update).sender == LEARNED
    assert book.judge(forged).verified is False
    assert book.judge(reinstall).prove  # a new token: proved or rejected by the caller
    assert book.senders(MEMBER) == {TOKEN: LEARNED}


def test_a_pasted_webhook_token_verifies_its_portal_and_is_learned() -> None:
    book = TokenBook()
    book.expect("webhook-token-1234", "webhook crm-sync")
    first = KeyFields(event="ONCRMDEALADD", member_id="m1", application_token="webhook-token-1234")
    verdict = book.judge(first)
    assert (verdict.verified, verdict.learn, verdict.sender) == (True, True, "webhook crm-sync")
    other = KeyFields(event="ONCRMDEALADD", member_id="m2", application_token="something-else")
    assert book.judge(other).verified is None


def test_a_pasted_webhook_token_is_verified_on_a_portal_known_through_an_app() -> None:
    book = book_of(DEV)
    book.expect(HOOK, "webhook crm-sync")
    verdict = book.judge(delivery(token=HOOK))
    assert (verdict.verified, verdict.sender) == (True, "webhook crm-sync")
