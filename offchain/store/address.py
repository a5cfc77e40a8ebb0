"""Artifact addresses (0x-prefixed keccak256 of the bytes) and the store's errors."""

from __future__ import annotations

import re

from Crypto.Hash import keccak as _keccak
from eth_hash.auto import keccak

_ADDR = re.compile(r"^0x[0-9a-f]{64}$")


class StoreError(Exception):
    """Any failure to publish or fetch an artifact."""


class ArtifactMissing(StoreError):
    """No artifact with that address is held by the store."""


class ArtifactCorrupt(StoreError):
    """The bytes returned for an address do not hash to it."""


def address_of(data: bytes) -> str:
    """The content address of `data`: '0x' + hex keccak256."""
    return "0x" + keccak(bytes(data)).hex()


def hasher():
    """An incremental keccak256 (`update`, `digest`) holding O(1) memory. (eth_hash's
    `keccak.new` keeps every part it was fed: 1 GiB hashed is 1 GiB held.)"""
    return _keccak.new(digest_bits=256)


def normalize(addr: str | bytes) -> str:
    """Canonical lower-case 0x form of an address given as hex text or 32 raw bytes."""
    if isinstance(addr, (bytes, bytearray)):
        if len(addr) != 32:
            raise StoreError(f"store: an address is 32 bytes, got {len(addr)}")
        return "0x" + bytes(addr).hex()
    a = addr.lower()
    if not a.startswith("0x"):
        a = "0x" + a
    if not _ADDR.match(a):
        raise StoreError(f"store: malformed address {addr!r}")
    return a


def check_address(addr: str | bytes, data: bytes) -> bytes:
    """Return `data` if it hashes to `addr`, else raise ArtifactCorrupt."""
    want = normalize(addr)
    got = address_of(data)
    if got != want:
        raise ArtifactCorrupt(f"store: artifact {want} is corrupt (bytes hash to {got})")
    return data
