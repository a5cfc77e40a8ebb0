"""The pure dispute player: from a party's run and the game's state, the next move.

No I/O here. `Player.move(view, now)` returns the contract call that the
party should make now (`Move`), or None when it waits for the other side.
It mirrors DisputeGame.vy: alternating descents (first mover reveals its
root's children; every later move reveals its current children and then the
children of its new node, also across levels), the segment commitment when
the run-tree descent (L1) ends at a boundary i >= 1 (its step roots replayed
from the state at b(i-1)) and the L1b descent over it, trace commitments at
L3's end, the one-step operands with proofs, and timeout claims.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..commit import merkle
from ..commit.roots import segment_of
from ..commit.tensor import LANES, tensor_levels
from ..commit.trace import prove_operands
from ..runtime import micro
from ..runtime.opcodes import Ref
from .run import PartyRun

SOLVER, CHALLENGER, NOBODY = 1, 2, 3
PHASE_NONE, PHASE_L1, PHASE_L2, PHASE_L3, PHASE_TRACE, PHASE_L4, PHASE_ONESTEP, PHASE_DONE = range(8)
PHASE_SEGMENT, PHASE_L1B = 8, 9  # appended on chain: the numbers above are unchanged
DESCENTS = (PHASE_L1, PHASE_L1B, PHASE_L2, PHASE_L3, PHASE_L4)
COMMITS = (PHASE_SEGMENT, PHASE_TRACE)
BY_ONESTEP, BY_TIMEOUT, BY_PADDING, BY_START = 1, 2, 3, 4
ZERO = merkle.ZERO32
PHASE_NAMES = {PHASE_L1: "L1", PHASE_SEGMENT: "segment", PHASE_L1B: "L1b", PHASE_L2: "L2", PHASE_L3: "L3", PHASE_TRACE: "trace", PHASE_L4: "L4",
               PHASE_ONESTEP: "onestep", PHASE_DONE: "done"}
ROLE_NAMES = {SOLVER: "solver", CHALLENGER: "challenger", NOBODY: "nobody"}
REASON_NAMES = {BY_ONESTEP: "onestep", BY_TIMEOUT: "timeout", BY_PADDING: "padding", BY_START: "start"}


@dataclass(frozen=True)
class GameView:
    """DisputeGame.game(dispute_id), field by field."""

    phase: int
    mover: int
    pending: bool
    height: int
    moves: int
    deadline: int
    position: int
    count: int
    node_solver: bytes
    node_challenger: bytes
    pending_left: bytes
    pending_right: bytes
    t: int
    j: int
    e: int
    m: int
    value_solver: int
    value_challenger: int
    winner: int
    reason: int

    @classmethod
    def from_tuple(cls, values) -> GameView:
        return cls(*[bytes(v) if isinstance(v, (bytes, bytearray)) else v for v in values])


@dataclass(frozen=True)
class Move:
    """A DisputeGame call: function name and arguments (dispute id first)."""

    fn: str
    args: tuple


def _children(levels: list[list[bytes]], height: int, position: int) -> tuple[bytes, bytes]:
    below = levels[height - 1]
    return below[2 * position], below[2 * position + 1]


class Player:
    """Plays one side (`role`) of disputes with the commitments of `run`."""

    def __init__(self, role: int, run: PartyRun):
        if role not in (SOLVER, CHALLENGER):
            raise ValueError(f"dispute: unknown role {role}")
        self.role, self.run = role, run
        self.program = run.program
        self._levels: dict[tuple, list[list[bytes]]] = {}

    # --- the trees this party holds ------------------------------------------

    def _cached(self, key: tuple, make) -> list[list[bytes]]:
        if key not in self._levels:
            if len(self._levels) > 8:
                self._levels.pop(next(iter(self._levels)))
            self._levels[key] = make()
        return self._levels[key]

    def run_levels(self) -> list[list[bytes]]:
        return self._cached(("run",), lambda: merkle.levels(list(self.run.step_roots)))

    def segment_levels(self, i: int) -> list[list[bytes]]:
        return self._cached(("segment", i), lambda: merkle.levels(self.run.segment_roots(i)))

    def segment_of(self, end: int) -> int:
        """The segment i whose last step is `end` = b(i) (the game's t at SEGMENT and L1b)."""
        return segment_of(end, self.run.interval)

    def step_levels(self, t: int) -> list[list[bytes]]:
        return self._cached(("step", t), lambda: merkle.levels(self.run.node_roots(t)))

    def tensor_levels(self, t: int, j: int) -> list[list[bytes]]:
        return self._cached(("tensor", t, j), lambda: self.run.tensor_levels(t, j))

    def trace(self, t: int, j: int, e: int) -> list[int]:
        key = ("trace", t, j, e)
        if key not in self._levels:
            self._levels[key] = self.run.trace(t, j, e)  # type: ignore[assignment]
        return self._levels[key]  # type: ignore[return-value]

    def trace_levels(self, t: int, j: int, e: int) -> list[list[bytes]]:
        return self._cached(("trace_levels", t, j, e),
                            lambda: tensor_levels(np.array(self.trace(t, j, e), dtype=np.uint32)))

    def program_levels(self) -> list[list[bytes]]:
        return self._cached(("program",), lambda: merkle.levels(self.program.leaves()))

    def levels(self, g: GameView) -> list[list[bytes]]:
        if g.phase == PHASE_L1:
            return self.run_levels()
        if g.phase == PHASE_L1B:
            return self.segment_levels(self.segment_of(g.t))
        if g.phase == PHASE_L2:
            return self.step_levels(g.t)
        if g.phase == PHASE_L3:
            return self.tensor_levels(g.t, g.j)
        return self.trace_levels(g.t, g.j, g.e)

    # --- open -----------------------------------------------------------------

    def open_args(self, task_id: int) -> tuple:
        """Arguments of open_dispute: the task and this party's run root (the header is the task's)."""
        return (task_id, self.run.run_root)

    # --- moves ----------------------------------------------------------------

    def move(self, dispute_id: int, g: GameView, now: int) -> Move | None:
        """The call to make now, or None (wait)."""
        if g.phase in (PHASE_NONE, PHASE_DONE):
            return None
        late = now > g.deadline
        if g.phase in DESCENTS:
            if g.mover == self.role:
                return None if late else self._reveal(dispute_id, g)
            return Move("timeout", (dispute_id,)) if late else None
        if g.phase in COMMITS:
            if not g.mover & self.role:
                if late:
                    return None
                if g.phase == PHASE_SEGMENT:
                    return self._commit_segment(dispute_id, g)
                return self._commit_trace(dispute_id, g)
            return Move("timeout", (dispute_id,)) if late else None
        # one step: the party whose s_m the contract will reproduce submits; the
        # challenger always does (a timeout here would make it lose alone, while
        # one_step makes every party with a wrong s_m lose: both, when both are wrong)
        if not late and (self.role == CHALLENGER or self.wins_one_step(g)):
            return self._one_step(dispute_id, g)
        if late and self.role == SOLVER:
            return Move("timeout", (dispute_id,))
        return None

    def _reveal(self, dispute_id: int, g: GameView) -> Move:
        lv = self.levels(g)
        left, right = _children(lv, g.height, g.position)
        if not g.pending:
            return Move("reveal", (dispute_id, left, right, ZERO, ZERO, 0, []))
        pos = 2 * g.position + (0 if left != g.pending_left else 1)
        height = g.height - 1
        if height > 0:
            nl, nr = _children(lv, height, pos)
            return Move("reveal", (dispute_id, left, right, nl, nr, 0, []))
        nl, nr, record, proof = self._continuation(g.phase, pos, g.t, g.count)
        return Move("reveal", (dispute_id, left, right, nl, nr, record, proof))

    def _continuation(self, phase: int, index: int, t: int, count: int) -> tuple[bytes, bytes, int, list[bytes]]:
        """After a descent ends at leaf `index` (of `count` real leaves): the next tree's root
        children and node j's record (none when the game goes to SEGMENT or ends)."""
        nl, nr, record, proof = ZERO, ZERO, 0, []
        while True:
            if phase in (PHASE_L1, PHASE_L1B):
                if index >= count or (phase == PHASE_L1 and index > 0) or (phase == PHASE_L1B and index == 0):
                    break  # padding, a segment to commit, or (L1b) no step to go on with
                t = 0 if phase == PHASE_L1 else t - (count - 1) + index  # L1b: t = b(i-1) + u
                lv = self.step_levels(t)
                phase, height = PHASE_L2, len(lv) - 1
                if height == 0:
                    index = 0
                    continue
                nl, nr = _children(lv, height, 0)
                break
            if phase == PHASE_L2:
                if index >= len(self.program.nodes(t)):
                    break
                j = index
                leaf = self.program.leaf_index(t, j)
                record = int.from_bytes(self.program.leaves()[leaf], "big")
                proof = merkle.proof(self.program_levels(), leaf)
                lv = self.tensor_levels(t, j)
                height = len(lv) - 1
                if height > 0:
                    nl, nr = _children(lv, height, 0)
            break
        return nl, nr, record, proof

    def _commit_segment(self, dispute_id: int, g: GameView) -> Move:
        """commit_segment: this party's root over S_b(i-1)..S_b(i) (i = g.position), leaf 0
        proved in the segment and as leaf i-1 of its run tree, leaf L (its L1 value)."""
        i = g.position
        lv = self.segment_levels(i)
        n = len(self.run.segment(i))
        return Move("commit_segment", (dispute_id, lv[-1][0], lv[0][0], merkle.proof(lv, 0),
                                       merkle.proof(self.run_levels(), i - 1), lv[0][n - 1],
                                       merkle.proof(lv, n - 1)))

    def _commit_trace(self, dispute_id: int, g: GameView) -> Move:
        tr = self.trace(g.t, g.j, g.e)
        lv = self.trace_levels(g.t, g.j, g.e)
        k = len(tr) - 1
        return Move("commit_trace", (dispute_id, lv[-1][0], lv[0][0], merkle.proof(lv, 0),
                                     lv[0][k // LANES], merkle.proof(lv, k // LANES)))

    # --- one step -------------------------------------------------------------

    def expected_state(self, g: GameView) -> int:
        """s_m as the contract will compute it from the agreed s_{m-1} and inputs."""
        tr = self.trace(g.t, g.j, g.e)
        view = self.run.view(g.t)
        node = self.program.nodes(g.t)[g.j]
        ops = [view.read(Ref(kind), index, flat)
               for kind, index, flat in micro.operand_refs(self.program.header, node, g.t, g.e, g.m, tr[g.m - 1])]
        return micro.next_state(self.program.header, node, g.j, g.t, g.e, g.m, tr[g.m - 1], ops)

    def wins_one_step(self, g: GameView) -> bool:
        mine = g.value_solver if self.role == SOLVER else g.value_challenger
        return self.expected_state(g) == mine

    def _one_step(self, dispute_id: int, g: GameView) -> Move:
        prev_leaf, prev_proof = ZERO, []
        if g.m % LANES == 0:
            lv = self.trace_levels(g.t, g.j, g.e)
            prev_leaf, prev_proof = lv[0][g.m // LANES - 1], merkle.proof(lv, g.m // LANES - 1)
        operands, needs_prev = [], False
        # s_{m-1} is agreed (left of the first difference): EMBEDDING's row reference follows it
        prev_state = self.trace(g.t, g.j, g.e)[g.m - 1]
        for op in prove_operands(self.run.view(g.t), g.j, g.e, g.m, prev_state):
            root_proof = list(op.root_in_step.siblings) if op.root_in_step is not None else []
            needs_prev |= op.kind == Ref.STATE
            operands.append((op.tensor_root, op.element.leaf.leaf, list(op.element.leaf.siblings), root_proof))
        prev_root, prev_root_proof = ZERO, []
        if needs_prev:  # S_{t-1}: leaf t-1-b(i-1) of this party's segment i (t >= 1)
            i = segment_of(g.t, self.run.interval)
            start = self.run.segment(i)[0]
            prev_root = self.run.step_root(g.t - 1)
            prev_root_proof = merkle.proof(self.segment_levels(i), g.t - 1 - start)
        return Move("one_step", (dispute_id, prev_leaf, prev_proof, prev_root, prev_root_proof, operands))
