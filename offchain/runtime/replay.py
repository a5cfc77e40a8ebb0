"""Replay of a finished run from its checkpoints, and every commitment query on it.

`Run.open(directory)` loads index.json; `outputs(t)` recomputes the node
outputs of step t from the checkpoint at or before t-1 (step 0 is the
initialisation program itself), so `step_root(t)` recomputes S_t exactly.
The query methods return the roots and proofs a verifier or a dispute needs
(design section 6): S_t, a boundary step root and its proof in R, node output roots and their
proofs in S_t, tensor elements, dataset elements, program records,
micro-traces with their roots and proofs, and micro-step operands.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..commit import proofs, roots, trace
from ..commit.tensor import tensor_root
from . import checkpoint
from .dataset import Dataset
from .dataset import load as load_dataset
from .executor import run_step, state_after
from .program import Program


class Run:
    """A committed training run that can be replayed at any step."""

    def __init__(self, directory: Path, index: checkpoint.RunIndex, program: Program,
                 data: Dataset, backend: str = "reference") -> None:
        self.directory = Path(directory)
        self.index = index
        self.program = program
        self.data = data
        self.backend = backend
        self.step_roots = [bytes.fromhex(r[2:]) for r in index.step_roots]
        self.run_root = bytes.fromhex(index.run_root[2:])
        self._cache: dict[int, list[np.ndarray]] = {}

    @classmethod
    def open(cls, directory: str | Path, data: Dataset | None = None, backend: str = "reference") -> Run:
        """Load a run directory written by `train`; check the dataset and program roots."""
        index = checkpoint.RunIndex.load(Path(directory))
        program = index.program_obj()
        ds = data if data is not None else load_dataset(index.dataset)
        if "0x" + ds.root().hex() != index.data_root:
            raise ValueError("replay: dataset root differs from the run's data_root")
        if roots.run_root([bytes.fromhex(r[2:]) for r in index.step_roots]).hex() != index.run_root[2:]:
            raise ValueError("replay: index step roots do not give its run root")
        return cls(Path(directory), index, program, ds, backend)

    # --- replay ---------------------------------------------------------------

    def state_after(self, t: int) -> list[np.ndarray]:
        """State slots after step t, replayed from the nearest checkpoint."""
        self._check_step(t)
        base = self.index.checkpoint_at_or_before(t)
        proot, ct, state = checkpoint.read(self.directory, self.index.checkpoints[base])
        if proot != self.program.root() or ct != base:
            raise ValueError(f"replay: checkpoint of step {base} belongs to another program or step")
        for s in range(base + 1, t + 1):
            state = state_after(self.program, s, self.outputs_from(s, state))
        return state

    def outputs_from(self, t: int, state: list[np.ndarray]) -> list[np.ndarray]:
        return run_step(self.program, t, state, self.data.train, self.backend)

    def outputs(self, t: int) -> list[np.ndarray]:
        """Node outputs of step t (uint32), replayed from the checkpoint at or before t-1."""
        self._check_step(t)
        if t not in self._cache:
            state = [] if t == 0 else self.state_after(t - 1)
            if len(self._cache) > 4:
                self._cache.pop(next(iter(self._cache)))
            self._cache[t] = self.outputs_from(t, state)
        return self._cache[t]

    def _check_step(self, t: int) -> None:
        if not 0 <= t <= self.index.steps:
            raise ValueError(f"replay: step {t} outside 0..{self.index.steps}")

    # --- roots ----------------------------------------------------------------

    def node_roots(self, t: int) -> list[bytes]:
        return roots.node_roots(self.outputs(t))

    def node_root(self, t: int, j: int) -> bytes:
        return tensor_root(self.outputs(t)[j])

    def step_root(self, t: int) -> bytes:
        """S_t recomputed by replay (at a boundary b(i), compare with self.step_roots[i])."""
        return roots.step_root_of(self.node_roots(t))

    # --- proofs ---------------------------------------------------------------

    def prove_step_root(self, i: int) -> proofs.LeafProof:
        """Committed S_b(i) as leaf i of R (boundary index i; i = t when the interval is 1)."""
        if not 0 <= i < len(self.step_roots):
            raise ValueError(f"replay: boundary {i} outside 0..{len(self.step_roots) - 1}")
        return proofs.prove_leaves(self.step_roots, i)

    def prove_node_root(self, t: int, j: int) -> proofs.LeafProof:
        """Output root of node j as leaf j of S_t."""
        return proofs.prove_leaves(self.node_roots(t), j)

    def prove_tensor_element(self, t: int, j: int, e: int) -> proofs.ElementProof:
        """Element e of node j's output at step t against that node's output root."""
        return proofs.prove_element(self.outputs(t)[j], e)

    def prove_data_element(self, flat: int) -> proofs.ElementProof:
        """Element `flat` of the dataset matrix against data_root."""
        return proofs.prove_element(self.data.train, flat)

    def prove_program_record(self, t: int, j: int) -> proofs.LeafProof:
        """Record of node j of step t against program_root."""
        return proofs.prove_leaves(self.program.leaves(), self.program.leaf_index(t, j))

    def view(self, t: int) -> trace.StepView:
        prev = self.outputs(t - 1) if t > 0 else None
        return trace.StepView(self.program, t, self.outputs(t), prev, self.data.train)

    def micro_trace(self, t: int, j: int, e: int) -> list[int]:
        """s_0..s_K of element e of node j at step t."""
        return trace.micro_trace(self.view(t), j, e)

    def micro_trace_root(self, t: int, j: int, e: int) -> bytes:
        return trace.micro_trace_root(self.micro_trace(t, j, e))

    def prove_trace_state(self, t: int, j: int, e: int, m: int) -> proofs.ElementProof:
        """s_m against the micro-trace root of element e of node j at step t."""
        return trace.prove_trace_state(self.micro_trace(t, j, e), m)

    def prove_operands(self, t: int, j: int, e: int, m: int) -> list[trace.OperandProof]:
        """Operands of micro-step m with proofs against S_t, S_{t-1} or data_root."""
        return trace.prove_operands(self.view(t), j, e, m)


def replay_from_start(program: Program, data: np.ndarray, last: int, backend: str = "reference",
                      theirs: list[bytes] | None = None, stop_at_mismatch: bool = False,
                      interval: int = 1, num_steps: int | None = None,
                      ) -> tuple[list[bytes], list[int], list[np.ndarray]]:
    """(my boundary step roots S_b(0)..S_b(last), the boundary indices i <= last where
    `theirs[i]` differs, my state after step b(last)), all from the program's own
    initialisation: S_0 and every start state are recomputed here, never taken from another
    party's checkpoint. b(i) = min(i * interval, num_steps) (num_steps defaults to
    last * interval); only boundary steps are hashed. With `stop_at_mismatch` the replay
    ends at the first differing boundary."""
    from .train import boundary_steps

    total = last * interval if num_steps is None else num_steps
    end = min(last * interval, total)
    mine: list[bytes] = []
    bad: list[int] = []
    state: list[np.ndarray] = []
    for b in boundary_steps(program, data.astype(np.uint32, copy=False), end, interval, backend):
        i = len(mine)
        mine.append(b.step_root)
        state = b.state
        if theirs is not None and (i >= len(theirs) or theirs[i] != b.step_root):
            bad.append(i)
            if stop_at_mismatch:
                break
    return mine, bad, state
