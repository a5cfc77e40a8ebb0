"""Chain client on a real Anvil node: transactions, revert reasons, idempotent sends,
and the event cursor (restart, de-duplication, reorg)."""

import json

import pytest
import vyper
from counter_contract import COUNTER
from web3 import Web3

from offchain.chain import ChainClient, EventCursor, TxFailed, send_once
from offchain.chain.anvil import Anvil, dev_keys
from offchain.config import Settings
from offchain.state import DONE, SENT, StateDB


@pytest.fixture(scope="module")
def node():
    with Anvil() as a:
        yield a


@pytest.fixture
def settings(node, tmp_path):
    out = vyper.compile_code(COUNTER, output_formats=["abi", "bytecode"])
    (tmp_path / "interfaces").mkdir()
    (tmp_path / "interfaces" / "Counter.json").write_text(json.dumps(out["abi"]))
    w3 = Web3(Web3.HTTPProvider(node.url))
    acct = w3.eth.account.from_key(dev_keys(1)[0])
    tx = w3.eth.contract(abi=out["abi"], bytecode=out["bytecode"]).constructor().build_transaction(
        {"from": acct.address, "nonce": w3.eth.get_transaction_count(acct.address)})
    h = w3.eth.send_raw_transaction(acct.sign_transaction(tx).raw_transaction)
    r = w3.eth.wait_for_transaction_receipt(h)
    (tmp_path / "deployments").mkdir()
    (tmp_path / "deployments" / "development.json").write_text(json.dumps(
        {"chain_id": w3.eth.chain_id, "start_block": r["blockNumber"], "contracts": {"Counter": r["contractAddress"]}}))
    return Settings(rpc_url=node.url, interfaces_dir=str(tmp_path / "interfaces"),
                    deployments_dir=str(tmp_path / "deployments"), private_key=dev_keys(1)[0],
                    reorg_depth=3, state_dir=str(tmp_path / "state"))


def test_transact_and_call(settings):
    chain = ChainClient(settings)
    r = chain.transact("Counter", "bump", 5)
    assert r["status"] == 1
    assert chain.call("Counter", "count") == 5


def test_revert_reason_surfaces(settings):
    chain = ChainClient(settings)
    with pytest.raises(TxFailed, match="counter: zero bump"):
        chain.transact("Counter", "bump", 0)


def test_unknown_contract(settings):
    with pytest.raises(Exception, match="Nope is not in deployments"):
        ChainClient(settings).contract("Nope")


def test_send_once_is_idempotent(settings, tmp_path):
    chain, db = ChainClient(settings), StateDB(tmp_path / "s.db")
    first = send_once(chain, db, "bump:1", "Counter", "bump", 2)
    again = send_once(chain, db, "bump:1", "Counter", "bump", 2)
    assert first == again
    assert chain.call("Counter", "count") == 2
    assert db.action("bump:1").status == DONE


def test_send_once_after_crash_between_send_and_receipt(settings, tmp_path):
    """The tx hash is recorded, the bytes went out, the process died: no second send."""
    chain, db = ChainClient(settings), StateDB(tmp_path / "s.db")
    tx_hash, raw = chain.build("Counter", "bump", 3)
    db.set_action("bump:crash", SENT, tx_hash=tx_hash)
    chain.send_raw(raw)
    # restart: a fresh client and db handle on the same file
    data = send_once(ChainClient(settings), StateDB(tmp_path / "s.db"), "bump:crash", "Counter", "bump", 3)
    assert data["tx_hash"] == tx_hash
    assert chain.call("Counter", "count") == 3


def test_send_once_trusts_landed_check(settings, tmp_path):
    chain, db = ChainClient(settings), StateDB(tmp_path / "s.db")
    send_once(chain, db, "bump:x", "Counter", "bump", 1, landed=lambda: True)
    assert chain.call("Counter", "count") == 0
    assert db.action("bump:x").status == DONE


def test_event_cursor_restart_and_dedup(settings, tmp_path):
    chain = ChainClient(settings)
    db = StateDB(tmp_path / "s.db")
    start = chain.block_number() + 1
    chain.transact("Counter", "bump", 1)
    chain.transact("Counter", "bump", 1)
    cur = EventCursor(chain, db, "watch", ["Counter"], start_block=start)
    evs = cur.poll()
    assert [e.args["value"] for e in evs] == [1, 2]
    assert evs[0].event == "Bumped" and evs[0].args["who"] == chain.address
    assert cur.poll() == []  # the last blocks are re-read, nothing is repeated
    chain.transact("Counter", "bump", 4)
    restarted = EventCursor(chain, StateDB(tmp_path / "s.db"), "watch", ["Counter"], start_block=start)
    assert [e.args["value"] for e in restarted.poll()] == [6]


def test_event_cursor_survives_reorg(settings, node, tmp_path):
    chain = ChainClient(settings)
    db = StateDB(tmp_path / "s.db")
    cur = EventCursor(chain, db, "watch", ["Counter"], start_block=chain.block_number() + 1)
    snap = node.rpc("evm_snapshot")
    chain.transact("Counter", "bump", 1)
    assert [e.args["value"] for e in cur.poll()] == [1]
    node.rpc("evm_revert", snap)  # the block holding the first bump is gone
    chain.transact("Counter", "bump", 7)
    node.mine(2)
    assert [e.args["value"] for e in cur.poll()] == [7]
