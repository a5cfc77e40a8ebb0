"""Upload authorisation of the artifact store: signed uploads, who may upload, quotas.

An upload (`PUT /<address>`) carries an EIP-191 `personal_sign` signature of

    trustless-training store upload
    address: 0x<content address>
    size: <bytes>
    expiry: <unix seconds>

in the headers `X-Upload-Expiry` and `X-Upload-Signature`. The server recovers the
signer from the signature (nothing the client claims about itself is trusted),
refuses an expired signature or one valid for longer than its replay window
(`STORE_SIGNATURE_TTL`), then asks its `Authorizer` whether the signer may upload,
and charges the bytes to the signer's quota. A replayed signature can only upload
the same bytes again (the address is signed), which the store already holds.

Authorizers: `AllowList` (addresses configured by the operator: `store_uploaders`),
`StakedUploaders` (an address with at least `store_min_stake` bonded in the
StakeManager: every solver and challenger of the protocol; looked up on chain and
cached), and `any_of` combining them. A submitter without a bond must be
allow-listed (or bond the minimum) before it can publish a task's artifacts.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

from eth_account import Account
from eth_account.messages import encode_defunct

from .. import limits
from .address import StoreError, normalize

EXPIRY_HEADER = "X-Upload-Expiry"
SIGNATURE_HEADER = "X-Upload-Signature"
_SIG = re.compile(r"^0x[0-9a-fA-F]{130}$")
_ETH_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")

#: whether `signer` (a checksummed address) may upload
Authorizer = Callable[[str], bool]


class Unauthorized(StoreError):
    """An upload without a valid signature, or from an address that may not upload."""


def upload_message(addr: str, size: int, expiry: int) -> str:
    """The text an uploader signs for one artifact."""
    return f"trustless-training store upload\naddress: {normalize(addr)}\nsize: {int(size)}\nexpiry: {int(expiry)}"


def sign_upload(private_key: str, addr: str, size: int, ttl: int = 300,
                now: float | None = None) -> dict[str, str]:
    """The headers authorising the upload of `size` bytes at `addr`, valid for `ttl` seconds."""
    expiry = int(time.time() if now is None else now) + int(ttl)
    sig = Account.sign_message(encode_defunct(text=upload_message(addr, size, expiry)), private_key)
    return {EXPIRY_HEADER: str(expiry), SIGNATURE_HEADER: "0x" + bytes(sig.signature).hex()}


def recover_uploader(headers, addr: str, size: int, now: float | None = None,
                     ttl: int = limits.STORE_SIGNATURE_TTL) -> str:
    """The address that signed this upload; Unauthorized (one line) when the
    signature is missing, malformed, expired, or valid for longer than `ttl`."""
    raw_exp, sig = headers.get(EXPIRY_HEADER), headers.get(SIGNATURE_HEADER)
    if raw_exp is None or sig is None:
        raise Unauthorized(f"store: an upload needs {EXPIRY_HEADER} and {SIGNATURE_HEADER} headers")
    if not raw_exp.isdigit() or len(raw_exp) > 12:
        raise Unauthorized(f"store: malformed {EXPIRY_HEADER} {limits.show(raw_exp)}")
    if not _SIG.match(sig):
        raise Unauthorized(f"store: malformed {SIGNATURE_HEADER}")
    now = time.time() if now is None else now
    expiry = int(raw_exp)
    if expiry < now:
        raise Unauthorized("store: the upload signature has expired")
    if expiry > now + ttl:
        raise Unauthorized(f"store: the upload signature is valid for more than {ttl} s")
    try:
        return Account.recover_message(encode_defunct(text=upload_message(addr, size, expiry)),
                                       signature=sig)
    except Exception:  # noqa: BLE001 - any failure to recover is a bad signature
        raise Unauthorized("store: the upload signature does not recover") from None


class AllowList:
    """Authorises the configured addresses (case-insensitive)."""

    def __init__(self, addresses):
        self.addresses = set()
        for a in addresses:
            a = a.strip()
            if not a:
                continue
            if not _ETH_ADDRESS.match(a):
                raise ValueError(f"store: malformed uploader address {limits.show(a)}")
            self.addresses.add(a.lower())

    @classmethod
    def parse(cls, text: str) -> AllowList:
        """From a comma-separated list (the `store_uploaders` setting)."""
        return cls(text.split(","))

    def __call__(self, signer: str) -> bool:
        return signer.lower() in self.addresses


class StakedUploaders:
    """Authorises an address whose on-chain bond (`bonded(addr)`, a view call) is at
    least `min_stake`; answers are cached for `ttl` seconds (a lost bond stops
    uploads within `ttl`)."""

    def __init__(self, bonded: Callable[[str], int], min_stake: int, ttl: float = 60.0):
        if min_stake <= 0:
            raise ValueError("store: StakedUploaders needs a positive minimum stake")
        self.bonded, self.min_stake, self.ttl = bonded, int(min_stake), ttl
        self._cache: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def __call__(self, signer: str) -> bool:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(signer)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        ok = int(self.bonded(signer)) >= self.min_stake
        with self._lock:
            if len(self._cache) > 100_000:  # bounded: a flood of signers cannot grow it forever
                self._cache.clear()
            self._cache[signer] = (now, ok)
        return ok


def any_of(*authorizers: Authorizer) -> Authorizer:
    """Authorises a signer any of `authorizers` authorises (none given: nobody)."""
    def check(signer: str) -> bool:
        return any(a(signer) for a in authorizers)
    return check
