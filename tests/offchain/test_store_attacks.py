"""Attacks on the artifact store and its downloader (issue 15, item 3).

Each test is named for the attack it tries. On the old store (ThreadingHTTPServer,
unsigned PUT read whole into memory, bytes kept before the address was compared,
HEAD reading the file, a requests client with a per-recv timeout) each of them
fails: the mismatched upload was stored, a half-sent PUT held its bytes in RSS,
300 idle connections held 300 threads for ever, HEAD opened the file, anybody
could upload, and the downloader read any body whole with no overall deadline.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
import requests
from eth_account import Account

from offchain.chain.anvil import free_port
from offchain.store import HttpStore, LocalStore, ServerLimits, StoreError, StoreServer, address_of
from offchain.store.auth import AllowList, sign_upload

KEY = "0x" + "11" * 32
UPLOADER = Account.from_key(KEY).address
OTHER_KEY = "0x" + "22" * 32
ROOT = Path(__file__).resolve().parents[2]
MB = 1 << 20


def _raw_put(url: str, addr: str, length: int, headers: dict[str, str]) -> socket.socket:
    """A socket that has sent the head of `PUT /addr` with Content-Length `length`."""
    host, port = url.removeprefix("http://").split(":")
    s = socket.create_connection((host, int(port)), timeout=10)
    head = f"PUT /{addr} HTTP/1.1\r\nHost: store\r\nContent-Length: {length}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    s.sendall(head.encode())
    return s


def _stored_files(root: Path) -> list[Path]:
    """Every artifact file (and partial upload) under a store directory."""
    return [p for p in root.rglob("*") if p.is_file() and p.name != ".uploads.sqlite"
            and not p.name.startswith(".uploads.sqlite")]


@pytest.fixture
def served(tmp_path):
    """`serve` in its own process (so its RSS is its own): yields (url, pid, store dir)."""
    port = free_port()
    store_dir = tmp_path / "served"
    env = {**os.environ, "TT_STORE_DIR": str(store_dir), "TT_STORE_UPLOADERS": UPLOADER,
           "TT_STORE_MAX_ARTIFACT": str(128 * MB), "TT_CONFIG": ""}
    proc = subprocess.Popen([sys.executable, "-m", "offchain", "serve", "--port", str(port)], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        client = HttpStore(url, retries=1, timeout=1)
        for _ in range(200):
            if client.healthy():
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("store did not start")
        client = HttpStore(url, key=KEY)
        client.put(os.urandom(4 * MB))  # warm up: imports, pool threads, first buffers
        client.get(client.put(os.urandom(4 * MB)))
        yield url, proc.pid, store_dir
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _rss(pid: int) -> int:
    return psutil.Process(pid).memory_info().rss


@pytest.fixture
def server(tmp_path):
    with StoreServer(LocalStore(tmp_path / "server"), authorize=AllowList([UPLOADER]),
                     limits_=ServerLimits(header_timeout=1.0, idle_timeout=1.0, quota=4 * MB)) as srv:
        yield srv


def test_attack_mismatched_upload_leaves_nothing_stored(server):
    good, evil = b"the real checkpoint", b"a forged checkpoint"
    addr = address_of(good)
    r = requests.put(f"{server.url}/{addr}", data=evil, headers=sign_upload(KEY, addr, len(evil)))
    assert r.status_code == 400 and "hashes to" in r.json()["error"]
    assert not server.store.has(addr) and not server.store.has(address_of(evil))
    assert _stored_files(server.store.root) == []
    assert server.ledger.used(UPLOADER) == 0  # nothing charged either
    assert HttpStore(server.url, key=KEY).put(good) == addr  # the real bytes still go in


def test_attack_oversized_upload_refused_and_server_memory_flat(served):
    url, pid, store_dir = served
    addr = address_of(b"x")
    size = 2 << 30  # declared 2 GiB against a 128 MiB limit
    before = _rss(pid)
    s = _raw_put(url, addr, size, sign_upload(KEY, addr, size))
    sent = 0
    try:
        while sent < 200 * MB:
            s.sendall(b"\0" * MB)
            sent += MB
    except OSError:
        pass  # the server answered and closed: it does not read what it refused
    reply = b""
    try:
        reply = s.recv(4096)
    except OSError:
        pass
    s.close()
    assert sent < 200 * MB or reply.startswith(b"HTTP/1.1 413")
    assert _rss(pid) - before < 16 * MB
    assert not any(p.parent.name != ".tmp" for p in _stored_files(store_dir) if addr in p.name)


def test_attack_half_sent_100mb_put_holds_no_memory(served):
    url, pid, store_dir = served
    body_size = 100 * MB
    addr = address_of(b"never completed")
    before = _rss(pid)
    s = _raw_put(url, addr, body_size, sign_upload(KEY, addr, body_size))
    chunk = b"\x5a" * MB
    for _ in range(60):  # 60 MB of 100 MB, then stall
        s.sendall(chunk)
    time.sleep(1.0)
    grown = _rss(pid) - before
    assert grown < 24 * MB, f"server RSS grew {grown / MB:.0f} MB for a half-sent upload"
    s.close()  # the upload never completes: nothing may be kept
    deadline = time.time() + 10
    while time.time() < deadline and list((store_dir / ".tmp").glob("up-*")):
        time.sleep(0.1)
    assert list((store_dir / ".tmp").glob("up-*")) == []
    assert not LocalStore(store_dir).has(addr)


def test_attack_300_idle_half_open_connections_time_out_and_threads_stay_bounded(server):
    threads_before = threading.active_count()
    socks = []
    host, port = server.url.removeprefix("http://").split(":")
    for i in range(300):
        s = socket.create_connection((host, int(port)), timeout=10)
        if i % 2:  # half of them send an unfinished request head
            s.sendall(b"PUT /0x" + b"ab" * 32 + b" HTTP/1.1\r\nHost: store\r\n")
        socks.append(s)
    slow = socket.create_connection((host, int(port)), timeout=10)  # slowloris: a byte at a time
    assert threading.active_count() - threads_before <= ServerLimits().workers + 1
    start = time.time()
    slow_dropped = False
    for b in b"GET /health HTTP/1.1\r\nHost: store\r\nX-Pad: " + b"a" * 100:
        try:
            slow.send(bytes([b]))
        except OSError:
            slow_dropped = True
            break
        time.sleep(0.05)
    closed = 0
    for s in socks:
        s.settimeout(max(0.1, 5 - (time.time() - start)))
        try:
            closed += s.recv(1) == b""
        except ConnectionResetError:
            closed += 1
        except TimeoutError:
            pass
        s.close()
    slow.settimeout(1)
    try:
        slow_dropped = slow_dropped or slow.recv(1) == b""
    except (ConnectionResetError, TimeoutError):
        slow_dropped = True
    slow.close()
    assert closed == 300, f"only {closed} of 300 idle connections were dropped"
    assert slow_dropped, "a connection trickling its request head was not dropped"
    assert time.time() - start < 8
    assert threading.active_count() - threads_before <= ServerLimits().workers + 1
    assert HttpStore(server.url, key=KEY).get(HttpStore(server.url, key=KEY).put(b"still serving"))


_opened: list[str] | None = None


def _audit(event, args):
    if event == "open" and _opened is not None and args and isinstance(args[0], (str, bytes, os.PathLike)):
        _opened.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


def test_attack_concurrent_heads_do_not_read_files(server):
    global _opened
    data = os.urandom(3 * MB)
    addr = HttpStore(server.url, key=KEY).put(data)
    path = str(server.store.path(addr))
    _opened = []
    try:
        with ThreadPoolExecutor(8) as ex:
            heads = list(ex.map(lambda _: requests.head(f"{server.url}/{addr}", timeout=5), range(8)))
        opened = [p for p in _opened if p == path]
    finally:
        _opened = None
    assert [h.status_code for h in heads] == [200] * 8
    assert {int(h.headers["Content-Length"]) for h in heads} == {len(data)}
    assert opened == [], "HEAD opened the artifact file"


def test_attack_unauthorised_upload_refused(server):
    addr = address_of(b"spam")
    unsigned = requests.put(f"{server.url}/{addr}", data=b"spam")
    assert unsigned.status_code == 401
    stranger = requests.put(f"{server.url}/{addr}", data=b"spam", headers=sign_upload(OTHER_KEY, addr, 4))
    assert stranger.status_code == 403 and "may not upload" in stranger.json()["error"]
    with pytest.raises(StoreError, match="refused \\(403\\)"):
        HttpStore(server.url, key=OTHER_KEY).put(b"spam")
    expired = sign_upload(KEY, addr, 4, now=time.time() - 3600)
    assert requests.put(f"{server.url}/{addr}", data=b"spam", headers=expired).status_code == 401
    forever = sign_upload(KEY, addr, 4, ttl=10**9)  # a signature replayable for decades
    assert requests.put(f"{server.url}/{addr}", data=b"spam", headers=forever).status_code == 401
    other_size = sign_upload(KEY, addr, 5)  # signed for another size: recovers another signer
    assert requests.put(f"{server.url}/{addr}", data=b"spam", headers=other_size).status_code == 403
    assert not server.store.has(addr) and _stored_files(server.store.root) == []


def test_attack_over_quota_upload_refused(server):
    client = HttpStore(server.url, key=KEY)
    client.put(os.urandom(3 * MB))
    big = os.urandom(2 * MB)  # 3 + 2 MiB > the 4 MiB quota
    with pytest.raises(StoreError, match="over its quota"):
        client.put(big)
    assert not server.store.has(address_of(big))
    assert server.ledger.used(UPLOADER) == 3 * MB
    assert client.put(b"small enough") == address_of(b"small enough")


def test_attack_unsized_or_chunked_upload_refused(server):
    addr = address_of(b"chunks")

    def gen():
        yield b"chunks"
    r = requests.put(f"{server.url}/{addr}", data=gen(), headers=sign_upload(KEY, addr, 6))
    assert r.status_code == 411 and not server.store.has(addr)


# --- the downloader against a hostile server ------------------------------------------------


class HostileServer:
    """A raw TCP server answering every connection with `script(conn)`."""

    def __init__(self, script):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.script = script
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn):
        try:
            conn.recv(65536)
            self.script(conn, self.stop)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        self.thread.join(timeout=2)
        self.sock.close()


def _trickle_body(conn, stop):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
    while not stop.is_set():
        conn.sendall(b"x")
        time.sleep(0.2)


def _trickle_head(conn, stop):
    for b in b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"y" * 10_000:
        if stop.is_set():
            return
        conn.sendall(bytes([b]))
        time.sleep(0.2)


@pytest.mark.parametrize("script", [_trickle_body, _trickle_head], ids=["body", "head"])
def test_attack_trickling_server_cannot_outlast_the_deadline(script):
    hostile = HostileServer(script)
    try:
        start = time.monotonic()
        with pytest.raises(StoreError, match="did not finish within 2 s"):
            HttpStore(hostile.url, timeout=2.0, retries=3).get(address_of(b"model"))
        took = time.monotonic() - start
    finally:
        hostile.close()
    assert took < 2.8, f"a 2 s deadline returned after {took:.1f} s"


def test_attack_huge_declared_body_refused_before_reading():
    def huge(conn, stop):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1610612736\r\n\r\n")  # 1.5 GiB
        while not stop.is_set():
            conn.sendall(b"\0" * MB)
    hostile = HostileServer(huge)
    rss = psutil.Process().memory_info().rss
    try:
        with pytest.raises(StoreError, match="over the limit"):
            HttpStore(hostile.url, timeout=10, max_size=64 * MB).get(address_of(b"model"))
    finally:
        hostile.close()
    assert psutil.Process().memory_info().rss - rss < 64 * MB


def test_attack_endless_undeclared_body_stops_at_the_size_cap():
    def endless(conn, stop):
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")  # no length: read to EOF
        while not stop.is_set():
            conn.sendall(b"\0" * MB)
    hostile = HostileServer(endless)
    rss = psutil.Process().memory_info().rss
    try:
        start = time.monotonic()
        with pytest.raises(StoreError, match="over the limit of 8388608 bytes"):
            HttpStore(hostile.url, timeout=10, max_size=8 * MB).get(address_of(b"model"))
        assert time.monotonic() - start < 5
    finally:
        hostile.close()
    assert psutil.Process().memory_info().rss - rss < 64 * MB
