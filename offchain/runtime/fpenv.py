"""Float environment guard: no flush-to-zero, no denormals-are-zero.

Every backend must produce IEEE-754 float32 bits, subnormals included. A
process (or a library built with fast-math) that set FTZ (MXCSR bit 15) or
DAZ (bit 6) makes numpy, torch and numba code flush subnormal results or
inputs to zero: different bits from every honest party, and a lost dispute.
The state is per thread.

`ensure()` probes the calling thread with a subnormal multiply that must not
flush (and a subnormal input that must not read as zero); when either does,
it clears FTZ/DAZ through the C library's fenv (x86-64 glibc: the MXCSR word
of fenv_t), logs one line, and probes again; when that does not help it
raises `FloatEnvError` with one clear line. The executor calls it before
every step, so a training thread or a restored environment is covered.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import platform
import threading

import numpy as np

log = logging.getLogger("offchain.runtime")

FTZ = 1 << 15  # MXCSR flush-to-zero
DAZ = 1 << 6  # MXCSR denormals-are-zero
_MXCSR_WORD = 7  # index of __mxcsr in glibc's x86-64 fenv_t, as 8 uint32 words

_MIN_NORMAL = np.array([0x00800000], np.uint32).view(np.float32)  # 2**-126
_SUB = np.array([0x00400001], np.uint32).view(np.float32)  # a subnormal
_HALF = np.float32(0.5)
_ONE = np.float32(1.0)


class FloatEnvError(RuntimeError):
    """The thread flushes subnormals and the flag could not be cleared."""


def flushes() -> bool:
    """True when this thread flushes subnormal results (FTZ) or inputs (DAZ) to zero."""
    with np.errstate(all="ignore"):
        half = (_MIN_NORMAL * _HALF).view(np.uint32)[0]  # a subnormal result: FTZ gives 0
        same = (_SUB * _ONE).view(np.uint32)[0]  # a subnormal input: DAZ reads 0
    return bool(half != 0x00400000 or same != 0x00400001)


def _libm():
    if platform.machine() not in ("x86_64", "AMD64") or platform.system() != "Linux":
        return None
    name = ctypes.util.find_library("m") or "libm.so.6"
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


_LIBM = _libm()


def mxcsr() -> int | None:
    """This thread's MXCSR (x86-64 Linux), else None."""
    if _LIBM is None:
        return None
    env = (ctypes.c_uint32 * 8)()
    if _LIBM.fegetenv(env) != 0:
        return None
    return int(env[_MXCSR_WORD])


def set_mxcsr(value: int) -> bool:
    """Load `value` into this thread's MXCSR; False where that is not possible."""
    if _LIBM is None:
        return False
    env = (ctypes.c_uint32 * 8)()
    if _LIBM.fegetenv(env) != 0:
        return False
    env[_MXCSR_WORD] = value & 0xFFFF
    return _LIBM.fesetenv(env) == 0


def clear_flush() -> bool:
    """Clear FTZ and DAZ in this thread; False where the flags cannot be reached."""
    m = mxcsr()
    return m is not None and set_mxcsr(m & ~(FTZ | DAZ))


_reported: set[int] = set()


def ensure() -> None:
    """Make sure this thread computes subnormals (see the module doc)."""
    if not flushes():
        return
    before = mxcsr()
    if clear_flush() and not flushes():
        ident = threading.get_ident()
        if ident not in _reported:  # one line per thread, not one per step
            _reported.add(ident)
            log.warning("runtime: flush-to-zero/denormals-are-zero was on (MXCSR 0x%04x): cleared, "
                        "computing IEEE-754 subnormals", before or 0)
        return
    raise FloatEnvError("runtime: this thread flushes subnormals to zero (FTZ/DAZ, MXCSR "
                        f"{'unknown' if before is None else hex(before)}) and it cannot be cleared: "
                        "refusing to compute (the results would differ from every other party)")
