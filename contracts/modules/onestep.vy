# pragma version ^0.4.3
"""
@title onestep
@license MIT
@notice Micro-step semantics of op set v1 (opcodes 1-14; docs/reproducible-ops.md
        sections 3-5): program-record decoding, the operands of micro-step
        m of output element e, and the next micro-state s_m. Opcodes >= 15
        (op set v2) live in onestep_v2.vy, behind the OneStepV2 contract
        (OneStepVerifier sends them there); these functions revert on them
        ("onestep: unknown opcode").
@dev Mirrors offchain/runtime/micro.py line by line; the tests check the
     two bit for bit. Every function is `@internal @pure`: no storage, no
     `initializes:` needed. Records are uint256 words laid out as
     contracts/modules/opcodes.vy (generated from offchain/runtime/opcodes.py)
     says. Float arithmetic comes from softfloat32.
@custom:security Pure; no state, no external calls. Reverts name the
     contract ("onestep: ...").
"""


# ------------------------------------------------------------------
#                            MODULES
# ------------------------------------------------------------------

from . import opcodes
from . import softfloat32


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

# @dev operands of one micro-step, at most. Public so that the module
#      compiled on its own has a runtime (brownie's build step cannot
#      handle an empty one); importers do not export it.
MAX_OPERANDS: public(constant(uint256)) = 2

# @dev where an input tensor's root is committed (see `_input_leaf`):
#      the step root S_t of the step being executed, S_{t-1}, or data_root
SOURCE_STEP: constant(uint256) = 0
SOURCE_PREV_STEP: constant(uint256) = 1
SOURCE_DATA: constant(uint256) = 2

# @dev float32 bit patterns: 1.0 and 2^-23
ONE: constant(uint32) = 1_065_353_216  # 0x3f800000
TWO_POW_M23: constant(uint32) = 872_415_232  # 0x34000000


# ------------------------------------------------------------------
#                            STRUCTS
# ------------------------------------------------------------------

# @dev a decoded node record (docs/reproducible-ops.md section 3)
struct Node:
    opcode: uint256
    in0_kind: uint256
    in0_index: uint256
    in1_kind: uint256
    in1_index: uint256
    in2_kind: uint256
    in2_index: uint256
    rows: uint256
    cols: uint256
    k: uint256
    c0: uint256
    c1: uint256

# @dev a decoded header record (leaf 0 of the program tree)
struct Header:
    version: uint256
    n_state: uint256
    n_step: uint256
    data_rows: uint256
    data_cols: uint256
    batch: uint256
    seed: uint256

# @dev one operand: input kind (Ref), input index, flat element index
#      (for DATA, into the (N, D) dataset matrix)
struct OperandRef:
    kind: uint256
    index: uint256
    flat: uint256

# @dev where an input tensor's root sits: `source` (SOURCE_*) and the
#      leaf of that step root (0 for the dataset, whose root is data_root)
struct InputLeaf:
    source: uint256
    leaf: uint256


# ------------------------------------------------------------------
#                            INTERNAL
# ------------------------------------------------------------------


@internal
@pure
def _decode_node(word: uint256) -> Node:
    """
    @dev Split a node record into its fields.
    """
    return Node(
        opcode=(word >> opcodes.NODE_OPCODE_SHIFT) & opcodes.NODE_OPCODE_MASK,
        in0_kind=(word >> opcodes.NODE_IN0_KIND_SHIFT) & opcodes.NODE_IN0_KIND_MASK,
        in0_index=(word >> opcodes.NODE_IN0_INDEX_SHIFT) & opcodes.NODE_IN0_INDEX_MASK,
        in1_kind=(word >> opcodes.NODE_IN1_KIND_SHIFT) & opcodes.NODE_IN1_KIND_MASK,
        in1_index=(word >> opcodes.NODE_IN1_INDEX_SHIFT) & opcodes.NODE_IN1_INDEX_MASK,
        in2_kind=(word >> opcodes.NODE_IN2_KIND_SHIFT) & opcodes.NODE_IN2_KIND_MASK,
        in2_index=(word >> opcodes.NODE_IN2_INDEX_SHIFT) & opcodes.NODE_IN2_INDEX_MASK,
        rows=(word >> opcodes.NODE_ROWS_SHIFT) & opcodes.NODE_ROWS_MASK,
        cols=(word >> opcodes.NODE_COLS_SHIFT) & opcodes.NODE_COLS_MASK,
        k=(word >> opcodes.NODE_K_SHIFT) & opcodes.NODE_K_MASK,
        c0=(word >> opcodes.NODE_C0_SHIFT) & opcodes.NODE_C0_MASK,
        c1=(word >> opcodes.NODE_C1_SHIFT) & opcodes.NODE_C1_MASK,
    )


@internal
@pure
def _decode_header(word: uint256) -> Header:
    """
    @dev Split a header record into its fields.
    """
    return Header(
        version=(word >> opcodes.HEADER_VERSION_SHIFT) & opcodes.HEADER_VERSION_MASK,
        n_state=(word >> opcodes.HEADER_N_STATE_SHIFT) & opcodes.HEADER_N_STATE_MASK,
        n_step=(word >> opcodes.HEADER_N_STEP_SHIFT) & opcodes.HEADER_N_STEP_MASK,
        data_rows=(word >> opcodes.HEADER_DATA_ROWS_SHIFT) & opcodes.HEADER_DATA_ROWS_MASK,
        data_cols=(word >> opcodes.HEADER_DATA_COLS_SHIFT) & opcodes.HEADER_DATA_COLS_MASK,
        batch=(word >> opcodes.HEADER_BATCH_SHIFT) & opcodes.HEADER_BATCH_MASK,
        seed=(word >> opcodes.HEADER_SEED_SHIFT) & opcodes.HEADER_SEED_MASK,
    )


@internal
@pure
def _node_leaf(h: Header, t: uint256, j: uint256) -> uint256:
    """
    @dev Leaf of node j of step t in the program tree; reverts when j is
         not a node of that step's program.
    """
    if t == 0:
        assert j < h.n_state, "onestep: node index out of range"
        return 1 + j
    assert j < h.n_step, "onestep: node index out of range"
    return 1 + h.n_state + j


@internal
@pure
def _num_micro_steps(n: Node) -> uint256:
    """
    @dev K, the micro-steps of every output element of the node.
    """
    op: uint256 = n.opcode
    if op == opcodes.OP_MATMUL or op == opcodes.OP_SUM:
        return n.k
    if op == opcodes.OP_INIT_UNIFORM:
        return opcodes.K_INIT_UNIFORM
    if op == opcodes.OP_MSE_GRAD:
        return opcodes.K_MSE_GRAD
    if op == opcodes.OP_SGD:
        return opcodes.K_SGD
    assert op >= opcodes.OP_GATHER and op < opcodes.OP_DIV, "onestep: unknown opcode"
    return 1


@internal
@pure
def _input_count(h: Header, n: Node, i: uint256, kind: uint256) -> uint256:
    """
    @dev Element count of the tensor that operand i (position in
         `_operand_refs`) of node n reads, from n's own record: MATMUL A
         rows * k, B k * cols (either layout); SUM axis 0 k * cols, axis 1
         rows * k; BIAS_ADD's bias cols; every other operand rows * cols
         (elementwise, SGD, MSE_GRAD); the dataset data_rows * data_cols.
         It fixes the height of the operand's exact proof. It equals the
         producer's rows * cols in every program executor.validate accepts
         (offchain/runtime/executor.py `_check_operand_counts` checks this
         very rule), so honest parties never take part in a program where
         it is not the tensor's true length.
    """
    if kind == opcodes.REF_DATA:
        return h.data_rows * h.data_cols
    op: uint256 = n.opcode
    if op == opcodes.OP_MATMUL:
        if i == 0:
            return n.rows * n.k
        return n.k * n.cols
    if op == opcodes.OP_SUM:
        if n.c0 == 0:
            return n.k * n.cols
        return n.rows * n.k
    if op == opcodes.OP_BIAS_ADD and i == 1:
        return n.cols
    return n.rows * n.cols


@internal
@pure
def _batch_row(h: Header, t: uint256, b: uint256) -> uint256:
    """
    @dev Dataset row of batch element b at step t.
    """
    assert h.data_rows != 0, "onestep: empty dataset"
    return convert(keccak256(abi_encode(h.seed, t, b)), uint256) % h.data_rows


@internal
@pure
def _ref(kind: uint256, index: uint256, flat: uint256) -> OperandRef:
    return OperandRef(kind=kind, index=index, flat=flat)


@internal
@pure
def _operand_refs(h: Header, n: Node, t: uint256, e: uint256, m: uint256) -> DynArray[OperandRef, MAX_OPERANDS]:
    """
    @dev The operands of micro-step m of element e, in the order `_next_state`
         takes them. Reverts on e >= rows * cols or m outside 1..K.
    """
    assert e < n.rows * n.cols, "onestep: element out of range"
    assert m >= 1 and m <= self._num_micro_steps(n), "onestep: micro-step out of range"
    r: uint256 = e // n.cols
    c: uint256 = e % n.cols
    op: uint256 = n.opcode
    if op == opcodes.OP_INIT_UNIFORM:
        return []
    if op == opcodes.OP_MATMUL:
        i: uint256 = m - 1
        ia: uint256 = r * n.k + i
        if n.c0 & 1 != 0:
            ia = i * n.rows + r
        ib: uint256 = i * n.cols + c
        if n.c0 & 2 != 0:
            ib = c * n.k + i
        return [self._ref(n.in0_kind, n.in0_index, ia), self._ref(n.in1_kind, n.in1_index, ib)]
    if op == opcodes.OP_ADD or op == opcodes.OP_SUB or op == opcodes.OP_MUL or op == opcodes.OP_RELU_BWD:
        return [self._ref(n.in0_kind, n.in0_index, e), self._ref(n.in1_kind, n.in1_index, e)]
    if op == opcodes.OP_SCALE or op == opcodes.OP_RELU:
        return [self._ref(n.in0_kind, n.in0_index, e)]
    if op == opcodes.OP_BIAS_ADD:
        return [self._ref(n.in0_kind, n.in0_index, e), self._ref(n.in1_kind, n.in1_index, c)]
    if op == opcodes.OP_SUM:
        if n.c0 == 0:
            return [self._ref(n.in0_kind, n.in0_index, (m - 1) * n.cols + c)]
        assert n.c0 == 1, "onestep: bad sum axis"
        return [self._ref(n.in0_kind, n.in0_index, r * n.k + (m - 1))]
    if op == opcodes.OP_MSE_GRAD:
        if m == 1:
            return [self._ref(n.in0_kind, n.in0_index, e), self._ref(n.in1_kind, n.in1_index, e)]
        return []
    if op == opcodes.OP_SGD:
        if m == 1:
            return [self._ref(n.in1_kind, n.in1_index, e)]
        return [self._ref(n.in0_kind, n.in0_index, e)]
    if op == opcodes.OP_GATHER:
        row: uint256 = self._batch_row(h, t, r)
        return [self._ref(n.in0_kind, n.in0_index, row * h.data_cols + n.c0 + c)]
    # IM2COL: c0 = H << 24 | W << 16 | KH << 8 | KW, c1 = col0
    hh: uint256 = (n.c0 >> 24) & 255
    ww: uint256 = (n.c0 >> 16) & 255
    kh: uint256 = (n.c0 >> 8) & 255
    kw: uint256 = n.c0 & 255
    assert kh != 0 and kw != 0 and kh <= hh and kw <= ww, "onestep: bad im2col shape"
    pw: uint256 = ww - kw + 1
    patches: uint256 = (hh - kh + 1) * pw
    p: uint256 = r % patches
    pixel: uint256 = (p // pw + c // kw) * ww + (p % pw + c % kw)
    row: uint256 = self._batch_row(h, t, r // patches)
    return [self._ref(n.in0_kind, n.in0_index, row * h.data_cols + n.c1 + pixel)]


@internal
@pure
def _next_state(
    h: Header,
    n: Node,
    slot_or_j: uint256,
    t: uint256,
    e: uint256,
    m: uint256,
    prev: uint32,
    x: DynArray[uint32, MAX_OPERANDS],
) -> uint32:
    """
    @dev s_m from s_{m-1} = prev and the operands x, which the caller has
         checked against `_operand_refs` (count and order). slot_or_j is the
         node's index in its program (the state slot for INIT_UNIFORM); t
         the step (ADAM's bias correction).
    """
    op: uint256 = n.opcode
    if op == opcodes.OP_MATMUL:
        return softfloat32.add(prev, softfloat32.mul(x[0], x[1]))
    if op == opcodes.OP_SUM:
        return softfloat32.add(prev, x[0])
    if op == opcodes.OP_ADD or op == opcodes.OP_BIAS_ADD:
        return softfloat32.add(x[0], x[1])
    if op == opcodes.OP_SUB:
        return softfloat32.sub(x[0], x[1])
    if op == opcodes.OP_MUL:
        return softfloat32.mul(x[0], x[1])
    if op == opcodes.OP_SCALE:
        return softfloat32.mul(x[0], convert(n.c0, uint32))
    if op == opcodes.OP_RELU:
        return softfloat32.fmax(x[0], 0)
    if op == opcodes.OP_RELU_BWD:
        if softfloat32.gt(x[0], 0):
            return x[1]
        return 0
    if op == opcodes.OP_GATHER or op == opcodes.OP_IM2COL:
        return x[0]
    if op == opcodes.OP_MSE_GRAD:
        if m == 1:
            return softfloat32.sub(x[0], x[1])
        return softfloat32.mul(prev, convert(n.c0, uint32))
    if op == opcodes.OP_SGD:
        if m == 1:
            return softfloat32.mul(x[0], convert(n.c0, uint32))
        return softfloat32.sub(x[0], prev)
    # INIT_UNIFORM: (2 * u24 * 2^-24 - 1) * bound in four roundings
    if m == 1:
        u24: uint256 = convert(keccak256(abi_encode(h.seed, slot_or_j, e)), uint256) >> 232
        return softfloat32.from_int(convert(u24, int256))
    if m == 2:
        return softfloat32.mul(prev, TWO_POW_M23)
    if m == 3:
        return softfloat32.sub(prev, ONE)
    return softfloat32.mul(prev, convert(n.c0, uint32))


@internal
@pure
def _input_leaf(h: Header, t: uint256, j: uint256, kind: uint256, index: uint256) -> InputLeaf:
    """
    @dev Where the tensor root of input (kind, index) of node j at step t is
         committed. NODE: leaf `index` of S_t (must be < j, so that both
         parties of a dispute agree on it); STATE: leaf of S_{t-1} that
         holds the slot (index itself at t = 1, n_step - n_state + index
         later); DATA: data_root itself.
    """
    if kind == opcodes.REF_NODE:
        assert index < j, "onestep: input node not before node"
        return InputLeaf(source=SOURCE_STEP, leaf=index)
    if kind == opcodes.REF_STATE:
        assert t != 0, "onestep: no state before step 0"
        assert index < h.n_state, "onestep: state slot out of range"
        if t == 1:
            return InputLeaf(source=SOURCE_PREV_STEP, leaf=index)
        assert h.n_step >= h.n_state, "onestep: bad header"
        return InputLeaf(source=SOURCE_PREV_STEP, leaf=h.n_step - h.n_state + index)
    assert kind == opcodes.REF_DATA, "onestep: missing input"
    return InputLeaf(source=SOURCE_DATA, leaf=0)
