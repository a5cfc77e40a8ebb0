# pragma version ^0.4.3
"""
@title FloatHarness
@license MIT
@notice Test-only contract: exposes the binary32 primitives of the
        softfloat32 module one call at a time.
"""


# ------------------------------------------------------------------
#                             MODULES
# ------------------------------------------------------------------

from ..modules import softfloat32


# ------------------------------------------------------------------
#                            EXTERNAL
# ------------------------------------------------------------------


@external
@pure
def f32_add(a: uint32, b: uint32) -> uint32:
    """
    @dev binary32 a + b.
    @param a The first operand's bit pattern.
    @param b The second operand's bit pattern.
    @return The bit pattern of the sum.
    """
    return softfloat32.add(a, b)


@external
@pure
def f32_sub(a: uint32, b: uint32) -> uint32:
    """
    @dev binary32 a - b.
    @param a The minuend's bit pattern.
    @param b The subtrahend's bit pattern.
    @return The bit pattern of the difference.
    """
    return softfloat32.sub(a, b)


@external
@pure
def f32_mul(a: uint32, b: uint32) -> uint32:
    """
    @dev binary32 a * b.
    @param a The first factor's bit pattern.
    @param b The second factor's bit pattern.
    @return The bit pattern of the product.
    """
    return softfloat32.mul(a, b)


@external
@pure
def f32_max(a: uint32, b: uint32) -> uint32:
    """
    @dev binary32 max with the op set's NaN and signed-zero rules.
    @param a The first operand's bit pattern.
    @param b The second operand's bit pattern.
    @return The bit pattern of the maximum.
    """
    return softfloat32.fmax(a, b)


@external
@pure
def f32_div(a: uint32, b: uint32) -> uint32:
    """
    @dev binary32 a / b (op set v2).
    @param a The dividend's bit pattern.
    @param b The divisor's bit pattern.
    @return The bit pattern of the quotient.
    """
    return softfloat32.div(a, b)


@external
@pure
def f32_sqrt(a: uint32) -> uint32:
    """
    @dev binary32 square root (op set v2).
    @param a The operand's bit pattern.
    @return The bit pattern of the root.
    """
    return softfloat32.sqrt(a)


@external
@pure
def f32_from_int(x: int256) -> uint32:
    """
    @dev int32 to binary32, round-to-nearest-even.
    @param x The integer (reverts outside int32).
    @return The bit pattern of the nearest float32.
    """
    return softfloat32.from_int(x)
