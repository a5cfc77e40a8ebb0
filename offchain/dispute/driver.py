"""Plays one side of a dispute against the DisputeGame contract, from the chain client
of the party's account and its SQLite state.

`DisputeDriver.step()` reads the game, asks the pure `Player` for a move and
sends it through `send_once`, keyed by the dispute, the function and the
game's move counter: a driver rebuilt after a crash (even `kill -9` between
signing and the receipt) finds the transaction it already sent and never
sends a move twice. The game itself lives on chain and the player recomputes
every reveal from its run, so nothing else needs to be saved. Gas per move
is read back from the recorded actions.

A game that ended (phase DONE) is settled by a transaction of its own,
`DisputeGame.resolve` (anyone may send it, once): `resolve()` sends it when
the chain says the dispute is not resolved yet, under a fixed action key, so
a driver rebuilt after a crash between the last move and the settlement
sends it then, and a party that finds it resolved sends nothing. The winner
(the challenger when both lost) resolves at once; the other party only as a
backstop, one move deadline after the last deadline of the game, so that
the two never race each other's transaction.
"""

from __future__ import annotations

import logging

from ..chain import ChainClient, TxFailed, send_once
from ..state import StateDB
from .player import CHALLENGER, NOBODY, PHASE_DONE, ROLE_NAMES, GameView, Move, Player

log = logging.getLogger("offchain.dispute")


def game_view(chain: ChainClient, dispute_id: int) -> GameView:
    """DisputeGame.game(dispute_id) as a GameView."""
    return GameView.from_tuple(chain.call("DisputeGame", "game", dispute_id))


def chain_now(chain: ChainClient) -> int:
    """Timestamp of the latest block (the contract's clock)."""
    return int(chain.block("latest")["timestamp"])


def move_prefix(dispute_id: int) -> str:
    """Action keys of one dispute's moves start with this."""
    return f"dispute:{dispute_id}:"


def resolve_key(dispute_id: int) -> str:
    """The action key of a dispute's `resolve` (outside the moves' prefix: not a move)."""
    return f"resolve:{move_prefix(dispute_id)}"


class DisputeDriver:
    """One party in one dispute: moves before deadlines, claims timeouts, survives restarts."""

    def __init__(self, chain: ChainClient, db: StateDB, player: Player, dispute_id: int,
                 stall_after: int | None = None):
        self.chain, self.db, self.player, self.dispute_id = chain, db, player, dispute_id
        self.stall_after = stall_after
        self.prefix = move_prefix(dispute_id)

    # --- what this party has sent (from its recorded actions) -------------------

    def _moves(self):
        return [a for a in self.db.actions(self.prefix) if a.status == "done" and "gas_used" in a.data]

    @property
    def moves(self) -> int:
        return len(self._moves())

    @property
    def gas(self) -> int:
        """Gas of this party's moves and of its `resolve`, if it sent it."""
        return sum(a.data["gas_used"] for a in self._moves()) + self.resolve_gas

    @property
    def one_step_gas(self) -> int:
        return sum(a.data["gas_used"] for a in self._moves() if a.key.split(":")[2] == "one_step")

    @property
    def stalled(self) -> bool:
        return self.stall_after is not None and self.moves >= self.stall_after

    # --- playing --------------------------------------------------------------

    def game(self) -> GameView:
        return game_view(self.chain, self.dispute_id)

    def done(self) -> bool:
        return self.game().phase == PHASE_DONE

    def next_move(self, g: GameView | None = None) -> Move | None:
        if self.stalled:
            return None
        g = g or self.game()
        return self.player.move(self.dispute_id, g, chain_now(self.chain))

    def step(self) -> bool:
        """Make one move if one is due; True when a transaction of ours landed."""
        g = self.game()
        mv = self.next_move(g)
        if mv is None:
            return False
        key = f"{self.prefix}{mv.fn}:{g.moves}"

        def landed() -> bool:  # the game went on past the state this move answers
            now = self.game()
            return now.moves != g.moves or now.phase != g.phase or now.mover != g.mover

        # fee bumps of a stuck move come before its deadline; the other side may have ended the
        # game first (one step, timeout): then nothing is due, re-read next time
        return self._send(key, mv.fn, mv.args, landed, self.done, deadline=g.deadline)

    def _send(self, key: str, fn: str, args, landed, moot, **kw) -> bool:
        """`send_once` of DisputeGame.fn under `key`; True when our transaction landed in this
        call (not on an earlier one). A failed transaction that `moot()` explains (another
        party got there first) is no error: False."""
        before = self.db.action(key)
        try:
            send_once(self.chain, self.db, key, "DisputeGame", fn, *args, landed=landed, **kw)
        except TxFailed:
            if moot():
                return False
            raise
        act = self.db.action(key)
        sent = "gas_used" in act.data and (before is None or "gas_used" not in before.data)
        if sent:
            log.info("dispute %d: %s %s (gas %d)", self.dispute_id, ROLE_NAMES[self.player.role], fn,
                     act.data["gas_used"])
        return sent

    def resolved(self) -> bool:
        """Whether the ended game was settled on chain (DisputeGame.resolved)."""
        return bool(self.chain.call("DisputeGame", "resolved", self.dispute_id))

    def resolve(self) -> bool:
        """After the game: settle it (DisputeGame.resolve) unless someone did; True when
        our transaction landed. Restart-safe: the action key is fixed per dispute and the
        chain's `resolved` is the landed check."""
        g = self.game()
        if g.phase != PHASE_DONE or self.resolved():
            return False
        first = g.winner == self.player.role or (g.winner == NOBODY and self.player.role == CHALLENGER)
        if not first:  # the winner's turn; a backstop once a further move deadline passed
            move_deadline = int(self.chain.call("DisputeGame", "meta", self.dispute_id)[4])
            if chain_now(self.chain) <= g.deadline + move_deadline:
                return False
        # the other side (or anyone) may have resolved it first
        return self._send(self.resolve_key, "resolve", (self.dispute_id,), self.resolved, self.resolved)

    @property
    def resolve_key(self) -> str:
        """The action key of this party's `resolve` (outside the moves' prefix: not a move)."""
        return resolve_key(self.dispute_id)

    @property
    def resolve_gas(self) -> int:
        act = self.db.action(self.resolve_key)
        return int(act.data.get("gas_used", 0)) if act is not None and act.status == "done" else 0

    def claim_credit(self) -> int:
        """After the game: pull this party's credited bond payouts (DisputeGame credits, never pushes)."""
        me = self.chain.address
        amount = int(self.chain.call("DisputeGame", "credit", me))
        if amount == 0 or not self.done() or not self.resolved():
            return 0
        send_once(self.chain, self.db, f"credit:{self.prefix}", "DisputeGame", "claim_credit",
                  landed=lambda: int(self.chain.call("DisputeGame", "credit", me)) == 0)
        log.info("dispute %d: %s claimed %d", self.dispute_id, ROLE_NAMES[self.player.role], amount)
        return amount
