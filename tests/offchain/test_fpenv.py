"""Float environment guard (issue 11, item 6): with flush-to-zero or denormals-are-zero
turned on in the thread (MXCSR, as a fast-math library would), the runtime clears it
before computing, or refuses with one clear line; the subnormal results stay exact."""

import logging
import platform
import threading

import numpy as np
import pytest
from fakechain import FakeChain, NoEvents, settings
from runtime_oracle import one_node_program

from offchain.roles.verify import Verifier
from offchain.runtime import executor, fpenv
from offchain.runtime.opcodes import Op, Ref
from offchain.runtime.program import Node

x86 = pytest.mark.skipif(fpenv.mxcsr() is None, reason=f"no MXCSR access on {platform.machine()}")


@pytest.fixture
def restore_mxcsr():
    before = fpenv.mxcsr()
    yield
    if before is not None:
        fpenv.set_mxcsr(before)
    assert not fpenv.flushes()


def _mul_subnormals(backend: str) -> np.ndarray:
    """A one-node MUL (step 1) of two state slots whose products are subnormal."""
    node = Node(Op.MUL, ((Ref.STATE, 0), (Ref.STATE, 1)), 1, 4)
    prog = one_node_program(node, [(1, 4), (1, 4)])
    a = np.array([[0x00800000, 0x1F800000, 0x20000000, 0x00400001]], np.uint32)  # 2^-126, 2^-64, 2^-63, sub
    b = np.array([[0x3F000000, 0x1F800000, 0x1F000000, 0x3F800000]], np.uint32)  # 0.5, 2^-64, 2^-65, 1
    return executor.run_step(prog, 1, [a, b], np.zeros((1, 1), np.uint32), backend)[0]


#: IEEE-754 products: 2^-127, 2^-128, 2^-128 (all subnormal) and the subnormal itself
EXPECTED = np.array([[0x00400000, 0x00200000, 0x00200000, 0x00400001]], np.uint32)


def test_probe_is_clean_by_default():
    assert not fpenv.flushes()


@x86
@pytest.mark.parametrize("flag", [fpenv.FTZ, fpenv.DAZ, fpenv.FTZ | fpenv.DAZ], ids=["ftz", "daz", "both"])
def test_flush_flag_is_detected(restore_mxcsr, flag):
    assert fpenv.set_mxcsr(fpenv.mxcsr() | flag)
    assert fpenv.mxcsr() & flag == flag
    assert fpenv.flushes()  # the attack works: this thread now flushes subnormals


@x86
@pytest.mark.parametrize("backend", executor.available_backends())
@pytest.mark.parametrize("flag", [fpenv.FTZ, fpenv.DAZ], ids=["ftz", "daz"])
def test_executor_clears_flush_flags_and_keeps_subnormals(restore_mxcsr, caplog, backend, flag):
    assert fpenv.set_mxcsr(fpenv.mxcsr() | flag)
    # without the guard numpy itself gives other bits in this thread
    with np.errstate(all="ignore"):
        raw = (EXPECTED.view(np.float32) * np.float32(1.0)).view(np.uint32) if flag == fpenv.DAZ else \
            (np.array([0x00800000], np.uint32).view(np.float32) * np.float32(0.5)).view(np.uint32)
    assert (raw == 0).any()
    fpenv._reported.discard(threading.get_ident())
    with caplog.at_level(logging.WARNING, logger="offchain.runtime"):
        out = _mul_subnormals(backend)
        _mul_subnormals(backend)
    np.testing.assert_array_equal(out, EXPECTED)
    assert fpenv.mxcsr() & (fpenv.FTZ | fpenv.DAZ) == 0
    lines = [r.getMessage() for r in caplog.records if "flush-to-zero" in r.getMessage()]
    assert len(lines) == 1 and "cleared" in lines[0]


@x86
def test_guard_covers_a_new_thread(restore_mxcsr):
    # MXCSR is per thread: a training thread that set FTZ is cleared in that thread
    result = {}

    def work():
        fpenv.set_mxcsr(fpenv.mxcsr() | fpenv.FTZ)
        result["out"] = _mul_subnormals("reference")
        result["flushes"] = fpenv.flushes()

    th = threading.Thread(target=work)
    th.start()
    th.join()
    np.testing.assert_array_equal(result["out"], EXPECTED)
    assert result["flushes"] is False


@x86
def test_refuses_when_the_flag_cannot_be_cleared(restore_mxcsr, monkeypatch):
    assert fpenv.set_mxcsr(fpenv.mxcsr() | fpenv.FTZ)
    monkeypatch.setattr(fpenv, "clear_flush", lambda: False)  # e.g. a platform without fenv access
    with pytest.raises(fpenv.FloatEnvError, match="flushes subnormals to zero .* refusing to compute"):
        _mul_subnormals("reference")


def test_refuses_where_flushing_cannot_be_reached(monkeypatch):
    monkeypatch.setattr(fpenv, "flushes", lambda: True)
    monkeypatch.setattr(fpenv, "_LIBM", None)
    with pytest.raises(fpenv.FloatEnvError, match="MXCSR unknown"):
        fpenv.ensure()


def test_daemon_refuses_to_run_in_a_flushing_environment(tmp_path, monkeypatch, caplog):
    # one clear line and the daemon stops (exit status 2) instead of computing other bits
    v = Verifier(settings(tmp_path), chain=FakeChain())
    v._cursor = NoEvents()
    v.chain.wait_connected = lambda: None
    monkeypatch.setattr(fpenv, "flushes", lambda: True)
    monkeypatch.setattr(fpenv, "clear_flush", lambda: False)
    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit) as exc:
        v.run(timeout=5)
    assert exc.value.code == 2
    lines = [r.getMessage() for r in caplog.records if "flushes subnormals" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("verify: runtime: this thread flushes")
