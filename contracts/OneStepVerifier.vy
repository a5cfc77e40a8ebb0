# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title OneStepVerifier
@license MIT
@notice The last move of a dispute: re-executes one micro-step of one
        output element of one program node, with the node decoded from
        the task's program_root (docs/reproducible-ops.md sections 3-6).
@dev A stateless library contract. Opcodes >= 15 (op set v2) are decided
     by the OneStepV2 contract fixed at deployment (ONESTEP_V2): this
     contract proves the header, node and operands and asks OneStepV2 for
     K, the operands, their lengths and s_m (a static call; every function
     that may reach it is view). The dispute
     game calls `one_step_proved` (or `one_step` when it checks the operand
     values itself) and compares the returned s_m with each party's claim.
     Proof layout (every proof exact: exactly the tree's height, which
     comes from the header and the records, never from the proof):
     - header: leaf 0 of program_root; node j of step t: leaf 1 + j (t = 0)
       or 1 + n_state + j (t >= 1), in a tree of 1 + n_state + n_step
       leaves; proofs are siblings bottom-up. The header describes its own
       tree, so a caller must fix it independently (the dispute game uses
       the header the task registry proved at create_task).
     - operand i (`Operand`): its input's tensor root, the 32-byte leaf
       flat // 8 of that tensor holding the value in lane flat % 8, and
       the leaf's proof against the tensor root in a tree of
       ceil(count / 8) leaves, count from node j's own record and the
       header (`input_count`: MATMUL A rows * k, B k * cols; SUM axis 0
       k * cols, axis 1 rows * k; BIAS_ADD bias cols; the dataset
       data_rows * data_cols; else rows * cols). It is the producer's
       true length in every program offchain executor.validate accepts.
     - what stays the game's job: each `Operand.tensor_root` against the
       root named by the returned `inputs[i]`: leaf `inputs[i].leaf` of S_t
       (SOURCE_STEP = 0) or of S_{t-1} (SOURCE_PREV_STEP = 1), or equality
       with the task's data_root (SOURCE_DATA = 2).
     Semantics mirror offchain/runtime/micro.py bit for bit.
@custom:security No state; only static calls to the immutable ONESTEP_V2; no value.
"""


# ------------------------------------------------------------------
#                            MODULES
# ------------------------------------------------------------------

from .modules import merkle
from .modules import onestep
from .modules import opcodes


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

# @dev see onestep.SOURCE_*
SOURCE_STEP: public(constant(uint256)) = onestep.SOURCE_STEP
SOURCE_PREV_STEP: public(constant(uint256)) = onestep.SOURCE_PREV_STEP
SOURCE_DATA: public(constant(uint256)) = onestep.SOURCE_DATA


# ------------------------------------------------------------------
#                            INTERFACES
# ------------------------------------------------------------------

interface IOneStepV2:
    def num_micro_steps(node: uint256) -> uint256: view
    def operand_refs(
        header: uint256, node: uint256, t: uint256, e: uint256, m: uint256, prev: uint32
    ) -> DynArray[onestep.OperandRef, onestep.MAX_OPERANDS]: view
    def input_count(header: uint256, node: uint256, i: uint256, kind: uint256) -> uint256: view
    def operand_refs_counts(
        header: uint256, node: uint256, t: uint256, e: uint256, m: uint256, prev: uint32
    ) -> (DynArray[onestep.OperandRef, onestep.MAX_OPERANDS], DynArray[uint256, onestep.MAX_OPERANDS]): view
    def next_state(
        header: uint256,
        node: uint256,
        slot_or_j: uint256,
        t: uint256,
        e: uint256,
        m: uint256,
        prev: uint32,
        operands: DynArray[uint32, onestep.MAX_OPERANDS],
    ) -> uint32: view


# ------------------------------------------------------------------
#                            STORAGE
# ------------------------------------------------------------------

# @dev The op set v2 semantics (every opcode >= 15).
ONESTEP_V2: public(immutable(IOneStepV2))


# ------------------------------------------------------------------
#                            STRUCTS
# ------------------------------------------------------------------

# @dev an operand value with its proof against its input's tensor root
struct Operand:
    tensor_root: bytes32
    leaf: bytes32
    proof: DynArray[bytes32, merkle.MAX_DEPTH]

# @dev result of `one_step_proved`: s_m, and where each operand's
#      tensor_root must be proved (same order as the operands)
struct StepResult:
    state: uint32
    inputs: DynArray[onestep.InputLeaf, onestep.MAX_OPERANDS]


# ------------------------------------------------------------------
#                            CONSTRUCTOR
# ------------------------------------------------------------------


@deploy
def __init__(onestep_v2: IOneStepV2):
    """
    @dev Fixes the contract that decides opcodes >= 15.
    @param onestep_v2 The OneStepV2 contract (nonzero, with code).
    """
    assert onestep_v2.address != empty(address), "onestep: zero v2 address"
    assert onestep_v2.address.is_contract, "onestep: v2 is not a contract"
    ONESTEP_V2 = onestep_v2


# ------------------------------------------------------------------
#                            EXTERNAL
# ------------------------------------------------------------------


@external
@view
def one_step(
    program_root: bytes32,
    header: uint256,
    header_proof: DynArray[bytes32, merkle.MAX_DEPTH],
    node: uint256,
    node_proof: DynArray[bytes32, merkle.MAX_DEPTH],
    t: uint256,
    j: uint256,
    e: uint256,
    m: uint256,
    prev: uint32,
    operands: DynArray[uint32, onestep.MAX_OPERANDS],
) -> uint32:
    """
    @dev s_m of element e of node j at step t, from s_{m-1} and operand
         values the caller vouches for (it must check them itself).
    @param program_root The task's program root.
    @param header The header record (leaf 0).
    @param header_proof The header's proof against program_root.
    @param node The node record of node j of step t.
    @param node_proof The node's proof against program_root.
    @param t The step (0 = initialisation).
    @param j The node's index in its step's program.
    @param e The flat output element index.
    @param m The micro-step, 1..K.
    @param prev The micro-state s_{m-1}.
    @param operands The operand values, in `operand_refs` order.
    @return The micro-state s_m.
    """
    h: onestep.Header = self._check_program(program_root, header, header_proof, node, node_proof, t, j)
    return self._next_state(header, node, h, onestep._decode_node(node), j, t, e, m, prev, operands)


@external
@view
def one_step_proved(
    program_root: bytes32,
    header: uint256,
    header_proof: DynArray[bytes32, merkle.MAX_DEPTH],
    node: uint256,
    node_proof: DynArray[bytes32, merkle.MAX_DEPTH],
    t: uint256,
    j: uint256,
    e: uint256,
    m: uint256,
    prev: uint32,
    operands: DynArray[Operand, onestep.MAX_OPERANDS],
) -> StepResult:
    """
    @dev As `one_step`, with every operand value read from a tensor leaf
         proved against the tensor root it names. The caller must still
         prove each tensor_root where `inputs[i]` says.
    @param program_root The task's program root.
    @param header The header record (leaf 0).
    @param header_proof The header's proof against program_root.
    @param node The node record of node j of step t.
    @param node_proof The node's proof against program_root.
    @param t The step (0 = initialisation).
    @param j The node's index in its step's program.
    @param e The flat output element index.
    @param m The micro-step, 1..K.
    @param prev The micro-state s_{m-1}.
    @param operands Per operand: tensor root, leaf flat // 8 and its proof.
    @return s_m and, per operand, where its tensor root is committed.
    """
    h: onestep.Header = self._check_program(program_root, header, header_proof, node, node_proof, t, j)
    n: onestep.Node = onestep._decode_node(node)
    v2: bool = n.opcode >= opcodes.OP_DIV
    refs: DynArray[onestep.OperandRef, onestep.MAX_OPERANDS] = []
    counts: DynArray[uint256, onestep.MAX_OPERANDS] = []
    if v2:
        refs, counts = staticcall ONESTEP_V2.operand_refs_counts(header, node, t, e, m, prev)
    else:
        refs = onestep._operand_refs(h, n, t, e, m)
    assert len(operands) == len(refs), "onestep: wrong operand count"
    values: DynArray[uint32, onestep.MAX_OPERANDS] = []
    inputs: DynArray[onestep.InputLeaf, onestep.MAX_OPERANDS] = []
    for i: uint256 in range(onestep.MAX_OPERANDS):
        if i == len(refs):
            break
        ref: onestep.OperandRef = refs[i]
        op: Operand = operands[i]
        at: onestep.InputLeaf = onestep._input_leaf(h, t, j, ref.kind, ref.index)
        count: uint256 = 0
        if v2:
            count = counts[i]
        else:
            count = onestep._input_count(h, n, i, ref.kind)
        assert merkle._verify_exact(
            op.tensor_root, op.leaf, ref.flat // merkle.LANES, (count + merkle.LANES - 1) // merkle.LANES, op.proof
        ), "onestep: bad operand proof"
        values.append(merkle._lane(op.leaf, ref.flat))
        inputs.append(at)
    if v2:
        return StepResult(
            state=staticcall ONESTEP_V2.next_state(header, node, j, t, e, m, prev, values), inputs=inputs
        )
    return StepResult(state=onestep._next_state(h, n, j, t, e, m, prev, values), inputs=inputs)


@external
@view
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
    @dev The micro-step semantics alone, without proofs (micro.next_state).
    @param header The header record.
    @param node The node record.
    @param slot_or_j The node's index in its program (the slot for INIT_UNIFORM).
    @param t The step.
    @param e The flat output element index.
    @param m The micro-step, 1..K.
    @param prev The micro-state s_{m-1}.
    @param operands The operand values, in `operand_refs` order.
    @return The micro-state s_m.
    """
    return self._next_state(
        header, node, onestep._decode_header(header), onestep._decode_node(node), slot_or_j, t, e, m, prev, operands
    )


@external
@view
def operand_refs(
    header: uint256, node: uint256, t: uint256, e: uint256, m: uint256
) -> DynArray[onestep.OperandRef, onestep.MAX_OPERANDS]:
    """
    @dev The operands of micro-step m of element e (micro.operand_refs).
    @param header The header record.
    @param node The node record.
    @param t The step.
    @param e The flat output element index.
    @param m The micro-step, 1..K.
    @return Per operand: input kind (Ref), input index, flat element index.
    """
    return self._operand_refs(header, node, onestep._decode_header(header), onestep._decode_node(node), t, e, m, 0)


@external
@view
def operand_refs_prev(
    header: uint256, node: uint256, t: uint256, e: uint256, m: uint256, prev: uint32
) -> DynArray[onestep.OperandRef, onestep.MAX_OPERANDS]:
    """
    @dev As `operand_refs`, for an opcode whose operands depend on s_{m-1}
         (the dispute game's entry: it knows prev when it reads operands).
    @param header The header record.
    @param node The node record.
    @param t The step.
    @param e The flat output element index.
    @param m The micro-step, 1..K.
    @param prev The micro-state s_{m-1}.
    @return Per operand: input kind (Ref), input index, flat element index.
    """
    return self._operand_refs(header, node, onestep._decode_header(header), onestep._decode_node(node), t, e, m, prev)


@external
@pure
def input_leaf(header: uint256, t: uint256, j: uint256, kind: uint256, index: uint256) -> onestep.InputLeaf:
    """
    @dev Where the tensor root of input (kind, index) of node j at step t
         is committed (micro.input_location).
    @param header The header record.
    @param t The step.
    @param j The node's index in its step's program.
    @param kind The input kind (Ref).
    @param index The input index.
    @return The source (SOURCE_*) and the leaf of that root.
    """
    return onestep._input_leaf(onestep._decode_header(header), t, j, kind, index)


@external
@view
def input_count(header: uint256, node: uint256, i: uint256, kind: uint256) -> uint256:
    """
    @dev Element count of the tensor that operand i of the node reads,
         as the operand proofs use it (micro.input_count).
    @param header The header record.
    @param node The node record.
    @param i The operand's position in `operand_refs`.
    @param kind The operand's input kind (Ref).
    @return The element count.
    """
    return self._input_count(header, node, onestep._decode_header(header), onestep._decode_node(node), i, kind)


@external
@view
def num_micro_steps(node: uint256) -> uint256:
    """
    @dev K, the micro-steps of every output element of the node.
    @param node The node record.
    @return K.
    """
    n: onestep.Node = onestep._decode_node(node)
    if n.opcode >= opcodes.OP_DIV:
        return staticcall ONESTEP_V2.num_micro_steps(node)
    return onestep._num_micro_steps(n)


@external
@pure
def node_leaf(header: uint256, t: uint256, j: uint256) -> uint256:
    """
    @dev Leaf of node j of step t in the program tree.
    @param header The header record.
    @param t The step.
    @param j The node's index in its step's program.
    @return The leaf index.
    """
    return onestep._node_leaf(onestep._decode_header(header), t, j)


@external
@pure
def decode_node(word: uint256) -> onestep.Node:
    """
    @dev A node record's fields.
    @param word The node record.
    @return The decoded node.
    """
    return onestep._decode_node(word)


@external
@pure
def decode_header(word: uint256) -> onestep.Header:
    """
    @dev A header record's fields.
    @param word The header record.
    @return The decoded header.
    """
    return onestep._decode_header(word)


# ------------------------------------------------------------------
#                            INTERNAL
# ------------------------------------------------------------------


@internal
@pure
def _check_program(
    program_root: bytes32,
    header: uint256,
    header_proof: DynArray[bytes32, merkle.MAX_DEPTH],
    node: uint256,
    node_proof: DynArray[bytes32, merkle.MAX_DEPTH],
    t: uint256,
    j: uint256,
) -> onestep.Header:
    """
    @dev Prove header and node against program_root (exact proofs in a
         tree of 1 + n_state + n_step leaves); return the header.
    """
    h: onestep.Header = onestep._decode_header(header)
    assert h.version == opcodes.PROGRAM_VERSION, "onestep: bad program version"
    n: uint256 = 1 + h.n_state + h.n_step
    assert merkle._verify_exact(program_root, convert(header, bytes32), 0, n, header_proof), "onestep: bad header proof"
    leaf: uint256 = onestep._node_leaf(h, t, j)
    assert merkle._verify_exact(program_root, convert(node, bytes32), leaf, n, node_proof), "onestep: bad node proof"
    return h



@internal
@view
def _operand_refs(
    header: uint256, node: uint256, h: onestep.Header, n: onestep.Node, t: uint256, e: uint256, m: uint256, prev: uint32
) -> DynArray[onestep.OperandRef, onestep.MAX_OPERANDS]:
    """
    @dev The operands of micro-step m of element e: v1 here, v2 from ONESTEP_V2.
    """
    if n.opcode >= opcodes.OP_DIV:
        return staticcall ONESTEP_V2.operand_refs(header, node, t, e, m, prev)
    return onestep._operand_refs(h, n, t, e, m)


@internal
@view
def _input_count(
    header: uint256, node: uint256, h: onestep.Header, n: onestep.Node, i: uint256, kind: uint256
) -> uint256:
    """
    @dev Element count of operand i's tensor: v1 here, v2 from ONESTEP_V2.
    """
    if n.opcode >= opcodes.OP_DIV:
        return staticcall ONESTEP_V2.input_count(header, node, i, kind)
    return onestep._input_count(h, n, i, kind)


@internal
@view
def _next_state(
    header: uint256,
    node: uint256,
    h: onestep.Header,
    n: onestep.Node,
    slot_or_j: uint256,
    t: uint256,
    e: uint256,
    m: uint256,
    prev: uint32,
    operands: DynArray[uint32, onestep.MAX_OPERANDS],
) -> uint32:
    """
    @dev s_m, after checking the operand count against the operand refs
         (e and m with them): v1 here, v2 by ONESTEP_V2 (which checks the
         same itself).
    """
    if n.opcode >= opcodes.OP_DIV:
        return staticcall ONESTEP_V2.next_state(header, node, slot_or_j, t, e, m, prev, operands)
    refs: DynArray[onestep.OperandRef, onestep.MAX_OPERANDS] = onestep._operand_refs(h, n, t, e, m)
    assert len(operands) == len(refs), "onestep: wrong operand count"
    return onestep._next_state(h, n, slot_or_j, t, e, m, prev, operands)
