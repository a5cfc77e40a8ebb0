# pragma version ^0.4.3
"""
@title link
@license MIT
@notice The one-step link of the dispute game: checks every operand of
        micro-step m against the commitments both parties agree on and
        returns the operand values for the one-step verifier.
@dev Per operand (in OneStepVerifier.operand_refs order) the caller gives
     the input's tensor root, the tensor leaf flat // 8 holding the value
     with its proof, and, unless the input is the dataset, the tensor
     root's proof as leaf `index` of the caller's S_t (NODE, index < j) or
     as the slot's leaf of S_{t-1} (STATE; S_{t-1} itself proved once as
     leaf t - 1 - b(i-1) of the caller's segment root: step t >= 1 is
     always found by the L1b descent inside segment i, left of whose
     first difference S_{t-1} lies). For DATA the root must be
     data_root. The tensor's element count, which fixes the height of
     the operand proof, comes from node j's own record and the header
     (the verifier's input_count: the opcode fixes every input's length).
     Every proof is exact (merkle._verify_exact, leaf counts from the
     header, num_steps, the checkpoint interval and node j's record). All
     these leaves lie left of the first difference, so both parties
     agree on them.
@custom:security View; static calls to the verifier only (operand_refs_prev,
     input_count).
"""

from . import merkle
from . import onestep


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

MAX_OPERANDS: constant(uint256) = onestep.MAX_OPERANDS
MAX_DEPTH: constant(uint256) = merkle.MAX_DEPTH
LANES: constant(uint256) = 8


# ------------------------------------------------------------------
#                            INTERFACES
# ------------------------------------------------------------------

interface IOneStepVerifier:
    def operand_refs_prev(
        header: uint256, node: uint256, t: uint256, e: uint256, m: uint256, prev: uint32
    ) -> DynArray[onestep.OperandRef, MAX_OPERANDS]: view
    def input_count(header: uint256, node: uint256, i: uint256, kind: uint256) -> uint256: view


# ------------------------------------------------------------------
#                            STRUCTS
# ------------------------------------------------------------------

# @dev An operand submitted at one step (see the module notice).
struct Operand:
    tensor_root: bytes32
    leaf: bytes32
    proof: DynArray[bytes32, MAX_DEPTH]
    root_proof: DynArray[bytes32, MAX_DEPTH]


# @dev What the checks read: the task's fixed data, the caller's roots and
#      where the game stands.
struct Context:
    header: uint256
    node: uint256
    data_root: bytes32
    segment_root: bytes32
    prev_index: uint256
    prev_count: uint256
    step_root: bytes32
    t: uint256
    j: uint256
    e: uint256
    m: uint256


# ------------------------------------------------------------------
#                            INTERNAL
# ------------------------------------------------------------------


@view
@internal
def _element(
    verifier: IOneStepVerifier,
    c: Context,
    h: onestep.Header,
    i: uint256,
    t: uint256,
    j: uint256,
    ref: onestep.OperandRef,
    tensor_root: bytes32,
    leaf: bytes32,
    proof: DynArray[bytes32, MAX_DEPTH],
) -> (uint32, onestep.InputLeaf):
    """
    @dev Operand i's value, read from `leaf` proved exactly against
         `tensor_root` (a tree of ceil(count / 8) leaves, count from
         the verifier's input_count), and where that root is committed. The
         caller proves `tensor_root` where the returned InputLeaf says.
    """
    at: onestep.InputLeaf = onestep._input_leaf(h, t, j, ref.kind, ref.index)
    count: uint256 = staticcall verifier.input_count(c.header, c.node, i, ref.kind)
    assert merkle._verify_exact(
        tensor_root, leaf, ref.flat // LANES, (count + LANES - 1) // LANES, proof
    ), "dispute_game: bad operand proof"
    return merkle._lane(leaf, ref.flat), at


@view
@internal
def _values(
    verifier: IOneStepVerifier,
    c: Context,
    prev: uint32,
    prev_step_root: bytes32,
    prev_step_proof: DynArray[bytes32, MAX_DEPTH],
    operands: DynArray[Operand, MAX_OPERANDS],
) -> DynArray[uint32, MAX_OPERANDS]:
    """
    @dev The operand values of micro-step m, each checked as the module
         notice says; reverts on any proof that is not exact.
    """
    h: onestep.Header = onestep._decode_header(c.header)
    refs: DynArray[onestep.OperandRef, MAX_OPERANDS] = staticcall verifier.operand_refs_prev(
        c.header, c.node, c.t, c.e, c.m, prev
    )
    assert len(operands) == len(refs), "dispute_game: wrong operand count"
    xs: DynArray[uint32, MAX_OPERANDS] = []
    prev_checked: bool = False
    for i: uint256 in range(MAX_OPERANDS):
        if i == len(refs):
            break
        op: Operand = operands[i]
        x: uint32 = 0
        at: onestep.InputLeaf = empty(onestep.InputLeaf)
        x, at = self._element(verifier, c, h, i, c.t, c.j, refs[i], op.tensor_root, op.leaf, op.proof)
        if at.source == onestep.SOURCE_DATA:
            assert op.tensor_root == c.data_root, "dispute_game: bad data root"
        else:
            step: uint256 = c.t
            container: bytes32 = c.step_root
            if at.source == onestep.SOURCE_PREV_STEP:
                step = c.t - 1
                if not prev_checked:
                    assert merkle._verify_exact(
                        c.segment_root, prev_step_root, c.prev_index, c.prev_count, prev_step_proof
                    ), "dispute_game: bad previous step root proof"
                    prev_checked = True
                container = prev_step_root
            assert merkle._verify_exact(
                container, op.tensor_root, at.leaf, h.n_state if step == 0 else h.n_step, op.root_proof
            ), "dispute_game: bad input root proof"
        xs.append(x)
    return xs


@external
@pure
def operand_leaves(count: uint256) -> uint256:
    """
    @dev Never exported by importers. It exists because brownie 1.22
         cannot build a module without runtime code.
    @param count Elements of a tensor.
    @return Leaves of its tensor tree.
    """
    return (count + LANES - 1) // LANES
