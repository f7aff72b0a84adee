"""Copy as curl: one stored event as a POSIX shell command that re-sends its exact body.

Ordinary bodies (printable UTF-8, as Bitrix24's percent-encoded forms are) become a single-quoted
`--data-binary` argument. Anything else — control bytes, NUL, invalid UTF-8, a leading `@` (curl
would read a file), or a body too long for one argument — goes through the shell's builtin printf
with octal escapes into `--data-binary @-`, so every byte survives any POSIX shell. Tokens are
masked unless revealed (spec §4): a command is pasted into tickets and chats.
"""

from __future__ import annotations

import shlex

from b24monitor.core.masking import mask_body
from b24monitor.core.model import CapturedEvent
from b24monitor.core.replay import as_recorded

DEFAULT_TARGET = "http://localhost:8000/"
# Linux refuses a single exec argument over 128 KiB (MAX_ARG_STRLEN); printf is a builtin.
_MAX_LITERAL = 64 * 1024


def curl_command(ev: CapturedEvent, target: str, *, reveal_secrets: bool = False) -> str:
    """The curl command that POSTs `ev` to `target` with its content type and event-id header."""
    request = as_recorded(ev)
    body = request.body if reveal_secrets else mask_body(request.body)
    options = [f"curl -sS {shlex.quote(target)}"]
    options += [
        f"-H {shlex.quote(f'{name}: {value}')}"
        for name, value in request.headers("forward").items()
    ]
    if _literal_ok(body):
        options.append(f"--data-binary {shlex.quote(body.decode('utf-8'))}")
        return " \\\n  ".join(options)
    options.append("--data-binary @-")
    return f"printf {printf_format(body)} | " + " \\\n  ".join(options)


def _literal_ok(body: bytes) -> bool:
    if len(body) > _MAX_LITERAL or body[:1] == b"@":
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return text.isprintable()


def printf_format(data: bytes) -> str:
    """A single-quoted printf format that prints exactly `data` (POSIX octal escapes)."""
    out = ["'"]
    for byte in data:
        char = chr(byte)
        if char == "%":
            out.append("%%")
        elif char == "\\":
            out.append("\\\\")
        elif 0x20 <= byte < 0x7F and char != "'":
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")  # quote, controls, NUL and every non-ASCII byte
    out.append("'")
    return "".join(out)
