"""The capture path end to end over real loopback HTTP: receive, acknowledge after commit, store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from b24monitor.core.errors import StoreCorrupt, StoreTooNew
from b24monitor.services.receiver import ReceiverSettings
from b24monitor.services.session import DB_NAME, Session, SessionConfig
from b24monitor.services.store import EventStore

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest_asyncio.fixture
async def session(tmp_path: Path) -> AsyncIterator[Session]:
    s = Session(SessionConfig(data_dir=tmp_path, receiver=ReceiverSettings(body_limit=64 * 1024)))
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


async def post(s: Session, body: bytes, headers: dict[str, str] = FORM) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(s.handler_url, content=body, headers=headers)


@pytest.mark.asyncio
async def test_delivery_is_stored_before_it_is_acknowledged(
    session: Session, make_delivery: Callable[..., bytes]
) -> None:
    response = await post(session, make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "77"}}))
    assert response.status_code == 200
    # A second, independent connection sees it the moment the 200 arrived.
    reader = EventStore(session.db_path)
    events = list(reader.iter_events())
    reader.close()
    assert [(e.event, e.entity_id, e.status) for e in events] == [("ONCRMDEALADD", "77", "ok")]
    assert events[0].body == make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "77"}})


@pytest.mark.asyncio
async def test_listeners_get_ids_once_per_batch(
    session: Session, make_delivery: Callable[..., bytes]
) -> None:
    batches: list[list[int]] = []
    session.committed.connect(batches.append)
    async with httpx.AsyncClient() as client:
        responses = await asyncio.gather(
            *(client.post(session.handler_url, content=make_delivery(), headers=FORM)
              for _ in range(50))
        )  # fmt: skip
    assert {r.status_code for r in responses} == {200}
    for _ in range(50):
        if sum(map(len, batches)) == 50:
            break
        await asyncio.sleep(0.02)
    assert sorted(i for b in batches for i in b) == list(range(1, 51))
    assert len(batches) < 50  # concurrent deliveries share commits


@pytest.mark.asyncio
async def test_install_teaches_the_token_and_a_forgery_is_rejected(
    session: Session, make_delivery: Callable[..., bytes]
) -> None:
    before = await post(session, make_delivery("ONCRMDEALADD"))
    install = await post(session, make_delivery("ONAPPINSTALL", {"VERSION": "1"}))
    good = await post(session, make_delivery("ONCRMDEALUPDATE"))
    forged = await post(session, make_delivery("ONCRMDEALDELETE", token="f" * 32))
    assert [r.status_code for r in (before, install, good, forged)] == [200, 200, 200, 403]
    assert session.store is not None
    events = list(session.store.iter_events())
    assert [e.verified for e in events] == [None, None, True, False]
    assert events[3].status == "rejected"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"", FORM["Content-Type"], 400),
        (b"data[FIELDS][ID]=1", FORM["Content-Type"], 400),  # no event
        (b"event=X&bad=%ff", FORM["Content-Type"], 400),  # invalid UTF-8
        (b"\xff\xfe", FORM["Content-Type"], 400),
        (b"event=X&" + b"a" + b"[x]" * 10_000 + b"=1", FORM["Content-Type"], 400),
        (b'{"event": ', "application/json", 400),
        (b'["event"]', "application/json", 400),
    ],
)
async def test_malformed_bodies_are_kept_raw_and_answered_400(
    session: Session, body: bytes, content_type: str, status: int
) -> None:
    response = await post(session, body, {"Content-Type": content_type})
    assert response.status_code == status
    assert session.store is not None
    [event] = list(session.store.iter_events())
    assert (event.status, event.body, event.http_status) == ("malformed", body, 400)
    assert event.error
    ok = await post(session, b"event=ONAPPTEST&auth%5Bmember_id%5D=m", FORM)
    assert ok.status_code == 200  # and the receiver keeps serving


@pytest.mark.asyncio
async def test_json_body_is_accepted(session: Session) -> None:
    body = b'{"event": "onCrmLeadAdd", "data": {"FIELDS": {"ID": 5}}, "auth": {"member_id": "m"}}'
    response = await post(session, body, {"Content-Type": "application/json"})
    assert response.status_code == 200
    assert session.store is not None
    [event] = list(session.store.iter_events())
    assert (event.event, event.entity_id) == ("ONCRMLEADADD", "5")


@pytest.mark.asyncio
async def test_wrong_method_unknown_path_and_oversized_body(session: Session) -> None:
    async with httpx.AsyncClient() as client:
        get = await client.get(session.handler_url)
        stray = await client.post(session.local_url + "/wp-login.php", content=b"x")
        other = await client.get(session.local_url + "/b24/guess/events")
        big = await client.post(session.handler_url, content=b"a" * (65 * 1024), headers=FORM)
        health = await client.get(session.local_url + "/healthz")
    assert (get.status_code, stray.status_code, other.status_code) == (405, 404, 404)
    assert big.status_code == 413
    assert health.status_code == 200
    assert session.capture is not None and session.capture.stray_hits == 2
    assert session.store is not None
    for _ in range(300):  # the 413's metadata, for the table, follows its answer
        if session.store.count():
            break
        await asyncio.sleep(0.05)
    [refused] = list(session.store.iter_events())
    assert (refused.http_status, refused.size, refused.body) == (413, 65 * 1024, b"")


@pytest.mark.asyncio
async def test_oversized_chunked_body_is_refused_without_reading_it_all(session: Session) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10_000):  # 640 MB if the receiver read it all
            yield b"a" * 65536

    async with httpx.AsyncClient() as client:
        try:
            response = await client.post(session.handler_url, content=chunks(), headers=FORM)
        except httpx.HTTPError:
            return  # the server closed the connection mid-upload: also a refusal
    assert response.status_code == 413


@pytest.mark.asyncio
async def test_stalled_client_times_out_without_blocking_others(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    config = SessionConfig(data_dir=tmp_path, receiver=ReceiverSettings(body_timeout_s=0.5))
    s = Session(config)
    await s.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", s.capture.port)  # type: ignore[union-attr]
        writer.write(
            f"POST {s.handler_path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n\r\nevent=ON".encode()
        )
        await writer.drain()
        ok = await post(s, make_delivery())  # served while the other one stalls
        assert ok.status_code == 200
        status_line = await asyncio.wait_for(reader.readline(), 5)
        assert b" 408 " in status_line
        writer.close()
    finally:
        await s.stop()


@pytest.mark.asyncio
async def test_handler_path_is_secret_and_stable_per_data_dir(tmp_path: Path) -> None:
    first = Session(SessionConfig(data_dir=tmp_path))
    await first.start()
    path = first.handler_path
    await first.stop()
    second = Session(SessionConfig(data_dir=tmp_path))
    await second.start()
    await second.stop()
    other = Session(SessionConfig(data_dir=tmp_path / "other"))
    await other.start()
    await other.stop()
    assert second.handler_path == path != other.handler_path
    secret = path.split("/")[2]
    assert len(secret) >= 22


def test_corrupt_database_is_named_and_left_alone(tmp_path: Path) -> None:
    db = tmp_path / DB_NAME
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreCorrupt, match=str(db)):
        EventStore(db)
    assert db.read_bytes() == b"this is not sqlite" * 100


def test_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    db = tmp_path / DB_NAME
    EventStore(db).close()
    import sqlite3

    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(StoreTooNew, match="newer b24monitor"):
        EventStore(db)


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / DB_NAME
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE mine (x)")
    conn.close()
    with pytest.raises(StoreCorrupt, match="not a b24monitor database"):
        EventStore(db)
