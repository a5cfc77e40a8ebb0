"""Fast CPU executor of op set v1, compiled with numba, bit-identical to the spec.

Owns `run_step(program, t, state, data)`: the outputs of every node of step t
(docs/reproducible-ops.md sections 3-5) as uint32 arrays of float32 bits.
Each opcode is a numba kernel compiled without fastmath (so no FMA
contraction and no reassociation), with full subnormals and numpy's error
model. Kernels vectorise only across independent output elements:

- MATMUL packs a column panel of B, keeps a 3-row x 128-column output tile in
  a scratch buffer and walks k in order, `acc = (acc + a*b)` with the multiply
  and the add rounded separately (4 k-steps unrolled, order kept), so every
  output element sees exactly the spec's sequential micro-trace. Transposed
  operands are read in place (A by index, B while packing its panel), never
  copied. 3 rows x 4 k-steps keep the 12 broadcast A values and the 4 B
  vectors in registers (AVX-512 has 32). A panel narrower than 16 columns
  with A stored transposed (the output layer's dW) vectorises across rows
  instead, each row still walking k in order. Small products (and every
  product with one numba thread) run on the calling thread; bigger ones split
  (column panel, row group) jobs across threads with prange.
- SUM over axis 0 accumulates rows in order into a row of accumulators.
- NaN results of add/sub/mul/max are replaced by 0x7fc00000 after each node
  (MATMUL and SGD store them canonical directly)
  (NaN is absorbing in add/sub/mul chains, so canonicalising the final value
  equals canonicalising every micro-step); copies (GATHER, IM2COL, the
  RELU_BWD select) keep their operand's bits.

Importing this module raises glibc's mmap/trim thresholds (`alloc.py`), so the
megabytes allocated and freed every step are reused without page faults.

Randomness uses the compiled sampler of `offchain/commit/keccak_numba.py`,
which equals `randomness.batch_rows` / `randomness.init_u24`.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from .. import jitcache
from ..commit import keccak_numba
from . import fast_v2
from .alloc import reuse_freed_memory
from .opcodes import CANONICAL_NAN, Op, Ref
from .program import Node, Program

jitcache.ensure_cache_dir()
reuse_freed_memory()  # big outputs and scratch reused, not page-faulted every step
_JIT = dict(nogil=True, cache=True, error_model="numpy")

_CB = 128  # MATMUL: output columns per tile (one packed B panel)
_PAR_WORK = 1 << 20  # MATMUL: multiply-adds from which the parallel kernel is used
_NR = 128  # MATMUL, panels narrower than 16 columns: rows per packed A block
_CANON = np.uint32(CANONICAL_NAN)
_ABS = np.uint32(0x7FFFFFFF)
_INF = np.uint32(0x7F800000)
_TWO_M23 = np.float32(2.0**-23)
_ONE = np.float32(1.0)
_ZERO = np.float32(0.0)
_NANF = np.array([CANONICAL_NAN], dtype=np.uint32).view(np.float32)[0]  # stored bit-exact: 0x7fc00000


# --- kernels ------------------------------------------------------------------------
@nb.njit(**_JIT)
def _canon(bits):
    """Replace every NaN pattern in a uint32 array by the canonical quiet NaN."""
    for i in range(bits.shape[0]):
        if (bits[i] & _ABS) > _INF:
            bits[i] = _CANON


@nb.njit(inline="always", **_JIT)
def _a_at(a, ta, r, k):
    """A[r, k] of the spec's (R, K) operand; `a` is stored (K, R) when ta."""
    return a[k, r] if ta else a[r, k]


@nb.njit(**_JIT)
def _mm_narrow(a, b, ta, tb, c0, c1, ra, rb, out):
    """out[ra:rb, c0:c1] for a panel narrower than a vector: vectorised across rows.

    A's rows are packed k-major (ap[k, i] = A[ra + i, k]), then for each output
    column every row's accumulator walks k in order: acc[i] = acc[i] + ap[k, i] * B[k, c].
    """
    K = a.shape[0] if ta else a.shape[1]
    for r0 in range(ra, rb, _NR):
        r1 = min(rb, r0 + _NR)
        m = r1 - r0
        ap = np.empty((K, _NR), np.float32)
        for k in range(K):
            for i in range(m):
                ap[k, i] = _a_at(a, ta, r0 + i, k)
        acc = np.empty(_NR, np.float32)
        for c in range(c0, c1):
            for i in range(_NR):
                acc[i] = _ZERO
            for k in range(K):
                bkc = b[c, k] if tb else b[k, c]
                apk = ap[k]
                for i in range(m):
                    acc[i] = acc[i] + apk[i] * bkc
            for i in range(m):
                v = acc[i]
                out[r0 + i, c] = v if v == v else _NANF


@nb.njit(**_JIT)
def _mm_block(a, b, ta, tb, c0, c1, ra, rb, out):
    """out[ra:rb, c0:c1] of `_matmul` (a plain function: compiled outside the parallel loop)."""
    K = a.shape[0] if ta else a.shape[1]
    if ta and c1 - c0 < 16 and rb - ra >= 16:  # A stored k-major: rows are contiguous
        _mm_narrow(a, b, ta, tb, c0, c1, ra, rb, out)
        return
    K4 = K - K % 4
    n = c1 - c0
    bp = np.empty((K, _CB), np.float32)  # packed column panel of B
    if tb:  # b is (C, K): copy 16 x 16 blocks so reads and writes stay in cache lines
        for k0 in range(0, K, 16):
            k1 = min(K, k0 + 16)
            for cc in range(n):
                bc = b[c0 + cc]
                for k in range(k0, k1):
                    bp[k, cc] = bc[k]
    else:
        for k in range(K):
            bk = b[k, c0:c1]
            for cc in range(n):
                bp[k, cc] = bk[cc]
    t = np.empty((3, _CB), np.float32)  # output tile, 3 rows
    r = ra
    while r + 3 <= rb:
        for i in range(3):
            for cc in range(_CB):
                t[i, cc] = _ZERO
        for k in range(0, K4, 4):
            a00 = _a_at(a, ta, r, k)
            a01 = _a_at(a, ta, r, k + 1)
            a02 = _a_at(a, ta, r, k + 2)
            a03 = _a_at(a, ta, r, k + 3)
            a10 = _a_at(a, ta, r + 1, k)
            a11 = _a_at(a, ta, r + 1, k + 1)
            a12 = _a_at(a, ta, r + 1, k + 2)
            a13 = _a_at(a, ta, r + 1, k + 3)
            a20 = _a_at(a, ta, r + 2, k)
            a21 = _a_at(a, ta, r + 2, k + 1)
            a22 = _a_at(a, ta, r + 2, k + 2)
            a23 = _a_at(a, ta, r + 2, k + 3)
            for cc in range(n):
                b0 = bp[k, cc]
                b1 = bp[k + 1, cc]
                b2 = bp[k + 2, cc]
                b3 = bp[k + 3, cc]
                t[0, cc] = (((t[0, cc] + a00 * b0) + a01 * b1) + a02 * b2) + a03 * b3
                t[1, cc] = (((t[1, cc] + a10 * b0) + a11 * b1) + a12 * b2) + a13 * b3
                t[2, cc] = (((t[2, cc] + a20 * b0) + a21 * b1) + a22 * b2) + a23 * b3
        for k in range(K4, K):
            a00 = _a_at(a, ta, r, k)
            a10 = _a_at(a, ta, r + 1, k)
            a20 = _a_at(a, ta, r + 2, k)
            for cc in range(n):
                b0 = bp[k, cc]
                t[0, cc] = t[0, cc] + a00 * b0
                t[1, cc] = t[1, cc] + a10 * b0
                t[2, cc] = t[2, cc] + a20 * b0
        for i in range(3):
            o = out[r + i, c0:c1]
            for cc in range(n):
                v = t[i, cc]
                o[cc] = v if v == v else _NANF
        r += 3
    while r < rb:
        for cc in range(_CB):
            t[0, cc] = _ZERO
        for k in range(K):
            a00 = _a_at(a, ta, r, k)
            for cc in range(n):
                t[0, cc] = t[0, cc] + a00 * bp[k, cc]
        o = out[r, c0:c1]
        for cc in range(n):
            v = t[0, cc]
            o[cc] = v if v == v else _NANF
        r += 1


@nb.njit(parallel=True, **_JIT)
def _matmul(a, b, ta, tb, rgs, out):
    """out (R, C) = A (R, K) @ B (K, C), each element acc = +0; acc = acc + a*b in k order.

    `a` is A, or A stored transposed as (K, R) when ta; `b` is B, or (C, K) when tb
    (read in place: no transposed copy). Jobs are (column panel, group of `rgs`
    rows) pairs, rgs a multiple of 3 (`_row_group`); each runs `_mm_block`.
    """
    R, C = out.shape
    ncb = (C + _CB - 1) // _CB
    nrg = (R + rgs - 1) // rgs
    for job in nb.prange(ncb * nrg):
        cb = job % ncb
        rg = job // ncb
        _mm_block(a, b, ta, tb, cb * _CB, min(C, cb * _CB + _CB), rg * rgs, min(R, rg * rgs + rgs), out)


@nb.njit(**_JIT)
def _binary(opc, a, b, out):
    """Elementwise ADD (5), SUB (6), MUL (7) on flat float32 arrays."""
    n = out.shape[0]
    if opc == 5:
        for i in range(n):
            out[i] = a[i] + b[i]
    elif opc == 6:
        for i in range(n):
            out[i] = a[i] - b[i]
    else:
        for i in range(n):
            out[i] = a[i] * b[i]


@nb.njit(**_JIT)
def _scale(a, c, out):
    for i in range(out.shape[0]):
        out[i] = a[i] * c


@nb.njit(**_JIT)
def _bias_add(a, bias, out):
    """out (R, C) = a (R, C) + bias (C,) broadcast over rows."""
    R, C = out.shape
    for r in range(R):
        ar = a[r]
        orow = out[r]
        for c in range(C):
            orow[c] = ar[c] + bias[c]


@nb.njit(**_JIT)
def _relu(a_bits, out_bits):
    """max(a, +0): a if a > 0, canonical NaN if a is NaN, else +0 (so relu(-0) = +0)."""
    for i in range(out_bits.shape[0]):
        x = a_bits[i]
        if (x & _ABS) > _INF:
            out_bits[i] = _CANON
        elif x != 0 and x < np.uint32(0x80000000):  # positive, non-zero (includes +inf)
            out_bits[i] = x
        else:
            out_bits[i] = 0


@nb.njit(**_JIT)
def _relu_bwd(x, g_bits, out_bits):
    """(x > +0) ? g : +0, g's bits copied unchanged."""
    for i in range(out_bits.shape[0]):
        out_bits[i] = g_bits[i] if x[i] > _ZERO else np.uint32(0)


@nb.njit(**_JIT)
def _sum_axis0(a, out):
    """out (C,) = sequential sum over the K rows of a (K, C), starting from +0."""
    K, C = a.shape
    for c in range(C):
        out[c] = _ZERO
    for k in range(K):
        ak = a[k]
        for c in range(C):
            out[c] = out[c] + ak[c]


@nb.njit(**_JIT)
def _sum_axis1(a, out):
    """out (R,) = sequential sum over the K columns of a (R, K), starting from +0."""
    R, K = a.shape
    for r in range(R):
        acc = _ZERO
        for k in range(K):
            acc = acc + a[r, k]
        out[r] = acc


@nb.njit(**_JIT)
def _mse_grad(p, y, c, out):
    for i in range(out.shape[0]):
        out[i] = (p[i] - y[i]) * c


@nb.njit(**_JIT)
def _sgd(w, g, c, out):
    for i in range(out.shape[0]):
        v = w[i] - g[i] * c
        out[i] = v if v == v else _NANF


@nb.njit(**_JIT)
def _init_uniform(u24, c, out):
    """((u24 * 2^-23) - 1) * bound, each step rounded in float32."""
    for i in range(out.shape[0]):
        s1 = np.float32(u24[i])
        s2 = s1 * _TWO_M23
        s3 = s2 - _ONE
        out[i] = s3 * c


@nb.njit(**_JIT)
def _gather(data, rows, col0, out):
    """out (B, C)[b, c] = data (N, D)[rows[b], col0 + c], bits copied."""
    B, C = out.shape
    for b in range(B):
        src = data[rows[b], col0 : col0 + C]
        ob = out[b]
        for c in range(C):
            ob[c] = src[c]


@nb.njit(**_JIT)
def _im2col(data, rows, col0, H, W, KH, KW, out):
    """out (B*P, KH*KW) patches of the H x W image at data[rows[b], col0:]."""
    OW = W - KW + 1
    P = (H - KH + 1) * OW
    R, C = out.shape
    for r in range(R):
        b = r // P
        p = r % P
        py = p // OW
        px = p % OW
        src = data[rows[b]]
        for c in range(C):
            ky = c // KW
            kx = c % KW
            out[r, c] = src[col0 + (py + ky) * W + (px + kx)]


@nb.njit(**_JIT)
def _matmul_serial(a, b, ta, tb, out):
    """`_matmul` on the calling thread only: one job per column panel, all rows."""
    R, C = out.shape
    for c0 in range(0, C, _CB):
        _mm_block(a, b, ta, tb, c0, min(C, c0 + _CB), 0, R, out)


def _row_group(R: int, C: int, threads: int) -> int:
    """MATMUL rows per parallel job: split rows only when there are too few
    column panels for the threads (each job packs its own panel of B)."""
    ncb = (C + _CB - 1) // _CB
    nrg = min(max(1, (R + 2) // 3), max(1, (2 * threads + ncb - 1) // ncb))
    rows = (R + nrg - 1) // nrg
    return max(3, (rows + 2) // 3 * 3)


# --- node execution -------------------------------------------------------------
def _f32(bits: int) -> np.float32:
    return np.array([bits & 0xFFFFFFFF], dtype=np.uint32).view(np.float32)[0]


def _need(node: Node, j: int, arr: np.ndarray, size: int, what: str) -> np.ndarray:
    if arr.size != size:
        raise ValueError(f"fast: node {j} ({node.op.name}) {what} has {arr.size} words, expected {size}")
    return arr.reshape(-1)


class _Ctx:
    """Per-call inputs of one step: program header, step index, dataset, lazily drawn batch."""

    def __init__(self, program: Program, t: int, data: np.ndarray):
        self.header = program.header
        self.t = t
        self.data = data
        self.threads = nb.get_num_threads()
        self._rows: np.ndarray | None = None

    def rows(self) -> np.ndarray:
        if self._rows is None:
            h = self.header
            self._rows = keccak_numba.batch_rows(h.seed, self.t, h.batch, h.data_rows)
        return self._rows


def _exec_node(node: Node, j: int, ins: list[np.ndarray], ctx: _Ctx) -> np.ndarray:
    """Run one node; ins are the resolved input arrays (uint32 bits); returns (rows, cols) uint32."""
    R, C, K = node.rows, node.cols, node.k
    n = R * C
    op = node.op
    out = np.empty(n, dtype=np.uint32)
    of = out.view(np.float32)
    if op >= Op.DIV:  # op set v2: offchain/runtime/fast_v2.py
        return fast_v2.exec_v2(node, j, ins, ctx.t)
    arity = {Op.INIT_UNIFORM: 0, Op.GATHER: 1, Op.IM2COL: 1, Op.SCALE: 1, Op.RELU: 1, Op.SUM: 1}.get(op, 2)
    if len(ins) != arity:
        raise ValueError(f"fast: node {j} ({op.name}) takes {arity} inputs, got {len(ins)}")
    canon = True
    if op == Op.INIT_UNIFORM:
        u24 = keccak_numba.init_u24(ctx.header.seed, j, n)
        _init_uniform(u24, _f32(node.c0), of)
    elif op in (Op.GATHER, Op.IM2COL):
        data = ins[0]
        if data.ndim != 2:
            raise ValueError(f"fast: node {j} ({op.name}) reads the dataset matrix only")
        rows = ctx.rows()
        canon = False
        if op == Op.GATHER:
            if R != len(rows) or node.c0 + C > data.shape[1]:
                raise ValueError(f"fast: node {j} (GATHER) shape ({R}, {C}) at column {node.c0} does not fit the batch/dataset")
            _gather(data, rows, node.c0, out.reshape(R, C))
        else:
            H, W, KH, KW = (node.c0 >> 24) & 0xFF, (node.c0 >> 16) & 0xFF, (node.c0 >> 8) & 0xFF, node.c0 & 0xFF
            if not (1 <= KH <= H and 1 <= KW <= W):
                raise ValueError(f"fast: node {j} (IM2COL) kernel {KH}x{KW} does not fit image {H}x{W}")
            P = (H - KH + 1) * (W - KW + 1)
            if R != len(rows) * P or C != KH * KW or node.c1 + H * W > data.shape[1]:
                raise ValueError(f"fast: node {j} (IM2COL) shape ({R}, {C}) does not match batch x patches")
            _im2col(data, rows, node.c1, H, W, KH, KW, out.reshape(R, C))
    elif op == Op.MATMUL:
        ta, tb = bool(node.c0 & 1), bool(node.c0 & 2)
        a = _need(node, j, ins[0], R * K, "A").view(np.float32)
        b = _need(node, j, ins[1], K * C, "B").view(np.float32)
        a2 = a.reshape(K, R) if ta else a.reshape(R, K)
        b2 = b.reshape(C, K) if tb else b.reshape(K, C)
        canon = False  # the kernel writes canonical NaNs
        if K == 0:
            out[:] = 0
        else:
            if ctx.threads == 1 or R * K * C < _PAR_WORK:  # a parallel launch costs more than it saves
                _matmul_serial(a2, b2, ta, tb, of.reshape(R, C))
            else:
                _matmul(a2, b2, ta, tb, _row_group(R, C, ctx.threads), of.reshape(R, C))
    elif op in (Op.ADD, Op.SUB, Op.MUL):
        a = _need(node, j, ins[0], n, "A").view(np.float32)
        b = _need(node, j, ins[1], n, "B").view(np.float32)
        _binary(int(op), a, b, of)
    elif op == Op.SCALE:
        _scale(_need(node, j, ins[0], n, "A").view(np.float32), _f32(node.c0), of)
    elif op == Op.BIAS_ADD:
        a = _need(node, j, ins[0], n, "A").view(np.float32).reshape(R, C)
        bias = _need(node, j, ins[1], C, "bias").view(np.float32)
        _bias_add(a, bias, of.reshape(R, C))
    elif op == Op.RELU:
        _relu(_need(node, j, ins[0], n, "A"), out)
        canon = False
    elif op == Op.RELU_BWD:
        x = _need(node, j, ins[0], n, "x").view(np.float32)
        _relu_bwd(x, _need(node, j, ins[1], n, "g"), out)
        canon = False
    elif op == Op.SUM:
        if node.c0 == 0:
            if R != 1:
                raise ValueError(f"fast: node {j} (SUM axis 0) output must be (1, C)")
            _sum_axis0(_need(node, j, ins[0], K * C, "A").view(np.float32).reshape(K, C), of)
        elif node.c0 == 1:
            if C != 1:
                raise ValueError(f"fast: node {j} (SUM axis 1) output must be (R, 1)")
            _sum_axis1(_need(node, j, ins[0], R * K, "A").view(np.float32).reshape(R, K), of)
        else:
            raise ValueError(f"fast: node {j} (SUM) axis {node.c0} is not 0 or 1")
    elif op == Op.MSE_GRAD:
        p = _need(node, j, ins[0], n, "pred").view(np.float32)
        y = _need(node, j, ins[1], n, "y").view(np.float32)
        _mse_grad(p, y, _f32(node.c0), of)
    elif op == Op.SGD:
        w = _need(node, j, ins[0], n, "w").view(np.float32)
        g = _need(node, j, ins[1], n, "g").view(np.float32)
        _sgd(w, g, _f32(node.c0), of)
        canon = False  # the kernel writes canonical NaNs
    else:  # pragma: no cover - Op is a closed enum
        raise ValueError(f"fast: node {j} has unsupported opcode {op!r}")
    if canon:
        _canon(out)
    return out.reshape(R, C)


def _as_u32(arr: np.ndarray, what: str) -> np.ndarray:
    a = np.asarray(arr)
    if a.dtype == np.float32:
        a = a.view(np.uint32)
    if a.dtype != np.uint32:
        raise ValueError(f"fast: {what} must be uint32 bits or float32, got {a.dtype}")
    return np.ascontiguousarray(a)


def run_step(program: Program, t: int, state: list[np.ndarray], data: np.ndarray) -> list[np.ndarray]:
    """Outputs (uint32, shaped (rows, cols)) of every node of step t; t = 0 runs the init nodes.

    `state` holds the n_state slots after step t-1 (ignored at t = 0); `data`
    is the (N, D) dataset as uint32 bits or float32.
    """
    h = program.header
    if t < 0:
        raise ValueError("fast: step index t must be >= 0")
    d = _as_u32(data, "data")
    if d.ndim != 2 or d.shape != (h.data_rows, h.data_cols):
        raise ValueError(f"fast: data shape {d.shape} != header ({h.data_rows}, {h.data_cols})")
    if t >= 1 and len(state) != h.n_state:
        raise ValueError(f"fast: {len(state)} state slots given, program has {h.n_state}")
    slots = [_as_u32(s, "state") for s in state] if t >= 1 else []
    ctx = _Ctx(program, t, d)
    outs: list[np.ndarray] = []
    for j, node in enumerate(program.nodes(t)):
        ins = []
        for kind, index in node.inputs:
            if kind == Ref.NODE:
                if index >= j:
                    raise ValueError(f"fast: node {j} reads node {index}, not an earlier node")
                ins.append(outs[index])
            elif kind == Ref.STATE:
                if t == 0 or index >= h.n_state:
                    raise ValueError(f"fast: node {j} reads state slot {index}, not available at step {t}")
                ins.append(slots[index])
            elif kind == Ref.DATA:
                ins.append(d)
            else:
                raise ValueError(f"fast: node {j} has an input of kind {kind!r}")
        outs.append(_exec_node(node, j, ins, ctx))
    return outs
