# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title disputes
@license MIT
@notice The dispute game's records: the data fixed at open, the packed
        hot state, the two parties' current nodes and where the game
        stands, the end of a dispute (`_end`, the outcome) and its
        settlement (`_resolve`, the money, exactly once). Exports `game`,
        `meta` and `resolved`, the views players read.
@dev A stateful module that `initializes: credits` (bond payouts are
     credits), so that it compiles on its own; modules/ending.vy
     initializes it and DisputeGame `initializes: ending` and `uses:` it
     (and credits), exporting `game`, `meta`, the public records and the
     credit functions. The data fixed at open is stored packed (`Fixed`): solver and
     num_steps share a word, as do challenger and move_deadline, and
     treasury and its share, so each move reads only the words it needs.
     The hot state (`Game`) is one word, the outcome (winner, reason)
     included.
     A dispute ends in two transactions, as OP's FaultDisputeGame separates
     step() from resolve(): `_end` records the outcome (phase DONE, winner,
     reason, which parties lost) with no external call, so the one-step
     transaction pays only for the step; `_resolve` (anyone, once, after
     the end) moves the money through the registry hooks and the credits.
@custom:security `_end` sets phase DONE and every move refuses a DONE
     dispute; `_resolve` refuses a dispute that has not ended or was
     resolved, and sets the resolved bit before any external call. The
     registry hooks and the credits are the only money paths. Until a
     dispute is resolved the task keeps it open (no finalize). Governance
     has no function here.
"""

from . import credits

initializes: credits


# ------------------------------------------------------------------
#                            INTERFACES
# ------------------------------------------------------------------

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


interface ITaskRegistry:
    def TOKEN() -> address: view
    def get_task(task_id: uint256) -> Task: view
    def task_status(task_id: uint256) -> uint8: view
    def task_header(task_id: uint256) -> uint256: view
    def on_dispute_opened(task_id: uint256, challenger: address): nonpayable
    def on_dispute_closed(task_id: uint256): nonpayable
    def on_solver_lost(task_id: uint256, challenger: address, reason: uint256): nonpayable


# ------------------------------------------------------------------
#                            EVENTS
# ------------------------------------------------------------------

# @dev A party moved; `phase` and `height` are where the game stands after it.
event Moved:
    dispute_id: indexed(uint256)
    party: indexed(address)
    phase: uint256
    height: uint256
    position: uint256
    deadline: uint256


# @dev The dispute ended (its outcome is fixed; `resolve` moves the money).
#      winner: 1 solver, 2 challenger, 3 nobody; reason: 1 one-step,
#      2 timeout, 3 padding, 4 start.
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


# @dev An ended dispute was settled by `caller`: the registry hook ran and
#      the bond was credited. `moot`: the task had already left COMMITTED
#      (another dispute rejected it), so the bond went back to the challenger.
event DisputeResolved:
    dispute_id: indexed(uint256)
    task_id: indexed(uint256)
    caller: indexed(address)
    moot: bool


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

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
# @dev Appended (the numbers above are unchanged): both parties commit a
#      segment root, then the L1b descent over the segment trees.
PHASE_SEGMENT: constant(uint256) = 8
PHASE_L1B: constant(uint256) = 9

# @dev Task status COMMITTED in the registry.
TASK_COMMITTED: constant(uint8) = 3

# @dev Bits of the state word outside `Game`: the parties that lost (SOLVER |
#      CHALLENGER, from LOST_SHIFT) and RESOLVED, set by `_end` / `_resolve`.
LOST_SHIFT: constant(uint256) = 17
RESOLVED: constant(uint256) = 1 << 19

BPS: constant(uint256) = 10_000
MASK8: constant(uint256) = 2**8 - 1
MASK16: constant(uint256) = 2**16 - 1
MASK32: constant(uint256) = 2**32 - 1
MASK64: constant(uint256) = 2**64 - 1
MASK160: constant(uint256) = 2**160 - 1


# ------------------------------------------------------------------
#                            STRUCTS
# ------------------------------------------------------------------

# @dev The data fixed at open, as `meta` returns it.
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
    checkpoint_interval: uint256


# @dev `Meta` as stored: an address and a small number share each of the
#      first three words (address bits 0-159, number from bit 160; the
#      checkpoint interval from bit 224 of the first word).
struct Fixed:
    solver_steps: uint256
    challenger_deadline: uint256
    treasury_bps: uint256
    task_id: uint256
    bond: uint256
    header: uint256
    program_root: bytes32
    data_root: bytes32
    run_root: bytes32
    challenger_run_root: bytes32


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
    winner: uint256
    reason: uint256


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


# ------------------------------------------------------------------
#                            STORAGE
# ------------------------------------------------------------------

# @dev Number of disputes opened; the last id (ids start at 1).
dispute_count: public(uint256)
# @dev Per dispute: the data fixed at open, packed.
fixed: HashMap[uint256, Fixed]
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
# @dev Per dispute and party: its segment root (the leaves left of t's are agreed).
segment_root: public(HashMap[uint256, HashMap[uint256, bytes32]])
# @dev Per dispute and party: its micro-trace root (the leaves left of m's are agreed).
trace_root: public(HashMap[uint256, HashMap[uint256, bytes32]])


# ------------------------------------------------------------------
#                            CONSTRUCTOR
# ------------------------------------------------------------------

@deploy
def __init__(token: address):
    """
    @param token The bond asset, credited to the winners.
    """
    credits.__init__(token)


# ------------------------------------------------------------------
#                            EXTERNAL
# ------------------------------------------------------------------

@view
@external
def meta(dispute_id: uint256) -> Meta:
    """
    @dev The data fixed when the dispute opened.
    @param dispute_id The dispute.
    @return task id, parties, bond, move deadline, num_steps, header,
            roots, treasury and its share (all zero for no dispute).
    """
    f: Fixed = self.fixed[dispute_id]
    return Meta(
        task_id=f.task_id,
        solver=convert(f.solver_steps & MASK160, address),
        challenger=convert(f.challenger_deadline & MASK160, address),
        bond=f.bond,
        move_deadline=f.challenger_deadline >> 160,
        num_steps=(f.solver_steps >> 160) & MASK64,
        header=f.header,
        program_root=f.program_root,
        data_root=f.data_root,
        run_root=f.run_root,
        challenger_run_root=f.challenger_run_root,
        treasury=convert(f.treasury_bps & MASK160, address),
        treasury_bps=f.treasury_bps >> 160,
        checkpoint_interval=f.solver_steps >> 224,
    )


@view
@external
def game(dispute_id: uint256) -> GameView:
    """
    @dev The whole state of a dispute, for players.
    @param dispute_id The dispute.
    @return phase, party to move (at TRACE: the mask of parties that
            committed, also at SEGMENT), current nodes, pending children,
            where (t, j, e, m; at SEGMENT and L1b t is b(i), the end of the
            segment),
            the revealed values and, once ended, winner and reason.
    """
    g: Game = self._load(dispute_id)
    w: uint256 = self.where[dispute_id]
    vals: uint256 = self.values[dispute_id]
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
        winner=g.winner,
        reason=g.reason,
    )


@view
@external
def resolved(dispute_id: uint256) -> bool:
    """
    @dev Whether an ended dispute was settled (`resolve`): its registry
         hook ran and its bond was credited.
    @param dispute_id The dispute.
    @return True once resolved (False for an open or unknown dispute).
    """
    return self.state[dispute_id] & RESOLVED != 0


# ------------------------------------------------------------------
#                            INTERNAL
# ------------------------------------------------------------------

@internal
def _open(m: Meta) -> uint256:
    """
    @dev Stores a new dispute's fixed data; returns its id. Reverts when
         a number does not fit its packed field.
    """
    assert m.num_steps <= MASK64, "dispute_game: too many steps"
    assert m.checkpoint_interval >= 1 and m.checkpoint_interval <= MASK32, "dispute_game: bad checkpoint interval"
    assert m.move_deadline <= MASK64 and block.timestamp + m.move_deadline <= MASK64, "dispute_game: move deadline too long"
    assert m.treasury_bps <= BPS, "dispute_game: bad treasury share"
    dispute_id: uint256 = self.dispute_count + 1
    self.dispute_count = dispute_id
    self.fixed[dispute_id] = Fixed(
        solver_steps=convert(m.solver, uint256) | (m.num_steps << 160) | (m.checkpoint_interval << 224),
        challenger_deadline=convert(m.challenger, uint256) | (m.move_deadline << 160),
        treasury_bps=convert(m.treasury, uint256) | (m.treasury_bps << 160),
        task_id=m.task_id,
        bond=m.bond,
        header=m.header,
        program_root=m.program_root,
        data_root=m.data_root,
        run_root=m.run_root,
        challenger_run_root=m.challenger_run_root,
    )
    return dispute_id


@view
@internal
def _load(dispute_id: uint256) -> Game:
    """
    @dev Unpacks the state word: phase 0-7, mover 8-15, pending 16,
         height 24-31, moves 32-47, deadline 48-111, position 112-175,
         count 176-239, winner 240-247, reason 248-255. Bits 17-18 (lost)
         and 19 (resolved) are not part of `Game`: `_end` and `_resolve`
         set them, after which nothing saves the word again.
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
        winner=(w >> 240) & MASK8,
        reason=w >> 248,
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
        | (g.winner << 240)
        | (g.reason << 248)
    )


@view
@internal
def _solver(dispute_id: uint256) -> address:
    return convert(self.fixed[dispute_id].solver_steps & MASK160, address)


@view
@internal
def _challenger(dispute_id: uint256) -> address:
    return convert(self.fixed[dispute_id].challenger_deadline & MASK160, address)


@view
@internal
def _num_steps(dispute_id: uint256) -> uint256:
    return (self.fixed[dispute_id].solver_steps >> 160) & MASK64


@view
@internal
def _interval(dispute_id: uint256) -> uint256:
    return self.fixed[dispute_id].solver_steps >> 224


@view
@internal
def _move_deadline(dispute_id: uint256) -> uint256:
    return self.fixed[dispute_id].challenger_deadline >> 160


@view
@internal
def _party(dispute_id: uint256) -> uint256:
    """
    @dev SOLVER or CHALLENGER for msg.sender; reverts for anyone else.
    """
    if msg.sender == self._solver(dispute_id):
        return SOLVER
    assert msg.sender == self._challenger(dispute_id), "dispute_game: caller is not a party"
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
def _end(dispute_id: uint256, g_in: Game, solver_lost: bool, challenger_lost: bool, reason: uint256):
    """
    @dev Ends the dispute: phase DONE with winner, reason and the parties
         that lost, saved; no external call (the money moves in
         `_resolve`, a transaction of its own).
    """
    g: Game = g_in
    g.phase = PHASE_DONE
    g.winner = NOBODY
    if solver_lost and not challenger_lost:
        g.winner = CHALLENGER
    elif challenger_lost and not solver_lost:
        g.winner = SOLVER
    g.reason = reason
    self._save(dispute_id, g)
    lost: uint256 = (SOLVER if solver_lost else 0) | (CHALLENGER if challenger_lost else 0)
    self.state[dispute_id] |= lost << LOST_SHIFT
    w: uint256 = self.where[dispute_id]
    log DisputeEnded(
        dispute_id=dispute_id,
        task_id=self.fixed[dispute_id].task_id,
        caller=msg.sender,
        winner=g.winner,
        reason=reason,
        t=w & MASK64,
        j=(w >> 64) & MASK16,
        e=(w >> 80) & MASK64,
        m=(w >> 144) & MASK64,
    )


@internal
def _resolve(registry: ITaskRegistry, dispute_id: uint256):
    """
    @dev Settles an ended dispute exactly once (the resolved bit is saved
         before any external call) and moves the money: the solver's loss
         goes through the registry hook (slash, submitter refund), any
         other end closes the dispute in the registry; the bond is
         credited (`credits`): to the challenger when it did not lose or
         the dispute is moot (the task left COMMITTED), to the treasury
         when both lost, else split between the treasury (treasury_bps)
         and the solver.
    """
    w: uint256 = self.state[dispute_id]
    assert w & MASK8 == PHASE_DONE, "dispute_game: dispute not ended"
    assert w & RESOLVED == 0, "dispute_game: dispute already resolved"
    self.state[dispute_id] = w | RESOLVED

    solver_lost: bool = (w >> LOST_SHIFT) & SOLVER != 0
    challenger_lost: bool = (w >> LOST_SHIFT) & CHALLENGER != 0
    f: uint256 = self.fixed[dispute_id].treasury_bps
    treasury: address = convert(f & MASK160, address)
    challenger: address = self._challenger(dispute_id)
    task_id: uint256 = self.fixed[dispute_id].task_id
    bond: uint256 = self.fixed[dispute_id].bond
    # a moot dispute (the task left COMMITTED meanwhile) moves no bond
    live: bool = staticcall registry.task_status(task_id) == TASK_COMMITTED
    if solver_lost and live:
        extcall registry.on_solver_lost(task_id, treasury if challenger_lost else challenger, w >> 248)
    else:
        extcall registry.on_dispute_closed(task_id)

    if not challenger_lost or not live:
        credits._credit(challenger, bond)
    elif solver_lost:
        credits._credit(treasury, bond)
    else:
        to_treasury: uint256 = bond * (f >> 160) // BPS
        credits._credit(treasury, to_treasury)
        credits._credit(self._solver(dispute_id), bond - to_treasury)

    log DisputeResolved(dispute_id=dispute_id, task_id=task_id, caller=msg.sender, moot=not live)
