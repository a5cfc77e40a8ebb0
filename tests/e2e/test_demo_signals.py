"""`python -m offchain demo` stopped by SIGTERM (a CI cancel, `timeout`, `kill`) cleans up as
Ctrl-C does (issue 14 item 5): Anvil, the store and the daemons are gone, the temp folder
removed, exit status 143; and while it ran, the store process held no private key."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> dict[int, str]:
    """Live processes whose parent is `pid`: {pid: command line}."""
    out = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out[int(d.name)] = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(x.decode(errors="replace").partition("=")[::2] for x in raw if b"=" in x)


def test_demo_sigterm_leaves_no_orphan_and_no_temp_folder():
    cfg = Path(tempfile.mkdtemp()) / "caller.toml"  # a caller's key and settings file must not leak either
    cfg.write_text(f'private_key = "0x{"22" * 32}"\n')
    env = {**os.environ, "TT_PRIVATE_KEY": "0x" + "11" * 32, "TT_CONFIG": str(cfg)}
    proc = subprocess.Popen([sys.executable, "-m", "offchain", "demo", "--steps", "5000"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line, end = "", time.time() + 180
        while "work folder" not in line and time.time() < end and proc.poll() is None:
            line = proc.stdout.readline()
        workdir = Path(re.search(r"work folder (\S+)", line)[1])
        end = time.time() + 30  # Anvil, the store, the solver and the verifier
        while len(kids := _children(proc.pid)) < 4 and time.time() < end:
            time.sleep(0.2)
        assert len(kids) >= 4, kids
        store = next(pid for pid, cmd in kids.items() if " serve " in cmd + " ")
        assert _environ(store).get("TT_PRIVATE_KEY", "") == "" and "TT_CONFIG" not in _environ(store)
        solver = next(pid for pid, cmd in kids.items() if cmd.rstrip().endswith(" solve"))
        assert re.fullmatch(r"0x[0-9a-f]{64}", _environ(solver)["TT_PRIVATE_KEY"])
        assert _environ(solver)["TT_PRIVATE_KEY"] != env["TT_PRIVATE_KEY"]
        assert workdir.is_dir()

        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "stopped by SIGTERM" in err
    assert [pid for pid in kids if _alive(pid)] == []
    assert not workdir.exists()
    cfg.unlink()


def test_lifecycle_demo_refuses_a_node_it_did_not_start():
    # `make demo`'s lifecycle step never spends on a node it finds on its port (issue 14 item 5)
    from offchain.chain.anvil import Anvil

    with Anvil() as other:
        res = subprocess.run([sys.executable, "-m", "scripts.run", "lifecycle_demo", "--port", str(other.port)],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert other.rpc("eth_blockNumber") == "0x0"  # nothing was sent to it
    assert res.returncode == 1
    assert f"a node this run did not start is listening at http://127.0.0.1:{other.port}" in res.stderr
