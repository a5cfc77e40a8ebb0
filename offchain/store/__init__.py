"""Content-addressed artifact store: the address of an artifact is keccak256 of its bytes.

`LocalStore` keeps artifacts in a directory, `StoreServer` exposes one over HTTP
(uploads signed by an authorised address, checked while streamed, bounded in
size, quota, time and concurrency), `HttpStore` talks to such a server with a
size cap and a deadline. Every read, local or remote, is checked against its
address; `open_store` picks the right one from the settings.
"""

from .address import ArtifactCorrupt, ArtifactMissing, StoreError, address_of, check_address
from .auth import AllowList, StakedUploaders, Unauthorized, sign_upload
from .client import HttpStore, open_store
from .local import LocalStore
from .server import ServerLimits, StoreServer

__all__ = [
    "ArtifactCorrupt",
    "AllowList",
    "ArtifactMissing",
    "HttpStore",
    "LocalStore",
    "ServerLimits",
    "StakedUploaders",
    "StoreError",
    "StoreServer",
    "Unauthorized",
    "address_of",
    "check_address",
    "open_store",
    "sign_upload",
]
