"""A content-addressed store in a local directory (one file per artifact, written atomically).

Files are only ever moved into place complete and checked: `put` hashes the bytes
it is given, `adopt` moves in a temporary file the caller has already hashed
(the HTTP server streams uploads into `tmp_dir()` and checks the address before
adopting). `size` answers from the file's metadata without reading it.
"""

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

    def tmp_dir(self) -> Path:
        """Where partial uploads are streamed (same file system: `adopt` is a rename)."""
        d = self.root / ".tmp"
        d.mkdir(exist_ok=True)
        return d

    def adopt(self, tmp: str | os.PathLike, addr: str | bytes) -> str:
        """Move the complete temporary file `tmp`, whose bytes the caller has checked
        hash to `addr`, into place (idempotent: an existing copy is kept)."""
        a = normalize(addr)
        dest = self.path(a)
        if dest.exists():
            Path(tmp).unlink(missing_ok=True)
            return a
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, dest)
        return a

    def size(self, addr: str | bytes) -> int | None:
        """Bytes stored at `addr` (None when absent), from metadata: the file is not read."""
        try:
            return self.path(addr).stat().st_size
        except FileNotFoundError:
            return None

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
