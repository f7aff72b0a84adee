"""Copy as curl: the printed command, run by a real shell and curl, re-sends the exact body."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from b24monitor.core.curl import curl_command, printf_format
from b24monitor.core.model import CapturedEvent

APP_TOKEN = "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"  # what make_delivery puts in (tests/conftest.py)
SHELLS = [s for s in ("sh", "bash") if shutil.which(s)]


@dataclass
class Target:
    url: str
    requests: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)


@pytest_asyncio.fixture
async def target() -> AsyncIterator[Target]:
    got = Target("")

    async def handle(request: web.Request) -> web.Response:
        got.requests.append((await request.read(), dict(request.headers)))
        return web.Response(text="ok")

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    got.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield got
    finally:
        await runner.cleanup()


def stored(body: bytes, content_type: str = "application/x-www-form-urlencoded") -> CapturedEvent:
    return CapturedEvent(
        id=41, received_at=0.0, event="ONCRMDEALUPDATE", member_id=None, domain=None,
        entity_id=None, entity_type_id=None, user_id=None, handler_id=None, ts=None,
        verified=None, status="ok", error=None, size=len(body), content_type=content_type,
        headers=(), body=body, data=None,
    )  # fmt: skip


async def run_in_shell(shell: str, command: str, tmp_path: Path) -> None:
    # A script file, as a paste would be: `sh -c` would hit the 128 KiB argument limit itself.
    script = tmp_path / "command.sh"
    script.write_text(command + "\n", encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        shell, str(script), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert out == b"ok"


BODIES = {
    "binary": b"event=X&data=\x00\x01\xff\xfe'\"%s%%\\n\\\n\r\t$HOME`id`\x7f end",
    "leading-at": b"@/etc/passwd",
    "utf8-text": "event=ONCRMDEALADD&data[TITLE]=Сделка 'quoted' $HOME `x` \\".encode(),
    "large": b"event=X&data=" + b"%41" * 40_000,  # > 64 KiB: printf instead of an argument
}


@pytest.mark.asyncio
@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("name", list(BODIES))
async def test_command_reproduces_any_body_byte_for_byte(
    target: Target, shell: str, name: str, tmp_path: Path
) -> None:
    body = BODIES[name]
    command = curl_command(stored(body, "text/plain; charset=x"), target.url)
    await run_in_shell(shell, command, tmp_path)
    [(received, headers)] = target.requests
    assert received == body
    assert headers["Content-Type"] == "text/plain; charset=x"
    assert headers["X-B24Monitor-Event-Id"] == "41"


@pytest.mark.asyncio
async def test_a_delivery_is_a_readable_command_and_tokens_are_masked_by_default(
    target: Target, make_delivery: Callable[..., bytes], tmp_path: Path
) -> None:
    body = make_delivery()
    revealed = curl_command(stored(body), target.url, reveal_secrets=True)
    assert revealed.startswith(f"curl -sS {target.url} \\\n  -H 'Content-Type:")
    assert "printf" not in revealed  # a form body stays readable
    assert revealed.endswith("--data-binary '" + body.decode() + "'")
    await run_in_shell("sh", revealed, tmp_path)
    masked = curl_command(stored(body), target.url)
    assert APP_TOKEN not in masked
    await run_in_shell("sh", masked, tmp_path)
    assert target.requests[0][0] == body
    assert APP_TOKEN.encode() not in target.requests[1][0]


def test_printf_format_escapes() -> None:
    assert printf_format(b"a%b\\c'd\x00\xff") == "'a%%b\\\\c\\047d\\000\\377'"
