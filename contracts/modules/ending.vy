# pragma version ^0.4.3
"""
@title ending
@license MIT
@notice What happens when a descent of the dispute game reaches its
        first differing leaf: the padding and start rules
        (descent._end_rule), where the game stands (t, j, e, m), and the
        start of the next level (L1 -> L2 at boundary 0, L1 -> SEGMENT at
        a boundary i >= 1, L1b -> L2 -> L3 -> TRACE, L4 -> ONESTEP).
@dev `initializes: disputes` (so that it compiles on its own; DisputeGame
     initializes this module and `uses: disputes`). Heights come from
     committed data only: num_steps and the checkpoint interval, the
     header fixed at create_task,
     node j's record (proved exactly against program_root when L2 ends)
     and its K.
@custom:security Every index a descent can end at has an outcome or a
     next phase that can run; a next tree of one leaf ends at once.
"""

from . import descent
from . import disputes
from . import merkle
from . import onestep
from . import opcodes
from . import runtree

initializes: disputes


# ------------------------------------------------------------------
#                            INTERFACES
# ------------------------------------------------------------------

# @dev K of a node record of op set v2 (opcode >= 15): the verifier (its
#      OneStepV2) decides it, so that a new opcode needs no change here;
#      op set v1 is computed inline (no call: the descent's gas unchanged)
interface IMicroSteps:
    def num_micro_steps(node: uint256) -> uint256: view


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

# @dev uint32 words per tensor leaf. Public so that the module compiled
#      on its own has a runtime (brownie cannot build an empty one);
#      importers do not export it.
LANES: public(constant(uint256)) = 8

MAX_DEPTH: constant(uint256) = merkle.MAX_DEPTH
MASK16: constant(uint256) = 2**16 - 1
MASK32: constant(uint256) = 2**32 - 1
MASK64: constant(uint256) = 2**64 - 1


# ------------------------------------------------------------------
#                            CONSTRUCTOR
# ------------------------------------------------------------------

@deploy
def __init__(token: address):
    """
    @param token The bond asset (see disputes).
    """
    disputes.__init__(token)


# ------------------------------------------------------------------
#                            INTERNAL
# ------------------------------------------------------------------

@internal
def _end_descent(
    verifier: IMicroSteps,
    dispute_id: uint256,
    g_in: disputes.Game,
    mover: uint256,
    leaf_solver_in: bytes32,
    leaf_challenger_in: bytes32,
    next_left: bytes32,
    next_right: bytes32,
    record: uint256,
    record_proof: DynArray[bytes32, MAX_DEPTH],
):
    """
    @dev A descent reached its first differing leaf (index g.position).
         Applies the padding rule, records where the game stands, and
         starts the next level; a next tree of one leaf ends at once
         (its leaf is its root), hence the loop. `mover` moved last and
         gave `next_left`, `next_right` (its new root's children) and,
         when L2 ends, node j's `record` with its proof.
    """
    g: disputes.Game = g_in
    leaf_solver: bytes32 = leaf_solver_in
    leaf_challenger: bytes32 = leaf_challenger_in
    w: uint256 = disputes.where[dispute_id]
    for i: uint256 in range(4):
        if g.phase == disputes.PHASE_L1 or g.phase == disputes.PHASE_L1B or g.phase == disputes.PHASE_L2:
            if g.position >= g.count:
                disputes._end(
                    dispute_id, g, leaf_solver != empty(bytes32), leaf_challenger != empty(bytes32),
                    descent.BY_PADDING,
                )
                return
            if g.phase == disputes.PHASE_L1 and g.position > 0:
                # boundary i >= 1 found: both commit a segment root (S_{b(i-1)}..S_{b(i)})
                w = runtree._boundary(
                    g.position, disputes._num_steps(dispute_id), disputes._interval(dispute_id)
                )
                disputes.step_root[dispute_id][disputes.SOLVER] = leaf_solver
                disputes.step_root[dispute_id][disputes.CHALLENGER] = leaf_challenger
                g.phase = disputes.PHASE_SEGMENT
                g.mover = 0
                g.pending = False
                g.height = 0
                break
            header: uint256 = disputes.fixed[dispute_id].header
            n_state: uint256 = (header >> opcodes.HEADER_N_STATE_SHIFT) & MASK16
            n_step: uint256 = (header >> opcodes.HEADER_N_STEP_SHIFT) & MASK16
            n: uint256 = 0
            if g.phase != disputes.PHASE_L2:
                # step t found (L1 at boundary 0: t = 0; L1b at segment leaf
                # u >= 1: t = b(i-1) + u, where w holds b(i) and g.count = L + 1)
                if g.phase == disputes.PHASE_L1B:
                    assert g.position > 0, "dispute_game: segments agree at their start"
                    w = w + g.position + 1 - g.count
                else:
                    w = 0
                disputes.step_root[dispute_id][disputes.SOLVER] = leaf_solver
                disputes.step_root[dispute_id][disputes.CHALLENGER] = leaf_challenger
                n = n_state if w == 0 else n_step
                g.phase = disputes.PHASE_L2
            else:
                # node j found: its record sizes L3
                t: uint256 = w & MASK64
                leaf: uint256 = 1 + g.position if t == 0 else 1 + n_state + g.position
                assert merkle._verify_exact(
                    disputes.fixed[dispute_id].program_root, convert(record, bytes32), leaf, 1 + n_state + n_step,
                    record_proof,
                ), "dispute_game: bad node record proof"
                disputes.node_record[dispute_id] = record
                k: uint256 = 0
                if (record >> opcodes.NODE_OPCODE_SHIFT) & opcodes.NODE_OPCODE_MASK >= opcodes.OP_DIV:
                    k = staticcall verifier.num_micro_steps(record)
                else:
                    k = onestep._num_micro_steps(onestep._decode_node(record))
                w = (w & MASK64) | (g.position << 64) | (k << 208)
                n = ((record >> opcodes.NODE_ROWS_SHIFT) & MASK32) * ((record >> opcodes.NODE_COLS_SHIFT) & MASK32)
                g.phase = disputes.PHASE_L3
            g.count = n
            if g.phase == disputes.PHASE_L3:
                g.height = descent._depth((n + LANES - 1) // LANES)
            else:
                g.height = descent._depth(n)
            g.position = 0
            disputes.node_solver[dispute_id] = leaf_solver
            disputes.node_challenger[dispute_id] = leaf_challenger
            if g.height == 0:
                continue
            assert keccak256(concat(next_left, next_right)) == (
                leaf_solver if mover == disputes.SOLVER else leaf_challenger
            ), "dispute_game: next children do not match node"
            disputes.pending_left[dispute_id] = next_left
            disputes.pending_right[dispute_id] = next_right
            g.pending = True
            g.mover = disputes.CHALLENGER if mover == disputes.SOLVER else disputes.SOLVER
            break

        # L3 (element) or L4 (micro-step): the first differing lane
        lane: uint256 = descent._first_lane(leaf_solver, leaf_challenger)
        index: uint256 = g.position * LANES + lane
        a: uint32 = descent._lane(leaf_solver, lane)
        b: uint32 = descent._lane(leaf_challenger, lane)
        rule: uint256 = descent._end_rule(index, g.count, g.phase == disputes.PHASE_L4)
        if rule != descent.GOES_ON:
            # padding, or s_0 (+0.0 by definition): a non-zero value loses
            disputes.where[dispute_id] = w | (index << (80 if g.phase == disputes.PHASE_L3 else 144))
            disputes._end(dispute_id, g, a != 0, b != 0, rule)
            return
        vals: uint256 = convert(a, uint256) | (convert(b, uint256) << 32)
        if g.phase == disputes.PHASE_L3:
            w = w | (index << 80)
            g.phase = disputes.PHASE_TRACE
        else:
            w = w | (index << 144)
            if lane > 0:
                vals |= (convert(descent._lane(leaf_solver, lane - 1), uint256) << 64) | (1 << 96)
            g.phase = disputes.PHASE_ONESTEP
        g.mover = 0
        disputes.values[dispute_id] = vals
        g.pending = False
        g.height = 0
        break
    disputes.where[dispute_id] = w
    disputes._save(dispute_id, g)
    log disputes.Moved(
        dispute_id=dispute_id, party=msg.sender, phase=g.phase, height=g.height, position=g.position,
        deadline=g.deadline,
    )
