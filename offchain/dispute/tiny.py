"""A real, tiny program tree for tasks whose program content does not matter.

Contract tests, benches and demos that only move money still create tasks
through `TaskRegistry.create_task`, which checks the program header as leaf
0 of program_root with an exact proof. `tiny_task(seed)` gives a real
program root with its header and the header's proof.
"""

from __future__ import annotations

from ..commit.proofs import header_proof
from ..runtime.opcodes import Op, Ref
from ..runtime.program import Header, Node, Program


def tiny_program(seed: int = 22) -> Program:
    """One weight vector: init w (1x4); step: gather x (1x4), g = x * w, w' = sgd(w, g)."""
    return Program(
        Header(n_state=1, n_step=3, data_rows=16, data_cols=4, batch=1, seed=seed),
        (Node(Op.INIT_UNIFORM, (), 1, 4, c0=0x3F000000),),
        (
            Node(Op.GATHER, ((Ref.DATA, 0),), 1, 4),
            Node(Op.MUL, ((Ref.NODE, 0), (Ref.STATE, 0)), 1, 4),
            Node(Op.SGD, ((Ref.STATE, 0), (Ref.NODE, 1)), 1, 4, c0=0x3C23D70A),
        ),
    )


def tiny_task(seed: int = 22) -> tuple[bytes, int, list[bytes]]:
    """(program_root, header, header_proof) of `tiny_program(seed)`."""
    program = tiny_program(seed)
    header, proof = header_proof(program)
    return program.root(), header, proof
