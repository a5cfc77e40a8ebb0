"""Reference executor: op sets v1 and v2 with plain torch tensor operations on any device.

It follows docs/reproducible-ops.md section 5 literally and vectorises only
across independent output elements: reductions (MATMUL, SUM) are sequential
loops over k of `acc = acc + a_col * b_row` (two separately rounded torch
ops; never torch.matmul, sum, addcmul or any fused kernel), selects (RELU,
RELU_BWD) work on bit patterns, and every NaN result is replaced by the
canonical quiet NaN. It is the executor that every other backend must match
bit for bit; speed is secondary. Op set v2 (section 5.1) runs the defined
exp/log and the exact div/sqrt through `f32vec.Torch` (torch's own float32
sqrt is not correctly rounded on CPU, so sqrt goes through binary64); the
row reductions of ROW_MAX and SOFTMAX_XENT(_GRAD) are sequential over k.
"""

from __future__ import annotations

import numpy as np
import torch

from . import f32, f32vec, micro, randomness
from . import opcodes as oc
from .executor import im2col_geometry
from .opcodes import CANONICAL_NAN, Op, Ref
from .program import Node, Program

_TWO_POW_M23 = 0x34000000  # 2^-23
_ONE = 0x3F800000


def _to_torch(arr: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint32 bit patterns (numpy) -> float32 tensor with the same bits."""
    return torch.from_numpy(np.ascontiguousarray(arr).view(np.int32)).to(device).view(torch.float32)


def _to_numpy(x: torch.Tensor, rows: int, cols: int) -> np.ndarray:
    """float32 tensor -> uint32 bit patterns (numpy) of shape (rows, cols)."""
    return x.contiguous().view(torch.int32).cpu().numpy().view(np.uint32).reshape(rows, cols).copy()


def _const(bits: int, device: torch.device) -> torch.Tensor:
    """A 0-dim float32 tensor holding exactly the float whose bits are `bits`."""
    return torch.tensor([bits & 0xFFFFFFFF], dtype=torch.int64).to(torch.int32).view(torch.float32)[0].to(device)


def _canon(x: torch.Tensor) -> torch.Tensor:
    """Replace every NaN by the canonical quiet NaN 0x7fc00000 (bit exact)."""
    bits = x.view(torch.int32)
    return torch.where(torch.isnan(x), torch.full_like(bits, CANONICAL_NAN), bits).view(torch.float32)


def _select(cond: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """cond ? x : +0.0, copying the bits of x."""
    bits = x.view(torch.int32)
    return torch.where(cond, bits, torch.zeros_like(bits)).view(torch.float32)


def _matmul(a: torch.Tensor, b: torch.Tensor, node: Node) -> torch.Tensor:
    R, C, K = node.rows, node.cols, node.k
    ta, tb = bool(node.c0 & 1), bool(node.c0 & 2)
    # a_cols[m] is column m of op(A), shape (R, 1); b_rows[m] is row m of op(B), shape (1, C)
    a_cols = (a.reshape(K, R) if ta else a.reshape(R, K).t()).contiguous()  # (K, R)
    b_rows = (b.reshape(C, K).t() if tb else b.reshape(K, C)).contiguous()  # (K, C)
    acc = torch.zeros((R, C), dtype=torch.float32, device=a.device)
    for m in range(K):
        prod = a_cols[m].reshape(R, 1) * b_rows[m].reshape(1, C)  # (R, 1) * (1, C), rounded
        acc = acc + prod  # rounded separately: no FMA
    return _canon(acc)


def _sum(a: torch.Tensor, node: Node) -> torch.Tensor:
    R, C, K = node.rows, node.cols, node.k
    if node.c0 == 0:
        terms = a.reshape(K, C)  # out (1, C) = sum over rows
        acc = torch.zeros((1, C), dtype=torch.float32, device=a.device)
        for m in range(K):
            acc = acc + terms[m].reshape(1, C)
    else:
        terms = a.reshape(R, K).t().contiguous()  # out (R, 1) = sum over columns
        acc = torch.zeros((R, 1), dtype=torch.float32, device=a.device)
        for m in range(K):
            acc = acc + terms[m].reshape(R, 1)
    return _canon(acc)


def _init_uniform(program: Program, slot: int, node: Node, device: torch.device) -> torch.Tensor:
    u24 = randomness.init_u24(program.header.seed, slot, node.size)
    s1 = torch.from_numpy(u24).to(device).to(torch.float32)  # from_int: exact below 2^24
    s2 = _canon(s1 * _const(_TWO_POW_M23, device))
    s3 = _canon(s2 - _const(_ONE, device))
    s4 = _canon(s3 * _const(node.c0, device))
    return s4.reshape(node.rows, node.cols)


def _gather(program: Program, t: int, node: Node, data: np.ndarray, device: torch.device) -> torch.Tensor:
    h = program.header
    rows = randomness.batch_rows(h.seed, t, h.batch, h.data_rows)
    block = data[rows, node.c0:node.c0 + node.cols]  # (B, C) bits, copied unchanged
    return _to_torch(block, device)


def im2col_index(node: Node, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """(batch element b, dataset column) of every output element of an IM2COL node."""
    H, W, KH, KW = im2col_geometry(node.c0)
    OW = W - KW + 1
    P = (H - KH + 1) * OW
    r = np.arange(node.rows, dtype=np.int64)[:, None]
    c = np.arange(node.cols, dtype=np.int64)[None, :]
    b, p = r // P, r % P
    py, px = p // OW, p % OW
    ky, kx = c // KW, c % KW
    col = node.c1 + (py + ky) * W + (px + kx)  # (R, C)
    return np.broadcast_to(b, col.shape), col


def _im2col(program: Program, t: int, node: Node, data: np.ndarray, device: torch.device) -> torch.Tensor:
    h = program.header
    rows = randomness.batch_rows(h.seed, t, h.batch, h.data_rows)
    b, col = im2col_index(node, h.batch)
    return _to_torch(data[rows[b], col], device)


def _input(program: Program, t: int, ref: tuple[Ref, int], outs: list[torch.Tensor],
           state: list[torch.Tensor]) -> torch.Tensor:
    kind, index = ref
    if kind == Ref.NODE:
        return outs[index]
    if kind == Ref.STATE:
        return state[index]
    raise ValueError(f"reference: unexpected input reference {kind.name} at step {t}")


def _eval(program: Program, t: int, j: int, node: Node, outs: list[torch.Tensor],
          state: list[torch.Tensor], data: np.ndarray, device: torch.device) -> torch.Tensor:
    op, R, C = node.op, node.rows, node.cols
    if op == Op.INIT_UNIFORM:
        return _init_uniform(program, j, node, device)
    if op == Op.GATHER:
        return _gather(program, t, node, data, device)
    if op == Op.IM2COL:
        return _im2col(program, t, node, data, device)
    ins = [_input(program, t, ref, outs, state) for ref in node.inputs]
    if op == Op.MATMUL:
        return _matmul(ins[0], ins[1], node)
    if op == Op.SUM:
        return _sum(ins[0], node)
    if op >= Op.DIV:
        return _eval_v2(t, node, ins, device)
    a = ins[0].reshape(R, C)
    if op == Op.ADD:
        return _canon(a + ins[1].reshape(R, C))
    if op == Op.SUB:
        return _canon(a - ins[1].reshape(R, C))
    if op == Op.MUL:
        return _canon(a * ins[1].reshape(R, C))
    if op == Op.SCALE:
        return _canon(a * _const(node.c0, device))
    if op == Op.BIAS_ADD:
        return _canon(a + ins[1].reshape(1, C))
    if op == Op.RELU:
        # max(a, +0): NaN -> canonical; a > 0 -> a; else +0 (max(-0, +0) = +0)
        out = _select(a > 0, a).view(torch.int32)
        return torch.where(torch.isnan(a), torch.full_like(out, CANONICAL_NAN), out).view(torch.float32)
    if op == Op.RELU_BWD:
        return _select(a > 0, ins[1].reshape(R, C))
    if op == Op.MSE_GRAD:
        s1 = _canon(a - ins[1].reshape(R, C))
        return _canon(s1 * _const(node.c0, device))
    if op == Op.SGD:
        s1 = _canon(ins[1].reshape(R, C) * _const(node.c0, device))
        return _canon(a - s1)
    raise ValueError(f"reference: unknown opcode {op}")


_T = f32vec.Torch()


def _fmax(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """max(a, b) of section 2: canonical NaN if either is NaN; equal values a & b."""
    ab, bb = a.view(torch.int32), b.view(torch.int32)
    out = torch.where(a > b, ab, torch.where(b > a, bb, ab & bb))
    nan = torch.isnan(a) | torch.isnan(b)
    return torch.where(nan, torch.full_like(out, CANONICAL_NAN), out).view(torch.float32)


def _row_exp_sum(z: torch.Tensor, mx: torch.Tensor, k: int) -> torch.Tensor:
    """(R, 1): acc = +0; acc = acc + exp(z[:, i] - mx) for i = 0..k-1, in order."""
    acc = torch.zeros((z.shape[0], 1), dtype=torch.float32, device=z.device)
    for i in range(k):
        acc = acc + f32vec.exp(_T, z[:, i:i + 1] - mx)
    return acc


# --- batched MATMUL (BMATMUL, docs/reproducible-ops.md section 5.4) ---
def _bmatmul(a: torch.Tensor, b: torch.Tensor, node: Node) -> torch.Tensor:
    """out[b] = op(A[b]) @ op(B[b]) as `_matmul` per batch (sequential over k, no FMA),
    vectorised across batches and elements; masked elements (causal, j > i) are -inf."""
    nb, R, ta, tb, causal = micro.bmm_geometry(node)
    C, K = node.cols, node.k
    a_cols = (a.reshape(nb, K, R) if ta else a.reshape(nb, R, K).transpose(1, 2)).contiguous()  # (nb, K, R)
    b_rows = (b.reshape(nb, C, K).transpose(1, 2) if tb else b.reshape(nb, K, C)).contiguous()  # (nb, K, C)
    acc = torch.zeros((nb, R, C), dtype=torch.float32, device=a.device)
    for m in range(K):
        acc = acc + a_cols[:, m, :].reshape(nb, R, 1) * b_rows[:, m, :].reshape(nb, 1, C)  # two roundings
    out = _canon(acc)
    if causal:
        i = torch.arange(R, device=a.device).reshape(1, R, 1)
        j = torch.arange(C, device=a.device).reshape(1, 1, C)
        bits = out.view(torch.int32)
        masked = torch.full_like(bits, oc.BMM_MASKED - (1 << 32))  # 0xff800000 as int32
        out = torch.where(j > i, masked, bits).view(torch.float32)
    return out.reshape(nb * R, C)
# --- end batched MATMUL ---
# --- EMBEDDING (docs/reproducible-ops.md section 5.3) ---------------------------


def embed_rows(tok: torch.Tensor, vocab: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(row, valid) of every token (float32): micro.embed_index on the bit patterns, vectorised
    with int64 bit operations; row is 0 where the token names no row."""
    bits = tok.reshape(-1).view(torch.int32).to(torch.int64) & 0xFFFFFFFF
    ex = (bits >> 23) & 0xFF
    mant = (bits & 0x7FFFFF) | 0x800000
    low = torch.clamp(150 - ex, 0, 23)
    high = torch.clamp(ex - 150, 0, 8)
    v = torch.where(ex < 150, mant >> low, mant << high)
    whole = (mant & ((torch.ones_like(low) << low) - 1)) == 0
    valid = (bits >> 31 == 0) & (ex >= 127) & (ex < 127 + 32) & whole
    v = torch.where(bits == 0, torch.zeros_like(v), v)
    valid = (valid | (bits == 0)) & (v < vocab)
    return torch.where(valid, v, torch.zeros_like(v)), valid


def _embedding(node: Node, ins: list[torch.Tensor]) -> torch.Tensor:
    R, C, K = node.rows, node.cols, node.k
    if node.op == Op.EMBEDDING:  # out[r] = W[idx(tok[r])] (NaN canonical), canonical NaN for no row
        row, valid = embed_rows(ins[0], K)
        out = _canon(ins[1].reshape(K, C)[row]).view(torch.int32)
        nan = torch.full_like(out, CANONICAL_NAN)
        return torch.where(valid.reshape(R, 1), out, nan).view(torch.float32)
    # EMBEDDING_BWD: out[v] = +0, then out[idx(tok[r])] += g[r] for r = 0..k-1 in order
    row, valid = embed_rows(ins[0], R)
    g = ins[1].reshape(K, C)
    acc = torch.zeros((R, C), dtype=torch.float32, device=g.device)
    for r, (v, ok) in enumerate(zip(row.tolist(), valid.tolist(), strict=True)):
        if ok:  # the other rows keep s_{r-1}: the select of the spec
            acc[v] = acc[v] + g[r]
    return _canon(acc)


# --- end EMBEDDING ---------------------------------------------------------------


def _eval_v2(t: int, node: Node, ins: list[torch.Tensor], device: torch.device) -> torch.Tensor:
    op, R, C, K = node.op, node.rows, node.cols, node.k
    if op == Op.BMATMUL:  # section 5.4
        return _bmatmul(ins[0], ins[1], node)
    if op in (Op.EMBEDDING, Op.EMBEDDING_BWD):
        return _embedding(node, ins)
    if op == Op.ROW_MAX:
        a = ins[0].reshape(R, K)
        acc = _fmax(a[:, 0:1], a[:, 0:1])
        for i in range(1, K):
            acc = _fmax(acc, a[:, i:i + 1])
        return acc
    if op == Op.SOFTMAX_XENT:
        z, yz, mx = ins[0].reshape(R, K), ins[1].reshape(R, K), ins[2].reshape(R, 1)
        acc = (f32vec.log(_T, _row_exp_sum(z, mx, K)) + mx) - yz[:, 0:1]
        for i in range(1, K):
            acc = acc - yz[:, i:i + 1]
        return _canon(acc)
    if op == Op.SOFTMAX_XENT_GRAD:
        z, y, mx = ins[0].reshape(R, C), ins[1].reshape(R, C), ins[2].reshape(R, 1)
        s = _row_exp_sum(z, mx, K)
        p = f32vec.exp(_T, z - mx) / s
        return _canon((p - y) * _const(node.c0, device))
    if op == Op.SOFTMAX:
        z, mx = ins[0].reshape(R, C), ins[1].reshape(R, 1)
        return _canon(f32vec.exp(_T, z - mx) / _row_exp_sum(z, mx, K))
    if op == Op.SOFTMAX_BWD:
        g, p = ins[0].reshape(R, C), ins[1].reshape(R, C)
        acc = torch.zeros((R, 1), dtype=torch.float32, device=g.device)
        for i in range(K):
            acc = acc + g[:, i:i + 1] * p[:, i:i + 1]
        return _canon((g - acc) * p)
    if op == Op.LN_RSTD:
        x, s = ins[0].reshape(R, K), ins[1].reshape(R, 1)
        d = _const(f32.from_int(K), device)
        mean = s / d
        acc = torch.zeros((R, 1), dtype=torch.float32, device=x.device)
        for i in range(K):
            dev = x[:, i:i + 1] - mean
            acc = acc + dev * dev
        return _canon(_const(_ONE, device) / _T.sqrt(acc / d + _const(node.c0, device)))
    if op == Op.LN_NORM:
        x, s, rstd = ins[0].reshape(R, C), ins[1].reshape(R, 1), ins[2].reshape(R, 1)
        return _canon((x - s / _const(f32.from_int(C), device)) * rstd)
    if op == Op.LN_SCALE:
        return _canon(ins[0].reshape(R, C) * ins[1].reshape(1, C))
    if op == Op.LN_BWD:
        g, xh = ins[0].reshape(R, C), ins[1].reshape(R, C)
        acc = torch.zeros((R, 1), dtype=torch.float32, device=g.device)
        for i in range(C):
            acc = acc + g[:, i:i + 1] * xh[:, i:i + 1]
        return _canon(g - xh * (acc / _const(f32.from_int(C), device)))
    if op in (Op.GELU, Op.GELU_BWD):
        x = ins[0].reshape(R, C)
        c, s2 = _const(oc.GELU_C, device), _const(oc.GELU_SQRT_2_OVER_PI, device)
        one, half = _const(_ONE, device), _const(0x3F000000, device)
        th = f32vec.tanh(_T, (x + c * ((x * x) * x)) * s2)
        if op == Op.GELU:
            return _canon((half * x) * (one + th))
        slope = half * (one + th) + ((half * x) * (one - th * th)) * (
            s2 * (one + _const(oc.GELU_3C, device) * (x * x)))
        return _canon(slope * ins[1].reshape(R, C))
    a = ins[0].reshape(R, C)
    if op == Op.DIV:
        return _canon(a / ins[1].reshape(R, C))
    if op == Op.SQRT:
        return _canon(_T.sqrt(a))
    if op == Op.RSQRT:
        return _canon(_const(_ONE, device) / _T.sqrt(a))
    if op == Op.EXP:
        return _canon(f32vec.exp(_T, a))
    if op == Op.LOG:
        return _canon(f32vec.log(_T, a))
    b = ins[1].reshape(R, C)
    if op == Op.ADAM_M:
        return _canon(a * _const(oc.ADAM_B1, device) + b * _const(oc.ADAM_ONE_MINUS_B1, device))
    if op == Op.ADAM_V:
        return _canon(a * _const(oc.ADAM_B2, device) + (b * b) * _const(oc.ADAM_ONE_MINUS_B2, device))
    if op == Op.ADAM:  # w = a, m' = b, v' = in2; the scalars are the spec's scalar definitions
        v = ins[2].reshape(R, C)
        c2 = _const(micro.adam_power(t, oc.ADAM_LN_B2), device)
        c1 = _const(micro.adam_power(t, oc.ADAM_LN_B1), device)
        one = _const(_ONE, device)
        s = _T.sqrt(v / (one - c2)) + _const(oc.ADAM_EPS, device)
        s = (b / s) / (one - c1)
        s = (s + a * _const(node.c1, device)) * _const(node.c0, device)
        return _canon(a - s)
    raise ValueError(f"reference: unknown opcode {op}")


def run_step(program: Program, t: int, state: list[np.ndarray], data: np.ndarray,
             device: str | torch.device = "cpu") -> list[np.ndarray]:
    """uint32 outputs (rows, cols) of every node of step t on `device`."""
    dev = torch.device(device)
    nodes = program.nodes(t)
    st = [] if t == 0 else [_to_torch(s, dev) for s in state]
    outs: list[torch.Tensor] = []
    for j, node in enumerate(nodes):
        outs.append(_eval(program, t, j, node, outs, st, data, dev).reshape(node.rows, node.cols))
    return [_to_numpy(x, n.rows, n.cols) for x, n in zip(outs, nodes, strict=True)]
