"""Operand generators and the batched oracle check for the soft-float tests.

Owns the hypothesis strategies that weight float32 bit patterns towards the
edge classes (signed zeros, subnormals, smallest and largest normals,
infinities, NaNs, rounding ties, overflow), the structured case lists
(every exponent boundary, RNE ties, int32 powers of two) and `check_batch`,
which runs one primitive over a whole array in one eth_call of
FloatBatchHarness and compares every result with offchain/runtime/f32.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from hypothesis import strategies as st

from offchain.runtime import f32

SIGN = 0x80000000
INF = 0x7F800000
MAX_NORMAL = 0x7F7FFFFF
MIN_NORMAL = 0x00800000
MAX_SUBNORMAL = 0x007FFFFF
CANONICAL_NAN = 0x7FC00000

#: FloatBatchHarness.batch opcodes
OP_ADD, OP_SUB, OP_MUL, OP_MAX, OP_GT = 0, 1, 2, 3, 4
#: op set v2: div, and the unary sqrt / exp / log / tanh (second operand ignored)
OP_DIV, OP_SQRT, OP_EXP, OP_LOG, OP_TANH = 5, 6, 7, 8, 9
#: the most pairs one eth_call carries (FloatBatchHarness.MAX_BATCH)
MAX_BATCH = 4096

ORACLES: dict[int, Callable[[int, int], int]] = {
    OP_ADD: f32.add,
    OP_SUB: f32.sub,
    OP_MUL: f32.mul,
    OP_MAX: f32.max_,
    OP_GT: lambda a, b: int(f32.gt(a, b)),
    OP_DIV: f32.div,
    OP_SQRT: lambda a, b: f32.sqrt(a),
    OP_EXP: lambda a, b: f32.exp(a),
    OP_LOG: lambda a, b: f32.log(a),
    OP_TANH: lambda a, b: f32.tanh(a),
}
OP_NAMES = {OP_ADD: "add", OP_SUB: "sub", OP_MUL: "mul", OP_MAX: "max", OP_GT: "gt", OP_DIV: "div",
            OP_SQRT: "sqrt", OP_EXP: "exp", OP_LOG: "log", OP_TANH: "tanh"}


def bits_of(value: float) -> int:
    """Bit pattern of a float64 value that is exactly representable in float32."""
    x = np.float32(value)
    if float(x) != value:
        raise ValueError(f"{value!r} is not exact in float32")
    return f32.to_bits(x)


def fmt(bits: int) -> str:
    return f"0x{bits:08x} ({float(f32.to_f32(bits))!r})"


# ---------------------------------------------------------------- oracle check


def check_batch(harness, op: int, pairs: Sequence[tuple[int, int]]) -> int:
    """Run `op` over all pairs on chain (in MAX_BATCH chunks) and assert every
    result equals the oracle's bits; returns the number of pairs checked."""
    oracle = ORACLES[op]
    for start in range(0, len(pairs), MAX_BATCH):
        chunk = pairs[start : start + MAX_BATCH]
        a = [p[0] for p in chunk]
        b = [p[1] for p in chunk]
        got = harness.batch.call(op, a, b)
        assert len(got) == len(chunk)
        for x, y, r in zip(a, b, got, strict=True):
            want = oracle(x, y)
            assert r == want, (
                f"{OP_NAMES[op]}({fmt(x)}, {fmt(y)}) = {fmt(r)} on chain, oracle {fmt(want)}"
            )
    return len(pairs)


def check_from_int(harness, xs: Sequence[int]) -> int:
    """from_int over all xs on chain, compared with the oracle."""
    for start in range(0, len(xs), MAX_BATCH):
        chunk = list(xs[start : start + MAX_BATCH])
        got = harness.batch_from_int.call(chunk)
        for x, r in zip(chunk, got, strict=True):
            want = f32.from_int(x)
            assert r == want, f"from_int({x}) = {fmt(r)} on chain, oracle {fmt(want)}"
    return len(xs)


# ---------------------------------------------------------------- strategies

signs = st.sampled_from([0, SIGN])
fracs = st.one_of(
    st.sampled_from([0, 1, 2, 0x400000, 0x400001, 0x7FFFFE, 0x7FFFFF]),
    st.integers(0, 0x7FFFFF),
)
nonzero_fracs = st.one_of(st.sampled_from([1, 0x400000, 0x7FFFFF]), st.integers(1, 0x7FFFFF))


def _exp_in(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


@st.composite
def _finite(draw, exps: st.SearchStrategy[int]) -> int:
    return draw(signs) | (draw(exps) << 23) | draw(fracs)


#: magnitude classes, repeated to weight them
f32_bits: st.SearchStrategy[int] = st.one_of(
    st.sampled_from([0, SIGN, INF, INF | SIGN, CANONICAL_NAN, MAX_NORMAL, MIN_NORMAL, 1]),
    _finite(st.just(0)),  # subnormals (and zeros)
    _finite(_exp_in(1, 3)),  # smallest normals
    _finite(_exp_in(251, 254)),  # largest normals
    _finite(_exp_in(110, 145)),  # around 1.0
    _finite(_exp_in(0, 254)),  # any finite
    st.builds(lambda s, f: s | INF | f, signs, nonzero_fracs),  # any NaN
    st.integers(0, 0xFFFFFFFF),  # any pattern
)


@st.composite
def near_pairs(draw) -> tuple[int, int]:
    """Operands whose exponents differ by at most 30: every alignment shift."""
    a = draw(_finite(_exp_in(0, 254)))
    ea = (a >> 23) & 0xFF
    eb = min(254, max(0, ea + draw(st.integers(-30, 30))))
    b = draw(signs) | (eb << 23) | draw(fracs)
    return (a, b) if draw(st.booleans()) else (b, a)


@st.composite
def cancel_pairs(draw) -> tuple[int, int]:
    """a and nearly -a: massive cancellation, exact zeros, subnormal results."""
    a = draw(_finite(_exp_in(0, 254)))
    delta = draw(st.integers(-4, 4))
    b = ((a & 0x7FFFFFFF) + delta) & 0x7FFFFFFF
    b = min(b, MAX_NORMAL) | ((a ^ SIGN) & SIGN)
    return a, b


@st.composite
def add_tie_pairs(draw) -> tuple[int, int]:
    """x + y where y is an odd multiple of half an ulp of x: a rounding tie."""
    ex = draw(st.one_of(_exp_in(2, 254), st.sampled_from([2, 3, 24, 25, 253, 254])))
    x = draw(signs) | (ex << 23) | draw(fracs)
    k = draw(st.one_of(st.just(0), st.integers(0, 1 << 12)))
    y_mag = bits_of(np.ldexp(float(2 * k + 1), ex - 151))
    y = draw(signs) | y_mag
    return (x, y) if draw(st.booleans()) else (y, x)


def _scaled(value: int, shift: int) -> int | None:
    v = np.ldexp(float(value), shift)
    x = np.float32(v)
    return f32.to_bits(x) if float(x) == v and np.isfinite(x) and v != 0 else None


@st.composite
def mul_tie_pairs(draw) -> tuple[int, int]:
    """u * v with u * v an odd 25-bit integer (a tie at 24 bits), scaled by
    powers of two that move the product across the whole exponent range."""
    u = draw(st.integers(1, 1 << 12)) * 2 + 1  # odd, 3 .. 2^13 + 1
    lo = -(-(1 << 24) // u)
    hi = ((1 << 25) - 1) // u
    v = draw(st.integers(lo, hi))
    if v % 2 == 0:
        v = v + 1 if v + 1 <= hi else v - 1
    i = draw(st.integers(-149, 114))
    j = draw(st.integers(-149, 103))
    x = _scaled(u, i)
    y = _scaled(v, j)
    if x is None or y is None:
        x, y = _scaled(u, 0), _scaled(v, -20)
    return draw(signs) ^ x, draw(signs) ^ y


@st.composite
def mul_range_pairs(draw) -> tuple[int, int]:
    """Factors whose product is near overflow or near the subnormal range."""
    target = draw(
        st.sampled_from([254 + 127, 255 + 127, 253 + 127, 127 - 126, 127 - 140, 127 - 150, 127])
    )
    ea = draw(_exp_in(0, 254))
    eb = min(254, max(0, target - ea + draw(st.integers(-3, 3))))
    return (
        draw(signs) | (ea << 23) | draw(fracs),
        draw(signs) | (eb << 23) | draw(fracs),
    )


@st.composite
def overflow_pairs(draw) -> tuple[int, int]:
    """Two large same-sign normals: sums that overflow or round to infinity."""
    s = draw(signs)
    a = s | (draw(_exp_in(252, 254)) << 23) | draw(fracs)
    b = s | (draw(_exp_in(230, 254)) << 23) | draw(fracs)
    return a, b


independent_pairs = st.tuples(f32_bits, f32_bits)

#: pair mixes per primitive (independent edge values plus structured cases)
add_pairs = st.one_of(
    independent_pairs, near_pairs(), cancel_pairs(), add_tie_pairs(), overflow_pairs()
)
mul_pairs = st.one_of(independent_pairs, near_pairs(), mul_tie_pairs(), mul_range_pairs())


@st.composite
def div_range_pairs(draw) -> tuple[int, int]:
    """Quotients near overflow, near and inside the subnormal range (where
    rounding ties exist), and near 1."""
    diff = draw(st.sampled_from([127, 128, 126, -126, -127, -140, -149, -150, -151, 0, 1, -1]))
    ea = draw(_exp_in(0, 254))
    eb = min(254, max(0, ea - diff + draw(st.integers(-2, 2))))
    return (
        draw(signs) | (ea << 23) | draw(fracs),
        draw(signs) | (eb << 23) | draw(fracs),
    )


@st.composite
def exact_quotient_pairs(draw) -> tuple[int, int]:
    """a = q * b exactly (small integers q, b scaled): exact quotients, and
    subnormal ones that are ties."""
    q = draw(st.integers(1, 1 << 12))
    b = draw(st.integers(1, 1 << 11))
    i = draw(st.integers(-149, 100))
    j = draw(st.integers(-149, 100))
    x, y = _scaled(q * b, i), _scaled(b, j)
    if x is None or y is None:
        x, y = _scaled(q * b, 0), _scaled(b, 0)
    return draw(signs) | x, draw(signs) | y


div_pairs = st.one_of(independent_pairs, near_pairs(), div_range_pairs(), exact_quotient_pairs())


@st.composite
def sqrt_operands(draw) -> tuple[int, int]:
    """sqrt operands: edge classes, perfect squares at every scale, random
    bits (the second operand is unused)."""
    k = draw(st.integers(1, (1 << 24) - 1))
    sq = _scaled(k * k, 2 * draw(st.integers(-100, 50))) if (k * k).bit_length() <= 24 else None
    a = draw(st.one_of(f32_bits, st.integers(0, 0x7F800000), st.just(sq if sq is not None else 0)))
    return a, 0


@st.composite
def transcendental_operands(draw) -> tuple[int, int]:
    """exp/log/tanh operands: edge classes, any pattern, and values in
    their useful ranges (the second operand is unused)."""
    v = draw(st.one_of(
        f32_bits,
        st.floats(-110, 100, width=32),
        st.floats(-12, 12, width=32),
        st.floats(0.5, 2.0, width=32),
        st.floats(2.0**-126, 2.0**127, width=32),
    ))
    return (v if isinstance(v, int) else f32.to_bits(np.float32(v))), 0


@st.composite
def equalish_pairs(draw) -> tuple[int, int]:
    """Equal values, +-0, and the same magnitude with both signs."""
    a = draw(f32_bits)
    b = draw(st.sampled_from([a, a ^ SIGN, (a & 0x7FFFFFFF), a + 1 if a & 0x7FFFFFFF < INF else a]))
    return a, b & 0xFFFFFFFF


compare_pairs = st.one_of(independent_pairs, equalish_pairs(), near_pairs())

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


@st.composite
def int32_tie(draw) -> int:
    """An int32 with more than 24 significant bits whose dropped bits are a tie."""
    shift = draw(st.integers(1, 7))
    top = draw(st.integers(1 << 23, (1 << 24) - 1))
    x = ((top << 1) | 1) << (shift - 1)
    x = min(x, INT32_MAX)
    return -x if draw(st.booleans()) else x


int32s = st.one_of(
    st.integers(INT32_MIN, INT32_MAX),
    st.integers(-(1 << 24) - 16, (1 << 24) + 16),
    st.integers(-1000, 1000),
    int32_tie(),
    st.sampled_from([INT32_MIN, INT32_MAX, INT32_MIN + 1, INT32_MAX - 1, 0, 1, -1]),
)


# ---------------------------------------------------------------- structured lists


def exponent_boundary_values() -> list[int]:
    """For every exponent field e in 0..255 and both signs: e<<23 (zero,
    powers of two, infinity), e<<23 plus one ulp, and the value just below."""
    vals = set()
    for e in range(256):
        for s in (0, SIGN):
            base = e << 23
            vals.add(s | base)
            vals.add(s | (base + 1))
            vals.add(s | (base | 0x7FFFFF))
            if base:
                vals.add(s | (base - 1))
    return sorted(vals)


def boundary_partners() -> list[int]:
    """The operands each boundary value is paired with."""
    one = 0x3F800000
    return [
        0,
        SIGN,
        1,
        SIGN | 1,
        MIN_NORMAL,
        MAX_SUBNORMAL,
        MAX_NORMAL,
        SIGN | MAX_NORMAL,
        one,
        SIGN | one,
        INF,
        SIGN | INF,
        CANONICAL_NAN,
        0x3F800001,
        0x33800000,
    ]


def add_tie_cases() -> list[tuple[int, int]]:
    """For every exponent of x: x with even and odd significands plus and
    minus exactly half its ulp (and 1.5 ulp), in both operand orders."""
    cases = []
    for ex in range(2, 255):
        for frac in (0, 1, 2, 3, 0x7FFFFE, 0x7FFFFF):
            for k in (1, 3):
                h = bits_of(np.ldexp(float(k), ex - 151))
                for s_x in (0, SIGN):
                    for s_h in (0, SIGN):
                        x = s_x | (ex << 23) | frac
                        cases.append((x, s_h | h))
                        cases.append((s_h | h, x))
    return cases


def mul_tie_cases() -> list[tuple[int, int]]:
    """u * v an odd 25-bit integer times 2^k for every k that keeps it finite
    or subnormal: ties at every product exponent (and subnormal roundings)."""
    cases = []
    for u, v in ((3, 5592407), (5, 3355445), (4097, 4097), (8191, 2049)):
        p = u * v
        assert p.bit_length() == 25 and p % 2 == 1
        for k in range(-175, 104):
            i = k // 2
            j = k - i
            x, y = _scaled(u, i), _scaled(v, j)
            if x is None or y is None:
                continue
            for s in (0, SIGN):
                cases.append((x ^ s, y))
                cases.append((y, x ^ s))
    return cases


def int32_structured() -> list[int]:
    """Every power of two in int32 and its neighbours, both signs, the ends."""
    xs = {0, INT32_MIN, INT32_MAX, INT32_MIN + 1, INT32_MAX - 1}
    for j in range(32):
        for d in (-1, 0, 1):
            for s in (1, -1):
                x = s * ((1 << j) + d)
                if INT32_MIN <= x <= INT32_MAX:
                    xs.add(x)
    # RNE ties just above 2^24: odd x, and x = 2^j * odd at every scale
    for j in range(0, 8):
        for odd in ((1 << 24) + 1, (1 << 24) + 3, (1 << 24) + 5, (1 << 25) - 1):
            x = odd << j
            if x <= INT32_MAX:
                xs.add(x)
                xs.add(-x)
    return sorted(xs)


# ---------------------------------------------------------------- hypothesis runs

#: pairs drawn per hypothesis example (one eth_call each)
EXAMPLE_BATCH = 200


def batches(strategy: st.SearchStrategy, size: int = EXAMPLE_BATCH) -> st.SearchStrategy[list]:
    """Lists of exactly `size` draws: one example is one batched eth_call."""
    return st.lists(strategy, min_size=size, max_size=size)


def run_settings(examples: int):
    """Seeded hypothesis settings for `examples` batches of EXAMPLE_BATCH pairs.

    No shrinking: a failing batch already names its first wrong pair (see
    `check_batch`), and shrinking 200-pair lists through eth_call is slow."""
    from hypothesis import HealthCheck, Phase, settings

    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def comparison_boundary_pairs() -> list[tuple[int, int]]:
    """Every exponent-boundary value against every partner, both orders, plus
    each value against its negation and itself (for max and gt)."""
    vals = exponent_boundary_values()
    pairs = [(v, p) for v in vals for p in boundary_partners()]
    pairs += [(p, v) for v, p in pairs]
    return pairs + [(v, v ^ SIGN) for v in vals] + [(v, v) for v in vals]
