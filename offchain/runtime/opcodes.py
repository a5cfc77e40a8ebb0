"""Opcodes, input-reference kinds and the bit layout of program records.

This module is the single source of truth for every constant shared by the
Python runtime and the Vyper contracts. `scripts/gen_vyper_constants.py`
writes `contracts/modules/opcodes.vy` from it, and a test fails when the two
drift. The semantics of each opcode are specified in
`docs/reproducible-ops.md`.
"""

from __future__ import annotations

from enum import IntEnum

PROGRAM_VERSION = 1

#: canonical quiet NaN: every NaN produced by arithmetic is replaced by it
CANONICAL_NAN = 0x7FC00000


class Op(IntEnum):
    """Opcode numbers (8 bits in the node record). Never renumber."""

    INIT_UNIFORM = 1  # out[e] = (2u - 1) * bound, u from keccak(seed, slot, e)
    GATHER = 2  # out[b, c] = DATA[row(t, b), col0 + c]
    IM2COL = 3  # out[b*P + p, q] = DATA[row(t, b), col0 + pixel(p, q)]
    MATMUL = 4  # out = op(A) @ op(B), sequential accumulation over k
    ADD = 5  # out = a + b
    SUB = 6  # out = a - b
    MUL = 7  # out = a * b
    SCALE = 8  # out = a * c0
    BIAS_ADD = 9  # out[r, c] = a[r, c] + bias[0, c]
    RELU = 10  # out = max(a, +0.0)
    RELU_BWD = 11  # out = (x > 0) ? g : +0.0
    SUM = 12  # axis 0: out[0, c] = sum_r a[r, c]; axis 1: out[r, 0] = sum_c a[r, c]
    MSE_GRAD = 13  # out = (pred - y) * c0
    SGD = 14  # out = w - (g * c0)
    # op set v2 (docs/reproducible-ops.md section 5.1)
    DIV = 15  # out = a / b
    SQRT = 16  # out = sqrt(a)
    RSQRT = 17  # out = 1 / sqrt(a) (two roundings)
    EXP = 18  # out = exp(a) (the defined exp of section 2.1)
    LOG = 19  # out = log(a)
    ROW_MAX = 20  # out[r, 0] = max_i a[r, i] over k columns
    SOFTMAX_XENT = 21  # out[r, 0] = log(sum_i exp(z - m)) + m - sum_i yz[r, i]  (z, yz = y*z, m = row max)
    SOFTMAX_XENT_GRAD = 22  # out = (exp(z - m) / sum_i exp(z_i - m) - y) * c0
    ADAM_M = 23  # out = m * B1 + g * (1 - B1)
    ADAM_V = 24  # out = v * B2 + (g * g) * (1 - B2)
    ADAM = 25  # out = w - lr * (mhat / (sqrt(vhat) + EPS) + wd * w), AdamW with bias correction
    SOFTMAX = 26  # out = exp(z - m) / sum_i exp(z_i - m), row-wise (m = row max)
    SOFTMAX_BWD = 27  # out = (g - sum_i g_i p_i) * p, row-wise (p = the softmax output)
    GELU = 28  # out = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    GELU_BWD = 29  # out = g * d/dx GELU(x)
    # layer norm (docs/reproducible-ops.md section 5.2); the row sum s comes from SUM axis 1,
    # mean = s / D by an exact div in every micro-step that needs it (D = from_int(row length))
    LN_RSTD = 30  # out[r, 0] = 1 / sqrt(sum_i (x[r, i] - s[r] / D)^2 / D + eps), D = k, eps = c0
    LN_NORM = 31  # out = (x - s[r] / D) * rstd[r], D = cols (xhat; also dx from LN_BWD's output)
    LN_SCALE = 32  # out[r, c] = a[r, c] * gamma[0, c]
    LN_BWD = 33  # out = dxhat - xhat * (sum_i dxhat[r, i] xhat[r, i]) / D, D = cols
    # --- batched MATMUL for attention (op set v2, section 5.4; opcodes 34-36 reserved) ---
    BMATMUL = 34  # out[b] = op(A[b]) @ op(B[b]) for b < c1, c0 = transpose/causal flags; masked = -inf
    # --- end batched MATMUL ---
    # --- EMBEDDING (h-embed; opcodes 37-39 reserved for it) ---
    EMBEDDING = 37  # out[r, d] = W[idx(tok[r]), d] (canonical NaN when idx is invalid); k = vocab
    EMBEDDING_BWD = 38  # out[v, d] = sum over r in order of g[r, d] where idx(tok[r]) == v; k = tokens
    # --- end EMBEDDING ---


class Ref(IntEnum):
    """Input-reference kinds (8 bits each in the node record)."""

    NONE = 0  # unused input slot (index must be 0)
    NODE = 1  # output of node `index` of the same step (index < this node)
    STATE = 2  # state slot `index` of the previous step
    DATA = 3  # the dataset matrix (index must be 0)


#: number of micro-steps K of one output element, per opcode; MATMUL and SUM
#: take K = the node's `k` field (the reduction length)
FIXED_MICRO_STEPS: dict[Op, int] = {
    Op.INIT_UNIFORM: 4,
    Op.GATHER: 1,
    Op.IM2COL: 1,
    Op.ADD: 1,
    Op.SUB: 1,
    Op.MUL: 1,
    Op.SCALE: 1,
    Op.BIAS_ADD: 1,
    Op.RELU: 1,
    Op.RELU_BWD: 1,
    Op.MSE_GRAD: 2,
    Op.SGD: 2,
    Op.DIV: 1,
    Op.SQRT: 1,
    Op.RSQRT: 2,
    Op.EXP: 1,
    Op.LOG: 1,
    Op.ADAM_M: 2,
    Op.ADAM_V: 2,
    Op.ADAM: 10,
    Op.GELU: 4,
    Op.GELU_BWD: 4,
    Op.LN_NORM: 2,
    Op.LN_SCALE: 1,
    Op.EMBEDDING: 2,  # m=1 reads the token, m=2 the row it names (section 5.3)
}

#: micro-step counts of the reductions that depend on the node's k field:
#: ROW_MAX k, SOFTMAX_XENT 2k, SOFTMAX_XENT_GRAD k + 3 (k = classes = cols)
XENT_GRAD_EXTRA_STEPS = 3
#: LN_RSTD k + 3 (k = row length: the sum, then var + eps, sqrt, 1 / .);
#: LN_BWD cols + 2 (the sum, then the xhat product, the subtraction)
LN_RSTD_EXTRA_STEPS = 3
LN_BWD_EXTRA_STEPS = 2

# --- batched MATMUL (BMATMUL, docs/reproducible-ops.md section 5.4) ---
#: BMATMUL c0 flags: transpose A, transpose B, causal mask (out[b, i, j] = -inf for j > i)
BMM_TRANSPOSE_A = 1
BMM_TRANSPOSE_B = 2
BMM_CAUSAL = 4
BMM_FLAGS = BMM_TRANSPOSE_A | BMM_TRANSPOSE_B | BMM_CAUSAL
#: the value of a masked element (every micro-state of its trace): -inf
BMM_MASKED = 0xFF800000
# --- end batched MATMUL ---

#: Adam(W) constants of op set v2 (float32 bits, docs/reproducible-ops.md 5.1)
ADAM_B1 = 0x3F666666  # 0.9
ADAM_ONE_MINUS_B1 = 0x3DCCCCCD  # 0.1
ADAM_B2 = 0x3F7FBE77  # 0.999
ADAM_ONE_MINUS_B2 = 0x3A83126F  # 0.001
ADAM_LN_B1 = 0xBDD7C741  # float32(ln 0.9)
ADAM_LN_B2 = 0xBA832338  # float32(ln 0.999)
ADAM_EPS = 0x322BCC77  # 1e-8
#: GELU (tanh form) constants (float32 bits)
GELU_C = 0x3D372713  # 0.044715
GELU_3C = 0x3E095D4F  # 3 * 0.044715
GELU_SQRT_2_OVER_PI = 0x3F4C422A  # sqrt(2 / pi)
#: the step index used for bias correction is min(t, ADAM_T_CAP): from_int stays exact
ADAM_T_CAP = 1 << 20

# --- node record: one 256-bit word, fields from the most significant bit ----
# (name, width in bits); the lowest RESERVED bits are zero.
NODE_FIELDS: tuple[tuple[str, int], ...] = (
    ("opcode", 8),
    ("in0_kind", 8),
    ("in0_index", 16),
    ("in1_kind", 8),
    ("in1_index", 16),
    ("in2_kind", 8),
    ("in2_index", 16),
    ("rows", 32),
    ("cols", 32),
    ("k", 32),
    ("c0", 32),
    ("c1", 32),
)

# --- header record: leaf 0 of the program tree -------------------------------
HEADER_FIELDS: tuple[tuple[str, int], ...] = (
    ("version", 8),
    ("n_state", 16),
    ("n_step", 16),
    ("data_rows", 32),
    ("data_cols", 32),
    ("batch", 32),
    ("seed", 64),
)


def field_shifts(fields: tuple[tuple[str, int], ...]) -> dict[str, tuple[int, int]]:
    """Return {name: (shift, width)} for a record laid out from bit 255 down."""
    out: dict[str, tuple[int, int]] = {}
    pos = 256
    for name, width in fields:
        pos -= width
        out[name] = (pos, width)
    if pos < 0:
        raise ValueError("record wider than 256 bits")
    return out


NODE_SHIFTS = field_shifts(NODE_FIELDS)
HEADER_SHIFTS = field_shifts(HEADER_FIELDS)
