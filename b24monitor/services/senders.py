"""The senders a session knows from its profiles: each one's application token with its label.

Spec §4: a portal has one token per app and per outgoing webhook, so every profile's token is
known to verification at once, labelled with what the user calls it: the profile's name for a
local application, "webhook NAME" for an outgoing webhook (whose portal is learned from its first
delivery, §4 step 4).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from b24monitor.core.verification import Sender
from b24monitor.services.profiles import Profile


def label_of(profile: Profile) -> str:
    """How deliveries carrying this profile's token are named ("dev-app", "webhook crm-sync")."""
    return f"webhook {profile.name}" if profile.kind == "webhook" else profile.name


def profile_senders(profiles: Iterable[Profile]) -> tuple[list[Sender], list[tuple[str, str]]]:
    """(senders of known portals, (token, label) of tokens whose portal is not known yet)."""
    known: list[Sender] = []
    expected: list[tuple[str, str]] = []
    for profile in profiles:
        if not profile.application_token:
            continue
        if profile.member_id:
            known.append(Sender(profile.member_id, profile.application_token, label_of(profile)))
        else:
            expected.append((profile.application_token, label_of(profile)))
    return known, expected


def profile_known_notice(profile: Profile) -> dict[str, Any]:
    """The notice for a profile another process added while this session runs."""
    label = label_of(profile)
    return {
        "type": "profile_known",
        "profile": profile.name,
        "sender": label,
        "message": f"profile “{profile.name}” added: deliveries with its token now show "
        f"as ✔ {label}.",
    }
