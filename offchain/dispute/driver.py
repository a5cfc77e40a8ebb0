"""Plays one side of a dispute against the DisputeGame contract.

`Chain` is a small web3 wrapper (local signing, revert reasons, block time).
`DisputeDriver.step()` reads the game, asks the pure `Player` for a move and
sends it; it claims a timeout when the other side stalls. Progress (moves,
gas) is recorded in the role's SQLite state, so a driver rebuilt after a
restart carries on: the game itself lives on chain, and the player
recomputes every reveal from its run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from eth_account import Account
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractLogicError

from ..chain.deploy import compile_contract
from ..state import StateDB
from .player import PHASE_DONE, GameView, Move, Player


class MoveFailed(RuntimeError):
    """A transaction reverted; the message is the contract's reason."""


@dataclass
class Chain:
    """web3 on one RPC URL with the deployed addresses {name: address}."""

    url: str
    addresses: dict[str, str]
    w3: Web3 = field(init=False)

    def __post_init__(self) -> None:
        self.w3 = Web3(HTTPProvider(self.url, request_kwargs={"timeout": 60}))

    def contract(self, name: str):
        return self.w3.eth.contract(address=self.addresses[name], abi=compile_contract(name)["abi"])

    def call(self, name: str, fn: str, *args):
        return getattr(self.contract(name).functions, fn)(*args).call()

    def send(self, key: str, name: str, fn: str, *args) -> dict:
        """Sign and send name.fn(*args) from `key`; return the receipt; MoveFailed on revert."""
        acct = Account.from_key(key)
        f = getattr(self.contract(name).functions, fn)(*args)
        try:
            gas = f.estimate_gas({"from": acct.address})
        except ContractLogicError as exc:
            raise MoveFailed(f"{name}.{fn}: {exc.message or exc}") from None
        tx = f.build_transaction({"from": acct.address, "gas": gas + 50_000,
                                  "nonce": self.w3.eth.get_transaction_count(acct.address, "pending"),
                                  "gasPrice": self.w3.eth.gas_price, "chainId": self.w3.eth.chain_id})
        h = self.w3.eth.send_raw_transaction(acct.sign_transaction(tx).raw_transaction)
        r = self.w3.eth.wait_for_transaction_receipt(h, timeout=120)
        if r["status"] != 1:
            raise MoveFailed(f"{name}.{fn}: reverted")
        return r

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def advance(self, seconds: int) -> None:
        """Anvil only: move time forward and mine a block."""
        self.w3.provider.make_request("evm_increaseTime", [seconds])
        self.w3.provider.make_request("evm_mine", [])

    def game(self, dispute_id: int) -> GameView:
        return GameView.from_tuple(self.call("DisputeGame", "game", dispute_id))


class DisputeDriver:
    """One party in one dispute: moves before deadlines, claims timeouts, survives restarts."""

    def __init__(self, chain: Chain, key: str, player: Player, dispute_id: int,
                 state_path: str | Path | None = None, stall_after: int | None = None):
        self.chain, self.key, self.player, self.dispute_id = chain, key, player, dispute_id
        self.stall_after = stall_after
        self.state = StateDB(state_path) if state_path is not None else None
        self._key = f"dispute:{dispute_id}:{player.role}"
        rec = (self.state.get(self._key) if self.state is not None else None) or {}
        self.moves: int = rec.get("moves", 0)
        self.gas: int = rec.get("gas", 0)
        self.one_step_gas: int = rec.get("one_step_gas", 0)

    def _save(self) -> None:
        if self.state is not None:
            self.state.put(self._key, {"moves": self.moves, "gas": self.gas,
                                       "one_step_gas": self.one_step_gas})

    @property
    def stalled(self) -> bool:
        return self.stall_after is not None and self.moves >= self.stall_after

    def done(self) -> bool:
        return self.chain.game(self.dispute_id).phase == PHASE_DONE

    def next_move(self) -> Move | None:
        if self.stalled:
            return None
        return self.player.move(self.dispute_id, self.chain.game(self.dispute_id), self.chain.now())

    def step(self) -> bool:
        """Make one move if one is due; True when a transaction landed."""
        mv = self.next_move()
        if mv is None:
            return False
        try:
            r = self.chain.send(self.key, "DisputeGame", mv.fn, *mv.args)
        except MoveFailed:
            # the other side may have ended the phase first (one step, timeout): re-read next time
            if mv.fn in ("one_step", "timeout") and self.done():
                return False
            raise
        self.moves += 1
        self.gas += int(r["gasUsed"])
        if mv.fn == "one_step":
            self.one_step_gas = int(r["gasUsed"])
        self._save()
        return True
