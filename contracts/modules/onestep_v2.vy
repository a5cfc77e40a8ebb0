# pragma version ^0.4.3
"""
@title onestep_v2
@license MIT
@notice Micro-step semantics of op set v2, every opcode >= 15
        (docs/reproducible-ops.md sections 5.1, 5.2 and 5.4): K, the operands of
        micro-step m of output element e, their tensors' lengths, and the
        next micro-state s_m. The OneStepV2 contract exposes it; the
        OneStepVerifier sends every opcode >= 15 there (EIP-170 keeps the
        two halves in two contracts).
@dev Mirrors offchain/runtime/micro.py line by line; the tests check the
     two bit for bit. Every function is `@internal @pure`. Records are
     decoded by onestep.vy (shared structs). Reverts keep the "onestep:"
     prefix of the v1 module: callers see the same reason whichever half
     decides. `prev` (s_{m-1}) is an argument of `_operand_refs` so that an
     opcode may address its operands by a value (EMBEDDING's row index).
@custom:security Pure; no state, no external calls.
"""


# ------------------------------------------------------------------
#                            MODULES
# ------------------------------------------------------------------

from . import onestep
from . import opcodes
from . import softfloat32


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

# @dev public so that the module compiled on its own has a runtime (see
#      onestep.MAX_OPERANDS); importers do not export it
MAX_OPERANDS: public(constant(uint256)) = onestep.MAX_OPERANDS

# @dev float32 bit patterns: 1.0 and 0.5
ONE: constant(uint32) = 1_065_353_216  # 0x3f800000
HALF: constant(uint32) = 1_056_964_608  # 0x3f000000


# ------------------------------------------------------------------
#                            INTERNAL
# ------------------------------------------------------------------


@internal
@pure
def _num_micro_steps(n: onestep.Node) -> uint256:
    """
    @dev K of a v2 node; reverts on an opcode that is neither v2 nor
         known ("onestep: unknown opcode").
    """
    op: uint256 = n.opcode
    if op == opcodes.OP_ROW_MAX:
        return n.k
    if op == opcodes.OP_SOFTMAX_XENT:
        return 2 * n.k
    if op == opcodes.OP_SOFTMAX_XENT_GRAD:
        return n.k + opcodes.XENT_GRAD_EXTRA_STEPS
    if op == opcodes.OP_SOFTMAX:
        return n.k + 1
    if op == opcodes.OP_SOFTMAX_BWD:
        return n.k + 2
    if op == opcodes.OP_GELU or op == opcodes.OP_GELU_BWD:
        return opcodes.K_GELU
    if op == opcodes.OP_RSQRT:
        return opcodes.K_RSQRT
    if op == opcodes.OP_ADAM_M or op == opcodes.OP_ADAM_V:
        return opcodes.K_ADAM_M
    if op == opcodes.OP_ADAM:
        return opcodes.K_ADAM
    if op == opcodes.OP_EMBEDDING:
        return opcodes.K_EMBEDDING
    if op == opcodes.OP_EMBEDDING_BWD:
        return n.k
    if op == opcodes.OP_LN_RSTD:
        return n.k + opcodes.LN_RSTD_EXTRA_STEPS
    if op == opcodes.OP_LN_NORM:
        return opcodes.K_LN_NORM
    if op == opcodes.OP_LN_BWD:
        return n.cols + opcodes.LN_BWD_EXTRA_STEPS
    # batched MATMUL (section 5.4)
    if op == opcodes.OP_BMATMUL:
        return n.k
    assert (op >= opcodes.OP_DIV and op <= opcodes.OP_LOG) or op == opcodes.OP_LN_SCALE, "onestep: unknown opcode"
    return 1


@internal
@pure
def _input_count(h: onestep.Header, n: onestep.Node, i: uint256, kind: uint256) -> uint256:
    """
    @dev Element count of the tensor operand i of v2 node n reads (the
         rule of onestep._input_count): ROW_MAX's input rows * k;
         SOFTMAX_XENT(_GRAD) and SOFTMAX position 0 rows * k, position 1
         the row max (rows); LN_RSTD position 0 rows * k, position 1 the
         row sum (rows); LN_NORM position 0 rows (row sum, rstd), position
         1 rows * cols; LN_SCALE's gamma cols; the dataset data_rows *
         data_cols; every other operand rows * cols.
    """
    if kind == opcodes.REF_DATA:
        return h.data_rows * h.data_cols
    op: uint256 = n.opcode
    if op == opcodes.OP_ROW_MAX:
        return n.rows * n.k
    if op == opcodes.OP_SOFTMAX_XENT or op == opcodes.OP_SOFTMAX_XENT_GRAD or op == opcodes.OP_SOFTMAX:
        # position 0: z, y*z or y (rows x k); position 1: the row max (rows)
        if i == 0:
            return n.rows * n.k
        return n.rows
    if op == opcodes.OP_LN_RSTD:
        if i == 0:
            return n.rows * n.k
        return n.rows
    if op == opcodes.OP_LN_NORM:
        if i == 0:
            return n.rows
        return n.rows * n.cols
    if op == opcodes.OP_LN_SCALE and i == 1:
        return n.cols
    # batched MATMUL (section 5.4): A is c1 blocks of (rows / c1) x k, B c1 blocks of k x cols
    if op == opcodes.OP_BMATMUL:
        if i == 0:
            return n.rows * n.k
        return n.c1 * n.k * n.cols
    if op == opcodes.OP_EMBEDDING:
        # position 0: the tokens (rows); position 1: the table (k rows of cols)
        if i == 0:
            return n.rows
        return n.k * n.cols
    if op == opcodes.OP_EMBEDDING_BWD:
        # position 0: the tokens (k); position 1: the gradient (k rows of cols)
        if i == 0:
            return n.k
        return n.k * n.cols
    return n.rows * n.cols


@internal
@pure
def _operand_refs(
    h: onestep.Header, n: onestep.Node, t: uint256, e: uint256, m: uint256, prev: uint32
) -> DynArray[onestep.OperandRef, MAX_OPERANDS]:
    """
    @dev The operands of micro-step m of element e of a v2 node, in the
         order `_next_state` takes them. Reverts on e >= rows * cols or m
         outside 1..K. EMBEDDING (micro-step 2) reads the row that prev,
         the agreed s_1, names; no other v2 opcode reads h, t or prev.
    """
    assert e < n.rows * n.cols, "onestep: element out of range"
    assert m >= 1 and m <= self._num_micro_steps(n), "onestep: micro-step out of range"
    if n.opcode == opcodes.OP_EMBEDDING or n.opcode == opcodes.OP_EMBEDDING_BWD:
        return self._embedding_refs(n, e, m, prev)
    return self._refs(n, e, m, e // n.cols)


@internal
@pure
def _next_state(
    h: onestep.Header,
    n: onestep.Node,
    slot_or_j: uint256,
    t: uint256,
    e: uint256,
    m: uint256,
    prev: uint32,
    x: DynArray[uint32, MAX_OPERANDS],
) -> uint32:
    """
    @dev s_m of a v2 node from s_{m-1} = prev and the operands x; checks
         x's count against `_operand_refs` itself (and so e and m).
    """
    refs: DynArray[onestep.OperandRef, MAX_OPERANDS] = self._operand_refs(h, n, t, e, m, prev)
    assert len(x) == len(refs), "onestep: wrong operand count"
    if n.opcode == opcodes.OP_EMBEDDING or n.opcode == opcodes.OP_EMBEDDING_BWD:
        return self._embedding_next(n, e, m, prev, x)
    return self._next(n, t, m, prev, x)


@internal
@pure
def _one(kind: uint256, index: uint256, flat: uint256) -> DynArray[onestep.OperandRef, MAX_OPERANDS]:
    """
    @dev One operand (smaller code than a literal in each branch).
    """
    return [onestep.OperandRef(kind=kind, index=index, flat=flat)]


@internal
@pure
def _two(
    kind0: uint256, index0: uint256, flat0: uint256, kind1: uint256, index1: uint256, flat1: uint256
) -> DynArray[onestep.OperandRef, MAX_OPERANDS]:
    """
    @dev Two operands (smaller code than a literal in each branch).
    """
    return [
        onestep.OperandRef(kind=kind0, index=index0, flat=flat0),
        onestep.OperandRef(kind=kind1, index=index1, flat=flat1),
    ]


@internal
@pure
def _refs(n: onestep.Node, e: uint256, m: uint256, r: uint256) -> DynArray[onestep.OperandRef, MAX_OPERANDS]:
    """
    @dev The operand refs of a v2 opcode (micro.operand_refs); e and m
         are already range-checked, r = e // cols.
    """
    op: uint256 = n.opcode
    if op == opcodes.OP_BMATMUL:
        return self._bmm_refs(n, e, m)
    if op == opcodes.OP_DIV:
        return self._two(n.in0_kind, n.in0_index, e, n.in1_kind, n.in1_index, e)
    if op == opcodes.OP_SQRT or op == opcodes.OP_EXP or op == opcodes.OP_LOG:
        return self._one(n.in0_kind, n.in0_index, e)
    if op == opcodes.OP_RSQRT:
        if m == 1:
            return self._one(n.in0_kind, n.in0_index, e)
        return []
    if op == opcodes.OP_ROW_MAX:
        return self._one(n.in0_kind, n.in0_index, r * n.k + m - 1)
    if op == opcodes.OP_SOFTMAX_XENT:
        # z = in0, y*z = in1 (rows x k), row max = in2 (rows x 1)
        if m <= n.k:
            return self._two(n.in0_kind, n.in0_index, r * n.k + m - 1, n.in2_kind, n.in2_index, r)
        if m == n.k + 1:
            return self._two(n.in1_kind, n.in1_index, r * n.k, n.in2_kind, n.in2_index, r)
        return self._one(n.in1_kind, n.in1_index, r * n.k + m - n.k - 1)
    if op == opcodes.OP_SOFTMAX_XENT_GRAD:
        # z = in0, y = in1 (rows x cols, k = cols), row max = in2 (rows x 1)
        if m <= n.k:
            return self._two(n.in0_kind, n.in0_index, r * n.k + m - 1, n.in2_kind, n.in2_index, r)
        if m == n.k + 1:
            return self._two(n.in0_kind, n.in0_index, e, n.in2_kind, n.in2_index, r)
        if m == n.k + 2:
            return self._one(n.in1_kind, n.in1_index, e)
        return []
    if op == opcodes.OP_ADAM_M or op == opcodes.OP_ADAM_V:
        if m == 1:
            return self._one(n.in0_kind, n.in0_index, e)
        return self._one(n.in1_kind, n.in1_index, e)
    if op == opcodes.OP_SOFTMAX:
        # z = in0 (rows x cols, k = cols), row max = in1 (rows x 1)
        if m <= n.k:
            return self._two(n.in0_kind, n.in0_index, r * n.k + m - 1, n.in1_kind, n.in1_index, r)
        return self._two(n.in0_kind, n.in0_index, e, n.in1_kind, n.in1_index, r)
    if op == opcodes.OP_SOFTMAX_BWD:
        # g = in0, p = in1 (rows x cols, k = cols)
        if m <= n.k:
            return self._two(n.in0_kind, n.in0_index, r * n.k + m - 1, n.in1_kind, n.in1_index, r * n.k + m - 1)
        if m == n.k + 1:
            return self._one(n.in0_kind, n.in0_index, e)
        return self._one(n.in1_kind, n.in1_index, e)
    if op == opcodes.OP_GELU:
        if m == 1 or m == 4:
            return self._one(n.in0_kind, n.in0_index, e)
        return []
    if op == opcodes.OP_GELU_BWD:
        if m == 1 or m == 3:
            return self._one(n.in0_kind, n.in0_index, e)
        if m == 4:
            return self._one(n.in1_kind, n.in1_index, e)
        return []
    if op == opcodes.OP_LN_RSTD:
        # x = in0 (rows x k), row sum = in1 (rows x 1)
        if m <= n.k:
            return self._two(n.in0_kind, n.in0_index, r * n.k + m - 1, n.in1_kind, n.in1_index, r)
        return []
    if op == opcodes.OP_LN_NORM:
        # x = in0 (rows x cols), row sum = in1, rstd = in2 (rows x 1)
        if m == 1:
            return self._two(n.in1_kind, n.in1_index, r, n.in0_kind, n.in0_index, e)
        return self._one(n.in2_kind, n.in2_index, r)
    if op == opcodes.OP_LN_SCALE:
        # a = in0 (rows x cols), gamma = in1 (1 x cols)
        return self._two(n.in0_kind, n.in0_index, e, n.in1_kind, n.in1_index, e % n.cols)
    if op == opcodes.OP_LN_BWD:
        # dxhat = in0, xhat = in1 (rows x cols)
        if m <= n.cols:
            return self._two(n.in0_kind, n.in0_index, r * n.cols + m - 1, n.in1_kind, n.in1_index, r * n.cols + m - 1)
        if m == n.cols + 1:
            return self._one(n.in1_kind, n.in1_index, e)
        return self._one(n.in0_kind, n.in0_index, e)
    # ADAM: w = in0, m' = in1, v' = in2
    if m == 3:
        return self._one(n.in2_kind, n.in2_index, e)
    if m == 6:
        return self._one(n.in1_kind, n.in1_index, e)
    if m == 8 or m == 10:
        return self._one(n.in0_kind, n.in0_index, e)
    return []


# --- batched MATMUL (BMATMUL, docs/reproducible-ops.md section 5.4) ---
@internal
@pure
def _bmm_refs(n: onestep.Node, e: uint256, m: uint256) -> DynArray[onestep.OperandRef, MAX_OPERANDS]:
    """
    @dev micro.bmm_operand_refs: element e = ((b * R + i) * cols + j), R =
         rows / c1; A[b] (R x k, or k x R when c0 bit 0) at offset b*R*k,
         B[b] (k x cols, or cols x k when c0 bit 1) at offset b*k*cols;
         none when c0 bit 2 (causal) is set and j > i. Reverts on a batch
         count c1 that is 0 or does not divide rows, or unknown flag bits.
    """
    assert n.c1 != 0 and n.rows % n.c1 == 0, "onestep: bad bmatmul batch count"
    assert n.c0 | opcodes.BMM_FLAGS == opcodes.BMM_FLAGS, "onestep: bad bmatmul flags"
    rpb: uint256 = n.rows // n.c1
    rr: uint256 = e // n.cols
    j: uint256 = e % n.cols
    i: uint256 = rr % rpb
    if n.c0 & opcodes.BMM_CAUSAL != 0 and j > i:
        return []
    s: uint256 = m - 1
    ia: uint256 = (rr - i) * n.k  # b * R * k
    if n.c0 & opcodes.BMM_TRANSPOSE_A != 0:
        ia += s * rpb + i
    else:
        ia += i * n.k + s
    ib: uint256 = (rr // rpb) * n.k * n.cols  # b * k * cols
    if n.c0 & opcodes.BMM_TRANSPOSE_B != 0:
        ib += j * n.k + s
    else:
        ib += s * n.cols + j
    return self._two(n.in0_kind, n.in0_index, ia, n.in1_kind, n.in1_index, ib)
# --- end batched MATMUL ---


@internal
@pure
def _adam_power(t: uint256, ln_beta: uint32) -> uint32:
    """
    @dev beta^t = exp(mul(from_int(min(t, ADAM_T_CAP)), ln beta)).
    """
    tt: uint256 = min(t, opcodes.ADAM_T_CAP)
    return softfloat32.exp(softfloat32.mul(softfloat32.from_int(convert(tt, int256)), ln_beta))


@internal
@pure
def _gelu_slope(t: uint32, x: uint32) -> uint32:
    """
    @dev GELU'(x) from t = tanh(u) (micro.gelu_slope):
         0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3C x^2).
    """
    left: uint32 = softfloat32.mul(HALF, softfloat32.add(ONE, t))
    a: uint32 = softfloat32.mul(softfloat32.mul(HALF, x), softfloat32.sub(ONE, softfloat32.mul(t, t)))
    b: uint32 = softfloat32.mul(
        opcodes.GELU_SQRT_2_OVER_PI,
        softfloat32.add(ONE, softfloat32.mul(opcodes.GELU_3C, softfloat32.mul(x, x))),
    )
    return softfloat32.add(left, softfloat32.mul(a, b))


@internal
@pure
def _next(n: onestep.Node, t: uint256, m: uint256, prev: uint32, x: DynArray[uint32, MAX_OPERANDS]) -> uint32:
    """
    @dev s_m of a v2 opcode (micro._next_state_v2).
    """
    op: uint256 = n.opcode
    if op == opcodes.OP_BMATMUL:
        # MATMUL's micro-step; a causally masked element has no operands and is -inf
        if len(x) == 0:
            return opcodes.BMM_MASKED
        return softfloat32.add(prev, softfloat32.mul(x[0], x[1]))
    if op == opcodes.OP_DIV:
        return softfloat32.div(x[0], x[1])
    if op == opcodes.OP_SQRT:
        return softfloat32.sqrt(x[0])
    if op == opcodes.OP_RSQRT:
        if m == 1:
            return softfloat32.sqrt(x[0])
        return softfloat32.div(ONE, prev)
    if op == opcodes.OP_EXP:
        return softfloat32.exp(x[0])
    if op == opcodes.OP_LOG:
        return softfloat32.ln(x[0])
    if op == opcodes.OP_ROW_MAX:
        if m == 1:
            return softfloat32.fmax(x[0], x[0])
        return softfloat32.fmax(prev, x[0])
    if op == opcodes.OP_SOFTMAX_XENT or op == opcodes.OP_SOFTMAX_XENT_GRAD:
        if m <= n.k:
            return softfloat32.add(prev, softfloat32.exp(softfloat32.sub(x[0], x[1])))
        if op == opcodes.OP_SOFTMAX_XENT:
            if m == n.k + 1:
                return softfloat32.sub(softfloat32.add(softfloat32.ln(prev), x[1]), x[0])
            return softfloat32.sub(prev, x[0])
        if m == n.k + 1:
            return softfloat32.div(softfloat32.exp(softfloat32.sub(x[0], x[1])), prev)
        if m == n.k + 2:
            return softfloat32.sub(prev, x[0])
        return softfloat32.mul(prev, convert(n.c0, uint32))
    if op == opcodes.OP_ADAM_M:
        if m == 1:
            return softfloat32.mul(x[0], opcodes.ADAM_B1)
        return softfloat32.add(prev, softfloat32.mul(x[0], opcodes.ADAM_ONE_MINUS_B1))
    if op == opcodes.OP_ADAM_V:
        if m == 1:
            return softfloat32.mul(x[0], opcodes.ADAM_B2)
        return softfloat32.add(prev, softfloat32.mul(softfloat32.mul(x[0], x[0]), opcodes.ADAM_ONE_MINUS_B2))
    if op == opcodes.OP_SOFTMAX:
        if m <= n.k:
            return softfloat32.add(prev, softfloat32.exp(softfloat32.sub(x[0], x[1])))
        return softfloat32.div(softfloat32.exp(softfloat32.sub(x[0], x[1])), prev)
    if op == opcodes.OP_SOFTMAX_BWD:
        if m <= n.k:
            return softfloat32.add(prev, softfloat32.mul(x[0], x[1]))
        if m == n.k + 1:
            return softfloat32.sub(x[0], prev)
        return softfloat32.mul(prev, x[0])
    if op == opcodes.OP_GELU or op == opcodes.OP_GELU_BWD:
        if m == 1:
            # u = sqrt(2/pi) (x + C x^3)
            x3: uint32 = softfloat32.mul(softfloat32.mul(x[0], x[0]), x[0])
            return softfloat32.mul(
                softfloat32.add(x[0], softfloat32.mul(opcodes.GELU_C, x3)), opcodes.GELU_SQRT_2_OVER_PI
            )
        if m == 2:
            return softfloat32.tanh(prev)
        if op == opcodes.OP_GELU:
            if m == 3:
                return softfloat32.add(ONE, prev)
            return softfloat32.mul(softfloat32.mul(HALF, x[0]), prev)
        if m == 3:
            return self._gelu_slope(prev, x[0])
        return softfloat32.mul(prev, x[0])
    if op == opcodes.OP_LN_RSTD:
        d: uint32 = softfloat32.from_int(convert(n.k, int256))
        if m <= n.k:
            dev: uint32 = softfloat32.sub(x[0], softfloat32.div(x[1], d))
            return softfloat32.add(prev, softfloat32.mul(dev, dev))
        if m == n.k + 1:
            return softfloat32.add(softfloat32.div(prev, d), convert(n.c0, uint32))
        if m == n.k + 2:
            return softfloat32.sqrt(prev)
        return softfloat32.div(ONE, prev)
    if op == opcodes.OP_LN_NORM:
        if m == 1:
            return softfloat32.sub(x[1], softfloat32.div(x[0], softfloat32.from_int(convert(n.cols, int256))))
        return softfloat32.mul(prev, x[0])
    if op == opcodes.OP_LN_SCALE:
        return softfloat32.mul(x[0], x[1])
    if op == opcodes.OP_LN_BWD:
        if m <= n.cols:
            return softfloat32.add(prev, softfloat32.mul(x[0], x[1]))
        if m == n.cols + 1:
            return softfloat32.mul(x[0], softfloat32.div(prev, softfloat32.from_int(convert(n.cols, int256))))
        return softfloat32.sub(x[0], prev)
    # ADAM (AdamW), ten micro-steps
    if m == 1:
        return self._adam_power(t, opcodes.ADAM_LN_B2)
    if m == 2:
        return softfloat32.sub(ONE, prev)
    if m == 3 or m == 6:
        return softfloat32.div(x[0], prev)
    if m == 4:
        return softfloat32.sqrt(prev)
    if m == 5:
        return softfloat32.add(prev, opcodes.ADAM_EPS)
    if m == 7:
        return softfloat32.div(prev, softfloat32.sub(ONE, self._adam_power(t, opcodes.ADAM_LN_B1)))
    if m == 8:
        return softfloat32.add(prev, softfloat32.mul(x[0], convert(n.c1, uint32)))
    if m == 9:
        return softfloat32.mul(prev, convert(n.c0, uint32))
    return softfloat32.sub(x[0], prev)


# ------------------------------------------------------------------
#              EMBEDDING (opcodes 37-38, section 5.3)
# ------------------------------------------------------------------

# @dev `_embed_index`'s answer for token bits that name no row
NO_ROW: constant(uint256) = max_value(uint256)


@internal
@pure
def _embed_index(x: uint32, vocab: uint256) -> uint256:
    """
    @dev idx(x) (micro.embed_index): the row token bits x name, or
         NO_ROW. +0 names row 0; otherwise x names v when x is the
         binary32 encoding of the integer v (x == from_int(v)) and
         v < vocab. -0, negatives, fractions, subnormals, infinities,
         NaNs and v >= vocab name no row. Integer operations only.
    """
    b: uint256 = convert(x, uint256)
    if b == 0:
        if vocab > 0:
            return 0
        return NO_ROW
    if b >> 31 != 0:
        return NO_ROW
    ex: uint256 = (b >> 23) & 255
    if ex < 127 or ex >= 159:
        return NO_ROW
    mant: uint256 = (b & 8_388_607) | 8_388_608
    v: uint256 = 0
    if ex < 150:
        low: uint256 = 150 - ex
        if mant & ((1 << low) - 1) != 0:
            return NO_ROW
        v = mant >> low
    else:
        v = mant << (ex - 150)
    if v >= vocab:
        return NO_ROW
    return v


@internal
@pure
def _embedding_refs(
    n: onestep.Node, e: uint256, m: uint256, prev: uint32
) -> DynArray[onestep.OperandRef, MAX_OPERANDS]:
    """
    @dev EMBEDDING: m = 1 tok[r]; m = 2 tok[r] and, when the agreed
         s_1 = prev names a row v, W[v * cols + c] (the one operand
         reference that depends on a value). EMBEDDING_BWD: micro-step m
         reads tok[m-1] and g[(m-1) * cols + c]. e, m already checked.
    """
    r: uint256 = e // n.cols
    c: uint256 = e % n.cols
    if n.opcode == opcodes.OP_EMBEDDING_BWD:
        return self._two(n.in0_kind, n.in0_index, m - 1, n.in1_kind, n.in1_index, (m - 1) * n.cols + c)
    if m == 1:
        return self._one(n.in0_kind, n.in0_index, r)
    v: uint256 = self._embed_index(prev, n.k)
    if v == NO_ROW:
        return self._one(n.in0_kind, n.in0_index, r)
    return self._two(n.in0_kind, n.in0_index, r, n.in1_kind, n.in1_index, v * n.cols + c)


@internal
@pure
def _embedding_next(
    n: onestep.Node, e: uint256, m: uint256, prev: uint32, x: DynArray[uint32, MAX_OPERANDS]
) -> uint32:
    """
    @dev s_m of EMBEDDING (m = 1 the token bits; m = 2 the row's value
         with a NaN made canonical, or the canonical NaN when s_1 names
         no row) and EMBEDDING_BWD (select-accumulate: add g when tok
         names the output row r, else keep s_{m-1}).
    """
    if n.opcode == opcodes.OP_EMBEDDING:
        if m == 1:
            return x[0]
        if self._embed_index(prev, n.k) == NO_ROW:
            return opcodes.CANONICAL_NAN
        return softfloat32.fmax(x[1], x[1])
    if self._embed_index(x[0], n.rows) == e // n.cols:
        return softfloat32.add(prev, x[1])
    return prev
