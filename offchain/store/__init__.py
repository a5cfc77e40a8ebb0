"""Content-addressed artifact store: the address of an artifact is keccak256 of its bytes.

`LocalStore` keeps artifacts in a directory, `serve` exposes one over HTTP,
`HttpStore` talks to such a server. Every read, local or remote, is checked
against its address; `open_store` picks the right one from the settings.
"""

from .address import ArtifactCorrupt, ArtifactMissing, StoreError, address_of, check_address
from .client import HttpStore, open_store
from .local import LocalStore
from .server import StoreServer

__all__ = [
    "ArtifactCorrupt",
    "ArtifactMissing",
    "HttpStore",
    "LocalStore",
    "StoreError",
    "StoreServer",
    "address_of",
    "check_address",
    "open_store",
]
