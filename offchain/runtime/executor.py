"""Common executor API: program validation, the backend registry and step running.

Every executor ("backend") is a function
`run_step(program, t, state, data) -> list[np.ndarray]` that returns the
uint32 bit patterns, shaped (rows, cols), of every node of step t
(docs/reproducible-ops.md sections 3 and 5). `state` holds the slot tensors
after step t-1 (ignored at t = 0) and `data` is the uint32 dataset matrix
(N, D). Backends must agree bit for bit; this module only dispatches.

Registered backends: "reference" (torch on CPU), "reference:<device>"
(torch on any device, e.g. "reference:cuda") and "fast", which is loaded
lazily from `offchain.runtime.fast` when that module exists.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator

import numpy as np

from . import fpenv, micro
from . import opcodes as oc
from .opcodes import Op, Ref
from .program import Node, Program

Backend = Callable[[Program, int, list[np.ndarray], np.ndarray], list[np.ndarray]]

_BACKENDS: dict[str, Backend] = {}

#: layer norm divides by from_int(D): below 2^24 it is exactly D (docs/reproducible-ops.md 5.2)
LN_MAX_D = 1 << 24

# number of inputs of each opcode
_ARITY: dict[Op, int] = {
    Op.INIT_UNIFORM: 0,
    Op.GATHER: 1,
    Op.IM2COL: 1,
    Op.MATMUL: 2,
    Op.ADD: 2,
    Op.SUB: 2,
    Op.MUL: 2,
    Op.SCALE: 1,
    Op.BIAS_ADD: 2,
    Op.RELU: 1,
    Op.RELU_BWD: 2,
    Op.SUM: 1,
    Op.MSE_GRAD: 2,
    Op.SGD: 2,
    # op set v2
    Op.DIV: 2,
    Op.SQRT: 1,
    Op.RSQRT: 1,
    Op.EXP: 1,
    Op.LOG: 1,
    Op.ROW_MAX: 1,
    Op.SOFTMAX_XENT: 3,
    Op.SOFTMAX_XENT_GRAD: 3,
    Op.ADAM_M: 2,
    Op.ADAM_V: 2,
    Op.ADAM: 3,
    Op.SOFTMAX: 2,
    Op.SOFTMAX_BWD: 2,
    Op.GELU: 1,
    Op.GELU_BWD: 2,
    Op.LN_RSTD: 2,
    Op.LN_NORM: 3,
    Op.LN_SCALE: 2,
    Op.LN_BWD: 2,
    # batched MATMUL (section 5.4)
    Op.BMATMUL: 2,
    # EMBEDDING block
    Op.EMBEDDING: 2,
    Op.EMBEDDING_BWD: 2,
}
_USES_C0 = {Op.INIT_UNIFORM, Op.GATHER, Op.IM2COL, Op.MATMUL, Op.SCALE, Op.SUM, Op.MSE_GRAD, Op.SGD,
            Op.SOFTMAX_XENT_GRAD, Op.ADAM, Op.LN_RSTD, Op.BMATMUL}  # BMATMUL: c0 = flags
_USES_C1 = {Op.IM2COL, Op.ADAM, Op.BMATMUL}  # BMATMUL: c1 = batch count
_USES_K = {Op.MATMUL, Op.SUM, Op.ROW_MAX, Op.SOFTMAX_XENT, Op.SOFTMAX_XENT_GRAD, Op.SOFTMAX, Op.SOFTMAX_BWD,
           Op.LN_RSTD, Op.BMATMUL, Op.EMBEDDING, Op.EMBEDDING_BWD}  # EMBEDDING(_BWD): k = vocab rows / tokens


# --- backend registry ---------------------------------------------------------


def register_backend(name: str, fn: Backend) -> None:
    """Make `fn` available as backend `name` (a later registration replaces it)."""
    _BACKENDS[name] = fn


def get_backend(name: str) -> Backend:
    """Return the backend called `name`, importing it lazily when needed."""
    if name in _BACKENDS:
        return _BACKENDS[name]
    if name == "reference" or name.startswith("reference:"):
        from . import reference

        device = name.partition(":")[2] or "cpu"

        def _ref(program: Program, t: int, state: list[np.ndarray], data: np.ndarray) -> list[np.ndarray]:
            return reference.run_step(program, t, state, data, device=device)

        register_backend(name, _ref)
        return _ref
    if name == "fast":
        try:
            mod = importlib.import_module("offchain.runtime.fast")
        except ImportError as exc:
            raise ValueError(f"executor: backend 'fast' is not available ({exc})") from exc
        register_backend("fast", mod.run_step)
        return mod.run_step
    raise ValueError(f"executor: unknown backend {name!r}")


def available_backends() -> list[str]:
    """Names of the backends that can be loaded on this machine."""
    names = ["reference"]
    try:
        get_backend("fast")
        names.append("fast")
    except ValueError:
        pass
    return names


# --- validation ---------------------------------------------------------------


def _fail(t: int, j: int, msg: str) -> None:
    where = "init" if t == 0 else "step"
    raise ValueError(f"executor: {where} node {j}: {msg}")


def im2col_geometry(c0: int) -> tuple[int, int, int, int]:
    """Unpack IM2COL's c0 = H<<24 | W<<16 | KH<<8 | KW into (H, W, KH, KW)."""
    return (c0 >> 24) & 0xFF, (c0 >> 16) & 0xFF, (c0 >> 8) & 0xFF, c0 & 0xFF


def _ref_size(program: Program, t: int, j: int, kind: Ref, index: int) -> int:
    h = program.header
    nodes = program.nodes(t)
    if kind == Ref.NODE:
        if not 0 <= index < j:
            _fail(t, j, f"NODE reference {index} is not an earlier node")
        return nodes[index].size
    if kind == Ref.STATE:
        if t == 0:
            _fail(t, j, "the initialisation program cannot read state")
        if not 0 <= index < h.n_state:
            _fail(t, j, f"STATE reference {index} out of range (n_state={h.n_state})")
        return program.init[index].size
    if kind == Ref.DATA:
        if index != 0:
            _fail(t, j, "DATA reference index must be 0")
        return h.data_rows * h.data_cols
    _fail(t, j, f"bad reference kind {kind}")
    return 0


def _check_node(program: Program, t: int, j: int, node: Node) -> None:
    h = program.header
    op = node.op
    if op not in _ARITY:
        _fail(t, j, f"unknown opcode {op}")
    if len(node.inputs) != _ARITY[op]:
        _fail(t, j, f"{op.name} takes {_ARITY[op]} inputs, got {len(node.inputs)}")
    if node.rows < 1 or node.cols < 1:
        _fail(t, j, "empty output shape")
    if (op in _USES_K) != (node.k != 0):
        _fail(t, j, f"{op.name} k field must be {'>= 1' if op in _USES_K else '0'}")
    if op not in _USES_C0 and node.c0 != 0:
        _fail(t, j, f"{op.name} c0 must be 0")
    if op not in _USES_C1 and node.c1 != 0:
        _fail(t, j, f"{op.name} c1 must be 0")
    if op == Op.INIT_UNIFORM and t != 0:
        _fail(t, j, "INIT_UNIFORM only in the initialisation program")
    sizes = [_ref_size(program, t, j, kind, index) for kind, index in node.inputs]
    kinds = [kind for kind, _ in node.inputs]
    R, C, K = node.rows, node.cols, node.k
    if op in (Op.GATHER, Op.IM2COL):
        if kinds[0] != Ref.DATA:
            _fail(t, j, f"{op.name} reads DATA")
        if t == 0:
            _fail(t, j, f"{op.name} needs a step index t >= 1")
    elif any(k == Ref.DATA for k in kinds):
        _fail(t, j, f"{op.name} cannot read DATA")
    if op == Op.GATHER:
        if R != h.batch:
            _fail(t, j, f"GATHER rows {R} != batch {h.batch}")
        if node.c0 + C > h.data_cols:
            _fail(t, j, "GATHER columns past the dataset width")
    elif op == Op.IM2COL:
        H, W, KH, KW = im2col_geometry(node.c0)
        if not (1 <= KH <= H and 1 <= KW <= W):
            _fail(t, j, "IM2COL kernel larger than the image")
        P = (H - KH + 1) * (W - KW + 1)
        if R != h.batch * P or C != KH * KW:
            _fail(t, j, f"IM2COL shape must be ({h.batch * P}, {KH * KW})")
        if node.c1 + H * W > h.data_cols:
            _fail(t, j, "IM2COL image past the dataset width")
    elif op == Op.MATMUL:
        if node.c0 > 3:
            _fail(t, j, "MATMUL c0 holds only the two transpose bits")
        if sizes[0] != R * K or sizes[1] != K * C:
            _fail(t, j, f"MATMUL input sizes {sizes} do not fit ({R}x{K}) @ ({K}x{C})")
    elif op == Op.SUM:
        if node.c0 == 0:
            if R != 1 or sizes[0] != K * C:
                _fail(t, j, "SUM axis 0 needs output (1, C) and input K*C")
        elif node.c0 == 1:
            if C != 1 or sizes[0] != R * K:
                _fail(t, j, "SUM axis 1 needs output (R, 1) and input R*K")
        else:
            _fail(t, j, "SUM axis must be 0 or 1")
    elif op == Op.BIAS_ADD:
        if sizes[0] != R * C or sizes[1] != C:
            _fail(t, j, f"BIAS_ADD needs input {R * C} and bias {C} elements, got {sizes}")
    elif op == Op.ROW_MAX:
        if C != 1 or sizes[0] != R * K:
            _fail(t, j, "ROW_MAX needs output (R, 1) and input R*k")
    elif op == Op.SOFTMAX_XENT:
        if C != 1 or sizes != [R * K, R * K, R]:
            _fail(t, j, f"SOFTMAX_XENT needs output (R, 1) and inputs z, y*z (R*k) and the row max (R), got {sizes}")
    elif op == Op.SOFTMAX_XENT_GRAD:
        if K != C or sizes != [R * C, R * C, R]:
            _fail(t, j, f"SOFTMAX_XENT_GRAD needs k = cols and inputs z, y (R*C) and the row max (R), got {sizes}")
    elif op == Op.SOFTMAX:
        if K != C or sizes != [R * C, R]:
            _fail(t, j, f"SOFTMAX needs k = cols and inputs z (R*C) and the row max (R), got {sizes}")
    elif op == Op.SOFTMAX_BWD:
        if K != C or sizes != [R * C, R * C]:
            _fail(t, j, f"SOFTMAX_BWD needs k = cols and inputs g, p (R*C), got {sizes}")
    elif op in (Op.LN_RSTD, Op.LN_NORM, Op.LN_BWD) and (K if op == Op.LN_RSTD else C) >= LN_MAX_D:
        _fail(t, j, f"{op.name} row length must be below 2^24 (from_int(D) exact)")
    elif op == Op.LN_RSTD:
        if C != 1 or sizes != [R * K, R]:
            _fail(t, j, f"LN_RSTD needs output (R, 1) and inputs x (R*k) and the row sum (R), got {sizes}")
    elif op == Op.LN_NORM:
        if sizes != [R * C, R, R]:
            _fail(t, j, f"LN_NORM needs inputs x (R*C), the row sum and rstd (R each), got {sizes}")
    elif op == Op.LN_SCALE:
        if sizes != [R * C, C]:
            _fail(t, j, f"LN_SCALE needs inputs a (R*C) and gamma (C), got {sizes}")
    elif op == Op.BMATMUL:
        _check_bmatmul(t, j, node, sizes)
    elif op == Op.EMBEDDING:  # EMBEDDING block
        if sizes != [R, K * C]:
            _fail(t, j, f"EMBEDDING needs tokens (R = {R}) and a table of k*cols = {K * C} elements, got {sizes}")
    elif op == Op.EMBEDDING_BWD:
        if sizes != [K, K * C]:
            _fail(t, j, f"EMBEDDING_BWD needs tokens (k = {K}) and a gradient of k*cols = {K * C} elements, got {sizes}")
    elif op == Op.ADAM and t == 0:
        _fail(t, j, "ADAM only in the step program")
    elif op != Op.INIT_UNIFORM:
        if any(s != R * C for s in sizes):
            _fail(t, j, f"{op.name} input sizes {sizes} differ from output size {R * C}")


# --- batched MATMUL (BMATMUL, docs/reproducible-ops.md section 5.4) ---
def _check_bmatmul(t: int, j: int, node: Node, sizes: list[int]) -> None:
    """c0 only the three flags, c1 = batch count nb >= 1 dividing rows, A nb*R*k words, B nb*k*C."""
    R, C, K, nb = node.rows, node.cols, node.k, node.c1
    if node.c0 & ~oc.BMM_FLAGS:
        _fail(t, j, f"BMATMUL c0={node.c0:#x} holds only the transpose-A, transpose-B and causal bits")
    if nb < 1 or R % nb != 0:
        _fail(t, j, f"BMATMUL batch count c1={nb} must be >= 1 and divide rows={R}")
    if sizes != [R * K, nb * K * C]:
        _fail(t, j, f"BMATMUL input sizes {sizes} do not fit {nb} x ({R // nb}x{K}) @ ({K}x{C}): "
                    f"need [{R * K}, {nb * K * C}]")
# --- end batched MATMUL ---


def _check_operand_counts(program: Program, t: int, j: int, node: Node) -> None:
    """Every operand's on-chain element count (micro.input_count, from node j's own
    record) must be the true size of the tensor it reads: the one-step verifier
    fixes each operand proof's height from it, so a program where the two differ
    could let a party prove an inner node as a leaf, or keep an honest party from
    proving its operand. micro.phase_steps lists micro-steps that show every
    operand position and input of the opcode."""
    for m in micro.phase_steps(node):
        # prev = +0 names row 0: EMBEDDING's micro-step 2 then shows both its operand positions
        for i, (kind, index, _flat) in enumerate(micro.operand_refs(program.header, node, t, 0, m, 0)):
            want = _ref_size(program, t, j, kind, index)
            got = micro.input_count(program.header, node, i, kind)
            if got != want:
                _fail(t, j, f"operand {i} reads {want} elements, the one-step verifier assumes {got}")


def validate(program: Program) -> None:
    """Raise a one-line ValueError unless `program` is well formed (refs, shapes, fields)."""
    h = program.header
    if h.version != 1:
        raise ValueError(f"executor: unsupported program version {h.version}")
    if h.n_state != len(program.init) or h.n_step != len(program.step):
        raise ValueError("executor: header node counts differ from the program")
    if h.n_state < 1 or h.n_step < h.n_state:
        raise ValueError("executor: need n_state >= 1 and n_step >= n_state")
    if h.data_rows < 1 or h.data_cols < 1 or h.batch < 1:
        raise ValueError("executor: empty dataset or batch")
    for t, nodes in ((0, program.init), (1, program.step)):
        for j, node in enumerate(nodes):
            _check_node(program, t, j, node)
            _check_operand_counts(program, t, j, node)
    for s in range(h.n_state):
        a, b = program.init[s], program.step[program.state_node(1, s)]
        if (a.rows, a.cols) != (b.rows, b.cols):
            raise ValueError(f"executor: state slot {s} changes shape ({a.rows}x{a.cols} -> {b.rows}x{b.cols})")


def check_inputs(program: Program, t: int, state: list[np.ndarray], data: np.ndarray) -> None:
    """One-line ValueError when the state or dataset does not fit the program."""
    h = program.header
    if t < 0:
        raise ValueError("executor: negative step")
    if data.dtype != np.uint32 or data.shape != (h.data_rows, h.data_cols):
        raise ValueError(f"executor: dataset must be uint32 of shape ({h.data_rows}, {h.data_cols})")
    if t > 0:
        if len(state) != h.n_state:
            raise ValueError(f"executor: expected {h.n_state} state tensors, got {len(state)}")
        for s, arr in enumerate(state):
            node = program.init[s]
            if arr.dtype != np.uint32 or arr.shape != (node.rows, node.cols):
                raise ValueError(f"executor: state slot {s} must be uint32 ({node.rows}, {node.cols})")


# --- running ------------------------------------------------------------------


def run_step(program: Program, t: int, state: list[np.ndarray], data: np.ndarray,
             backend: str = "reference") -> list[np.ndarray]:
    """uint32 outputs of every node of step t, computed by `backend` (after checking that
    this thread does not flush subnormals: fpenv.ensure)."""
    check_inputs(program, t, state, data)
    fpenv.ensure()
    return get_backend(backend)(program, t, state, data)


def state_after(program: Program, t: int, outputs: list[np.ndarray]) -> list[np.ndarray]:
    """The state slots after step t, taken from that step's node outputs."""
    return [outputs[program.state_node(t, s)] for s in range(program.header.n_state)]


def run_steps(program: Program, data: np.ndarray, first: int, last: int,
              state: list[np.ndarray], backend: str = "reference") -> Iterator[tuple[int, list[np.ndarray]]]:
    """Yield (t, outputs) for t = first..last, carrying the state between steps."""
    for t in range(first, last + 1):
        outputs = run_step(program, t, state, data, backend)
        state = state_after(program, t, outputs)
        yield t, outputs
