"""ngrok's errors as the agent and its edge write them, turned into one sentence each.

The agent reports a refused session as `authentication failed: <ngrok's text>\\r\\n\\r\\n
ERR_NGROK_<n>` (newer agents add the help link `https://ngrok.com/docs/errors/err_ngrok_<n>`),
and the edge marks the answers it gives instead of forwarding with an `ngrok-error-code` header.
Several refusals share the "authentication failed" prefix (too many agents, agent too old, bad
authtoken), so the code decides, most specific first; text patterns only cover agents that print
no code. Texts reach this module already redacted (no authtoken).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

AUTHTOKEN_PAGE = "https://dashboard.ngrok.com/get-started/your-authtoken"
AGENTS_PAGE = "https://dashboard.ngrok.com/agents"
BILLING_PAGE = "https://dashboard.ngrok.com/billing"
_SAVE_TOKEN = f"from {AUTHTOKEN_PAGE} and save it with `b24monitor tunnel authtoken TOKEN`"
# What Bitrix24 loses when ngrok blocks (spec §3: a failed delivery is never resent).
_LOST = "Bitrix24's deliveries included, and Bitrix24 never resends them"

OFFLINE_SENTENCE = (
    "the ngrok agent cannot reach the ngrok service (no internet or a firewall?) — check the "
    "connection, or pass --public-url if you have a public URL of your own"
)
_OFFLINE = re.compile(
    r"failed to dial|no such host|dial tcp|i/o timeout|connection refused|network is unreachable"
    r"|tls: |x509",
    re.IGNORECASE,
)
# For agents that print no code: the phrase that names the refusal.
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"simultaneous ngrok (agent|client) session"), "ERR_NGROK_108"),
    (re.compile(r"version \"[^\"]*\" is too old"), "ERR_NGROK_121"),
    (re.compile(r"does not look like a proper ngrok"), "ERR_NGROK_105"),
    (re.compile(r"properly formed, but it is invalid"), "ERR_NGROK_107"),
    (re.compile(r"requires a verified account and authtoken"), "ERR_NGROK_4018"),
    (re.compile(r"is already online"), "ERR_NGROK_334"),
    (re.compile(r"reached its HTTP requests limit"), "ERR_NGROK_727"),
)


def help_link(code: str) -> str:
    """ngrok's page for an error code, in ngrok's own format (`…/errors/err_ngrok_108`)."""
    return f"https://ngrok.com/docs/errors/{code.lower()}"


@dataclass(frozen=True)
class NgrokError:
    """An error ngrok reported: its code (if any), ngrok's own first sentence, and details."""

    code: str | None
    text: str  # ngrok's message, first line, without the "authentication failed: " prefix
    url: str | None = None  # the endpoint URL ngrok named (334, 3200)

    @classmethod
    def parse(cls, raw: str) -> NgrokError:
        text = raw.replace("\\r", "\r").replace("\\n", "\n")  # logfmt keeps newlines escaped
        found = re.search(r"ERR_NGROK_\d+", text)
        code = found.group(0) if found else None
        if code is None:
            code = next((c for pattern, c in _PHRASES if pattern.search(text)), None)
        url = re.search(r"endpoint ['\"`]?(\w+://[^\s'\"`]+?)['\"`]? is", text)
        return cls(code, _first_line(text), url.group(1) if url else None)


def _first_line(text: str) -> str:
    for prefix in ("The ngrok process errored on start: ", "authentication failed: "):
        text = text[text.find(prefix) + len(prefix) :] if prefix in text else text
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line.rstrip(".")[:200]


def explain(raw: str, *, domain: str | None = None) -> str | None:
    """The sentence for an agent error we recognise (by code or phrase), else None."""
    error = NgrokError.parse(raw)
    if error.code is not None:
        return _by_code(error, domain)
    if _OFFLINE.search(raw):
        return OFFLINE_SENTENCE
    return None


def explain_edge(code: str, public_url: str, said: str = "") -> str:
    """The sentence for an `ngrok-error-code` header on an answer that ngrok gave itself;
    `said` is that answer's body (plain text or ngrok's HTML page), quoted for codes we do not
    know so the user reads ngrok's own words rather than only a number."""
    return _by_code(NgrokError(code, edge_text(said), public_url), public_url, edge=True)


def edge_text(body: str) -> str:
    """The readable words of an edge answer: tags, the head, scripts and styles dropped, one
    line, the error code itself left out (the sentence names it), at most 200 characters."""
    body = re.sub(r"(?is)<(head|script|style)\b.*?</\1>", " ", body)
    body = re.sub(r"(?s)<[^>]*>", " ", body)
    body = html.unescape(body)
    body = re.sub(r"ERR_NGROK_\d+", " ", body)
    words = " ".join(body.split()).strip(" .")
    return words if len(words) <= 200 else words[:199].rstrip() + "…"


def _versions(text: str) -> str:
    found = re.search(r'version "([^"]+)" is too old.*? is "([^"]+)"', text)
    return f": version {found.group(1)}, your account needs {found.group(2)}" if found else ""


def _by_code(error: NgrokError, domain: str | None, *, edge: bool = False) -> str:
    code = error.code or ""
    number = code.removeprefix("ERR_NGROK_")
    url = error.url or domain or "the endpoint"
    limit = re.search(r"limited to (\d+) simultaneous", error.text)
    sentences = {
        "108": f"your ngrok account allows {limit.group(1) if limit else 'only 1'} agent session "
        f"at a time and another ngrok agent is using it ({code}) — stop that agent (see "
        f"{AGENTS_PAGE}, or another b24monitor) and start again",
        "121": f"ngrok refused the agent as too old{_versions(error.text)} ({code}) — update it "
        "with `ngrok update` or from https://ngrok.com/download",
        "105": f"ngrok says the authtoken is not an ngrok authtoken ({code}) — copy it again "
        f"{_SAVE_TOKEN}",
        "107": f"ngrok rejected the authtoken: it is well formed but no longer valid, e.g. reset "
        f"({code}) — copy the current one {_SAVE_TOKEN}",
        "4018": f"ngrok needs an authtoken ({code}) — get one {_SAVE_TOKEN}",
        "334": f"the ngrok endpoint {url} is already online in another agent ({code}) — stop the "
        "agent that serves it, or pass another --ngrok-domain",
        "727": f"your ngrok account has used up this month's HTTP requests ({code}): ngrok now "
        f"blocks every request to {url}, {_LOST} — upgrade at {BILLING_PAGE} or use --public-url "
        "with a route of your own until the quota resets",
        "734": f"ngrok is rate-limiting your account ({code}: requests over the limit are "
        f"blocked, {_LOST}) — the limit resets within a minute; lower the request rate or "
        f"upgrade at {BILLING_PAGE}",
        "3200": f"ngrok says the endpoint {url} is offline ({code}): no agent is serving it "
        "right now — the agent reconnects by itself; check the internet connection if this "
        "persists",
    }
    if number in sentences:
        return sentences[number]
    if edge:
        said = f' ("{error.text}")' if error.text else ""
        return (
            f"ngrok answered {url} itself with {code}{said} instead of forwarding to this "
            f"b24monitor — see {help_link(code)}"
        )
    return f"ngrok refused the tunnel ({code}: {error.text}) — see {help_link(code)}"
