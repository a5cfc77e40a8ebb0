"""The disputes a role daemon plays (the verifier as challenger, the solver as defender).

A `DisputeDesk` remembers, in the task's SQLite record, which disputes of a
task it plays (`disputes: {id: "open" | outcome}`), builds the party's run
once per task (`run_for(task_id)`, kept in memory; rebuilt after a restart)
and, on every poll, makes each open dispute's due move through its
`DisputeDriver` (one `send_once` per move, so a restart never repeats one).
When a game ends it settles it (`DisputeGame.resolve`: the winner at once,
the other party as a backstop a move deadline later, unless anyone did; the
dispute stays "open" in the record until it is resolved, so a restart
between the last move and the settlement resolves it), pulls the
party's credited bond payout (the game credits, never pushes) and records
and logs the outcome line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..chain import ChainClient
from ..dispute.driver import DisputeDriver, game_view, move_prefix, resolve_key
from ..dispute.player import PHASE_DONE, REASON_NAMES, ROLE_NAMES, Player
from ..dispute.run import PartyRun
from ..state import StateDB

log = logging.getLogger("offchain.roles")

OPEN = "open"


def has_dispute_game(chain: ChainClient) -> bool:
    """Whether the deployment includes the dispute game."""
    return "DisputeGame" in chain.deployment


def outcome_line(chain: ChainClient, dispute_id: int, gas: int) -> str:
    """`dispute: winner=... by=... rounds=... gas=... step=... node=... element=... micro=...`
    (`location=none (ended by timeout)` instead of the location for a timeout)."""
    from ..dispute.demo import location_text

    g = game_view(chain, dispute_id)
    by = REASON_NAMES.get(g.reason, "-")
    return (f"dispute: winner={ROLE_NAMES.get(g.winner, '-')} by={by} "
            f"rounds={g.moves} gas={gas} " + location_text(by, g.t, g.j, g.e, g.m))


def dispute_gas(db: StateDB, dispute_id: int) -> int:
    """Gas this daemon spent on the moves of one dispute and on its `resolve`, if it sent it
    (from its recorded actions)."""
    return sum(a.data.get("gas_used", 0) for prefix in (move_prefix(dispute_id), resolve_key(dispute_id))
               for a in db.actions(prefix))


class DisputeDesk:
    """Plays every dispute of this role's tasks, before each deadline."""

    def __init__(self, chain: ChainClient, db: StateDB, role: int, run_for: Callable[[int], PartyRun],
                 stall_after: int | None = None):
        self.chain, self.db, self.role, self.run_for = chain, db, role, run_for
        self.stall_after = stall_after
        self._players: dict[int, Player] = {}

    def player(self, task_id: int) -> Player:
        if task_id not in self._players:
            self._players[task_id] = Player(self.role, self.run_for(task_id))
        return self._players[task_id]

    def forget(self, task_id: int) -> None:
        self._players.pop(task_id, None)

    def disputes(self, task_id: int) -> dict[int, str]:
        rec = self.db.task(task_id)
        return {int(k): v for k, v in ((rec[1] if rec else {}).get("disputes") or {}).items()}

    def track(self, task_id: int, dispute_id: int) -> None:
        d = self.disputes(task_id)
        if dispute_id not in d:
            d[dispute_id] = OPEN
            phase = self.db.task(task_id)[0]
            self.db.set_task(task_id, phase, disputes={str(k): v for k, v in d.items()})
            log.info("%s: task=%d dispute %d tracked", ROLE_NAMES[self.role], task_id, dispute_id)

    def open_disputes(self, task_id: int) -> list[int]:
        return sorted(i for i, v in self.disputes(task_id).items() if v == OPEN)

    def play(self, task_id: int) -> dict[int, str]:
        """Make every due move of the task's open disputes; {dispute_id: winner} of those that ended."""
        ended: dict[int, str] = {}
        for did in self.open_disputes(task_id):
            g = game_view(self.chain, did)
            driver = DisputeDriver(self.chain, self.db, self.player(task_id), did, self.stall_after)
            if g.phase != PHASE_DONE:
                while driver.step():  # several moves may be due in a row (both traces, a timeout)
                    pass
                g = game_view(self.chain, did)
            if g.phase == PHASE_DONE:
                driver.resolve()  # the end only records the outcome; resolve moves the money
                if not driver.resolved():
                    continue  # the winner settles first; this party is the backstop (next polls)
                driver.claim_credit()  # the game credits bond payouts; this party pulls its own
                winner = ROLE_NAMES.get(g.winner, "nobody")
                d = self.disputes(task_id)
                d[did] = winner
                phase = self.db.task(task_id)[0]
                self.db.set_task(task_id, phase, disputes={str(k): v for k, v in d.items()})
                log.warning("%s: task=%d dispute %d ended: %s", ROLE_NAMES[self.role], task_id, did,
                            outcome_line(self.chain, did, dispute_gas(self.db, did)))
                ended[did] = winner
        if not self.open_disputes(task_id):
            self.forget(task_id)
        return ended
