# pragma version ^0.4.3
"""
@title FloatBatchHarness
@license MIT
@notice Test-only contract: runs one softfloat32 primitive over whole
        arrays of operands in a single eth_call (the differential tests),
        and measures the gas of one internal call with msg.gas (the gas
        benchmark).
@dev The gas_* functions return the gas consumed between two reads of
     msg.gas around exactly one internal call, minus nothing: subtract
     `gas_baseline()` (two back-to-back reads) to get the call's own cost.
"""


# ------------------------------------------------------------------
#                             MODULES
# ------------------------------------------------------------------

from ..modules import softfloat32


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

# @dev the most operands one batch call takes
MAX_BATCH: constant(uint256) = 4096
# @dev batch opcodes
OP_ADD: constant(uint256) = 0
OP_SUB: constant(uint256) = 1
OP_MUL: constant(uint256) = 2
OP_MAX: constant(uint256) = 3
OP_GT: constant(uint256) = 4
OP_DIV: constant(uint256) = 5
OP_SQRT: constant(uint256) = 6
OP_EXP: constant(uint256) = 7
OP_LOG: constant(uint256) = 8
OP_TANH: constant(uint256) = 9


# ------------------------------------------------------------------
#                            EXTERNAL
# ------------------------------------------------------------------


@external
@pure
def batch(
    op: uint256, a: DynArray[uint32, MAX_BATCH], b: DynArray[uint32, MAX_BATCH]
) -> DynArray[uint32, MAX_BATCH]:
    """
    @dev Apply one primitive elementwise: out[i] = op(a[i], b[i]).
    @param op 0 add, 1 sub, 2 mul, 3 max, 4 gt (1 when a[i] > b[i], else 0),
           5 div; unary (b[i] ignored): 6 sqrt, 7 exp, 8 log, 9 tanh.
    @param a The first operands.
    @param b The second operands, as many as `a`.
    @return The results, one per pair.
    """
    assert len(a) == len(b), "FloatBatchHarness: length mismatch"
    assert op <= OP_TANH, "FloatBatchHarness: unknown op"
    out: DynArray[uint32, MAX_BATCH] = []
    for i: uint256 in range(len(a), bound=MAX_BATCH):
        if op == OP_ADD:
            out.append(softfloat32.add(a[i], b[i]))
        elif op == OP_SUB:
            out.append(softfloat32.sub(a[i], b[i]))
        elif op == OP_MUL:
            out.append(softfloat32.mul(a[i], b[i]))
        elif op == OP_MAX:
            out.append(softfloat32.fmax(a[i], b[i]))
        elif op == OP_DIV:
            out.append(softfloat32.div(a[i], b[i]))
        elif op == OP_SQRT:
            out.append(softfloat32.sqrt(a[i]))
        elif op == OP_EXP:
            out.append(softfloat32.exp(a[i]))
        elif op == OP_LOG:
            out.append(softfloat32.ln(a[i]))
        elif op == OP_TANH:
            out.append(softfloat32.tanh(a[i]))
        elif softfloat32.gt(a[i], b[i]):
            out.append(1)
        else:
            out.append(0)
    return out


@external
@pure
def batch_from_int(x: DynArray[int256, MAX_BATCH]) -> DynArray[uint32, MAX_BATCH]:
    """
    @dev out[i] = from_int(x[i]); reverts if any x[i] is outside int32.
    @param x The integers.
    @return Their float32 bit patterns.
    """
    out: DynArray[uint32, MAX_BATCH] = []
    for v: int256 in x:
        out.append(softfloat32.from_int(v))
    return out


@external
@pure
def f32_gt(a: uint32, b: uint32) -> bool:
    """
    @dev IEEE a > b.
    @param a The left operand's bit pattern.
    @param b The right operand's bit pattern.
    @return True when a > b (false if either is NaN).
    """
    return softfloat32.gt(a, b)


@external
@pure
def f32_select(cond: bool, a: uint32, b: uint32) -> uint32:
    """
    @dev cond ? a : b on bit patterns.
    @param cond The condition.
    @param a Returned when cond is true.
    @param b Returned when cond is false.
    @return a or b.
    """
    return softfloat32.select(cond, a, b)


@external
@view
def gas_baseline() -> uint256:
    """
    @dev Gas between two back-to-back reads of msg.gas (the measuring cost).
    @return The gas difference.
    """
    g0: uint256 = msg.gas
    g1: uint256 = msg.gas
    return g0 - g1


@external
@view
def gas_add(a: uint32, b: uint32) -> (uint256, uint32):
    """
    @dev Gas of one internal `add` call (plus the measuring cost).
    @param a The first operand.
    @param b The second operand.
    @return The gas used and the result.
    """
    g0: uint256 = msg.gas
    r: uint32 = softfloat32.add(a, b)
    g1: uint256 = msg.gas
    return g0 - g1, r


@external
@view
def gas_sub(a: uint32, b: uint32) -> (uint256, uint32):
    """
    @dev Gas of one internal `sub` call (plus the measuring cost).
    @param a The minuend.
    @param b The subtrahend.
    @return The gas used and the result.
    """
    g0: uint256 = msg.gas
    r: uint32 = softfloat32.sub(a, b)
    g1: uint256 = msg.gas
    return g0 - g1, r


@external
@view
def gas_mul(a: uint32, b: uint32) -> (uint256, uint32):
    """
    @dev Gas of one internal `mul` call (plus the measuring cost).
    @param a The first factor.
    @param b The second factor.
    @return The gas used and the result.
    """
    g0: uint256 = msg.gas
    r: uint32 = softfloat32.mul(a, b)
    g1: uint256 = msg.gas
    return g0 - g1, r


@external
@view
def gas_max(a: uint32, b: uint32) -> (uint256, uint32):
    """
    @dev Gas of one internal `fmax` call (plus the measuring cost).
    @param a The first operand.
    @param b The second operand.
    @return The gas used and the result.
    """
    g0: uint256 = msg.gas
    r: uint32 = softfloat32.fmax(a, b)
    g1: uint256 = msg.gas
    return g0 - g1, r


@external
@view
def gas_gt(a: uint32, b: uint32) -> (uint256, bool):
    """
    @dev Gas of one internal `gt` call (plus the measuring cost).
    @param a The left operand.
    @param b The right operand.
    @return The gas used and the result.
    """
    g0: uint256 = msg.gas
    r: bool = softfloat32.gt(a, b)
    g1: uint256 = msg.gas
    return g0 - g1, r


@external
@view
def gas_from_int(x: int256) -> (uint256, uint32):
    """
    @dev Gas of one internal `from_int` call (plus the measuring cost).
    @param x The integer (int32 range).
    @return The gas used and the result.
    """
    g0: uint256 = msg.gas
    r: uint32 = softfloat32.from_int(x)
    g1: uint256 = msg.gas
    return g0 - g1, r


@external
@view
def gas_div(a: uint32, b: uint32) -> (uint256, uint32):
    """
    @dev Gas of one internal `div` call (plus the measuring cost).
    @param a The dividend.
    @param b The divisor.
    @return The gas used and the result.
    """
    g0: uint256 = msg.gas
    r: uint32 = softfloat32.div(a, b)
    g1: uint256 = msg.gas
    return g0 - g1, r


@external
@view
def gas_sqrt(a: uint32) -> (uint256, uint32):
    """
    @dev Gas of one internal `sqrt` call (plus the measuring cost).
    @param a The operand.
    @return The gas used and the result.
    """
    g0: uint256 = msg.gas
    r: uint32 = softfloat32.sqrt(a)
    g1: uint256 = msg.gas
    return g0 - g1, r


@external
@view
def gas_exp(a: uint32) -> (uint256, uint32):
    """
    @dev Gas of one internal `exp` call (plus the measuring cost).
    @param a The operand.
    @return The gas used and the result.
    """
    g0: uint256 = msg.gas
    r: uint32 = softfloat32.exp(a)
    g1: uint256 = msg.gas
    return g0 - g1, r


@external
@view
def gas_log(a: uint32) -> (uint256, uint32):
    """
    @dev Gas of one internal `log` call (plus the measuring cost).
    @param a The operand.
    @return The gas used and the result.
    """
    g0: uint256 = msg.gas
    r: uint32 = softfloat32.ln(a)
    g1: uint256 = msg.gas
    return g0 - g1, r


@external
@view
def gas_tanh(a: uint32) -> (uint256, uint32):
    """
    @dev Gas of one internal `tanh` call (plus the measuring cost).
    @param a The operand.
    @return The gas used and the result.
    """
    g0: uint256 = msg.gas
    r: uint32 = softfloat32.tanh(a)
    g1: uint256 = msg.gas
    return g0 - g1, r
