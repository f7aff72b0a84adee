"""Test fixtures from stored events: the raw form body and its decoded JSON, anonymised.

Every token, `member_id` and portal domain is replaced by a fake one, and the same real value
gets the same fake value in every file of one run, so fixtures of one portal still belong
together (a PHPUnit test can compare application_token across files). Form bodies keep every
other byte as received: only the pairs holding a replaced value are re-encoded, PHP-style
(spec §1.3). The `.json` file is exactly what the `.form` file decodes to, so a test can check
`parse_str(file_get_contents(...)) == json_decode(...)`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus, urlsplit

from b24monitor.core.decoding import decode_body
from b24monitor.core.errors import UsageError
from b24monitor.core.masking import is_secret_key
from b24monitor.core.model import CapturedEvent
from b24monitor.core.phpform import build_form, parse_form

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MIN_SUBSTRING = 6  # shorter secrets are replaced only as whole values, never inside other text


@dataclass(frozen=True, slots=True)
class Fixture:
    """One event's fixture files: `<stem>.form` (raw body) and `<stem>.json` (decoded)."""

    stem: str
    form: bytes
    payload: dict[str, Any]

    def files(self) -> dict[str, bytes]:
        text = json.dumps(self.payload, ensure_ascii=False, indent=2) + "\n"
        return {f"{self.stem}.form": self.form, f"{self.stem}.json": text.encode("utf-8")}


class Anonymiser:
    """Real secret → stable fake, shared by every event of one run."""

    def __init__(self) -> None:
        self.fakes: dict[str, str] = {}
        self._counts = {"member": 0, "domain": 0}

    def learn(self, node: Any, key: str = "") -> None:
        """Remember every token, member_id and domain in a decoded payload."""
        if isinstance(node, dict):
            for k, v in node.items():
                self.learn(v, str(k))
        elif isinstance(node, list):
            for item in node:
                self.learn(item, key)
        elif isinstance(node, str) and node:
            folded = key.casefold()
            if is_secret_key(key):
                self._fake(node, lambda n: f"fake-{folded.replace('_', '-')}-{n}", "token")
            elif folded == "member_id":
                self._fake(node, lambda n: f"fa4e{n:028x}", "member")
            elif folded == "domain":
                self._fake(node, lambda n: f"portal{n}.example.com", "domain")
            elif folded == "client_endpoint" and urlsplit(node).hostname:
                # The portal's REST URL names its host; after a rename it may differ (spec §4).
                host = urlsplit(node).hostname or ""
                self._fake(host, lambda n: f"portal{n}.example.com", "domain")

    def _fake(self, real: str, make: Callable[[int], str], kind: str) -> None:
        if real in self.fakes:
            return
        self._counts[kind] = self._counts.get(kind, 0) + 1
        self.fakes[real] = make(self._counts[kind])

    def text(self, value: str) -> str:
        """`value` with every known real secret in it replaced by its fake."""
        if value in self.fakes:
            return self.fakes[value]
        for real in sorted(self.fakes, key=len, reverse=True):
            if len(real) >= _MIN_SUBSTRING and real in value:
                value = value.replace(real, self.fakes[real])
        return value

    def payload(self, node: Any) -> Any:
        if isinstance(node, dict):
            return {k: self.payload(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.payload(item) for item in node]
        return self.text(node) if isinstance(node, str) else node

    def form(self, body: bytes) -> bytes:
        """The form body with replaced values re-encoded; all other pairs byte for byte."""
        return b"&".join(self._pair(pair) for pair in body.split(b"&"))

    def _pair(self, pair: bytes) -> bytes:
        raw_key, sep, raw_value = pair.partition(b"=")
        value = unquote_plus(raw_value.decode("utf-8"))
        fake = self.text(value)
        if not sep or fake == value:
            return pair
        return raw_key + b"=" + build_form({"v": fake}).encode("ascii")[2:]


def make_fixtures(events: Iterable[CapturedEvent]) -> list[Fixture]:
    """Anonymised fixtures of `events`; an undecodable event is refused (it cannot be cleaned)."""
    chosen = list(events)
    anonymiser = Anonymiser()
    for ev in chosen:
        if ev.data is None:
            raise UsageError(
                f"event #{ev.id} could not be decoded, so its secrets cannot be removed safely; "
                "leave it out of the fixtures"
            )
        anonymiser.learn(ev.data)
    return [_fixture(ev, anonymiser) for ev in chosen]


def _fixture(ev: CapturedEvent, anonymiser: Anonymiser) -> Fixture:
    stem = f"{ev.id}-{_UNSAFE.sub('_', ev.event or 'UNKNOWN')}"
    mime = ev.content_type.partition(";")[0].strip().lower()
    if mime.endswith(("/json", "+json")) or ev.body[:1] == b"{":
        # A JSON test body (decoding.py accepts those): the fixture is the form Bitrix24 would
        # have sent instead (spec §1.2).
        form = build_form(anonymiser.payload(decode_body(ev.body, ev.content_type))).encode()
    else:
        form = anonymiser.form(ev.body)
    return Fixture(stem, form, parse_form(form))
