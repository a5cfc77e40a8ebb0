# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title OneStepGasProbe
@license MIT
@notice Test-only: the execution gas of one static call, measured with
        msg.gas around it (bench/gas_onestep.py, one-step section). It
        isolates the verifier's execution from the calldata cost of the
        outer transaction, which EIP-7623 floor pricing otherwise hides.
"""


# ------------------------------------------------------------------
#                            EXTERNAL
# ------------------------------------------------------------------


@external
@view
def measure(target: address, data: Bytes[8192]) -> uint256:
    """
    @dev Gas spent by a static call of `target` with `data` (cold account
         access included); reverts when the call reverts.
    @param target The contract to call.
    @param data The ABI-encoded call.
    @return The gas the call used.
    """
    before: uint256 = msg.gas
    out: Bytes[1024] = raw_call(target, data, max_outsize=1024, is_static_call=True)
    used: uint256 = before - msg.gas
    assert len(out) != 0, "gas_probe: empty return"
    return used
