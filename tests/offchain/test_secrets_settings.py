"""Secrets and settings (issue 15 item 5): the state DB and its WAL are 0600 (a readable one
is fixed at start, with a warning); no private key in `repr(Settings)` or in a settings
error; every setting out of its range is refused with one line naming setting, value and
range."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from offchain.config import Settings, load_settings
from offchain.state import StateDB

KEY = "0x" + "ab" * 32


def _mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def test_state_db_and_wal_are_0600(tmp_path):
    old = os.umask(0o022)  # the usual umask: files would be 0644
    try:
        db = StateDB(tmp_path / "state" / "verify.db")
        db.put("secret", "forced-error secret")
    finally:
        os.umask(old)
    files = sorted((tmp_path / "state").iterdir())
    assert {f.name for f in files} >= {"verify.db", "verify.db-wal"}
    assert all(_mode(f) == 0o600 for f in files), {f.name: oct(_mode(f)) for f in files}
    assert _mode(tmp_path / "state") == 0o700


def test_world_readable_state_db_is_fixed_with_a_warning(tmp_path, caplog):
    path = tmp_path / "solve.db"
    StateDB(path).put("k", 1)
    os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING):
        StateDB(path)
    assert _mode(path) == 0o600
    assert any("readable by others" in r.getMessage() for r in caplog.records)


def test_repr_of_settings_has_no_private_key():
    s = Settings(private_key=KEY)
    assert KEY[2:] not in repr(s) and KEY[2:] not in str(s)
    assert s.private_key == KEY  # still there for the code that signs


def test_bad_private_key_error_does_not_echo_it():
    bad = "0x" + "ab" * 31 + "zz"
    with pytest.raises(ValueError, match="private_key") as exc:
        Settings(private_key=bad)
    assert bad not in str(exc.value)
    with pytest.raises(ValueError, match="secp256k1"):
        Settings(private_key="0x" + "ff" * 32)  # above the curve order


OUT_OF_RANGE = [
    ("samples", 0, ">= 1"), ("samples", -3, ">= 1"), ("poll_interval", 0.0, "> 0"),
    ("poll_interval", -1.0, "> 0"), ("poll_interval", float("nan"), "finite"), ("tx_timeout", 0.0, "> 0"),
    ("rpc_retries", 0, ">= 1"), ("checkpoint_every", 0, ">= 1"), ("store_port", 70000, "<= 65535"),
    ("store_port", -1, ">= 0"), ("confirmations", -2, ">= -1"), ("fee_bump_pct", 5, ">= 10"), ("reorg_depth", -1, ">= 0"),
    ("artifact_timeout", -1.0, ">= 0"), ("artifact_timeout", float("inf"), "finite"),
    ("error_backoff_max", 0.0, "> 0"),
]


@pytest.mark.parametrize("name,value,rng", OUT_OF_RANGE, ids=[f"{n}={v}" for n, v, _ in OUT_OF_RANGE])
def test_setting_out_of_range_refused(name, value, rng):
    with pytest.raises(ValueError) as exc:
        Settings(**{name: value})
    msg = str(exc.value)
    assert "\n" not in msg and f"{name} = {value!r}" in msg and rng in msg


def test_setting_out_of_range_refused_from_environment():
    with pytest.raises(ValueError, match=r"samples = 0 is out of range \(must be >= 1\)"):
        load_settings(env={"TT_SAMPLES": "0"})
    with pytest.raises(ValueError, match="rpc_url"):
        load_settings(env={"TT_RPC_URL": "localhost:8545"})
