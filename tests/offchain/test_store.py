"""Artifact store: addresses, local directory, HTTP server and checked client."""

import pytest
from eth_account import Account

from offchain.store import (
    ArtifactCorrupt,
    ArtifactMissing,
    HttpStore,
    LocalStore,
    StoreError,
    StoreServer,
    address_of,
    check_address,
)
from offchain.store.address import normalize
from offchain.store.auth import AllowList

KEY = "0x" + "11" * 32
UPLOADER = Account.from_key(KEY).address


def test_address_is_keccak_of_bytes():
    assert address_of(b"") == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


def test_normalize_accepts_hex_and_raw_bytes():
    a = address_of(b"x")
    assert normalize(a.upper().replace("0X", "0x")) == a
    assert normalize(bytes.fromhex(a[2:])) == a
    with pytest.raises(StoreError, match="malformed address"):
        normalize("0x1234")


def test_check_address_rejects_other_bytes():
    with pytest.raises(ArtifactCorrupt, match="is corrupt"):
        check_address(address_of(b"a"), b"b")


def test_local_put_get_roundtrip(tmp_path):
    store = LocalStore(tmp_path)
    addr = store.put(b"dataset bytes")
    assert addr == address_of(b"dataset bytes")
    assert store.put(b"dataset bytes") == addr  # idempotent
    assert store.has(addr)
    assert store.get(addr) == b"dataset bytes"


def test_local_missing_and_corrupt(tmp_path):
    store = LocalStore(tmp_path)
    with pytest.raises(ArtifactMissing, match="not found"):
        store.get(address_of(b"nothing"))
    addr = store.put(b"checkpoint")
    store.path(addr).write_bytes(b"tampered")
    with pytest.raises(ArtifactCorrupt, match="is corrupt"):
        store.get(addr)


@pytest.fixture
def server(tmp_path):
    with StoreServer(LocalStore(tmp_path / "server"), port=0, authorize=AllowList([UPLOADER])) as srv:
        yield srv


def test_http_roundtrip_fills_cache(server, tmp_path):
    cache = LocalStore(tmp_path / "cache")
    client = HttpStore(server.url, cache=cache, key=KEY)
    addr = client.put(b"program")
    assert server.store.get(addr) == b"program"
    assert HttpStore(server.url).get(addr) == b"program"
    assert cache.has(addr)
    assert client.has(addr)


def test_http_missing(server):
    with pytest.raises(ArtifactMissing, match="not found"):
        HttpStore(server.url).get(address_of(b"never published"))
    assert not HttpStore(server.url).has(address_of(b"never published"))


def test_http_detects_corruption_on_server(server):
    client = HttpStore(server.url, key=KEY)
    addr = client.put(b"weights")
    server.store.path(addr).write_bytes(b"weightz")
    with pytest.raises(ArtifactCorrupt, match="is corrupt"):
        client.get(addr)


def test_http_refetches_corrupt_cache(server, tmp_path):
    cache = LocalStore(tmp_path / "cache")
    addr = HttpStore(server.url, key=KEY).put(b"spec")
    cache.put(b"spec")
    cache.path(addr).write_bytes(b"spoc")
    assert HttpStore(server.url, cache=cache).get(addr) == b"spec"
    assert cache.get(addr) == b"spec"


def test_http_unreachable():
    with pytest.raises(StoreError, match="cannot reach"):
        HttpStore("http://127.0.0.1:1", retries=1).get(address_of(b"x"))
