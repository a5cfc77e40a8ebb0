# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title Dispute game
@license MIT
@notice The pinpoint game of design.md section 6. A challenger who holds
        a different run root than the solver opens a dispute during the
        task's challenge window and posts a bond. Four descents follow,
        one tree level per move, each party revealing the children of its
        current node in turn:

            L1 run root R        (T+1 leaves S_0..S_T)       -> step t
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
        party can always run `one_step` there).
@dev Alternating moves: in a descent the first mover reveals the children
     of its root; every later move reveals the mover's children at the
     current height (which fixes the direction, compared with the other
     party's stored children) and then the children of the mover's new
     node, even when that node is the root of the next level's tree. The
     move that ends L2 also carries node j's record with its proof against
     program_root. Descent heights come from committed data (num_steps,
     the task header proved at create_task, node j's record, K), and every
     Merkle proof is exact (merkle._verify_exact): trace leaves in
     modules/trace.vy, operands in modules/link.vy.
@custom:security A dispute ends exactly once (phase DONE). Settlement goes
        through the task registry hooks: the solver's loss slashes its
        stake and refunds the submitter; the challenger's loss splits its
        bond between the solver and the treasury (slash_treasury_bps to
        the treasury). When both lose, the solver is slashed with the
        challenger's share paid to the treasury, and the bond goes to the
        treasury. A moot dispute (the task is no longer COMMITTED when it
        ends) refunds the bond to the challenger whatever happened. The
        treasury and its share are read at open; bond payouts are credited
        and pulled (`claim_credit`). Governance has no function here.
"""

# ------------------------------------------------------------ INTERFACES ----

interface IParameters:
    def challenger_bond() -> uint256: view
    def dispute_move_deadline() -> uint256: view
    def slash_treasury_bps() -> uint256: view
    def treasury() -> address: view


interface ITaskRegistry:
    def TOKEN() -> address: view
    def get_task(task_id: uint256) -> Task: view
    def task_status(task_id: uint256) -> uint8: view
    def task_header(task_id: uint256) -> uint256: view
    def on_dispute_opened(task_id: uint256, challenger: address): nonpayable
    def on_dispute_closed(task_id: uint256): nonpayable
    def on_solver_lost(task_id: uint256, challenger: address): nonpayable


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
    ) -> uint32: pure
    def num_micro_steps(node: uint256) -> uint256: pure


# --------------------------------------------------------------- MODULES ----

from .modules import credits
from .modules import descent
from .modules import link
from .modules import merkle
from .modules import opcodes
from .modules import trace

initializes: credits

exports: (credits.credit, credits.claim_credit)


# ---------------------------------------------------------------- EVENTS ----

# @dev A challenger opened a dispute against a task's committed run root.
event DisputeOpened:
    dispute_id: indexed(uint256)
    task_id: indexed(uint256)
    challenger: indexed(address)
    challenger_run_root: bytes32
    bond: uint256
    deadline: uint256


# @dev A party moved; `phase` and `height` are where the game stands after it.
event Moved:
    dispute_id: indexed(uint256)
    party: indexed(address)
    phase: uint256
    height: uint256
    position: uint256
    deadline: uint256


# @dev The dispute ended. winner: 1 solver, 2 challenger, 3 nobody;
#      reason: 1 one-step, 2 timeout, 3 padding.
event DisputeEnded:
    dispute_id: indexed(uint256)
    task_id: indexed(uint256)
    caller: indexed(address)
    winner: uint256
    reason: uint256
    t: uint256
    j: uint256
    e: uint256
    m: uint256


# ------------------------------------------------------------- CONSTANTS ----

# @dev Parties (and the winner codes of `DisputeEnded`).
SOLVER: constant(uint256) = 1
CHALLENGER: constant(uint256) = 2
NOBODY: constant(uint256) = 3

# @dev Phases.
PHASE_NONE: constant(uint256) = 0
PHASE_L1: constant(uint256) = 1
PHASE_L2: constant(uint256) = 2
PHASE_L3: constant(uint256) = 3
PHASE_TRACE: constant(uint256) = 4
PHASE_L4: constant(uint256) = 5
PHASE_ONESTEP: constant(uint256) = 6
PHASE_DONE: constant(uint256) = 7

# @dev End reasons (padding and start: see descent._end_rule).
BY_ONESTEP: constant(uint256) = 1
BY_TIMEOUT: constant(uint256) = 2
BY_PADDING: constant(uint256) = descent.BY_PADDING
BY_START: constant(uint256) = descent.BY_START

# @dev The most move deadlines a dispute can span, from the field widths
#      the registry and the records guarantee: 4 + h1 + h2 + h3 + h4 with
#      h1 <= 32 (T + 1 <= 2**32 run leaves), h2 <= 16 (n_step < 2**16),
#      h3 <= 61 (rows * cols < 2**64 elements, 8 per leaf), h4 <= 29
#      (K + 1 <= 2**32 micro-states, 8 per leaf); the 4 are the first
#      moves of L1 and L4, the TRACE commitments and the one step.
#      Parameters.longest_dispute() uses it in place of a round limit.
MAX_DISPUTE_PERIODS: public(constant(uint256)) = 4 + 32 + 16 + 61 + 29

# @dev Task status COMMITTED in the registry.
TASK_COMMITTED: constant(uint8) = 3

MAX_OPERANDS: constant(uint256) = 2
MAX_DEPTH: constant(uint256) = merkle.MAX_DEPTH
BPS: constant(uint256) = 10_000
LANES: constant(uint256) = 8
MASK32: constant(uint256) = 2**32 - 1
MASK64: constant(uint256) = 2**64 - 1
MASK16: constant(uint256) = 2**16 - 1
MASK8: constant(uint256) = 2**8 - 1


# --------------------------------------------------------------- STORAGE ----

# @dev The registry's task record (same layout as TaskRegistry.Task).
struct Task:
    submitter: address
    solver: address
    status: uint8
    open_disputes: uint32
    spec_hash: bytes32
    program_root: bytes32
    data_root: bytes32
    num_steps: uint64
    checkpoint_interval: uint64
    payment: uint256
    fee: uint256
    solver_stake: uint256
    claim_deadline: uint64
    solve_period: uint64
    solve_deadline: uint64
    challenge_window: uint64
    challenge_deadline: uint64
    run_root: bytes32
    final_model_hash: bytes32


# @dev Fixed at open.
struct Meta:
    task_id: uint256
    solver: address
    challenger: address
    bond: uint256
    move_deadline: uint256
    num_steps: uint256
    header: uint256
    program_root: bytes32
    data_root: bytes32
    run_root: bytes32
    challenger_run_root: bytes32
    treasury: address
    treasury_bps: uint256


# @dev The hot state, unpacked (stored as one word, see `_save`).
struct Game:
    phase: uint256
    mover: uint256
    pending: bool
    height: uint256
    moves: uint256
    deadline: uint256
    position: uint256
    count: uint256


# @dev Everything a player needs to move, in one view.
struct GameView:
    phase: uint256
    mover: uint256
    pending: bool
    height: uint256
    moves: uint256
    deadline: uint256
    position: uint256
    count: uint256
    node_solver: bytes32
    node_challenger: bytes32
    pending_left: bytes32
    pending_right: bytes32
    t: uint256
    j: uint256
    e: uint256
    m: uint256
    value_solver: uint32
    value_challenger: uint32
    winner: uint256
    reason: uint256


# @dev The task registry (hooks, task records, the token).
REGISTRY: public(immutable(ITaskRegistry))
# @dev The parameter store (bond, move deadline, shares, treasury).
PARAMETERS: public(immutable(IParameters))
# @dev The one-step verifier (micro-step semantics).
VERIFIER: public(immutable(IOneStepVerifier))
# @dev The bond asset (the registry's token).
TOKEN: public(immutable(address))

# @dev Number of disputes opened; the last id (ids start at 1).
dispute_count: public(uint256)
# @dev Per dispute: the data fixed at open.
meta: public(HashMap[uint256, Meta])
# @dev Per dispute: the packed `Game` word.
state: HashMap[uint256, uint256]
# @dev Per dispute: the current node of the solver and of the challenger.
node_solver: HashMap[uint256, bytes32]
node_challenger: HashMap[uint256, bytes32]
# @dev Per dispute: the children last revealed by the party that moved last.
pending_left: HashMap[uint256, bytes32]
pending_right: HashMap[uint256, bytes32]
# @dev Per dispute: t (bits 0-63), j (64-79), e (80-143), m (144-207), K (208-255).
where: HashMap[uint256, uint256]
# @dev Per dispute: the two revealed values (solver bits 0-31, challenger 32-63),
#      s_{m-1} (64-95) and whether it is known (bit 96).
values: HashMap[uint256, uint256]
# @dev Per dispute: node j's record, proved against program_root.
node_record: public(HashMap[uint256, uint256])
# @dev Per dispute and party: its S_t (the leaves left of j are agreed).
step_root: public(HashMap[uint256, HashMap[uint256, bytes32]])
# @dev Per dispute and party: its micro-trace root (the leaves left of m's are agreed).
trace_root: public(HashMap[uint256, HashMap[uint256, bytes32]])
# @dev Per dispute: winner (bits 0-7) and reason (bits 8-15), once ended.
outcome: HashMap[uint256, uint256]


# ----------------------------------------------------------- CONSTRUCTOR ----

@deploy
def __init__(registry: ITaskRegistry, parameters: IParameters, verifier: IOneStepVerifier):
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
    credits.__init__(TOKEN)


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
    task: Task = staticcall REGISTRY.get_task(task_id)
    assert task.status == TASK_COMMITTED, "dispute_game: task not committed"
    assert msg.sender != task.solver, "dispute_game: solver cannot challenge"
    assert challenger_run_root != task.run_root, "dispute_game: roots agree"
    header: uint256 = staticcall REGISTRY.task_header(task_id)
    assert header != 0, "dispute_game: task has no header"
    bond: uint256 = staticcall PARAMETERS.challenger_bond()
    move_deadline: uint256 = staticcall PARAMETERS.dispute_move_deadline()

    dispute_id: uint256 = self.dispute_count + 1
    self.dispute_count = dispute_id
    num_steps: uint256 = convert(task.num_steps, uint256)
    self.meta[dispute_id] = Meta(
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
    )
    g: Game = empty(Game)
    g.phase = PHASE_L1
    g.mover = SOLVER
    g.height = descent._depth(num_steps + 1)
    g.count = num_steps + 1
    g.deadline = block.timestamp + move_deadline
    self.node_solver[dispute_id] = task.run_root
    self.node_challenger[dispute_id] = challenger_run_root
    self._save(dispute_id, g)

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
    g: Game = self._load(dispute_id)
    assert (
        g.phase == PHASE_L1 or g.phase == PHASE_L2 or g.phase == PHASE_L3 or g.phase == PHASE_L4
    ), "dispute_game: not in a descent"
    md: Meta = self.meta[dispute_id]
    party: uint256 = self._party(md)
    assert party == g.mover, "dispute_game: not your turn"
    assert block.timestamp <= g.deadline, "dispute_game: move deadline passed"
    other: uint256 = CHALLENGER if party == SOLVER else SOLVER
    g.moves += 1
    g.deadline = block.timestamp + md.move_deadline

    if not g.pending:
        mine: bytes32 = self._node(dispute_id, party)
        assert keccak256(concat(left, right)) == mine, "dispute_game: children do not match node"
        self.pending_left[dispute_id] = left
        self.pending_right[dispute_id] = right
        g.pending = True
        g.mover = other
        self._save(dispute_id, g)
        log Moved(dispute_id=dispute_id, party=msg.sender, phase=g.phase, height=g.height, position=g.position, deadline=g.deadline)
        return

    s: descent.Step = descent._round(
        g.position,
        self._node(dispute_id, party),
        left,
        right,
        self.pending_left[dispute_id],
        self.pending_right[dispute_id],
    )
    g.position = s.position
    g.height -= 1
    if g.height > 0:
        assert keccak256(concat(next_left, next_right)) == s.mover_node, "dispute_game: next children do not match node"
        self._set_node(dispute_id, other, s.other_node)
        self.pending_left[dispute_id] = next_left
        self.pending_right[dispute_id] = next_right
        g.mover = other
        self._save(dispute_id, g)
        log Moved(dispute_id=dispute_id, party=msg.sender, phase=g.phase, height=g.height, position=g.position, deadline=g.deadline)
        return

    leaf_solver: bytes32 = s.mover_node if party == SOLVER else s.other_node
    leaf_challenger: bytes32 = s.other_node if party == SOLVER else s.mover_node
    self._end_descent(dispute_id, md, g, party, leaf_solver, leaf_challenger, next_left, next_right, record, record_proof)


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
    g: Game = self._load(dispute_id)
    assert g.phase == PHASE_TRACE, "dispute_game: not committing traces"
    md: Meta = self.meta[dispute_id]
    party: uint256 = self._party(md)
    assert g.mover & party == 0, "dispute_game: trace already committed"
    assert block.timestamp <= g.deadline, "dispute_game: move deadline passed"
    k: uint256 = self.where[dispute_id] >> 208
    vals: uint256 = self.values[dispute_id]
    mine: uint32 = convert(vals & MASK32, uint32) if party == SOLVER else convert((vals >> 32) & MASK32, uint32)
    trace._check_commit(root, k, mine, first_leaf, first_proof, last_leaf, last_proof)
    self._set_node(dispute_id, party, root)
    self.trace_root[dispute_id][party] = root
    g.mover |= party
    g.moves += 1
    if g.mover != SOLVER | CHALLENGER:
        self._save(dispute_id, g)
        log Moved(dispute_id=dispute_id, party=msg.sender, phase=g.phase, height=0, position=0, deadline=g.deadline)
        return
    # both committed: the L4 descent over K+1 words
    g.phase = PHASE_L4
    g.count = k + 1
    g.height = descent._depth(trace._leaves(k))
    g.position = 0
    g.pending = False
    g.mover = SOLVER
    g.deadline = block.timestamp + md.move_deadline
    if g.height > 0:
        self._save(dispute_id, g)
        log Moved(dispute_id=dispute_id, party=msg.sender, phase=g.phase, height=g.height, position=0, deadline=g.deadline)
        return
    self._end_descent(
        dispute_id, md, g, party, self.node_solver[dispute_id], self.node_challenger[dispute_id],
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
         modules/link.vy; all exact). The party whose s_m matches wins.
    @param dispute_id The dispute.
    @param prev_leaf The trace leaf holding s_{m-1} in lane 7 (m % 8 == 0 only).
    @param prev_proof Its proof against the caller's trace root.
    @param prev_step_root S_{t-1} (state operands only).
    @param prev_step_proof Its proof as leaf t-1 of the caller's run root.
    @param operands Per operand: tensor root, leaf, proof, root proof, producer record and its proof.
    """
    g: Game = self._load(dispute_id)
    assert g.phase == PHASE_ONESTEP, "dispute_game: not at one step"
    md: Meta = self.meta[dispute_id]
    party: uint256 = self._party(md)
    assert block.timestamp <= g.deadline, "dispute_game: move deadline passed"
    w: uint256 = self.where[dispute_id]
    c: link.Context = link.Context(
        header=md.header,
        node=self.node_record[dispute_id],
        program_root=md.program_root,
        data_root=md.data_root,
        run_root=md.run_root if party == SOLVER else md.challenger_run_root,
        step_root=self.step_root[dispute_id][party],
        num_steps=md.num_steps,
        t=w & MASK64,
        j=(w >> 64) & MASK16,
        e=(w >> 80) & MASK64,
        m=(w >> 144) & MASK64,
    )
    vals: uint256 = self.values[dispute_id]
    prev: uint32 = convert((vals >> 64) & MASK32, uint32)
    if (vals >> 96) & 1 == 0:
        prev = trace._prev_state(self.trace_root[dispute_id][party], w >> 208, c.m, prev_leaf, prev_proof)
    xs: DynArray[uint32, MAX_OPERANDS] = link._values(
        link.IOneStepVerifier(VERIFIER.address), c, prev_step_root, prev_step_proof, operands
    )
    s_m: uint32 = staticcall VERIFIER.next_state(md.header, c.node, c.j, c.t, c.e, c.m, prev, xs)
    g.moves += 1
    self._save(dispute_id, g)
    self._settle(
        dispute_id,
        md,
        s_m != convert(vals & MASK32, uint32),
        s_m != convert((vals >> 32) & MASK32, uint32),
        BY_ONESTEP,
    )


@external
def timeout(dispute_id: uint256):
    """
    @dev Ends a dispute whose party to move missed its deadline; that party
         loses (at TRACE whoever has not committed, at ONESTEP the
         challenger). Anyone may call it.
    @param dispute_id The dispute.
    """
    g: Game = self._load(dispute_id)
    assert g.phase != PHASE_NONE, "dispute_game: no such dispute"
    assert g.phase != PHASE_DONE, "dispute_game: dispute ended"
    assert block.timestamp > g.deadline, "dispute_game: deadline not passed"
    solver_lost: bool = False
    challenger_lost: bool = False
    if g.phase == PHASE_TRACE:
        solver_lost = g.mover & SOLVER == 0
        challenger_lost = g.mover & CHALLENGER == 0
    elif g.phase == PHASE_ONESTEP:
        challenger_lost = True
    else:
        solver_lost = g.mover == SOLVER
        challenger_lost = g.mover == CHALLENGER
    self._settle(dispute_id, self.meta[dispute_id], solver_lost, challenger_lost, BY_TIMEOUT)


@view
@external
def game(dispute_id: uint256) -> GameView:
    """
    @dev The whole state of a dispute, for players.
    @param dispute_id The dispute.
    @return phase, party to move (at TRACE: the mask of parties that
            committed), current nodes, pending children, where (t, j, e, m),
            the revealed values and, once ended, winner and reason.
    """
    g: Game = self._load(dispute_id)
    w: uint256 = self.where[dispute_id]
    vals: uint256 = self.values[dispute_id]
    o: uint256 = self.outcome[dispute_id]
    return GameView(
        phase=g.phase,
        mover=g.mover,
        pending=g.pending,
        height=g.height,
        moves=g.moves,
        deadline=g.deadline,
        position=g.position,
        count=g.count,
        node_solver=self.node_solver[dispute_id],
        node_challenger=self.node_challenger[dispute_id],
        pending_left=self.pending_left[dispute_id],
        pending_right=self.pending_right[dispute_id],
        t=w & MASK64,
        j=(w >> 64) & MASK16,
        e=(w >> 80) & MASK64,
        m=(w >> 144) & MASK64,
        value_solver=convert(vals & MASK32, uint32),
        value_challenger=convert((vals >> 32) & MASK32, uint32),
        winner=o & MASK8,
        reason=(o >> 8) & MASK8,
    )


# -------------------------------------------------------------- INTERNAL ----

@view
@internal
def _load(dispute_id: uint256) -> Game:
    """
    @dev Unpacks the state word: phase 0-7, mover 8-15, pending 16, height
         24-31, moves 32-47, deadline 48-111, position 112-175, count 176-239.
    """
    w: uint256 = self.state[dispute_id]
    return Game(
        phase=w & MASK8,
        mover=(w >> 8) & MASK8,
        pending=(w >> 16) & 1 == 1,
        height=(w >> 24) & MASK8,
        moves=(w >> 32) & MASK16,
        deadline=(w >> 48) & MASK64,
        position=(w >> 112) & MASK64,
        count=(w >> 176) & MASK64,
    )


@internal
def _save(dispute_id: uint256, g: Game):
    p: uint256 = 1 if g.pending else 0
    self.state[dispute_id] = (
        g.phase
        | (g.mover << 8)
        | (p << 16)
        | (g.height << 24)
        | (g.moves << 32)
        | (g.deadline << 48)
        | (g.position << 112)
        | (g.count << 176)
    )


@view
@internal
def _party(md: Meta) -> uint256:
    if msg.sender == md.solver:
        return SOLVER
    assert msg.sender == md.challenger, "dispute_game: caller is not a party"
    return CHALLENGER


@view
@internal
def _node(dispute_id: uint256, party: uint256) -> bytes32:
    if party == SOLVER:
        return self.node_solver[dispute_id]
    return self.node_challenger[dispute_id]


@internal
def _set_node(dispute_id: uint256, party: uint256, node: bytes32):
    if party == SOLVER:
        self.node_solver[dispute_id] = node
    else:
        self.node_challenger[dispute_id] = node


@internal
def _end_descent(
    dispute_id: uint256,
    md: Meta,
    g_in: Game,
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
         (its leaf is its root), hence the loop.
    """
    g: Game = g_in
    leaf_solver: bytes32 = leaf_solver_in
    leaf_challenger: bytes32 = leaf_challenger_in
    w: uint256 = self.where[dispute_id]
    for i: uint256 in range(4):
        if g.phase == PHASE_L1 or g.phase == PHASE_L2:
            if g.position >= g.count:
                self._save(dispute_id, g)
                self._settle(dispute_id, md, leaf_solver != empty(bytes32), leaf_challenger != empty(bytes32), BY_PADDING)
                return
            n: uint256 = 0
            if g.phase == PHASE_L1:
                # step t found: L2 over S_t's node roots
                w = g.position
                self.step_root[dispute_id][SOLVER] = leaf_solver
                self.step_root[dispute_id][CHALLENGER] = leaf_challenger
                n = (md.header >> opcodes.HEADER_N_STATE_SHIFT) & MASK16 if g.position == 0 else (md.header >> opcodes.HEADER_N_STEP_SHIFT) & MASK16
                g.phase = PHASE_L2
            else:
                # node j found: its record sizes L3
                t: uint256 = w & MASK64
                n_state: uint256 = (md.header >> opcodes.HEADER_N_STATE_SHIFT) & MASK16
                leaf: uint256 = 1 + g.position if t == 0 else 1 + n_state + g.position
                n_program: uint256 = 1 + n_state + ((md.header >> opcodes.HEADER_N_STEP_SHIFT) & MASK16)
                assert merkle._verify_exact(
                    md.program_root, convert(record, bytes32), leaf, n_program, record_proof
                ), "dispute_game: bad node record proof"
                self.node_record[dispute_id] = record
                k: uint256 = staticcall VERIFIER.num_micro_steps(record)
                w = (w & MASK64) | (g.position << 64) | (k << 208)
                n = ((record >> opcodes.NODE_ROWS_SHIFT) & MASK32) * ((record >> opcodes.NODE_COLS_SHIFT) & MASK32)
                g.phase = PHASE_L3
            g.count = n
            g.height = descent._depth((n + LANES - 1) // LANES) if g.phase == PHASE_L3 else descent._depth(n)
            g.position = 0
            self.node_solver[dispute_id] = leaf_solver
            self.node_challenger[dispute_id] = leaf_challenger
            if g.height == 0:
                continue
            assert keccak256(concat(next_left, next_right)) == (leaf_solver if mover == SOLVER else leaf_challenger), "dispute_game: next children do not match node"
            self.pending_left[dispute_id] = next_left
            self.pending_right[dispute_id] = next_right
            g.pending = True
            g.mover = CHALLENGER if mover == SOLVER else SOLVER
            break

        # L3 (element) or L4 (micro-step): the first differing lane
        lane: uint256 = descent._first_lane(leaf_solver, leaf_challenger)
        index: uint256 = g.position * LANES + lane
        a: uint32 = descent._lane(leaf_solver, lane)
        b: uint32 = descent._lane(leaf_challenger, lane)
        rule: uint256 = descent._end_rule(index, g.count, g.phase == PHASE_L4)
        if rule != descent.GOES_ON:
            # padding, or s_0 (+0.0 by definition): a non-zero value loses
            self.where[dispute_id] = w | (index << (80 if g.phase == PHASE_L3 else 144))
            self._save(dispute_id, g)
            self._settle(dispute_id, md, a != 0, b != 0, rule)
            return
        vals: uint256 = convert(a, uint256) | (convert(b, uint256) << 32)
        if g.phase == PHASE_L3:
            w = w | (index << 80)
            g.phase = PHASE_TRACE
            g.mover = 0
        else:
            w = w | (index << 144)
            if lane > 0:
                vals |= (convert(descent._lane(leaf_solver, lane - 1), uint256) << 64) | (1 << 96)
            g.phase = PHASE_ONESTEP
            g.mover = 0
        self.values[dispute_id] = vals
        g.pending = False
        g.height = 0
        break
    self.where[dispute_id] = w
    self._save(dispute_id, g)
    log Moved(dispute_id=dispute_id, party=msg.sender, phase=g.phase, height=g.height, position=g.position, deadline=g.deadline)


@internal
def _settle(dispute_id: uint256, md: Meta, solver_lost: bool, challenger_lost: bool, reason: uint256):
    """
    @dev Ends the dispute exactly once and moves the money through the
         registry hooks and the bond.
    """
    g: Game = self._load(dispute_id)
    g.phase = PHASE_DONE
    self._save(dispute_id, g)
    winner: uint256 = NOBODY
    if solver_lost and not challenger_lost:
        winner = CHALLENGER
    elif challenger_lost and not solver_lost:
        winner = SOLVER
    self.outcome[dispute_id] = winner | (reason << 8)

    # a moot dispute (the task left COMMITTED meanwhile) moves no bond
    live: bool = staticcall REGISTRY.task_status(md.task_id) == TASK_COMMITTED
    if solver_lost and live:
        extcall REGISTRY.on_solver_lost(md.task_id, md.treasury if challenger_lost else md.challenger)
    else:
        extcall REGISTRY.on_dispute_closed(md.task_id)

    if not challenger_lost or not live:
        credits._credit(md.challenger, md.bond)
    elif solver_lost:
        credits._credit(md.treasury, md.bond)
    else:
        to_treasury: uint256 = md.bond * md.treasury_bps // BPS
        credits._credit(md.treasury, to_treasury)
        credits._credit(md.solver, md.bond - to_treasury)

    w: uint256 = self.where[dispute_id]
    log DisputeEnded(
        dispute_id=dispute_id,
        task_id=md.task_id,
        caller=msg.sender,
        winner=winner,
        reason=reason,
        t=w & MASK64,
        j=(w >> 64) & MASK16,
        e=(w >> 80) & MASK64,
        m=(w >> 144) & MASK64,
    )
