"""Where a data dir's engine control channel lives and who may open it: socket, token, peer uid.

The engine of a data dir (issue 14) serves `<data dir>/engine.sock`, a unix stream socket made
0600 inside the 0700 data dir, and writes `<data dir>/engine.token` (0600, 32 random bytes as
hex, new at every engine start) that a client must quote in its first line. The server also
asks the kernel who is on the other end (SO_PEERCRED) and serves only its own user.

Where Python has no unix sockets (Windows), or when B24MONITOR_CONTROL=tcp asks for it (tests),
the engine serves the same protocol on loopback TCP instead (ENGINE-PROTOCOL.md): 127.0.0.1 on
an ephemeral port, written to `<data dir>/engine.address` (0600). TCP cannot name the peer's
user, so the token — readable only by this user, in the private data folder — is the guard.
A client follows the files the running engine left: engine.address means TCP, else engine.sock.

A unix socket path is limited to ~107 bytes; a data dir deep in a home folder can exceed that,
so a long path is reached through `/proc/self/fd/<fd of the data dir>/engine.sock` (Linux).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

SOCKET_NAME = "engine.sock"
TOKEN_NAME = "engine.token"
ADDRESS_NAME = "engine.address"  # the TCP transport's `127.0.0.1:port`
TRANSPORT_ENV = "B24MONITOR_CONTROL"  # "tcp": loopback TCP even where unix sockets exist
LOOPBACK = "127.0.0.1"
_MAX_SUN_PATH = 100  # sun_path is 108 bytes on Linux, 104 on macOS; leave room for the NUL


def socket_path(data_dir: Path) -> Path:
    return data_dir / SOCKET_NAME


def token_path(data_dir: Path) -> Path:
    return data_dir / TOKEN_NAME


def address_path(data_dir: Path) -> Path:
    return data_dir / ADDRESS_NAME


def serve_tcp() -> bool:
    """Whether an engine starting now serves loopback TCP rather than a unix socket."""
    return not hasattr(socket, "AF_UNIX") or os.environ.get(TRANSPORT_ENV, "").lower() == "tcp"


def served(data_dir: Path) -> bool:
    """Whether an engine left a channel's address in `data_dir` (it may have died since)."""
    return address_path(data_dir).exists() or socket_path(data_dir).exists()


def write_address(data_dir: Path, port: int) -> None:
    """Record the TCP channel's port (0600), written whole so no reader sees half of it."""
    path = address_path(data_dir)
    partial = path.with_name(ADDRESS_NAME + ".new")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, f"{LOOPBACK}:{port}".encode())
    finally:
        os.close(fd)
    os.replace(partial, path)


def read_address(data_dir: Path) -> tuple[str, int] | None:
    """The TCP channel's (host, port), or None when the engine serves a unix socket (or none)."""
    try:
        host, _, port = address_path(data_dir).read_text().strip().rpartition(":")
    except OSError:
        return None
    return (host, int(port)) if host == LOOPBACK and port.isdigit() else None


@contextlib.contextmanager
def bindable(path: Path) -> Iterator[str]:
    """An address for bind()/connect() that reaches `path` even when it is too long."""
    if len(os.fsencode(path)) <= _MAX_SUN_PATH or not sys.platform.startswith("linux"):
        yield str(path)
        return
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


def write_token(data_dir: Path) -> str:
    """A fresh token in engine.token (0600 whatever the umask); returns it."""
    token = secrets.token_hex(32)
    path = token_path(data_dir)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # a file left by an older umask is narrowed too
        os.write(fd, token.encode())
    finally:
        os.close(fd)
    return token


def read_token(data_dir: Path) -> str | None:
    """The running engine's token, or None when there is none (or it cannot be read)."""
    try:
        return token_path(data_dir).read_text().strip() or None
    except OSError:
        return None


def peer_uid(sock: socket.socket) -> int | None:
    """The uid of the process at the other end of a unix socket; None where the OS cannot say
    (loopback TCP never names it)."""
    if sock.family != getattr(socket, "AF_UNIX", None):
        return None
    if hasattr(socket, "SO_PEERCRED"):  # Linux: struct ucred {pid, uid, gid}
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
        return int(uid)
    return None


def peer_allowed(uid: int | None, own_uid: int) -> bool:
    """Serve only our own user. Where the OS cannot name the peer (None), the socket's 0600
    mode inside the 0700 data dir and the token file are what keep other users out."""
    return uid is None or uid == own_uid
