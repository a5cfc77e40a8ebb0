"""numba always gets a writable kernel cache (offchain/jitcache.py), even on a read-only install."""

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
