"""Keep freed big buffers in the process instead of handing them back to the OS.

A training step allocates tens of megabytes of node outputs and kernel
scratch (packed MATMUL panels) and frees as much. With glibc's defaults,
every block over 128 KiB is a fresh mmap and every free of it (or of the top
of the heap) returns the pages to the kernel, so the next step pays a page
fault per 4 KiB page: on the large MLP that was 28 % of the fast executor's
step (bench/README.md). `reuse_freed_memory()` raises glibc's mmap and trim
thresholds (mallopt M_MMAP_THRESHOLD, M_TRIM_THRESHOLD) so such blocks come
from, and go back to, the heap and are reused without faults. It affects the
whole process (torch in the same process too), changes no result, and does
nothing on a C library without mallopt.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
THRESHOLD = 1 << 30  # bytes: blocks below this come from the heap and stay there when freed

_done: bool | None = None


def reuse_freed_memory() -> bool:
    """Raise the mmap and trim thresholds once per process; True when the C library took them."""
    global _done
    if _done is not None:
        return _done
    _done = False
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    _done = bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, THRESHOLD))
    return _done
