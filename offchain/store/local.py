"""A content-addressed store in a local directory (one file per artifact, written atomically)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .address import ArtifactMissing, address_of, check_address, normalize


class LocalStore:
    """Artifacts as files `<root>/<first 2 hex>/<address>`."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, addr: str | bytes) -> Path:
        a = normalize(addr)
        return self.root / a[2:4] / a

    def put(self, data: bytes) -> str:
        """Store `data` (idempotent) and return its address."""
        data = bytes(data)
        addr = address_of(data)
        dest = self.path(addr)
        if dest.exists():
            return addr
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return addr

    def has(self, addr: str | bytes) -> bool:
        return self.path(addr).is_file()

    def get(self, addr: str | bytes) -> bytes:
        """The bytes at `addr`, checked against it (ArtifactMissing / ArtifactCorrupt)."""
        p = self.path(addr)
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            raise ArtifactMissing(f"store: artifact {normalize(addr)} not found in {self.root}") from None
        return check_address(addr, data)

    def get_raw(self, addr: str | bytes) -> bytes:
        """The stored bytes without the hash check (the server streams these; clients check)."""
        try:
            return self.path(addr).read_bytes()
        except FileNotFoundError:
            raise ArtifactMissing(f"store: artifact {normalize(addr)} not found in {self.root}") from None
