"""Where numba keeps its compiled kernels: a writable cache directory, always.

The kernels of offchain/runtime/fast.py and offchain/commit/keccak_*.py are
compiled with `cache=True`, so a fresh process loads them from disk instead
of recompiling (`make setup` compiles them once: `python -m offchain warmup`).
numba looks for a cache directory next to the source (`__pycache__`), then in
the user's cache directory, and refuses to define a cached function when
neither is writable (a read-only install with no home directory).
`ensure_cache_dir()` is called before any kernel is defined: when
NUMBA_CACHE_DIR is unset and neither place is writable it points numba at a
per-user directory under the system temporary directory.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numba
from numba.misc.appdirs import AppDirs

_PACKAGE = Path(__file__).resolve().parent


def _writable(directory: Path) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            return True
    except OSError:
        return False


def fallback_dir() -> Path:
    """The cache directory used when neither the package nor the user cache is writable."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"offchain-numba-{uid}"


def ensure_cache_dir(package: Path = _PACKAGE) -> str:
    """Make sure numba has a writable cache directory; returns the one set ('' = numba's default)."""
    if numba.config.CACHE_DIR:
        return numba.config.CACHE_DIR
    user = Path(AppDirs(appname="numba", appauthor=False).user_cache_dir)
    if _writable(package / "runtime" / "__pycache__") or _writable(user):
        return ""
    numba.config.CACHE_DIR = str(fallback_dir())
    return numba.config.CACHE_DIR
