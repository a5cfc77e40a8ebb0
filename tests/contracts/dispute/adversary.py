"""A property-based adversary for the dispute game, played on Anvil against the honest `Player`.

One deployment holds a committed task per configuration: one with the
honest run root (the adversary is the challenger) and one per fault with a
faulty run root (the adversary is the solver). Each game opens a dispute
from a chain snapshot, plays it to the end and reverts the snapshot.

The adversary holds a faulty run (`offchain.dispute.run.Fault`), possibly
with a forged micro-trace (`FORGES`), and plays it through an offchain
`Player`. At each of its turns a `Plan` says what to do: the consistent
move, a stall, or a few attempts at *mutated* moves. Mutations work on any
`Move` (a function name and its arguments) without knowing the ABI:

- scalars (bytes32 / ints): random, zero, a value seen on chain or in a
  known tree, a flipped bit, swapped with another scalar, shifted;
- proofs: each list of bytes32 is paired with the scalar it proves by the
  bracket rule (a run of scalars then a run of proofs: the last scalar
  goes with the first proof, and so on outwards, as in `(record,
  record_proof)` or `(tensor_root, leaf, proof, root_proof)`), and then
  truncated, extended with random or real siblings, replaced by a random
  list, or turned into an inner node given as a leaf, the root given as a
  leaf, or a value one level below the leaf (its known preimage);
- nested pairs (a value proved in a root that is itself proved): the
  inner root collapsed to an inner node of the outer tree and the value
  made that node (`collapse`);
- lists of structs: an element dropped or duplicated.

A rejected move (revert) costs nothing: the adversary tries its next
attempt, then its consistent move, else it stalls; the honest side claims
the timeout. The property (`check`): every game ends DONE (and is resolved: the
adversary may race the honest party to `resolve`), the honest party
wins, and the money it holds moves exactly as the rules say.

Nothing here imports brownie: a `Backend` (brownie in the tests, web3 in
bench/adversary.py) sends the calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_hash.auto import keccak

from offchain.commit import merkle
from offchain.commit.roots import final_model, run_root
from offchain.dispute.player import (
    CHALLENGER,
    DESCENTS,
    PHASE_DONE,
    PHASE_L1,
    PHASE_L1B,
    PHASE_L2,
    PHASE_L3,
    PHASE_ONESTEP,
    PHASE_SEGMENT,
    PHASE_TRACE,
    ROLE_NAMES,
    SOLVER,
    ZERO,
    GameView,
    Move,
    Player,
)
from offchain.dispute.run import Fault, PartyRun

TOKEN = 10**18
STEPS = 2
INTERVAL = 2  # the task's checkpoint interval: L1 ends at boundary 0 or plays the segment 0..2
HIDDEN, BATCH = 2, 1
PAYMENT, STAKE = 10 * TOKEN, 100 * TOKEN
BPS = 10_000
# faults of the adversary's run (tiny digits MLP, hidden 2, batch 1): a matmul
# with K=2 reading node 4 and state 2, a matmul with K=10 (a two-leaf trace), a bias add, an SGD update reading a
# state slot of S_{t-1}, an initialisation at step 0, an MSE gradient. Every fault changes S_2, the
# boundary the run tree commits (the matmul's flips mantissa bit 10: a lowest-bit flip there dies out
# by step 2, so the run roots would agree and there would be nothing to dispute).
FAULTS = (Fault(1, 5, 3, bit=10), Fault(1, 10, 1), Fault(1, 3, 1), Fault(1, 15, 1), Fault(0, 1, 1), Fault(2, 7, 3))
# forged micro-traces the adversary may commit (besides its consistent one)
FORGES = ("none", "s0", "sK", "mid", "leaf0", "header")
ROLES = (SOLVER, CHALLENGER)
ACTORS = ("deployer", "treasury", "submitter", "solver", "challenger")


# --------------------------------------------------------------------- plans --

@dataclass(frozen=True)
class Mut:
    """One mutation: operator, which slot (modulo the slots it applies to), a size, a seed."""

    op: int
    slot: int
    k: int
    pick: int


@dataclass(frozen=True)
class Action:
    """What the adversary does at one turn: stall, or try these mutated moves in order
    (each a list of mutations of the consistent move); then the consistent move."""

    stall: bool = False
    attempts: tuple[tuple[Mut, ...], ...] = ()


BASE = Action()


@dataclass(frozen=True)
class Plan:
    honest: int  # SOLVER or CHALLENGER: the honest party's role
    fault: int  # index into FAULTS: the adversary's run
    forge: str  # one of FORGES: the adversary's micro-trace
    first: bool  # the adversary acts first when both sides may act
    open: Action  # the adversary's open_dispute (when it is the challenger)
    actions: tuple[Action, ...]  # its turns in order; past the end: BASE

    @property
    def adversary(self) -> int:
        return CHALLENGER if self.honest == SOLVER else SOLVER


def random_plan(rng, turns: int = 24) -> Plan:
    """A plan drawn with `random.Random` (bench/adversary.py); the tests draw with hypothesis."""

    def mut() -> Mut:
        return Mut(rng.randrange(len(OPS)), rng.randrange(2**16), rng.randint(1, 6), rng.randrange(2**32))

    def action() -> Action:
        r = rng.random()
        if r < 0.05:
            return Action(stall=True)
        if r < 0.45:
            return BASE
        return Action(attempts=tuple(tuple(mut() for _ in range(rng.randint(1, 3)))
                                     for _ in range(rng.randint(1, 4))))

    return Plan(rng.choice(ROLES), rng.randrange(len(FAULTS)), rng.choice(FORGES), rng.random() < 0.5,
                action(), tuple(action() for _ in range(turns)))


def hypothesis_plans():
    """The same plans as a hypothesis strategy (imported lazily: bench runs without it)."""
    from hypothesis import strategies as st

    mut = st.builds(Mut, st.integers(0, len(OPS) - 1), st.integers(0, 2**16 - 1), st.integers(1, 6),
                    st.integers(0, 2**32 - 1))
    attempts = st.lists(st.lists(mut, min_size=1, max_size=3).map(tuple), min_size=1, max_size=4).map(tuple)
    action = st.one_of(st.just(BASE), st.builds(Action, st.just(False), attempts),
                       st.just(Action(stall=True)))
    return st.builds(Plan, st.sampled_from(ROLES), st.integers(0, len(FAULTS) - 1), st.sampled_from(FORGES),
                     st.booleans(), action, st.lists(action, max_size=24).map(tuple))


# ---------------------------------------------------------- forged traces --

Z1 = merkle.hash_pair(ZERO, ZERO)  # keccak(0 || 0): an inner node of every zero-padded tree


class ReshapedRun:
    """A run whose step trees have the sizes a forged header says (`header`: the program
    root read as a header record): the real node roots first, then zero leaves (or cut)."""

    def __init__(self, run: PartyRun, header: int):
        self._run, self.header = run, header
        self.step_roots = [self.step_root(b) for b in run.boundaries]
        self.run_root = run_root(self.step_roots)

    def __getattr__(self, name):
        return getattr(self._run, name)

    def step_root(self, t: int) -> bytes:
        return merkle.root(self.node_roots(t))

    def segment_roots(self, i: int) -> list[bytes]:
        return [self.step_root(t) for t in self._run.segment(i)]

    def node_roots(self, t: int) -> list[bytes]:
        n = (self.header >> (232 if t == 0 else 216)) & 0xFFFF
        real = self._run.node_roots(t)
        return (real + [ZERO] * n)[:max(n, 1)]


class ForgedPlayer(Player):
    """A Player whose micro-trace of its faulty element is forged (`forge` in FORGES); with
    "header" its step trees are shaped for the program root read as a header."""

    def __init__(self, role: int, run: PartyRun, forge: str):
        if forge == "header":
            run = ReshapedRun(run, int.from_bytes(run.program.root(), "big"))
        super().__init__(role, run)
        self.forge = forge

    def trace(self, t: int, j: int, e: int) -> list[int]:
        tr = list(super().trace(t, j, e))
        f = self.run.fault
        if f is None or (t, j, e) != (f.t, f.j, f.e):
            return tr
        if self.forge == "s0":
            tr[0] = 0x3F800000  # 1.0
        elif self.forge == "sK":
            tr[-1] ^= 1 << 3
        elif self.forge == "mid" and len(tr) > 2:
            tr[len(tr) // 2] ^= 1
        return tr

    def trace_levels(self, t: int, j: int, e: int) -> list[list[bytes]]:
        lv = super().trace_levels(t, j, e)
        f = self.run.fault
        if self.forge != "leaf0" or f is None or (t, j, e) != (f.t, f.j, f.e):
            return lv
        leaves = list(lv[0])
        leaves[0] = Z1  # a leaf that is itself keccak(0 || 0): "proves" s_0 = 0 one level below
        return merkle.levels(leaves)


# -------------------------------------------------------------- mutations --

def _h(*parts) -> bytes:
    return keccak(b"".join(p if isinstance(p, bytes) else int(p).to_bytes(32, "big") for p in parts))


def _is_b32(v) -> bool:
    return isinstance(v, (bytes, bytearray)) and len(v) == 32


def _is_proof(v) -> bool:
    return isinstance(v, list) and all(_is_b32(x) for x in v)


def _is_struct_list(v) -> bool:
    """A list of structs (tuples, or lists once thawed), as opposed to a proof."""
    return isinstance(v, list) and len(v) > 0 and all(
        isinstance(x, tuple) or (isinstance(x, list) and not _is_proof(x)) for x in v)


def _thaw(v):
    if isinstance(v, tuple):
        return [_thaw(x) for x in v]
    if isinstance(v, list):
        return [_thaw(x) for x in v] if _is_struct_list(v) else list(v)
    return v


def _get(root, path):
    for i in path:
        root = root[i]
    return root


def _set(root, path, value):
    _get(root, path[:-1])[path[-1]] = value


@dataclass
class Shape:
    """Where the scalars, proofs, proof pairs and struct lists of a move's arguments are."""

    scalars: list = field(default_factory=list)
    proofs: list = field(default_factory=list)
    pairs: list = field(default_factory=list)  # (scalar path, proof path)
    nests: list = field(default_factory=list)  # (outer pair, inner pair)
    lists: list = field(default_factory=list)


def shape(args: list) -> Shape:
    sh = Shape()

    def walk(container, prefix, skip_first):
        stack: list = []  # open scalars: (path, number of pairs formed when it was pushed)
        prev_proof = False
        for i, v in enumerate(container):
            path = prefix + (i,)
            if _is_struct_list(v):
                sh.lists.append(path)
                for n in range(len(v)):
                    walk(v[n], path + (n,), False)
                continue
            if _is_proof(v):
                sh.proofs.append(path)
                if stack:
                    sp, formed = stack.pop()
                    inner = [p for p in sh.pairs[formed:] if p[1][:len(prefix)] == prefix]
                    pair = (sp, path)
                    if inner and prev_proof:
                        sh.nests.append((pair, inner[-1]))
                    sh.pairs.append(pair)
                prev_proof = True
                continue
            prev_proof = False
            if isinstance(v, (bytes, bytearray, int)) and not isinstance(v, bool):
                if not (skip_first and i == 0):
                    sh.scalars.append(path)
                stack.append((path, len(sh.pairs)))

    walk(args, (), True)
    return sh


class Knowledge:
    """Every tree node the adversary knows the children of (its trees, the honest run's, zero subtrees)."""

    def __init__(self):
        self.children: dict[bytes, tuple[bytes, bytes]] = {}
        self.seen: set = set()
        z = ZERO
        for _ in range(merkle_max_depth()):
            nz = merkle.hash_pair(z, z)
            self.children[nz] = (z, z)
            z = nz

    def add(self, key, levels_fn) -> None:
        if key in self.seen:
            return
        self.seen.add(key)
        try:
            lv = levels_fn()
        except Exception:  # noqa: BLE001 - a tree this state does not define
            return
        for h in range(1, len(lv)):
            for p, node in enumerate(lv[h]):
                self.children.setdefault(node, (lv[h - 1][2 * p], lv[h - 1][2 * p + 1]))

    def learn(self, players, g: GameView) -> None:
        for pl in players:
            if g.t > pl.run.steps:  # a state no run defines: nothing more to learn
                continue
            r = id(pl)
            self.add((r, "program"), pl.program_levels)
            self.add((r, "run"), pl.run_levels)
            if g.phase in (PHASE_SEGMENT, PHASE_L1B) or (g.phase > PHASE_L1 and g.t > 0):
                i = g.position if g.phase == PHASE_SEGMENT else pl.segment_of(g.t)
                self.add((r, "segment", i), lambda pl=pl, i=i: pl.segment_levels(i))
            if g.phase in (PHASE_SEGMENT, PHASE_L1B):
                continue
            if g.phase > PHASE_L1:
                self.add((r, "step", g.t), lambda pl=pl: pl.step_levels(g.t))
                if g.t > 0:
                    self.add((r, "step", g.t - 1), lambda pl=pl: pl.step_levels(g.t - 1))
            if g.phase > PHASE_L2:
                self.add((r, "tensor", g.t, g.j), lambda pl=pl: pl.tensor_levels(g.t, g.j))
            if g.phase > PHASE_L3:
                self.add((r, "trace", g.t, g.j, g.e), lambda pl=pl: pl.trace_levels(g.t, g.j, g.e))


def merkle_max_depth() -> int:
    return 33


def _fold(leaf: bytes, sibs: list[bytes], bits: int) -> bytes:
    node = leaf
    for i, s in enumerate(sibs):
        node = merkle.hash_pair(s, node) if (bits >> i) & 1 else merkle.hash_pair(node, s)
    return node


def _fold_known(leaf: bytes, sibs: list[bytes], pick: int, know: Knowledge) -> tuple[bytes, int]:
    """The node `sibs` lead to from `leaf` and the direction bits used: the bits that reach a
    known node, if any (the leaf's real index below a root the adversary knows), else `pick`."""
    if len(sibs) <= 8:
        for bits in range(2 ** len(sibs)):
            node = _fold(leaf, sibs, bits)
            if node in know.children:
                return node, bits
    return _fold(leaf, sibs, pick), pick


def _descend(root: bytes, bits: int, levels: int, know: Knowledge) -> tuple[bytes, list[bytes]] | None:
    """The node `levels` below `root` on the path the low `levels` bits of an index give, read
    as the contract reads a proof of that length (bit levels-1 at the top), with its proof."""
    node, sibs = root, []
    for lv in range(levels - 1, -1, -1):
        kids = know.children.get(node)
        if kids is None:
            return None
        b = (bits >> lv) & 1
        node = kids[b]
        sibs.append(kids[1 - b])
    return node, sibs[::-1]


def _inner(leaf: bytes, proof: list[bytes], k: int, pick: int, know: Knowledge) -> tuple[bytes, list[bytes]]:
    """An inner node k levels above the leaves given as leaf `index` with a proof k shorter:
    the node the contract's index bits select at that height when the tree is known, else
    the leaf's own ancestor."""
    k = min(k, len(proof))
    root, bits = _fold_known(leaf, proof, pick, know)
    got = _descend(root, bits, len(proof) - k, know)
    if got is not None:
        return got
    return _fold_known(leaf, proof[:k], pick, know)[0], proof[k:]


def _pool(g: GameView, know: Knowledge) -> list[bytes]:
    vis = [g.node_solver, g.node_challenger, g.pending_left, g.pending_right]
    out = list(vis)
    for v in vis:
        out.extend(know.children.get(v, ()))
    return out + [Z1]


def _as_scalar(like, value: bytes):
    if isinstance(like, int):
        return int.from_bytes(value, "big")
    return value


def _op_rand(a, sh, m, g, know):
    p = _pick(sh.scalars, m)
    if p is not None:
        _set(a, p, _as_scalar(_get(a, p), _h(b"rand", m.pick)))


def _op_zero(a, sh, m, g, know):
    p = _pick(sh.scalars, m)
    if p is not None:
        _set(a, p, _as_scalar(_get(a, p), ZERO))


def _op_pool(a, sh, m, g, know):
    p = _pick(sh.scalars, m)
    if p is not None:
        pool = _pool(g, know)
        _set(a, p, _as_scalar(_get(a, p), pool[m.pick % len(pool)]))


def _op_bit(a, sh, m, g, know):
    p = _pick(sh.scalars, m)
    if p is None:
        return
    v = _get(a, p)
    bit = m.pick % 256
    if isinstance(v, int):
        _set(a, p, v ^ (1 << (m.pick % 64)))
    else:
        x = int.from_bytes(v, "big") ^ (1 << bit)
        _set(a, p, x.to_bytes(32, "big"))


def _op_swap(a, sh, m, g, know):
    if len(sh.scalars) < 2:
        return
    p = sh.scalars[m.slot % len(sh.scalars)]
    q = sh.scalars[m.pick % len(sh.scalars)]
    if p == q:
        q = sh.scalars[(m.slot + 1) % len(sh.scalars)]
    vp, vq = _get(a, p), _get(a, q)
    if type(vp) is type(vq):
        _set(a, p, vq)
        _set(a, q, vp)


def _op_shift(a, sh, m, g, know):
    ints = [p for p in sh.scalars if isinstance(_get(a, p), int)]
    p = _pick(ints, m)
    if p is not None:
        v = _get(a, p)
        _set(a, p, [v + m.k, max(v - m.k, 0), v * 2 + 1, 2**32 - 1][m.pick % 4])


def _op_trunc_top(a, sh, m, g, know):
    p = _pick(sh.proofs, m)
    if p is not None:
        pr = _get(a, p)
        _set(a, p, pr[:max(len(pr) - m.k, 0)])


def _op_extend_top(a, sh, m, g, know):
    p = _pick(sh.proofs, m)
    if p is not None:
        pool = _pool(g, know) + [_h(b"sib", m.pick)]
        _set(a, p, _get(a, p) + [pool[(m.pick + i) % len(pool)] for i in range(m.k)])


def _op_rand_proof(a, sh, m, g, know):
    p = _pick(sh.proofs, m)
    if p is not None:
        _set(a, p, [_h(b"proof", m.pick, i) for i in range(m.k - 1)])


def _op_inner_leaf(a, sh, m, g, know):
    pair = _pick(sh.pairs, m)
    if pair is None:
        return
    sp, pp = pair
    leaf, pr = _get(a, sp), _get(a, pp)
    if not _is_b32(leaf) or not pr:
        return
    node, sibs = _inner(leaf, pr, m.k, m.pick, know)
    _set(a, sp, node)
    _set(a, pp, sibs)


def _op_root_leaf(a, sh, m, g, know):
    pair = _pick(sh.pairs, m)
    if pair is None:
        return
    sp, pp = pair
    leaf, pr = _get(a, sp), _get(a, pp)
    if isinstance(leaf, int):
        leaf = leaf.to_bytes(32, "big")
    root = _fold_known(leaf, pr, m.pick, know)[0]
    _set(a, sp, _as_scalar(_get(a, sp), root))
    _set(a, pp, [])


def _op_below(a, sh, m, g, know):
    pair = _pick(sh.pairs, m)
    if pair is None:
        return
    sp, pp = pair
    leaf = _get(a, sp)
    raw = leaf.to_bytes(32, "big") if isinstance(leaf, int) else leaf
    lr = know.children.get(raw, (_h(b"below-l", m.pick), _h(b"below-r", m.pick)))
    side = m.pick & 1
    _set(a, sp, _as_scalar(leaf, lr[side]))
    _set(a, pp, [lr[1 - side]] + _get(a, pp))


def _op_collapse(a, sh, m, g, know):
    """Nested (root, value) proofs: the root becomes an inner node of the outer tree
    (its proof shortened by k) and the value becomes that node, with an empty proof."""
    nest = _pick(sh.nests, m)
    if nest is None:
        return
    (rp, rpp), (vp, vpp) = nest
    root, rproof = _get(a, rp), _get(a, rpp)
    if not _is_b32(root):
        return
    node, sibs = _inner(root, rproof, m.k - 1, m.pick, know)
    _set(a, rp, node)
    _set(a, rpp, sibs)
    _set(a, vp, _as_scalar(_get(a, vp), node))
    _set(a, vpp, [])


def _op_list(a, sh, m, g, know):
    p = _pick(sh.lists, m)
    if p is None:
        return
    lst = _get(a, p)
    if m.pick & 1:
        lst.pop()
    else:
        lst.append(list(lst[-1]) if isinstance(lst[-1], list) else lst[-1])


def _pick(items, m):
    return items[m.slot % len(items)] if items else None


OPS = (_op_rand, _op_zero, _op_pool, _op_bit, _op_swap, _op_shift, _op_trunc_top, _op_extend_top,
       _op_rand_proof, _op_inner_leaf, _op_root_leaf, _op_below, _op_collapse, _op_list)

OP = {f.__name__[4:]: i for i, f in enumerate(OPS)}  # operator index by name


def mutate(mv: Move, muts, g: GameView, know: Knowledge) -> Move:
    """`mv` with the mutations applied in order (the shape is recomputed after each)."""
    args = _thaw(mv.args)
    for m in muts:
        OPS[m.op](args, shape(args), m, g, know)
    return Move(mv.fn, tuple(_refreeze(x) for x in args))


def _refreeze(v):
    if isinstance(v, list) and v and isinstance(v[0], list):
        return [tuple(_refreeze(y) for y in x) for x in v]
    if isinstance(v, list):
        return [_refreeze(x) if isinstance(x, list) else x for x in v]
    return v


def describe(mv: Move, muts=()) -> str:
    names = ",".join(OPS[m.op].__name__[4:] + f"[{m.slot}/{m.k}]" for m in muts) or "consistent"
    return f"{mv.fn}({names})"


# ------------------------------------------------------------------- arena --

class Backend:
    """What the game needs from a chain (see BrownieBackend in the tests and bench/adversary.py).

    send(actor, contract, fn, args) -> bool (False: the call reverts and nothing was sent);
    call(contract, fn, *args); address(actor); now(); advance(seconds); snapshot(); revert(snap).
    """


def default_runs():
    """(program, data, honest run, {fault index: faulty run}) of the tiny digits MLP."""
    from offchain.dispute.demo import default_program

    program, data = default_program(STEPS, hidden=HIDDEN, batch=BATCH)
    honest = PartyRun(program, data.train, STEPS, interval=INTERVAL)
    faulty = {i: PartyRun(program, data.train, STEPS, fault=f, base=honest, interval=INTERVAL)
              for i, f in enumerate(FAULTS)}
    return program, data, honest, faulty


class Arena:
    """One deployment with a committed task per configuration (each game snapshots and reverts)."""

    def __init__(self, backend, runs):
        self.b = backend
        self.program, self.data, self.honest, self.faulty = runs
        b = backend
        for who in ("submitter", "solver", "challenger"):
            assert b.send(who, "TestToken", "mint", (b.address(who), 10_000 * TOKEN))
        for who, spender in (("submitter", "TaskRegistry"), ("solver", "StakeManager"),
                             ("challenger", "DisputeGame")):
            assert b.send(who, "TestToken", "approve", (b.contract_address(spender), 2**256 - 1))
        assert b.send("solver", "StakeManager", "bond", ((len(FAULTS) + 1) * STAKE,))
        self.tasks: dict = {}
        honest_run = self.honest
        for key, run in [("honest", honest_run)] + list(self.faulty.items()):
            args = [b"\x01" * 32, self.program.root(), self.data.root(), STEPS, INTERVAL, PAYMENT, STAKE,
                    600, 3600]
            n = b.n_inputs("TaskRegistry", "create_task")
            if n > len(args):  # the header fixed at create_task: header and its proof
                pl = Player(SOLVER, honest_run)
                header = pl.program.leaves()[0]
                args += [int.from_bytes(header, "big"), merkle.proof(pl.program_levels(), 0)][:n - len(args)]
            assert b.send("submitter", "TaskRegistry", "create_task", tuple(args)), "create_task"
            tid = b.call("TaskRegistry", "task_count")
            assert b.send("solver", "TaskRegistry", "claim_task", (tid,))
            assert b.send("solver", "TaskRegistry", "commit_result",
                          (tid, run.run_root, *final_model(run.step_roots), "local"))
            self.tasks[key] = tid
        self.bond = b.call("Parameters", "challenger_bond")
        self.challenger_bps = b.call("Parameters", "slash_challenger_bps")
        self.treasury_bps = b.call("Parameters", "slash_treasury_bps")

    # --- money -----------------------------------------------------------------

    def wealth(self, who: str) -> int:
        """Tokens, bonded stake and any credit the game or registry holds for `who`."""
        b, a = self.b, self.b.address(who)
        w = b.call("TestToken", "balanceOf", a) + b.call("StakeManager", "bonded", a)
        w += b.call("StakeManager", "unbonding", a)
        for contract, fn in CREDIT_VIEWS:
            if b.has(contract, fn):
                w += b.call(contract, fn, a)
        return w


# views of pulled credits (after the game credits instead of pushing), when the ABI has them
CREDIT_VIEWS = (("DisputeGame", "credit"), ("DisputeGame", "credits"), ("DisputeGame", "claimable"),
                ("TaskRegistry", "credit"), ("TaskRegistry", "credits"), ("StakeManager", "credit"))


@dataclass
class GameResult:
    plan: Plan
    phase: int = 0
    winner: int = 0
    reason: int = 0
    where: tuple = ()
    log: list = field(default_factory=list)
    honest_errors: list = field(default_factory=list)
    deltas: dict = field(default_factory=dict)
    expected: dict = field(default_factory=dict)
    status: int = 0

    def failure(self) -> str | None:
        """Why the property fails for this game, or None."""
        if self.phase != PHASE_DONE:
            return f"game not DONE (phase {self.phase})"
        if self.winner != self.plan.honest:
            return f"honest {ROLE_NAMES[self.plan.honest]} did not win: winner {ROLE_NAMES.get(self.winner)}"
        for who, want in self.expected.items():
            if self.deltas.get(who) != want:
                return f"accounting: {who} moved {self.deltas.get(who)} instead of {want}"
        return None

    def report(self) -> str:
        p = self.plan
        head = (f"honest={ROLE_NAMES[p.honest]} fault={FAULTS[p.fault]} forge={p.forge} "
                f"winner={ROLE_NAMES.get(self.winner)} reason={self.reason} where={self.where}")
        errs = "; ".join(self.honest_errors[:3])
        return head + "\n  moves: " + " | ".join(self.log) + (f"\n  honest errors: {errs}" if errs else "")


def play(arena: Arena, plan: Plan, max_rounds: int = 200) -> GameResult:
    """One dispute on the arena, played to its end; the chain is reverted after."""
    b = arena.b
    snap = b.snapshot()
    res = GameResult(plan)
    adv_role = plan.adversary
    adv_run = arena.faulty[plan.fault]
    honest_pl = Player(plan.honest, arena.honest)
    adv_pl = ForgedPlayer(adv_role, adv_run, plan.forge)
    party = {SOLVER: "solver", CHALLENGER: "challenger"}
    adv, hon = party[adv_role], party[plan.honest]
    task = arena.tasks["honest" if plan.honest == SOLVER else plan.fault]
    know = Knowledge()
    actors = ("solver", "challenger", "submitter", "treasury")
    before = {w: arena.wealth(w) for w in actors}
    try:
        # --- open ---
        opener = adv_pl if adv_role == CHALLENGER else honest_pl
        base_open = Move("open_dispute", opener.open_args(task))
        dummy = GameView(*([0] * 8 + [ZERO] * 4 + [0] * 8))
        opened = False
        if adv_role == CHALLENGER:
            know.learn([adv_pl, honest_pl], dummy)
            for muts in plan.open.attempts:
                mv = mutate(base_open, muts, dummy, know)
                if _send(b, adv, mv):
                    res.log.append("adv " + describe(mv, muts))
                    opened = True
                    break
        if not opened:
            assert _send(b, "challenger", base_open), "the consistent open_dispute reverted"
            res.log.append(("adv " if adv_role == CHALLENGER else "honest ") + "open_dispute")
        did = b.call("DisputeGame", "dispute_count")
        turns = iter(plan.actions)
        idle = 0
        stuck_at = None
        for _ in range(max_rounds):
            g = _view(b, did)
            if g.phase == PHASE_DONE:
                break
            acted = False
            for side in ((adv, hon) if plan.first else (hon, adv)):
                g = _view(b, did)
                if g.phase == PHASE_DONE:
                    break
                now = b.now()
                if side == adv:
                    acted |= _adversary_turn(b, adv, adv_pl, honest_pl, did, g, now, turns, know, res)
                    continue
                key = (g.moves, g.phase, g.mover, now > g.deadline)
                if key == stuck_at:
                    continue
                try:
                    mv = honest_pl.move(did, g, now)
                except Exception as exc:  # noqa: BLE001 - the honest side cannot compute a move
                    res.honest_errors.append(f"{PHASE_NAME(g)}: {type(exc).__name__}: {exc}")
                    stuck_at = key
                    continue
                if mv is None:
                    continue
                if _send(b, hon, mv):
                    res.log.append(f"honest {mv.fn}")
                    acted = True
                else:
                    res.honest_errors.append(f"{PHASE_NAME(g)}: honest {mv.fn} reverted: {b.last_error}")
                    stuck_at = key
            if not acted:
                g = _view(b, did)
                if g.phase == PHASE_DONE:
                    break
                now = b.now()
                if now <= g.deadline:
                    b.advance(g.deadline - now + 1)
                    res.log.append("(time passes)")
                else:
                    idle += 1
                    if idle > 3:
                        break
        g = _view(b, did)
        res.phase, res.winner, res.reason = g.phase, g.winner, g.reason
        res.where = (g.t, g.j, g.e, g.m)
        if g.phase == PHASE_DONE:  # the end records the outcome; the honest party settles it
            if _send(b, adv, Move("resolve", (did,))):  # the adversary may race it (anyone may resolve)
                res.log.append("adv resolve")
            elif not b.call("DisputeGame", "resolved", did):
                if _send(b, hon, Move("resolve", (did,))):
                    res.log.append("honest resolve")
                else:
                    res.honest_errors.append(f"done: honest resolve reverted: {b.last_error}")
        _claim_credits(b, actors)
        after = {w: arena.wealth(w) for w in actors}
        res.deltas = {w: after[w] - before[w] for w in actors}
        res.expected = expected_deltas(arena, plan, g.reason)
    finally:
        b.revert(snap)
    return res


#: end reasons the registry counts as a proved fault (one-step, padding, start); any other
#: (a timeout) pays the challenger at most TIMEOUT_BOUNTY_BPS of the stake
PROVED_REASONS = (1, 3, 4)
TIMEOUT_BOUNTY_BPS = 500


def expected_deltas(arena: Arena, plan: Plan, reason: int) -> dict:
    """The money each actor gains when the honest party wins (parameters as deployed, the
    task's terms fixed at the claim): the challenger share of the slash only for a win the
    game proved, a bounded bounty for a win by timeout, the rest to the submitter."""
    bond = arena.bond
    if plan.honest == SOLVER:  # the lying challenger's bond: its share to the solver, the rest to the treasury
        to_treasury = bond * arena.treasury_bps // BPS
        return {"solver": bond - to_treasury, "challenger": -bond, "treasury": to_treasury, "submitter": 0}
    share = arena.challenger_bps if reason in PROVED_REASONS else min(arena.challenger_bps, TIMEOUT_BOUNTY_BPS)
    to_challenger = STAKE * share // BPS
    to_treasury = STAKE * arena.treasury_bps // BPS
    return {"solver": -STAKE, "challenger": to_challenger, "treasury": to_treasury,
            "submitter": PAYMENT + STAKE - to_challenger - to_treasury}


def PHASE_NAME(g: GameView) -> str:  # noqa: N802 - reads like a constant table
    from offchain.dispute.player import PHASE_NAMES

    return PHASE_NAMES.get(g.phase, str(g.phase))


def _view(b, did) -> GameView:
    return GameView.from_tuple(b.call("DisputeGame", "game", did))


def _send(b, who: str, mv: Move) -> bool:
    return b.send(who, "DisputeGame", mv.fn, mv.args)


def _claim_credits(b, actors) -> None:
    """Pull every credit the game holds (when credits are pulled, not pushed)."""
    for fn in ("claim_credit", "claim", "withdraw_credit"):
        if b.has("DisputeGame", fn) and b.n_inputs("DisputeGame", fn) == 0:
            for who in actors:
                b.send(who, "DisputeGame", fn, ())


def _synthesized(pl: Player, did: int, g: GameView) -> Move | None:
    """A move for a state where the consistent player would not move (its one step that
    loses, its trace commitment, its reveal), to mutate from."""
    try:
        if g.phase == PHASE_ONESTEP:
            return pl._one_step(did, g)
        if g.phase == PHASE_TRACE:
            return pl._commit_trace(did, g)
        if g.phase == PHASE_SEGMENT:
            return pl._commit_segment(did, g)
        if g.phase in DESCENTS:
            return pl._reveal(did, g)
    except Exception:  # noqa: BLE001 - this party has no such move here
        return None
    return None


def _adversary_turn(b, adv, pl, honest_pl, did, g, now, turns, know, res) -> bool:
    late = now > g.deadline
    try:
        base = pl.move(did, g, now)
    except Exception:  # noqa: BLE001 - after an accepted forgery its own run may not fit
        base = None
    mine = (g.phase in DESCENTS and g.mover == pl.role) \
        or (g.phase in (PHASE_TRACE, PHASE_SEGMENT) and not g.mover & pl.role) or g.phase == PHASE_ONESTEP
    if base is None and (late or not mine):
        return False
    if base is not None and base.fn == "timeout":
        ok = _send(b, adv, base)
        if ok:
            res.log.append("adv timeout")
        return ok
    action = next(turns, BASE)
    if action.stall:
        res.log.append("adv stalls")
        return False
    src = base or _synthesized(pl, did, g)
    if src is None:
        return False
    know.learn([pl, honest_pl], g)
    for muts in action.attempts:
        try:
            mv = mutate(src, muts, g, know)
        except Exception:  # noqa: BLE001 - a mutation that does not apply to this move
            continue
        if _send(b, adv, mv):
            res.log.append(f"adv {describe(mv, muts)} @{PHASE_NAME(g)}")
            return True
    if base is not None and _send(b, adv, base):
        res.log.append(f"adv {base.fn} @{PHASE_NAME(g)}")
        return True
    return False

