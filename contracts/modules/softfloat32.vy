# pragma version ^0.4.3
"""
@title softfloat32
@license MIT
@notice IEEE-754 binary32 arithmetic on uint32 bit patterns: the float32
        primitives of the one-step check (docs/reproducible-ops.md,
        section 2). Round-to-nearest-even, full subnormals, no fused
        multiply-add; every NaN result is the canonical quiet NaN
        0x7fc00000. The oracle is offchain/runtime/f32.py.
@dev Every function is `@internal @pure`: the module has no storage and
     needs no `initializes:`; a contract does `from .modules import
     softfloat32` and calls `softfloat32.add(a, b)`.
     Inner working: a finite nonzero operand is split into a 24-bit integer
     significand m (hidden bit included) and a biased exponent e >= 1
     (subnormals use e = 1), its value being m * 2^(e - 150). add and mul
     build the exact result as an integer s times a power of two and hand
     it to `_round_pack`, which rounds it once (nearest, ties to even).
     No loops and no storage: the bit length of s is known on the common
     paths (normal operands) and found by a fixed binary search of shifts
     otherwise (cancellation, subnormal factors, from_int).
     div and sqrt (op set v2) compute a quotient or integer square root of
     the normalised significands with at least 40 bits plus a sticky bit, so
     `_round_pack` rounds them exactly once. exp, log and tanh are the
     fixed primitive sequences of docs/reproducible-ops.md section 2.1
     (oracle: f32.exp / f32.log / f32.tanh).
     API: add, sub, mul, div, sqrt, fmax (`max` is a builtin), gt, select,
     from_int, exp, ln (log is a Vyper keyword), tanh.
@custom:security Pure arithmetic; no state, no external calls.
"""


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

# @dev canonical quiet NaN: every NaN result is this pattern. Public so
#      that the module compiled on its own has a runtime (brownie's build
#      step cannot handle an empty one); importers do not export it.
CANONICAL_NAN: public(constant(uint256)) = 2_143_289_344  # 0x7fc00000
# @dev +infinity; also the smallest |bits| that is not finite
INF: constant(uint256) = 2_139_095_040  # 0x7f800000
# @dev the sign bit of a binary32 pattern
SIGN: constant(uint256) = 2_147_483_648  # 0x80000000
# @dev the magnitude bits (exponent and fraction)
ABS_MASK: constant(uint256) = 2_147_483_647  # 0x7fffffff
# @dev the 23 stored fraction bits
FRAC_MASK: constant(uint256) = 8_388_607  # 0x007fffff
# @dev the hidden leading bit of a normal significand
HIDDEN: constant(uint256) = 8_388_608  # 0x00800000
# @dev exponent offset that keeps intermediate exponents unsigned: an
#      exact result s * 2^(E - 300) is passed to `_round_pack` as (s, E)
EXP_OFFSET: constant(uint256) = 150
# @dev add: an exponent gap above this turns the smaller operand into a
#      sticky unit (it is then below a quarter of the larger one's ulp)
MAX_ALIGN: constant(uint256) = 26
# @dev float32 constants of div / sqrt / exp / log / tanh (docs/reproducible-ops.md 2.1)
ONE: constant(uint32) = 1_065_353_216  # 0x3f800000
TWO: constant(uint32) = 1_073_741_824  # 0x40000000
HALF: constant(uint32) = 1_056_964_608  # 0x3f000000
LOG2E: constant(uint32) = 1_069_066_811  # 0x3fb8aa3b
LN2_HI: constant(uint32) = 1_060_208_640  # 0x3f318000
LN2_LO: constant(uint32) = 3_109_978_243  # 0xb95e8083
ROUND_MAGIC: constant(uint32) = 1_262_485_504  # 0x4b400000 (1.5 * 2^23)
EXP_OVER: constant(uint32) = 1_120_403_456  # 0x42c80000 (100)
EXP_UNDER: constant(uint32) = 3_269_197_824  # 0xc2dc0000 (-110)
EP0: constant(uint32) = 961_571_175  # 0x39506967
EP1: constant(uint32) = 985_088_974  # 0x3ab743ce
EP2: constant(uint32) = 1_007_192_328  # 0x3c088908
EP3: constant(uint32) = 1_026_206_145  # 0x3d2aa9c1
EP4: constant(uint32) = 1_042_983_594  # 0x3e2aaaaa
SQRT_HALF: constant(uint32) = 1_060_439_283  # 0x3f3504f3
POW2_23: constant(uint32) = 1_258_291_200  # 0x4b000000
LP0: constant(uint32) = 1_032_855_995  # 0x3d9021bb
LP1: constant(uint32) = 3_186_348_472  # 0xbdebd1b8
LP2: constant(uint32) = 1_039_082_778  # 0x3def251a
LP3: constant(uint32) = 3_187_563_855  # 0xbdfe5d4f
LP4: constant(uint32) = 1_041_361_343  # 0x3e11e9bf
LP5: constant(uint32) = 3_190_468_176  # 0xbe2aae50
LP6: constant(uint32) = 1_045_221_036  # 0x3e4cceac
LP7: constant(uint32) = 3_196_059_644  # 0xbe7ffffc
LP8: constant(uint32) = 1_051_372_202  # 0x3eaaaaaa
TANH_BIG: constant(uint32) = 1_092_616_192  # 0x41200000 (10)
TANH_SMALL: constant(uint32) = 1_059_061_760  # 0x3f200000 (0.625)
TP0: constant(uint32) = 3_149_590_762  # 0xbbbaf0ea
TP1: constant(uint32) = 1_017_713_486  # 0x3ca9134e
TP2: constant(uint32) = 3_176_930_861  # 0xbd5c1e2d
TP3: constant(uint32) = 1_040_745_363  # 0x3e088393
TP4: constant(uint32) = 3_198_855_833  # 0xbeaaaa99
NEG_INF: constant(uint32) = 4_286_578_688  # 0xff800000 (-infinity)
HALF_BITS_M: constant(uint32) = 1_056_964_608  # 0x3f000000 (m's exponent field for [0.5, 1))
# @dev div/sqrt: extra quotient / root bits below the significand
DIV_SHIFT: constant(uint256) = 40

# @dev int32 range accepted by `from_int`
INT32_MIN: constant(int256) = -2_147_483_648
INT32_MAX: constant(int256) = 2_147_483_647


# ------------------------------------------------------------------
#                            INTERNAL
# ------------------------------------------------------------------


@internal
@pure
def add(a: uint32, b: uint32) -> uint32:
    """
    @dev binary32 a + b, round-to-nearest-even; NaN results canonical.
    @param a The first operand's bit pattern.
    @param b The second operand's bit pattern.
    @return The bit pattern of the rounded sum.
    """
    x: uint256 = convert(a, uint256)
    y: uint256 = convert(b, uint256)
    ax: uint256 = x & ABS_MASK
    ay: uint256 = y & ABS_MASK
    # order by magnitude: afterwards |x| >= |y| (NaN patterns sort last)
    if ax < ay:
        t: uint256 = x
        x = y
        y = t
        ax = ay
        ay = t & ABS_MASK

    if ax >= INF:
        # x is NaN (then NaN), or x is inf and y is finite or inf
        if ax > INF:
            return convert(CANONICAL_NAN, uint32)
        if ay == INF and (x ^ y) >= SIGN:
            return convert(CANONICAL_NAN, uint32)
        return convert(x, uint32)
    if ay == 0:
        # y is +-0: x, except +0 + -0 = +0 when x is a zero too
        if ax == 0:
            return convert(x & y, uint32)
        return convert(x, uint32)

    ex: uint256 = ax >> 23
    if ex == 0:
        # both subnormal: the sum is exact, and a carry into bit 23 is the
        # smallest normal's exponent field; |x| >= |y| keeps it nonnegative
        if (x ^ y) < SIGN:
            return convert((x & SIGN) | unsafe_add(ax, ay), uint32)
        if ax == ay:
            return 0
        return convert((x & SIGN) | unsafe_sub(ax, ay), uint32)
    mx: uint256 = (ax & FRAC_MASK) | HIDDEN
    ey: uint256 = ay >> 23
    my: uint256 = ay & FRAC_MASK
    if ey == 0:
        ey = 1
    else:
        my = my | HIDDEN

    d: uint256 = unsafe_sub(ex, ey)
    if d > MAX_ALIGN:
        # |y| < 1/4 ulp below |x|: any tiny nonzero stand-in rounds alike
        d = MAX_ALIGN
        my = 1

    # exact: x + y = s * 2^(ex - d - 150), s >= 0 since |x| >= |y|; with
    # 2^23 <= mx < 2^24 the bit length n of s is known except when
    # subtracting operands less than two binades apart (cancellation)
    s: uint256 = 0
    n: uint256 = 0
    if (x ^ y) < SIGN:
        s = unsafe_add(mx << d, my)
        n = unsafe_add(24, d)
        n = unsafe_add(n, s >> n)
    else:
        s = unsafe_sub(mx << d, my)
        if d >= 2:
            n = unsafe_add(23, d)
            n = unsafe_add(n, s >> n)
        else:
            if s == 0:
                return 0
            n = self._bit_length(s)
    return self._round_pack(x & SIGN, s, unsafe_add(unsafe_sub(ex, d), EXP_OFFSET), n)


@internal
@pure
def sub(a: uint32, b: uint32) -> uint32:
    """
    @dev binary32 a - b, defined by IEEE-754 as a + (-b).
    @param a The minuend's bit pattern.
    @param b The subtrahend's bit pattern.
    @return The bit pattern of the rounded difference.
    """
    return self.add(a, b ^ convert(SIGN, uint32))


@internal
@pure
def mul(a: uint32, b: uint32) -> uint32:
    """
    @dev binary32 a * b, round-to-nearest-even; NaN results canonical.
    @param a The first factor's bit pattern.
    @param b The second factor's bit pattern.
    @return The bit pattern of the rounded product.
    """
    x: uint256 = convert(a, uint256)
    y: uint256 = convert(b, uint256)
    sign: uint256 = (x ^ y) & SIGN
    ax: uint256 = x & ABS_MASK
    ay: uint256 = y & ABS_MASK

    if ax >= INF or ay >= INF:
        # NaN in, or inf * 0: NaN; else inf with the product's sign
        if ax > INF or ay > INF or ax == 0 or ay == 0:
            return convert(CANONICAL_NAN, uint32)
        return convert(sign | INF, uint32)
    if ax == 0 or ay == 0:
        return convert(sign, uint32)

    ex: uint256 = ax >> 23
    mx: uint256 = ax & FRAC_MASK
    ey: uint256 = ay >> 23
    my: uint256 = ay & FRAC_MASK
    if ex != 0 and ey != 0:
        # both normal: the product of two 24-bit significands has 47 or 48 bits
        s: uint256 = unsafe_mul(mx | HIDDEN, my | HIDDEN)
        return self._round_pack(
            sign, s, unsafe_add(ex, ey), unsafe_add(47, s >> 47)
        )
    if ex == 0:
        ex = 1
    else:
        mx = mx | HIDDEN
    if ey == 0:
        ey = 1
    else:
        my = my | HIDDEN

    # exact: (mx * 2^(ex-150)) * (my * 2^(ey-150)) = (mx*my) * 2^(ex+ey-300)
    p: uint256 = unsafe_mul(mx, my)
    return self._round_pack(sign, p, unsafe_add(ex, ey), self._bit_length(p))


@internal
@pure
def gt(a: uint32, b: uint32) -> bool:
    """
    @dev IEEE a > b: false when either is NaN; -0 > +0 is false.
    @param a The left operand's bit pattern.
    @param b The right operand's bit pattern.
    @return True when a is strictly greater than b.
    """
    x: uint256 = convert(a, uint256)
    y: uint256 = convert(b, uint256)
    ax: uint256 = x & ABS_MASK
    ay: uint256 = y & ABS_MASK
    if ax > INF or ay > INF:
        return False
    # order keys: 2^31 + |v| for v >= 0, 2^31 - |v| for v < 0 (so -0 == +0)
    if x < SIGN:
        ax = unsafe_add(SIGN, ax)
    else:
        ax = unsafe_sub(SIGN, ax)
    if y < SIGN:
        ay = unsafe_add(SIGN, ay)
    else:
        ay = unsafe_sub(SIGN, ay)
    return ax > ay


@internal
@pure
def fmax(a: uint32, b: uint32) -> uint32:
    """
    @dev max(a, b): canonical NaN if either is NaN; the larger value
         otherwise; for equal values a & b (so max(-0, +0) = +0).
         Named `fmax` because `max` is a Vyper builtin.
    @param a The first operand's bit pattern.
    @param b The second operand's bit pattern.
    @return The bit pattern of the maximum.
    """
    x: uint256 = convert(a, uint256)
    y: uint256 = convert(b, uint256)
    ax: uint256 = x & ABS_MASK
    ay: uint256 = y & ABS_MASK
    if ax > INF or ay > INF:
        return convert(CANONICAL_NAN, uint32)
    # order keys as in `gt`
    if x < SIGN:
        ax = unsafe_add(SIGN, ax)
    else:
        ax = unsafe_sub(SIGN, ax)
    if y < SIGN:
        ay = unsafe_add(SIGN, ay)
    else:
        ay = unsafe_sub(SIGN, ay)
    if ax > ay:
        return a
    if ay > ax:
        return b
    return a & b


@internal
@pure
def select(cond: bool, a: uint32, b: uint32) -> uint32:
    """
    @dev The bit pattern a when cond holds, else b (bits unchanged).
    @param cond The condition, e.g. the result of `gt`.
    @param a The pattern returned when cond is true.
    @param b The pattern returned when cond is false.
    @return a or b.
    """
    if cond:
        return a
    return b


@internal
@pure
def from_int(x: int256) -> uint32:
    """
    @dev A signed 32-bit integer converted to binary32, round-to-nearest-even.
         Reverts "softfloat32: int out of range" outside int32.
    @param x The integer, within [-2^31, 2^31 - 1].
    @return The bit pattern of the nearest float32.
    """
    assert x >= INT32_MIN and x <= INT32_MAX, "softfloat32: int out of range"
    if x == 0:
        return 0
    sign: uint256 = 0
    m: uint256 = 0
    if x < 0:
        sign = SIGN
        m = convert(-x, uint256)
    else:
        m = convert(x, uint256)
    # value m * 2^0 = m * 2^(300 - 300)
    return self._round_pack(sign, m, 300, self._bit_length(m))


@internal
@pure
def div(a: uint32, b: uint32) -> uint32:
    """
    @dev binary32 a / b, round-to-nearest-even (op set v2); 0/0 and
         inf/inf give the canonical NaN, x/+-0 the signed infinity.
    @param a The dividend's bit pattern.
    @param b The divisor's bit pattern.
    @return The bit pattern of the rounded quotient.
    """
    x: uint256 = convert(a, uint256)
    y: uint256 = convert(b, uint256)
    sign: uint256 = (x ^ y) & SIGN
    ax: uint256 = x & ABS_MASK
    ay: uint256 = y & ABS_MASK
    if ax > INF or ay > INF:
        return convert(CANONICAL_NAN, uint32)
    if ax == INF:
        if ay == INF:
            return convert(CANONICAL_NAN, uint32)
        return convert(sign | INF, uint32)
    if ay == INF:
        return convert(sign, uint32)
    if ay == 0:
        if ax == 0:
            return convert(CANONICAL_NAN, uint32)
        return convert(sign | INF, uint32)
    if ax == 0:
        return convert(sign, uint32)
    mx: uint256 = 0
    ex: uint256 = 0
    my: uint256 = 0
    ey: uint256 = 0
    mx, ex = self._normalise(ax)
    my, ey = self._normalise(ay)
    # x / y = (mx / my) * 2^(ex - ey) = q * 2^(ex - ey - 40) with q = mx * 2^40 / my
    # rounded down plus a sticky unit; q has 40 or 41 bits
    num: uint256 = mx << DIV_SHIFT
    q: uint256 = num // my
    if unsafe_mul(q, my) != num:
        q = q | 1
    if unsafe_add(ex, 260) <= ey:
        return convert(sign, uint32)  # below 2^-259: rounds to zero
    return self._round_pack(sign, q, unsafe_sub(unsafe_add(ex, 260), ey), unsafe_add(40, q >> 40))


@internal
@pure
def sqrt(a: uint32) -> uint32:
    """
    @dev binary32 square root, round-to-nearest-even (op set v2);
         sqrt(-0) = -0, sqrt(+inf) = +inf, negative or NaN: canonical NaN.
    @param a The operand's bit pattern.
    @return The bit pattern of the rounded root.
    """
    x: uint256 = convert(a, uint256)
    if x == 0 or x == SIGN or x == INF:
        return a
    if x > INF:
        return convert(CANONICAL_NAN, uint32)  # NaN or negative
    m: uint256 = 0
    e: uint256 = 0
    m, e = self._normalise(x)
    # x = m * 2^(e - 182); make the exponent even
    if e & 1 == 1:
        m = m << 1
        e = unsafe_sub(e, 1)
    num: uint256 = m << DIV_SHIFT
    r: uint256 = isqrt(num)
    if unsafe_mul(r, r) != num:
        r = r | 1
    # sqrt(x) = r * 2^((e - 222) / 2) = r * 2^(E - 300), E = (e + 378) / 2; r has 32 or 33 bits
    return self._round_pack(0, r, unsafe_add(e, 378) >> 1, unsafe_add(32, r >> 32))


@internal
@pure
def exp(a: uint32) -> uint32:
    """
    @dev The defined exp of docs/reproducible-ops.md section 2.1: range
         reduction by k = rne(x log2 e) (Cody-Waite ln 2), a polynomial,
         then two scalings by powers of two (the first exact).
    @param a The operand's bit pattern.
    @return The bit pattern of exp(a) as the spec defines it.
    """
    x: uint256 = convert(a, uint256)
    if x & ABS_MASK > INF:
        return convert(CANONICAL_NAN, uint32)
    if self.gt(a, EXP_OVER):
        return convert(INF, uint32)
    if self.gt(EXP_UNDER, a):
        return 0
    kr: uint32 = self.add(self.mul(a, LOG2E), ROUND_MAGIC)
    kf: uint32 = self.sub(kr, ROUND_MAGIC)
    r: uint32 = self.sub(self.sub(a, self.mul(kf, LN2_HI)), self.mul(kf, LN2_LO))
    p: uint32 = self.add(self.mul(EP0, r), EP1)
    p = self.add(self.mul(p, r), EP2)
    p = self.add(self.mul(p, r), EP3)
    p = self.add(self.mul(p, r), EP4)
    p = self.add(self.mul(p, r), HALF)
    p = self.add(self.add(self.mul(p, self.mul(r, r)), r), ONE)
    # kb = k + 256 (|k| <= 160); k1 = floor(k / 2) = kb // 2 - 128, k2 = k - k1
    kb: uint256 = unsafe_add(unsafe_sub(convert(kr, uint256), convert(ROUND_MAGIC, uint256)), 256)
    k1b: uint256 = kb >> 1
    s1: uint32 = convert(unsafe_sub(k1b, 1) << 23, uint32)  # 2^k1: (k1 + 127) << 23
    s2: uint32 = convert(unsafe_sub(unsafe_sub(kb, k1b), 1) << 23, uint32)  # 2^k2
    return self.mul(self.mul(p, s1), s2)


@internal
@pure
def ln(a: uint32) -> uint32:
    """
    @dev The defined natural logarithm of docs/reproducible-ops.md
         section 2.1: x = m 2^e with m in [sqrt(1/2), sqrt(2)), a
         polynomial in f = m - 1, Cody-Waite ln 2.
    @param a The operand's bit pattern.
    @return The bit pattern of log(a) as the spec defines it.
    """
    x: uint256 = convert(a, uint256)
    if x > SIGN or x & ABS_MASK > INF:
        return convert(CANONICAL_NAN, uint32)  # NaN or negative
    if x & ABS_MASK == 0:
        return NEG_INF
    if x == INF:
        return a
    eb: uint256 = 200  # e + 200
    if x < HIDDEN:
        x = convert(self.mul(a, POW2_23), uint256)
        eb = 177
    eb = unsafe_sub(unsafe_add(eb, x >> 23), 126)
    m: uint32 = convert((x & FRAC_MASK) | convert(HALF_BITS_M, uint256), uint32)
    f: uint32 = 0
    if self.gt(SQRT_HALF, m):
        eb = unsafe_sub(eb, 1)
        f = self.sub(self.add(m, m), ONE)
    else:
        f = self.sub(m, ONE)
    z: uint32 = self.mul(f, f)
    ef: uint32 = self.from_int(convert(eb, int256) - 200)
    y: uint32 = self.add(self.mul(LP0, f), LP1)
    y = self.add(self.mul(y, f), LP2)
    y = self.add(self.mul(y, f), LP3)
    y = self.add(self.mul(y, f), LP4)
    y = self.add(self.mul(y, f), LP5)
    y = self.add(self.mul(y, f), LP6)
    y = self.add(self.mul(y, f), LP7)
    y = self.add(self.mul(y, f), LP8)
    y = self.mul(self.mul(y, f), z)
    y = self.add(y, self.mul(ef, LN2_LO))
    y = self.sub(y, self.mul(z, HALF))
    return self.add(self.add(f, y), self.mul(ef, LN2_HI))


@internal
@pure
def tanh(a: uint32) -> uint32:
    """
    @dev The defined tanh of docs/reproducible-ops.md section 2.1.
    @param a The operand's bit pattern.
    @return The bit pattern of tanh(a) as the spec defines it.
    """
    x: uint256 = convert(a, uint256)
    ax: uint256 = x & ABS_MASK
    if ax > INF:
        return convert(CANONICAL_NAN, uint32)
    sign: uint256 = x & SIGN
    mag: uint32 = convert(ax, uint32)
    if self.gt(mag, TANH_BIG):
        return convert(sign | convert(ONE, uint256), uint32)
    if ax == 0:
        return a
    if not self.gt(TANH_SMALL, mag):
        s: uint32 = self.exp(self.add(mag, mag))
        t: uint32 = self.sub(ONE, self.div(TWO, self.add(s, ONE)))
        return convert(sign | convert(t, uint256), uint32)
    z: uint32 = self.mul(a, a)
    p: uint32 = self.add(self.mul(TP0, z), TP1)
    p = self.add(self.mul(p, z), TP2)
    p = self.add(self.mul(p, z), TP3)
    p = self.add(self.mul(p, z), TP4)
    return self.add(self.mul(self.mul(p, z), a), a)


@internal
@pure
def _normalise(ax: uint256) -> (uint256, uint256):
    """
    @dev A finite nonzero magnitude as (m, e): 2^23 <= m < 2^24 and
         |x| = m * 2^(e - 182) (e >= 10; subnormals shifted up).
    """
    if ax >= HIDDEN:
        return (ax & FRAC_MASK) | HIDDEN, unsafe_add(ax >> 23, 32)
    sh: uint256 = unsafe_sub(24, self._bit_length(ax))
    return ax << sh, unsafe_sub(33, sh)


@internal
@pure
def _bit_length(s: uint256) -> uint256:
    """
    @dev The bit length of s < 2^64 (0 for 0), by binary search of shifts.
    """
    t: uint256 = s
    n: uint256 = 0
    if t > 4_294_967_295:  # 2^32 - 1
        t = t >> 32
        n = 32
    if t > 65_535:
        t = t >> 16
        n = unsafe_add(n, 16)
    if t > 255:
        t = t >> 8
        n = unsafe_add(n, 8)
    if t > 15:
        t = t >> 4
        n = unsafe_add(n, 4)
    if t > 3:
        t = t >> 2
        n = unsafe_add(n, 2)
    if t > 1:
        t = t >> 1
        n = unsafe_add(n, 1)
    return unsafe_add(n, t)


@internal
@pure
def _round_pack(sign: uint256, s: uint256, e: uint256, n: uint256) -> uint32:
    """
    @dev Round the exact nonzero value s * 2^(e - 300) to binary32 (nearest,
         ties to even; overflow to infinity; gradual underflow) and attach
         `sign`. Requires 0 < s < 2^64 with bit length n, and e >= 1.
    """
    # the leading bit of s is 2^(e + n - 301): biased exponent e + n - 174
    top: uint256 = unsafe_add(e, n)
    m: uint256 = 0
    if top < 175:
        # result subnormal (or zero): fixed scale 2^-149, i.e. s * 2^(e - 151)
        if e >= 151:
            return convert(sign | (s << unsafe_sub(e, 151)), uint32)
        sh: uint256 = unsafe_sub(151, e)
        half: uint256 = 1 << unsafe_sub(sh, 1)
        # nearest, ties to even: add half - 1 plus the kept lsb, then cut
        m = unsafe_add(unsafe_add(s, unsafe_sub(half, 1)), (s >> sh) & 1) >> sh
        return convert(sign | m, uint32)

    if n <= 24:
        m = s << unsafe_sub(24, n)
    else:
        sh: uint256 = unsafe_sub(n, 24)
        half: uint256 = 1 << unsafe_sub(sh, 1)
        m = unsafe_add(unsafe_add(s, unsafe_sub(half, 1)), (s >> sh) & 1) >> sh
    # (biased exponent - 1) << 23 plus the 24-bit significand: the hidden bit
    # (or a rounding carry into bit 24) adds the last exponent unit
    bits: uint256 = unsafe_add(unsafe_sub(top, 175) << 23, m)
    if bits >= INF:
        bits = INF
    return convert(sign | bits, uint32)
