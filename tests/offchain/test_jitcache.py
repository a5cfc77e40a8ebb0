"""numba always gets a writable kernel cache (offchain/jitcache.py), even on a read-only install;
the fast executor keeps freed buffers (offchain/runtime/alloc.py)."""

from __future__ import annotations

import numba

from offchain import jitcache


def test_read_only_install_without_home_falls_back_to_temp(monkeypatch):
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    monkeypatch.setattr(jitcache, "_writable", lambda d: False)
    assert jitcache.ensure_cache_dir() == str(jitcache.fallback_dir())
    assert numba.config.CACHE_DIR == str(jitcache.fallback_dir())


def test_writable_package_keeps_numbas_default(monkeypatch):
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    assert jitcache.ensure_cache_dir() == ""
    assert numba.config.CACHE_DIR == ""


def test_user_choice_wins(monkeypatch, tmp_path):
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(jitcache, "_writable", lambda d: False)
    assert jitcache.ensure_cache_dir() == str(tmp_path)


def test_writable_probe(tmp_path):
    assert jitcache._writable(tmp_path / "a" / "b")
    (tmp_path / "f").write_text("x")
    assert not jitcache._writable(tmp_path / "f" / "sub")  # a file is in the way


def test_fast_executor_keeps_freed_buffers_on_glibc():
    """Importing the fast executor raises glibc's mmap/trim thresholds (offchain/runtime/alloc.py)."""
    import platform

    from offchain.runtime import alloc, fast  # noqa: F401 - the import does it

    if platform.libc_ver()[0] == "glibc":
        assert alloc.reuse_freed_memory() is True
    assert alloc.reuse_freed_memory() is alloc.reuse_freed_memory()  # once per process
