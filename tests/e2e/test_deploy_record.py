"""One deployment record for everyone: `python -m scripts.run deploy` (brownie)
deploys to a separately started Anvil, and the agents (store, solver,
verifier, submitter) run an honest task to its payment against that record
alone: the token comes from the record's `token`, the ABIs from the
checkout's interfaces/ (`make abi`), no file written by the demo's deployer.
The governance script's refusal of an out-of-bounds value is one line."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from offchain.chain.anvil import Anvil
from offchain.demo import FUNDS, LocalNetwork
from offchain.deployment import FORMAT, load_record
from offchain.roles.registry import COMMITTED, FINALIZED, get_task
from offchain.roles.submit import Submitter, TaskTerms, build_spec

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def runner(net, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEPLOYMENTS_DIR": str(net.workdir / "deployments")}
    env.pop("ANVIL_PORT", None)
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "run.py"), *args, "--port", str(net.anvil.port)],
                          cwd="/", env=env, capture_output=True, text=True, timeout=600)


class ScriptDeployedNetwork(LocalNetwork):
    """LocalNetwork with the contracts deployed by scripts/deploy.py on its own Anvil."""

    def start(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.anvil = Anvil(block_time=self.block_time).start()
        with self.instant_blocks():
            out = runner(self, "deploy", "--treasury", self.address("treasury"))
            assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
            for role in ("submitter", "solver", "verifier", "challenger"):
                self.mint(role, FUNDS)
        self.start_store()
        return self

    def env(self, name, role_key):
        env = super().env(name, role_key)
        env.pop("TT_INTERFACES_DIR")  # the default: the checkout's interfaces/
        return env

    def mint(self, role, amount):
        token = self.chain().contract("Token").address
        self.deployer().call("TestToken", token, "mint", self.address(role), amount)


@pytest.fixture(scope="module")
def snet(tmp_path_factory, block_time):
    network = ScriptDeployedNetwork(tmp_path_factory.mktemp("scriptnet"), samples=2, block_time=block_time)
    try:
        network.start()
        network.spawn("verifier", "verify")
        yield network
    finally:
        network.stop()


def test_agents_run_a_task_on_the_script_deployment(snet):
    record = load_record(snet.workdir / "deployments", "development")
    assert record["format"] == FORMAT and record["complete"] and record["token"]["test_token"]
    assert {"Parameters", "StakeManager", "TaskRegistry", "OneStepV2", "OneStepVerifier", "DisputeGame"} <= set(
        record["contracts"])
    v2 = record["contracts"]["OneStepV2"]
    assert v2["tx"].startswith("0x") and v2["block"] <= record["contracts"]["OneStepVerifier"]["block"]
    chain = snet.chain()
    submitter, solver = snet.address("submitter"), snet.address("solver")
    before = int(chain.call("Token", "balanceOf", solver))
    terms = TaskTerms()
    snet.spawn("solver", "solve")
    sub = Submitter(snet.settings("submitter"))
    spec, artifacts = build_spec("digits", steps=10, checkpoint_interval=10)
    tid = sub.create(spec, artifacts, terms)
    snet.wait(lambda: get_task(chain, tid).status == COMMITTED, 300, "commit")
    snet.wait(lambda: (snet.db("verifier").task(tid) or ("",))[0] == "verified", 300, "verification")
    snet.warp(get_task(chain, tid).challenge_window + 1)
    snet.wait(lambda: get_task(chain, tid).status == FINALIZED, 120, "finalisation")
    fee = terms.payment * int(chain.call("Parameters", "verification_fee_bps")) // 10_000
    assert int(chain.call("Token", "balanceOf", solver)) == before - terms.solver_stake + terms.payment - fee
    assert get_task(chain, tid).submitter == submitter
    # the event an indexer reads carries the task's terms
    (ev,) = chain.contract("TaskRegistry").events.TaskCreated.get_logs(
        from_block=record["start_block"], argument_filters={"task_id": tid})
    assert ev.args["num_steps"] == 10 and ev.args["solver_stake"] == terms.solver_stake
    assert ev.args["fee"] == fee and ev.args["solve_period"] == terms.solve_period
    # status --json from another directory, ABIs from the default interfaces_dir
    env = {**os.environ, **snet.env("status", "submitter")}
    out = subprocess.run([sys.executable, "-m", "offchain", "status", "--json", "--account", f"solver={solver}"],
                         cwd="/", env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    doc = json.loads(out.stdout)
    assert doc["token"] == {"address": record["token"]["address"], "symbol": "TST", "decimals": 18}
    task = next(t for t in doc["tasks"] if t["id"] == tid)
    assert task["status"] == "finalized" and task["payment"] == str(terms.payment) and task["num_steps"] == 10
    assert task["artifact_uri"].startswith("0x") and task["spec_hash"].startswith("0x")
    assert doc["accounts"]["solver"]["wallet"] == str(chain.call("Token", "balanceOf", solver))


def test_governance_refusal_is_one_line(snet):
    out = runner(snet, "governance/set_parameter", "challenge_window", "5")
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == ["challenge_window: 5 is below the lower bound 600"]
    out = runner(snet, "governance/set_parameter", "challenge_window", "7200", "--calldata-only")
    assert out.returncode == 0, out.stderr
    tx = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(tx) == {"to", "value", "data"} and tx["data"].startswith("0x")


def test_redeploy_refused_without_force(snet):
    path = snet.workdir / "deployments" / "development.json"
    before = path.read_text()
    out = runner(snet, "deploy")
    assert out.returncode == 1 and "use --force" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert path.read_text() == before
