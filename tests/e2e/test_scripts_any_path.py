"""The project's script runner works from a checkout whose parent folders hold
dots (where `brownie run` fails with `No module named 'tmp.tmp'`) and from
another working directory: deploy writes its record in that checkout, and the
lifecycle demo walks its tasks on an Anvil of its own on a free port."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def dotted_clone(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("my.org") / "tmp.Xyz" / "checkout"
    repo.parent.mkdir(parents=True)
    subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True)
    # the working tree's scripts and contracts (a clone has only what is committed)
    for sub in ("scripts", "contracts", "interfaces"):
        shutil.rmtree(repo / sub)
        shutil.copytree(ROOT / sub, repo / sub, ignore=shutil.ignore_patterns("__pycache__"))
    for shared in (".venv", "node_modules"):
        (repo / shared).symlink_to(ROOT / shared)
    _reuse_brownie_build(repo)
    return repo


def _reuse_brownie_build(repo: Path) -> bool:
    """Copy this checkout's brownie build into the clone when it is up to date for every
    contract source of the clone (the sha1 brownie records), sparing the clone a full
    compile (about a minute; compiling is not what these tests are about). A stale or
    missing build is not copied: brownie then compiles from scratch, since an incremental
    compile loses sibling Vyper modules (README)."""
    built = ROOT / "build" / "contracts"
    for vy in (repo / "contracts").rglob("*.vy"):
        art = built / f"{vy.stem}.json"
        if not art.is_file() or json.loads(art.read_text()).get("sha1") != hashlib.sha1(vy.read_bytes()).hexdigest():
            return False
    for sub in ("contracts", "interfaces"):
        if (ROOT / "build" / sub).is_dir():
            shutil.copytree(ROOT / "build" / sub, repo / "build" / sub)
    return True


def _run(repo: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("ANVIL_PORT", None)
    env["PATH"] = f"{ROOT / 'node_modules' / '.bin'}:{env['PATH']}"
    return subprocess.run([sys.executable, str(repo / "scripts" / "run.py"), *args, "--port", "0"],
                          cwd="/", env=env, capture_output=True, text=True, timeout=600)


def test_deploy_from_dotted_path(dotted_clone):
    out = _run(dotted_clone, "deploy")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    record = json.loads((dotted_clone / "deployments" / "development.json").read_text())
    assert {"Parameters", "StakeManager", "TaskRegistry", "DisputeGame"} <= set(record["contracts"])


def test_lifecycle_demo_from_dotted_path(dotted_clone):
    out = _run(dotted_clone, "lifecycle_demo")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "expired (status 6)" in out.stdout
    assert "No module named" not in out.stdout + out.stderr


def test_unknown_script_is_one_line(dotted_clone):
    out = _run(dotted_clone, "governance/nope")
    assert out.returncode != 0
    assert out.stderr.strip().splitlines() == ["run: no script scripts/governance/nope.py"]
