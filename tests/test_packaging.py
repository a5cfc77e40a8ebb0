"""Packaging: `pip wheel .` builds, the wheel installs, and its console command
`tt-agent` (equal to `python -m offchain`) runs from another directory with the
ABIs and contract sources found inside the installed package, not the checkout."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd, **kw):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return out


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pkg")
    # --no-build-isolation: the setuptools already installed (no index needed)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
          str(tmp / "dist"), str(ROOT)], cwd=tmp)
    (wheel,) = (tmp / "dist").glob("*.whl")
    target = tmp / "site"
    _run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)])
    return wheel, target, tmp


def test_wheel_holds_the_agent_and_its_data_only(installed):
    wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    tops = {n.split("/")[0] for n in names if not n.startswith("trustless_training-")}
    assert tops == {"offchain"}, tops  # no scripts/, tests/, bench/ at top level
    assert "offchain/_data/interfaces/TaskRegistry.json" in names
    assert "offchain/_data/interfaces/ERC20.json" in names
    assert "offchain/_data/interfaces/_natspec/TaskRegistry.json" in names
    assert "offchain/_data/contracts/modules/merkle.vy" in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "tt-agent = offchain.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_console_command_runs_from_another_directory(installed):
    _, target, tmp = installed
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("TT_CONFIG", None)
    out = _run([str(target / "bin" / "tt-agent"), "--help"], cwd=elsewhere, env=env)
    same = _run([sys.executable, "-m", "offchain", "--help"], cwd=elsewhere, env=env)
    assert out.stdout.replace("Usage: tt-agent", "Usage: python -m offchain") == same.stdout
    assert "submit" in out.stdout and "status" in out.stdout
    probe = ("import json, offchain, offchain.deployment as d; from offchain.chain.client import load_abi;"
             "print(json.dumps([offchain.__file__, str(d.data_root()), len(load_abi('interfaces', 'Token')),"
             " str(d.abi_file('interfaces', 'TaskRegistry'))]))")
    where, root, n_erc20, registry_abi = json.loads(
        _run([sys.executable, "-c", probe], cwd=elsewhere, env=env).stdout)
    assert where.startswith(str(target))  # the installed copy, not the checkout
    assert root == str(target / "offchain" / "_data")
    assert n_erc20 == 11 and Path(registry_abi).is_file()
