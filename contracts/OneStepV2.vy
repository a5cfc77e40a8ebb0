# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title OneStepV2
@license MIT
@notice The micro-step semantics of op set v2 (every opcode >= 15,
        docs/reproducible-ops.md section 5.1), a stateless library the
        OneStepVerifier calls for those opcodes. It holds no proofs: the
        OneStepVerifier proves the header, the node and the operands, and
        asks this contract only K, the operands' positions, their tensors'
        lengths and s_m.
@dev Split from the OneStepVerifier because both halves together exceed
     EIP-170. The interface takes the raw header and node records, and
     `prev` (s_{m-1}) both for the operands and for s_m, so that a new
     opcode changes only this contract (and its module), never the
     OneStepVerifier or the dispute game. Reverts keep the "onestep:"
     prefix (the caller sees the same reasons whichever half decides).
@custom:security Pure; no state, no external calls, no value.
"""


# ------------------------------------------------------------------
#                            MODULES
# ------------------------------------------------------------------

from .modules import onestep
from .modules import onestep_v2


# ------------------------------------------------------------------
#                            EXTERNAL
# ------------------------------------------------------------------


@external
@pure
def num_micro_steps(node: uint256) -> uint256:
    """
    @dev K, the micro-steps of every output element of a v2 node; reverts
         ("onestep: unknown opcode") on an opcode below 15 or unknown.
    @param node The node record.
    @return K.
    """
    return onestep_v2._num_micro_steps(onestep._decode_node(node))


@external
@pure
def operand_refs(
    header: uint256, node: uint256, t: uint256, e: uint256, m: uint256, prev: uint32
) -> DynArray[onestep.OperandRef, onestep.MAX_OPERANDS]:
    """
    @dev The operands of micro-step m of element e (micro.operand_refs).
    @param header The header record.
    @param node The node record.
    @param t The step.
    @param e The flat output element index.
    @param m The micro-step, 1..K.
    @param prev The micro-state s_{m-1} (an opcode may address by it).
    @return Per operand: input kind (Ref), input index, flat element index.
    """
    return onestep_v2._operand_refs(onestep._decode_header(header), onestep._decode_node(node), t, e, m, prev)


@external
@pure
def operand_refs_counts(
    header: uint256, node: uint256, t: uint256, e: uint256, m: uint256, prev: uint32
) -> (DynArray[onestep.OperandRef, onestep.MAX_OPERANDS], DynArray[uint256, onestep.MAX_OPERANDS]):
    """
    @dev `operand_refs` and, per operand, `input_count` in one call (what
         OneStepVerifier.one_step_proved needs to check the operand proofs).
    @param header The header record.
    @param node The node record.
    @param t The step.
    @param e The flat output element index.
    @param m The micro-step, 1..K.
    @param prev The micro-state s_{m-1}.
    @return The operand refs, and the element count of each one's tensor.
    """
    h: onestep.Header = onestep._decode_header(header)
    n: onestep.Node = onestep._decode_node(node)
    refs: DynArray[onestep.OperandRef, onestep.MAX_OPERANDS] = onestep_v2._operand_refs(h, n, t, e, m, prev)
    counts: DynArray[uint256, onestep.MAX_OPERANDS] = []
    for i: uint256 in range(onestep.MAX_OPERANDS):
        if i == len(refs):
            break
        counts.append(onestep_v2._input_count(h, n, i, refs[i].kind))
    return refs, counts


@external
@pure
def input_count(header: uint256, node: uint256, i: uint256, kind: uint256) -> uint256:
    """
    @dev Element count of the tensor that operand i of the node reads, as
         the operand proofs use it (micro.input_count).
    @param header The header record.
    @param node The node record.
    @param i The operand's position in `operand_refs`.
    @param kind The operand's input kind (Ref).
    @return The element count.
    """
    return onestep_v2._input_count(onestep._decode_header(header), onestep._decode_node(node), i, kind)


@external
@pure
def next_state(
    header: uint256,
    node: uint256,
    slot_or_j: uint256,
    t: uint256,
    e: uint256,
    m: uint256,
    prev: uint32,
    operands: DynArray[uint32, onestep.MAX_OPERANDS],
) -> uint32:
    """
    @dev s_m from s_{m-1} and the operand values (micro.next_state);
         checks e, m and the operand count itself.
    @param header The header record.
    @param node The node record.
    @param slot_or_j The node's index in its program.
    @param t The step.
    @param e The flat output element index.
    @param m The micro-step, 1..K.
    @param prev The micro-state s_{m-1}.
    @param operands The operand values, in `operand_refs` order.
    @return The micro-state s_m.
    """
    return onestep_v2._next_state(
        onestep._decode_header(header), onestep._decode_node(node), slot_or_j, t, e, m, prev, operands
    )
