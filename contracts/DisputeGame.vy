# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title Dispute game
@license MIT
@notice The pinpoint game of design.md section 6. A challenger who holds
        a different run root than the solver opens a dispute during the
        task's challenge window and posts a bond. Five descents follow,
        one tree level per move, each party revealing the children of its
        current node in turn:

            L1 run root R        (n_b leaves S_b(0)..S_b(n_b-1),
                                  b(i) = min(i*c, T))         -> boundary i
                 i = 0: t = 0, on to L2
            SEGMENT (i >= 1) both commit the root over S_b(i-1)..S_b(i),
                  proving leaf 0 = run leaf i-1 and leaf L = S_b(i)
            L1b segment root     (L+1 leaves, L = b(i)-b(i-1)) -> t = b(i-1)+u
            L2 step root S_t     (n_state or n_step leaves)   -> node j
            L3 tensor root of j  (ceil(rows*cols/8) leaves)   -> element e
            TRACE both commit the micro-trace root of e, proving s_0 = +0.0
                  and s_K = the value each revealed at L3
            L4 micro-trace root  (ceil((K+1)/8) leaves)       -> micro-step m
            ONESTEP a party submits the operands of micro-step m with proofs;
                  the one-step verifier recomputes s_m from the agreed s_{m-1}

        The party whose s_m matches wins; a party whose s_m does not match
        loses (both can lose). A differing leaf or lane in the zero padding
        of a tree, or an L4 descent ending at s_0 (+0.0 by definition),
        loses for the party holding a non-zero value there
        (descent._end_rule: every index a descent can end at has an
        outcome or a next phase that can run). Every move has a deadline
        (Parameters.dispute_move_deadline, fixed at open); `timeout` ends
        a dispute whose party to move missed it, and that party loses (at
        ONESTEP the challenger, who carries the burden of proof; either
        party can always run `one_step` there). Every end (one step,
        timeout, padding, start) only records the outcome (phase DONE);
        `resolve`, a separate transaction anyone may send once, settles
        it (as OP's FaultDisputeGame separates step() and resolve()), so
        the one-step transaction pays for the step alone.
@dev Alternating moves: in a descent the first mover reveals the children
     of its root; every later move reveals the mover's children at the
     current height (which fixes the direction, compared with the other
     party's stored children) and then the children of the mover's new
     node, even when that node is the root of the next level's tree. The
     move that ends L2 also carries node j's record with its proof against
     program_root. Descent heights come from committed data (num_steps,
     the task header proved at create_task, node j's record, K), and every
     Merkle proof is exact (merkle._verify_exact): trace leaves in
     modules/trace.vy, operands in modules/link.vy. The records, the
     packed state, the end, settlement and the `game` / `meta` /
     `resolved` views live in
     modules/disputes.vy; the end of a descent in modules/ending.vy.
@custom:security A dispute ends exactly once (phase DONE) and is resolved
        exactly once, after it ended. Settlement goes through the task
        registry hooks: the solver's loss slashes its
        stake and refunds the submitter; the challenger's loss splits its
        bond between the solver and the treasury (slash_treasury_bps to
        the treasury). When both lose, the solver is slashed with the
        challenger's share paid to the treasury, and the bond goes to the
        treasury. A moot dispute (the task is no longer COMMITTED when it
        is resolved) refunds the bond to the challenger whatever happened. The
        treasury and its share are read at open; bond payouts are credited
        and pulled (`claim_credit`). Governance has no function here.
"""

# ------------------------------------------------------------ INTERFACES ----

interface IParameters:
    def challenger_bond() -> uint256: view
    def dispute_move_deadline() -> uint256: view
    def slash_treasury_bps() -> uint256: view
    def treasury() -> address: view


interface IOneStepVerifier:
    def next_state(
        header: uint256,
        node: uint256,
        slot_or_j: uint256,
        t: uint256,
        e: uint256,
        m: uint256,
        prev: uint32,
        operands: DynArray[uint32, MAX_OPERANDS],
    ) -> uint32: view


# --------------------------------------------------------------- MODULES ----

from .modules import credits
from .modules import descent
from .modules import disputes
from .modules import ending
from .modules import link
from .modules import merkle
from .modules import runtree
from .modules import segment
from .modules import trace

initializes: ending
uses: (credits, disputes)

exports: (
    credits.credit,
    credits.claim_credit,
    disputes.dispute_count,
    disputes.meta,
    disputes.game,
    disputes.node_record,
    disputes.resolved,
    disputes.segment_root,
    disputes.step_root,
    disputes.trace_root,
)


# ---------------------------------------------------------------- EVENTS ----

# @dev A challenger opened a dispute against a task's committed run root.
#      (`Moved` and `DisputeEnded`: modules/disputes.vy.)
event DisputeOpened:
    dispute_id: indexed(uint256)
    task_id: indexed(uint256)
    challenger: indexed(address)
    challenger_run_root: bytes32
    bond: uint256
    deadline: uint256


# ------------------------------------------------------------- CONSTANTS ----

# @dev Parties and phases: see modules/disputes.vy.
SOLVER: constant(uint256) = disputes.SOLVER
CHALLENGER: constant(uint256) = disputes.CHALLENGER

# @dev End reasons (padding and start: see descent._end_rule).
BY_ONESTEP: constant(uint256) = 1
BY_TIMEOUT: constant(uint256) = 2

# @dev The most move deadlines a dispute can span, from the field widths
#      the registry and the records guarantee: 6 + (h1 + h1b) + h2 + h3
#      + h4 with h1 + h1b <= 36 (h1 = height(n_b), h1b = height(L + 1);
#      height(a) + height(b) <= height(a * b) + 1 and n_b * (L + 1) <=
#      (T / c + 2) * (c + 1) <= 2 * (3T - 1) < 2**35 for c <= T < 2**32),
#      h2 <= 16 (n_step < 2**16), h3 <= 61 (rows * cols < 2**64
#      elements, 8 per leaf), h4 <= 29 (K + 1 <= 2**32 micro-states, 8
#      per leaf); the 6 are the first moves of L1, L1b and L4, the
#      SEGMENT and TRACE commitments and the one step.
#      Parameters.longest_dispute() uses it in place of a round limit.
MAX_DISPUTE_PERIODS: public(constant(uint256)) = 6 + 36 + 16 + 61 + 29

MAX_OPERANDS: constant(uint256) = 2
MAX_DEPTH: constant(uint256) = merkle.MAX_DEPTH
MASK16: constant(uint256) = 2**16 - 1
MASK32: constant(uint256) = 2**32 - 1
MASK64: constant(uint256) = 2**64 - 1


# --------------------------------------------------------------- STORAGE ----

# @dev The task registry (hooks, task records, the token).
REGISTRY: public(immutable(disputes.ITaskRegistry))
# @dev The parameter store (bond, move deadline, shares, treasury).
PARAMETERS: public(immutable(IParameters))
# @dev The one-step verifier (micro-step semantics).
VERIFIER: public(immutable(IOneStepVerifier))
# @dev The bond asset (the registry's token).
TOKEN: public(immutable(address))


# ----------------------------------------------------------- CONSTRUCTOR ----

@deploy
def __init__(registry: disputes.ITaskRegistry, parameters: IParameters, verifier: IOneStepVerifier):
    """
    @param registry The task registry, which must wire this contract.
    @param parameters The protocol parameter store.
    @param verifier The one-step verifier.
    """
    assert registry.address.is_contract, "dispute_game: registry is not a contract"
    assert parameters.address.is_contract, "dispute_game: parameters is not a contract"
    assert verifier.address.is_contract, "dispute_game: verifier is not a contract"
    REGISTRY = registry
    PARAMETERS = parameters
    VERIFIER = verifier
    TOKEN = staticcall registry.TOKEN()
    ending.__init__(TOKEN)


# -------------------------------------------------------------- EXTERNAL ----

@external
def open_dispute(task_id: uint256, challenger_run_root: bytes32) -> uint256:
    """
    @dev Opens a dispute against a committed task during its challenge
         window and pulls the challenger bond from the caller. The solver
         moves first. The program header is the one the registry proved
         at create_task; the bond, move deadline, treasury and treasury
         share are read now and fixed for this dispute.
    @param task_id The task.
    @param challenger_run_root The caller's run root; differs from the solver's.
    @return The dispute id.
    """
    task: disputes.Task = staticcall REGISTRY.get_task(task_id)
    assert task.status == disputes.TASK_COMMITTED, "dispute_game: task not committed"
    assert msg.sender != task.solver, "dispute_game: solver cannot challenge"
    assert challenger_run_root != task.run_root, "dispute_game: roots agree"
    header: uint256 = staticcall REGISTRY.task_header(task_id)
    assert header != 0, "dispute_game: task has no header"
    bond: uint256 = staticcall PARAMETERS.challenger_bond()
    move_deadline: uint256 = staticcall PARAMETERS.dispute_move_deadline()
    num_steps: uint256 = convert(task.num_steps, uint256)
    interval: uint256 = convert(task.checkpoint_interval, uint256)
    dispute_id: uint256 = disputes._open(
        disputes.Meta(
            task_id=task_id,
            solver=task.solver,
            challenger=msg.sender,
            bond=bond,
            move_deadline=move_deadline,
            num_steps=num_steps,
            header=header,
            program_root=task.program_root,
            data_root=task.data_root,
            run_root=task.run_root,
            challenger_run_root=challenger_run_root,
            treasury=staticcall PARAMETERS.treasury(),
            treasury_bps=staticcall PARAMETERS.slash_treasury_bps(),
            checkpoint_interval=interval,
        )
    )
    g: disputes.Game = empty(disputes.Game)
    g.phase = disputes.PHASE_L1
    g.mover = SOLVER
    g.count = runtree._leaves(num_steps, interval)
    g.height = descent._depth(g.count)
    g.deadline = block.timestamp + move_deadline
    disputes.node_solver[dispute_id] = task.run_root
    disputes.node_challenger[dispute_id] = challenger_run_root
    disputes._save(dispute_id, g)

    credits._pull(msg.sender, bond)
    extcall REGISTRY.on_dispute_opened(task_id, msg.sender)
    log DisputeOpened(
        dispute_id=dispute_id,
        task_id=task_id,
        challenger=msg.sender,
        challenger_run_root=challenger_run_root,
        bond=bond,
        deadline=g.deadline,
    )
    return dispute_id


@external
def reveal(
    dispute_id: uint256,
    left: bytes32,
    right: bytes32,
    next_left: bytes32,
    next_right: bytes32,
    record: uint256,
    record_proof: DynArray[bytes32, MAX_DEPTH],
):
    """
    @dev One descent move by the party to move. `left`, `right` are the
         children of the mover's current node. Unless this is the first
         move of a descent, the direction follows, and `next_left`,
         `next_right` must be the children of the mover's new node (also
         when it is the root of the next level's tree; ignored when the
         game leaves the descents or the new tree is a single leaf).
    @param dispute_id The dispute.
    @param left Left child of the mover's current node.
    @param right Right child of the mover's current node.
    @param next_left Left child of the mover's new node.
    @param next_right Right child of the mover's new node.
    @param record Node j's record, when this move ends L2 (else ignored).
    @param record_proof The record's proof against program_root.
    """
    g: disputes.Game = disputes._load(dispute_id)
    assert (
        g.phase == disputes.PHASE_L1
        or g.phase == disputes.PHASE_L2
        or g.phase == disputes.PHASE_L3
        or g.phase == disputes.PHASE_L4
        or g.phase == disputes.PHASE_L1B
    ), "dispute_game: not in a descent"
    party: uint256 = disputes._party(dispute_id)
    assert party == g.mover, "dispute_game: not your turn"
    assert block.timestamp <= g.deadline, "dispute_game: move deadline passed"
    other: uint256 = CHALLENGER if party == SOLVER else SOLVER
    g.moves += 1
    g.deadline = block.timestamp + disputes._move_deadline(dispute_id)

    if not g.pending:
        mine: bytes32 = disputes._node(dispute_id, party)
        assert keccak256(concat(left, right)) == mine, "dispute_game: children do not match node"
        disputes.pending_left[dispute_id] = left
        disputes.pending_right[dispute_id] = right
        g.pending = True
        g.mover = other
        disputes._save(dispute_id, g)
        log disputes.Moved(dispute_id=dispute_id, party=msg.sender, phase=g.phase, height=g.height, position=g.position, deadline=g.deadline)
        return

    s: descent.Step = descent._round(
        g.position,
        disputes._node(dispute_id, party),
        left,
        right,
        disputes.pending_left[dispute_id],
        disputes.pending_right[dispute_id],
    )
    g.position = s.position
    g.height -= 1
    if g.height > 0:
        assert keccak256(concat(next_left, next_right)) == s.mover_node, "dispute_game: next children do not match node"
        disputes._set_node(dispute_id, other, s.other_node)
        disputes.pending_left[dispute_id] = next_left
        disputes.pending_right[dispute_id] = next_right
        g.mover = other
        disputes._save(dispute_id, g)
        log disputes.Moved(dispute_id=dispute_id, party=msg.sender, phase=g.phase, height=g.height, position=g.position, deadline=g.deadline)
        return

    leaf_solver: bytes32 = s.mover_node if party == SOLVER else s.other_node
    leaf_challenger: bytes32 = s.other_node if party == SOLVER else s.mover_node
    ending._end_descent(ending.IMicroSteps(VERIFIER.address), dispute_id, g, party, leaf_solver, leaf_challenger, next_left, next_right, record, record_proof)


@external
def commit_segment(
    dispute_id: uint256,
    root: bytes32,
    first_leaf: bytes32,
    first_proof: DynArray[bytes32, MAX_DEPTH],
    first_run_proof: DynArray[bytes32, MAX_DEPTH],
    last_leaf: bytes32,
    last_proof: DynArray[bytes32, MAX_DEPTH],
):
    """
    @dev After L1 ended at boundary i >= 1: commits the caller's segment
         root, the Merkle root over its S_{b(i-1)}, ..., S_{b(i)} (L + 1
         leaves, L = b(i) - b(i-1)), proving leaf 0 = leaf i - 1 of its run
         root (agreed by both) and leaf L = the S_{b(i)} it revealed at L1
         (modules/segment.vy; every proof exact). Each party once; after
         both, the L1b descent over the segment trees starts, solver first.
    @param dispute_id The dispute.
    @param root The segment root.
    @param first_leaf Leaf 0 of the segment: S_{b(i-1)}.
    @param first_proof Its proof against `root`.
    @param first_run_proof Its proof as leaf i - 1 of the caller's run root.
    @param last_leaf Leaf L of the segment: S_{b(i)}.
    @param last_proof Its proof against `root`.
    """
    g: disputes.Game = disputes._load(dispute_id)
    assert g.phase == disputes.PHASE_SEGMENT, "dispute_game: not committing segments"
    party: uint256 = disputes._party(dispute_id)
    assert g.mover & party == 0, "dispute_game: segment already committed"
    assert block.timestamp <= g.deadline, "dispute_game: move deadline passed"
    num_steps: uint256 = disputes._num_steps(dispute_id)
    interval: uint256 = disputes._interval(dispute_id)
    # g.position = i, g.count = n_b (kept from L1), where = b(i)
    length: uint256 = disputes.where[dispute_id] - runtree._boundary(g.position - 1, num_steps, interval)
    segment._check_commit(
        root,
        length,
        disputes.fixed[dispute_id].run_root if party == SOLVER else disputes.fixed[dispute_id].challenger_run_root,
        g.position,
        g.count,
        disputes.step_root[dispute_id][party],
        first_leaf,
        first_proof,
        first_run_proof,
        last_leaf,
        last_proof,
    )
    disputes._set_node(dispute_id, party, root)
    disputes.segment_root[dispute_id][party] = root
    g.mover |= party
    g.moves += 1
    if g.mover == SOLVER | CHALLENGER:
        # both committed: the L1b descent over L + 1 step roots (L >= 1)
        g.phase = disputes.PHASE_L1B
        g.count = length + 1
        g.height = descent._depth(length + 1)
        g.position = 0
        g.pending = False
        g.mover = SOLVER
        g.deadline = block.timestamp + disputes._move_deadline(dispute_id)
    disputes._save(dispute_id, g)
    log disputes.Moved(dispute_id=dispute_id, party=msg.sender, phase=g.phase, height=g.height, position=g.position, deadline=g.deadline)


@external
def commit_trace(
    dispute_id: uint256,
    root: bytes32,
    first_leaf: bytes32,
    first_proof: DynArray[bytes32, MAX_DEPTH],
    last_leaf: bytes32,
    last_proof: DynArray[bytes32, MAX_DEPTH],
):
    """
    @dev Commits the caller's micro-trace root of element e (K+1 words
         s_0..s_K packed like a tensor), proving s_0 = +0.0 (lane 0 of leaf
         0) and s_K = the value it revealed at L3 (lane K%8 of leaf K//8).
         Each party once; after both, the L4 descent starts, solver first.
    @param dispute_id The dispute.
    @param root The micro-trace root.
    @param first_leaf Leaf 0 of the trace.
    @param first_proof Its proof.
    @param last_leaf Leaf K//8 of the trace.
    @param last_proof Its proof.
    """
    g: disputes.Game = disputes._load(dispute_id)
    assert g.phase == disputes.PHASE_TRACE, "dispute_game: not committing traces"
    party: uint256 = disputes._party(dispute_id)
    assert g.mover & party == 0, "dispute_game: trace already committed"
    assert block.timestamp <= g.deadline, "dispute_game: move deadline passed"
    k: uint256 = disputes.where[dispute_id] >> 208
    vals: uint256 = disputes.values[dispute_id]
    mine: uint32 = convert(vals & MASK32, uint32) if party == SOLVER else convert((vals >> 32) & MASK32, uint32)
    trace._check_commit(root, k, mine, first_leaf, first_proof, last_leaf, last_proof)
    disputes._set_node(dispute_id, party, root)
    disputes.trace_root[dispute_id][party] = root
    g.mover |= party
    g.moves += 1
    if g.mover != SOLVER | CHALLENGER:
        disputes._save(dispute_id, g)
        log disputes.Moved(dispute_id=dispute_id, party=msg.sender, phase=g.phase, height=0, position=0, deadline=g.deadline)
        return
    # both committed: the L4 descent over K+1 words
    g.phase = disputes.PHASE_L4
    g.count = k + 1
    g.height = descent._depth(trace._leaves(k))
    g.position = 0
    g.pending = False
    g.mover = SOLVER
    g.deadline = block.timestamp + disputes._move_deadline(dispute_id)
    if g.height > 0:
        disputes._save(dispute_id, g)
        log disputes.Moved(dispute_id=dispute_id, party=msg.sender, phase=g.phase, height=g.height, position=0, deadline=g.deadline)
        return
    ending._end_descent(
        ending.IMicroSteps(VERIFIER.address), dispute_id, g, party, disputes.node_solver[dispute_id], disputes.node_challenger[dispute_id],
        empty(bytes32), empty(bytes32), 0, [],
    )


@external
def one_step(
    dispute_id: uint256,
    prev_leaf: bytes32,
    prev_proof: DynArray[bytes32, MAX_DEPTH],
    prev_step_root: bytes32,
    prev_step_proof: DynArray[bytes32, MAX_DEPTH],
    operands: DynArray[link.Operand, MAX_OPERANDS],
):
    """
    @dev Ends the dispute by executing micro-step m on chain. The caller
         (either party) supplies s_{m-1} when it is not in the last
         descended leaf (leaf m//8 - 1 of its trace, agreed) and the
         operands in `operand_refs` order, each with its proofs (see
         modules/link.vy; all exact, heights from node j's record and the
         header). The party whose s_m matches wins. Records the outcome
         only: `resolve` settles it.
    @param dispute_id The dispute.
    @param prev_leaf The trace leaf holding s_{m-1} in lane 7 (m % 8 == 0 only).
    @param prev_proof Its proof against the caller's trace root.
    @param prev_step_root S_{t-1} (state operands only).
    @param prev_step_proof Its proof as leaf t-1-b(i-1) of the caller's
           segment root (t >= 1 is always reached through a segment).
    @param operands Per operand: tensor root, leaf, its proof, the root's proof.
    """
    g: disputes.Game = disputes._load(dispute_id)
    assert g.phase == disputes.PHASE_ONESTEP, "dispute_game: not at one step"
    party: uint256 = disputes._party(dispute_id)
    assert block.timestamp <= g.deadline, "dispute_game: move deadline passed"
    w: uint256 = disputes.where[dispute_id]
    header: uint256 = disputes.fixed[dispute_id].header
    t: uint256 = w & MASK64
    prev_index: uint256 = 0
    prev_count: uint256 = 0
    if t > 0:
        # segment i = ceil(t / c) holds S_{t-1} as its leaf t-1-b(i-1)
        num_steps: uint256 = disputes._num_steps(dispute_id)
        interval: uint256 = disputes._interval(dispute_id)
        i: uint256 = runtree._segment_of(t, interval)
        start: uint256 = runtree._boundary(i - 1, num_steps, interval)
        prev_index = t - 1 - start
        prev_count = runtree._boundary(i, num_steps, interval) - start + 1
    c: link.Context = link.Context(
        header=header,
        node=disputes.node_record[dispute_id],
        data_root=disputes.fixed[dispute_id].data_root,
        segment_root=disputes.segment_root[dispute_id][party],
        prev_index=prev_index,
        prev_count=prev_count,
        step_root=disputes.step_root[dispute_id][party],
        t=t,
        j=(w >> 64) & MASK16,
        e=(w >> 80) & MASK64,
        m=(w >> 144) & MASK64,
    )
    vals: uint256 = disputes.values[dispute_id]
    prev: uint32 = convert((vals >> 64) & MASK32, uint32)
    if (vals >> 96) & 1 == 0:
        prev = trace._prev_state(disputes.trace_root[dispute_id][party], w >> 208, c.m, prev_leaf, prev_proof)
    xs: DynArray[uint32, MAX_OPERANDS] = link._values(
        link.IOneStepVerifier(VERIFIER.address), c, prev, prev_step_root, prev_step_proof, operands
    )
    s_m: uint32 = staticcall VERIFIER.next_state(header, c.node, c.j, c.t, c.e, c.m, prev, xs)
    g.moves += 1
    disputes._end(
        dispute_id,
        g,
        s_m != convert(vals & MASK32, uint32),
        s_m != convert((vals >> 32) & MASK32, uint32),
        BY_ONESTEP,
    )


@external
def timeout(dispute_id: uint256):
    """
    @dev Ends a dispute whose party to move missed its deadline; that party
         loses (at SEGMENT and TRACE whoever has not committed, at ONESTEP the
         challenger). Anyone may call it. Records the outcome only:
         `resolve` settles it.
    @param dispute_id The dispute.
    """
    g: disputes.Game = disputes._load(dispute_id)
    assert g.phase != disputes.PHASE_NONE, "dispute_game: no such dispute"
    assert g.phase != disputes.PHASE_DONE, "dispute_game: dispute ended"
    assert block.timestamp > g.deadline, "dispute_game: deadline not passed"
    solver_lost: bool = False
    challenger_lost: bool = False
    if g.phase == disputes.PHASE_TRACE or g.phase == disputes.PHASE_SEGMENT:
        solver_lost = g.mover & SOLVER == 0
        challenger_lost = g.mover & CHALLENGER == 0
    elif g.phase == disputes.PHASE_ONESTEP:
        challenger_lost = True
    else:
        solver_lost = g.mover == SOLVER
        challenger_lost = g.mover == CHALLENGER
    disputes._end(dispute_id, g, solver_lost, challenger_lost, BY_TIMEOUT)


@external
def resolve(dispute_id: uint256):
    """
    @dev Settles an ended dispute, once: the solver's loss slashes its
         stake and refunds the submitter through the registry (any other
         end closes the dispute there), and the bond is credited as the
         contract notice says. Anyone may call it, so no party can keep
         a result from being settled; it reverts for a dispute that has
         not ended or was already resolved. The one-step (and every other
         end) only records the outcome, so that the step's transaction
         pays for the step alone.
    @param dispute_id The dispute.
    """
    disputes._resolve(REGISTRY, dispute_id)
