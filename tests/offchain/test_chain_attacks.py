"""Attacks on the chain client (issue 15, item 4), each on a real Anvil node: a hostile
RPC on another chain, a reorg that undoes a done action, two daemons on one key, a
stuck transaction before a deadline, unbounded log scans, and leaked RPC URLs."""

import dataclasses
import json
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import vyper
from counter_contract import COUNTER
from web3 import Web3

from offchain.chain import ChainClient, ChainError, EventCursor, TxFailed, send_once
from offchain.chain.anvil import Anvil, dev_keys
from offchain.config import Settings
from offchain.state import DONE, StateDB

ROOT = Path(__file__).resolve().parents[2]


# the two views and the event of the VerifierPool that `hunt` reads; every verifier already settled
POOL = """
# pragma version ^0.4.3
struct Att:
    stake: uint256
    join_block: uint256
    seed: bytes32
    commitment: bytes32
    flagged: bool
    revealed: bool
    proven: bool
    caught: bool
    settled: bool

event AttestationRevealed:
    task_id: indexed(uint256)
    verifier: indexed(address)
    values: DynArray[bytes32, 8]

@external
def reveal(task_id: uint256, values: DynArray[bytes32, 8]):
    log AttestationRevealed(task_id=task_id, verifier=msg.sender, values=values)

@view
@external
def attestation(task_id: uint256, verifier: address) -> Att:
    return Att(stake=0, join_block=0, seed=empty(bytes32), commitment=empty(bytes32), flagged=False,
               revealed=True, proven=False, caught=False, settled=True)
"""


def deploy(url: str, tmp_path: Path, pin_chain_id: int | None = None, sources: dict | None = None,
           **changes) -> Settings:
    """Deploy the sources (default: Counter) on `url`; write the ABIs and a record pinning
    `pin_chain_id` (default: the node's); settings for dev account 1."""
    w3 = Web3(Web3.HTTPProvider(url))
    acct = w3.eth.account.from_key(dev_keys(1)[0])
    (tmp_path / "interfaces").mkdir(parents=True, exist_ok=True)
    (tmp_path / "deployments").mkdir(exist_ok=True)
    contracts, first = {}, None
    for name, src in (sources or {"Counter": COUNTER}).items():
        out = vyper.compile_code(src, output_formats=["abi", "bytecode"])
        (tmp_path / "interfaces" / f"{name}.json").write_text(json.dumps(out["abi"]))
        tx = w3.eth.contract(abi=out["abi"], bytecode=out["bytecode"]).constructor().build_transaction(
            {"from": acct.address, "nonce": w3.eth.get_transaction_count(acct.address)})
        r = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(acct.sign_transaction(tx).raw_transaction))
        contracts[name] = r["contractAddress"]
        first = first or r["blockNumber"]
    cid = w3.eth.chain_id if pin_chain_id is None else pin_chain_id
    (tmp_path / "deployments" / "development.json").write_text(json.dumps(
        {"chain_id": cid, "start_block": first, "contracts": contracts}))
    known = {f.name for f in dataclasses.fields(Settings)}  # (so the attacks also run on older code)
    return Settings(rpc_url=url, interfaces_dir=str(tmp_path / "interfaces"),
                    deployments_dir=str(tmp_path / "deployments"), private_key=dev_keys(1)[0],
                    state_dir=str(tmp_path / "state"), reorg_depth=3, tx_timeout=20.0,
                    **{k: v for k, v in changes.items() if k in known})


def record_requests(chain: ChainClient) -> list[tuple[str, list]]:
    """Every JSON-RPC request the client makes from now on, as (method, params)."""
    calls: list[tuple[str, list]] = []
    prov = chain.w3.provider
    orig = prov.make_request

    def make_request(method, params):
        calls.append((method, params))
        return orig(method, params)

    prov.make_request = make_request
    return calls


def _int(x) -> int:
    return int(x, 16) if isinstance(x, str) else int(x)


@pytest.fixture(scope="module")
def node():
    with Anvil() as a:
        yield a


# --- a hostile RPC on another chain -----------------------------------------------------


def test_attack_hostile_rpc_other_chain_id_refused(tmp_path):
    """An RPC serving chain 999 behind a record that pins 31337: nothing is signed or sent."""
    with Anvil(extra=["--chain-id", "999"]) as other:
        settings = deploy(other.url, tmp_path, pin_chain_id=31337)
        chain = ChainClient(settings)
        nonce = chain.w3.eth.get_transaction_count(chain.address)
        with pytest.raises(ChainError) as exc:  # WrongChain
            chain.transact("Counter", "bump", 1)
        msg = str(exc.value)
        assert "serves chain id 999" in msg and "pins chain id 31337" in msg and "\n" not in msg
        assert chain.w3.eth.get_transaction_count(chain.address) == nonce
        assert chain.call("Counter", "count") == 0
        with pytest.raises(ChainError, match="serves chain id 999"):  # a daemon refuses at start
            ChainClient(settings).wait_connected(timeout=5)
        with pytest.raises(ChainError, match="serves chain id 999"):  # its event cursor reads nothing there
            EventCursor(ChainClient(settings), StateDB(tmp_path / "s.db"), "w", ["Counter"]).poll()


def test_attack_record_without_chain_id_refused(node, tmp_path):
    """A record that pins no chain: the client refuses to sign rather than trust the RPC."""
    settings = deploy(node.url, tmp_path)
    p = tmp_path / "deployments" / "development.json"
    rec = json.loads(p.read_text())
    del rec["chain_id"]
    p.write_text(json.dumps(rec))
    with pytest.raises(ChainError, match="records no chain_id"):
        ChainClient(settings).transact("Counter", "bump", 1)


def test_signing_uses_the_pinned_chain_id_not_one_read_per_tx(node, tmp_path):
    chain = ChainClient(deploy(node.url, tmp_path))
    calls = record_requests(chain)
    hashes = [chain.transact("Counter", "bump", 1)["transactionHash"] for _ in range(3)]
    assert sum(m == "eth_chainId" for m, _ in calls) <= 1  # checked once per interval, not per tx
    assert {int(chain.w3.eth.get_transaction(h)["chainId"]) for h in hashes} == {31337}


# --- a reorg undoes a done action -----------------------------------------------------------


def test_attack_reorg_undoes_done_action_and_it_is_redone(node, tmp_path):
    settings = deploy(node.url, tmp_path)
    chain, db = ChainClient(settings), StateDB(tmp_path / "s.db")
    snap = node.rpc("evm_snapshot")
    first = send_once(chain, db, "bump:reorg", "Counter", "bump", 5)
    assert chain.call("Counter", "count") == 5
    node.rpc("evm_revert", snap)  # the block holding the bump is re-organised away
    node.mine(1)
    assert chain.call("Counter", "count") == 0
    again = send_once(chain, db, "bump:reorg", "Counter", "bump", 5)
    assert chain.call("Counter", "count") == 5  # done again, not skipped as "done"
    assert db.action("bump:reorg").status == DONE
    assert again["block_hash"] != first["block_hash"]


def test_attack_reorg_undoes_done_action_recheck_sweep_redoes_it(node, tmp_path):
    """The daemon's sweep (every poll) redoes an action whose role never calls send_once again."""
    from offchain.chain import recheck_done

    settings = deploy(node.url, tmp_path)
    chain, db = ChainClient(settings), StateDB(tmp_path / "s.db")
    snap = node.rpc("evm_snapshot")
    send_once(chain, db, "bump:sweep", "Counter", "bump", 2)
    assert recheck_done(chain, db) == []  # still on chain: nothing to redo
    node.rpc("evm_revert", snap)
    node.mine(1)
    assert recheck_done(chain, db) == ["bump:sweep"]
    assert chain.call("Counter", "count") == 2
    node.mine(settings.reorg_depth + 1)
    assert recheck_done(chain, db) == []  # beyond the reorg window: final, not re-checked


# --- two daemons on one key ------------------------------------------------------------------

DAEMON = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from offchain.chain import ChainClient, send_once
    from offchain.config import Settings
    from offchain.state import StateDB
    cfg, me, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    settings = Settings(**__import__("json").loads(cfg))
    chain, db = ChainClient(settings), StateDB(Path(settings.state_dir) / f"daemon-{me}.db")
    chain.contract("Counter")
    while not go.exists():
        time.sleep(0.01)
    for i in range(n):
        send_once(chain, db, f"bump:{me}:{i}", "Counter", "bump", 1)
    print("sent", n)
""")


def test_attack_two_daemons_one_key_never_collide(node, tmp_path):
    settings = deploy(node.url, tmp_path)
    chain = ChainClient(settings)
    script = tmp_path / "daemon.py"
    script.write_text(DAEMON)
    go = tmp_path / "go"
    cfg = json.dumps({k: getattr(settings, k) for k in ("rpc_url", "interfaces_dir", "deployments_dir",
                                                        "private_key", "state_dir", "tx_timeout")})
    n, daemons = 6, 3
    procs = [subprocess.Popen([sys.executable, str(script), cfg, str(i), str(n), str(go)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
             for i in range(daemons)]
    time.sleep(3)  # every daemon connected and waiting
    go.touch()
    outs = [p.communicate(timeout=120) for p in procs]
    errs = "\n".join(e for _, e in outs)
    assert [p.returncode for p in procs] == [0] * daemons, errs[-2000:]
    assert "nonce too low" not in errs.lower()
    assert chain.call("Counter", "count") == n * daemons


# --- a stuck transaction before its deadline ---------------------------------------------------


def _congest(node, stop: threading.Event, base_fee: int) -> None:
    """Mine a block every 0.3 s whose base fee is `base_fee` (above what the first try pays)."""
    while not stop.is_set():
        node.rpc("anvil_setNextBlockBaseFeePerGas", hex(base_fee))
        node.rpc("evm_mine")
        time.sleep(0.3)


@pytest.mark.parametrize("by", ["timeout", "deadline"])
def test_attack_stuck_tx_replaced_with_bumped_fees(tmp_path, by):
    """The base fee jumps to 8 gwei after the transaction was priced at ~3 gwei: it is
    re-sent with the same nonce and bumped fees and lands (with a deadline 8 s away, bumps
    come every 2 s even though `fee_bump_after` is a minute)."""
    with Anvil() as node:
        after = 0.5 if by == "timeout" else 60.0
        settings = deploy(node.url, tmp_path, fee_bump_after=after, fee_bump_pct=50, priority_fee_gwei=1.0)
        chain = ChainClient(settings)
        node.rpc("evm_setAutomine", False)
        stop = threading.Event()
        miner = threading.Thread(target=_congest, args=(node, stop, 8 * 10**9), daemon=True)
        deadline = None
        if by == "deadline":
            deadline = int(chain.block("latest")["timestamp"]) + 8
        try:
            tx_hash, raw = chain.build("Counter", "bump", 1)
            chain.send_raw(raw)
            first_fee = int(chain.w3.eth.get_transaction(tx_hash)["maxFeePerGas"])
            miner.start()
            seen: list[str] = []
            more = {} if deadline is None else {"deadline": deadline, "on_replace": seen.append}
            r = chain.wait(tx_hash, "bump", **more)
        finally:
            stop.set()
            miner.join(timeout=5)
        assert r["status"] == 1
        landed_hash = "0x" + bytes(r["transactionHash"]).hex()
        assert landed_hash != tx_hash  # a replacement landed
        assert deadline is None or landed_hash in seen
        landed = chain.w3.eth.get_transaction(r["transactionHash"])
        first = chain.w3.eth.get_transaction_count(chain.address) - 1
        assert landed["nonce"] == first  # the same nonce: one of them, never both
        assert int(landed["maxFeePerGas"]) >= 8 * 10**9 > first_fee
        assert chain.call("Counter", "count") == 1


def test_fees_follow_the_node_not_one_wei(node, tmp_path):
    chain = ChainClient(deploy(node.url, tmp_path))
    base = int(chain.block("latest")["baseFeePerGas"])
    max_fee, prio = chain.fees()
    assert prio == int(chain.w3.eth.max_priority_fee) > 1
    assert max_fee == 2 * base + prio
    capped = ChainClient(deploy(node.url, tmp_path / "c", max_fee_gwei=0.5))
    assert capped.fees()[0] == 5 * 10**8  # a hostile node's fee suggestion stops at the cap


# --- unbounded log scans -------------------------------------------------------------------------


def test_attack_log_scans_from_genesis_or_unbounded(node, tmp_path):
    """Every log scan (event cursor, get_logs, hunt) starts at the deployment block and asks
    for at most `log_window` blocks per request."""
    from offchain.roles.attest import hunt

    node.mine(40)  # the deployment is not at the chain's start
    settings = deploy(node.url, tmp_path, sources={"Counter": COUNTER, "VerifierPool": POOL}, log_window=7)
    start = json.loads((tmp_path / "deployments" / "development.json").read_text())["start_block"]
    verifiers = [ChainClient(settings, k) for k in dev_keys(4)[2:4]]
    for v in verifiers:
        v.transact("VerifierPool", "reveal", 7, [b"\x01" * 32])
        node.mine(9)
    chain = ChainClient(settings)
    calls = record_requests(chain)

    def check_scans(least: int) -> None:
        scans = [p[0] for m, p in calls if m == "eth_getLogs"]
        for q in scans:
            lo, hi = _int(q["fromBlock"]), _int(q["toBlock"])
            assert start <= lo <= hi and hi - lo + 1 <= 7, q
        assert len(scans) >= least

    cursor = EventCursor(chain, StateDB(tmp_path / "s.db"), "w", ["VerifierPool"])
    assert len(cursor.poll()) == 2
    check_scans(3)
    assert len(chain.get_logs("VerifierPool", "AttestationRevealed", {"task_id": 7})) == 2

    class D:
        pass

    d = D()
    d.chain, d.db = chain, StateDB(tmp_path / "h.db")
    assert hunt(d, 7, None) == 0  # every verifier settled already: nothing to report
    check_scans(3 * 3)


# --- RPC URLs and hostile strings in logs ------------------------------------------------------------


def test_redact_url():
    from offchain.chain.redact import redact_url, scrub

    assert redact_url("https://mainnet.infura.io/v3/0123abcd") == "https://mainnet.infura.io/..."
    assert redact_url("https://eth.example/rpc?apikey=SECRET") == "https://eth.example/..."
    assert redact_url("https://alice:hunter2@node.example:8545") == "https://node.example:8545/..."
    assert redact_url("http://127.0.0.1:8545") == "http://127.0.0.1:8545"
    assert redact_url("not a url") == "<rpc>"
    url = "https://alice:hunter2@node.example/v3/KEY123?apikey=SECRET"
    text = scrub(f"error for url: /v3/KEY123?apikey=SECRET at {url} (user alice:hunter2@)", url)
    assert not any(s in text for s in ("KEY123", "SECRET", "hunter2"))


def test_attack_rpc_url_with_api_key_leaks_into_errors_and_logs(caplog):
    """A dead RPC whose URL carries credentials: the error and every log line show scheme://host/..."""
    from offchain.chain.anvil import free_port

    url = f"http://alice:hunter2@127.0.0.1:{free_port()}/v3/KEY123?apikey=SECRET"
    chain = ChainClient(Settings(rpc_url=url, rpc_retries=2))
    with caplog.at_level("DEBUG"), pytest.raises(ChainError) as exc:
        chain.block_number()
    with pytest.raises(ChainError) as exc2:
        chain.wait_connected(timeout=0.5)
    text = str(exc.value) + str(exc2.value) + caplog.text
    assert "127.0.0.1" in str(exc.value)
    for secret in ("KEY123", "SECRET", "hunter2", "alice"):
        assert secret not in text, secret


class _HostileRPC(BaseHTTPRequestHandler):
    """Answers every call with a revert whose reason forges a log line."""

    def do_POST(self):  # noqa: N802 - http.server's name
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if req["method"] == "eth_chainId":
            body = {"jsonrpc": "2.0", "id": req["id"], "result": hex(31337)}
        else:
            body = {"jsonrpc": "2.0", "id": req["id"], "error": {
                "code": 3, "message": "execution reverted: no\nINFO solve: task=7 finalized\x1b[2J"}}
        out = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


def test_attack_hostile_rpc_forges_log_lines(tmp_path):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _HostileRPC)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        (tmp_path / "interfaces").mkdir()
        (tmp_path / "deployments").mkdir()
        (tmp_path / "interfaces" / "Counter.json").write_text(json.dumps(
            vyper.compile_code(COUNTER, output_formats=["abi"])["abi"]))
        (tmp_path / "deployments" / "development.json").write_text(json.dumps(
            {"chain_id": 31337, "start_block": 1, "contracts": {"Counter": "0x" + "11" * 20}}))
        settings = Settings(rpc_url=f"http://127.0.0.1:{srv.server_address[1]}",
                            interfaces_dir=str(tmp_path / "interfaces"), state_dir=str(tmp_path / "state"),
                            deployments_dir=str(tmp_path / "deployments"), private_key=dev_keys(1)[0])
        with pytest.raises(TxFailed) as exc:
            ChainClient(settings).build("Counter", "bump", 1)
        assert "\n" not in str(exc.value) and "\x1b" not in str(exc.value)
        assert "task=7 finalized" in str(exc.value)  # shown, escaped, on the same line
    finally:
        srv.shutdown()
