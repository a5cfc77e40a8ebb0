"""Random programs, nodes and operands for the OneStepVerifier tests.

`random_node(op, rng)` builds a node record of opcode `op` with odd shapes
and random input references; `random_case(rng, op)` adds a header, step,
element, micro-step, previous state and operand bits (edge values
included), everything micro.py and the contract need for one micro-step.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from offchain.commit import merkle
from offchain.runtime import f32, micro
from offchain.runtime.opcodes import Op, Ref
from offchain.runtime.program import Header, Node, Program

EDGE = [
    0x00000000,
    0x80000000,
    0x7F800000,
    0xFF800000,
    0x7FC00000,
    0xFFC00001,
    0x7F800001,
    0x00000001,
    0x807FFFFF,
    0x00800000,
    0x7F7FFFFF,
    0xFF7FFFFF,
    0x3F800000,
    0xBF800000,
    0x4B800000,
    0x33800000,
]


def rand_bits(rng: random.Random) -> int:
    """Float32 bits: an edge value, a random pattern, or a moderate number."""
    pick = rng.random()
    if pick < 0.3:
        return rng.choice(EDGE)
    if pick < 0.5:
        return rng.getrandbits(32)
    exp = rng.randrange(100, 155)  # |x| in about [2^-27, 2^28]
    return rng.getrandbits(1) << 31 | exp << 23 | rng.getrandbits(23)


def rand_ref(rng: random.Random) -> tuple[Ref, int]:
    return (
        (Ref.NODE, rng.randrange(0, 40)) if rng.random() < 0.5 else (Ref.STATE, rng.randrange(0, 6))
    )


def rand_dim(rng: random.Random, small: bool = False) -> int:
    if small:
        return rng.choice([1, 2, 3, 5, 7, 10])
    return rng.choice([1, 1, 2, 3, 5, 7, 10, 13, 64, 784, 1 << 20, (1 << 32) - 1])


def random_header(rng: random.Random, small: bool = False) -> Header:
    if small:  # every input tensor fits in memory; node 47 of the step comes after every NODE input
        return Header(
            n_state=6,
            n_step=48,
            data_rows=rng.randrange(1, 20),
            data_cols=rng.randrange(64, 100),
            batch=rng.randrange(1, 5),
            seed=rng.getrandbits(64),
        )
    return Header(
        n_state=rng.randrange(1, 8),
        n_step=rng.randrange(8, 40),
        data_rows=rng.choice([1, 7, 1797, 60_000, (1 << 32) - 1]),
        data_cols=rng.choice([1, 74, 794, (1 << 32) - 1]),
        batch=rng.randrange(1, 64),
        seed=rng.getrandbits(64),
    )


def random_node(op: Op, rng: random.Random, small: bool = False) -> Node:
    """A node of opcode op; `small` keeps every operand index below a few thousand."""
    r, c = rand_dim(rng, small), rand_dim(rng, small)
    a, b = rand_ref(rng), rand_ref(rng)
    fbits = rand_bits(rng)
    if op == Op.INIT_UNIFORM:
        return Node(op, (), r, c, c0=fbits)
    if op == Op.GATHER:
        if small:
            return Node(
                op,
                ((Ref.DATA, 0),),
                rng.randrange(1, 5),
                rng.randrange(1, 30),
                c0=rng.randrange(30),
            )
        return Node(
            op, ((Ref.DATA, 0),), rng.randrange(1, 64), rand_dim(rng), c0=rng.getrandbits(32)
        )
    if op == Op.IM2COL:
        h, w = (
            (rng.randrange(1, 8), rng.randrange(1, 8))
            if small
            else (rng.randrange(1, 256), rng.randrange(1, 256))
        )
        kh, kw = rng.randrange(1, min(h, 7) + 1), rng.randrange(1, min(w, 7) + 1)
        patches = (h - kh + 1) * (w - kw + 1)
        return Node(
            op,
            ((Ref.DATA, 0),),
            rng.randrange(1, 5 if small else 64) * patches,
            kh * kw,
            c0=h << 24 | w << 16 | kh << 8 | kw,
            c1=rng.randrange(8) if small else rng.getrandbits(32),
        )
    if op == Op.MATMUL:
        ks = [1, 2, 3, 17] if small else [1, 2, 3, 17, 784, (1 << 32) - 1]
        return Node(op, (a, b), r, c, k=rng.choice(ks), c0=rng.randrange(4))
    if op == Op.SUM:
        axis, k = (
            rng.randrange(2),
            rng.choice([1, 2, 5, 100] if small else [1, 2, 5, 100, (1 << 32) - 1]),
        )
        return Node(op, (a,), 1 if axis == 0 else r, c if axis == 0 else 1, k=k, c0=axis)
    if op in (Op.SCALE, Op.MSE_GRAD, Op.SGD):
        return Node(op, (a, b) if op != Op.SCALE else (a,), r, c, c0=fbits)
    if op == Op.RELU:
        return Node(op, (a,), r, c)
    # op set v2
    ks = [1, 2, 3, 10, 17] if small else [1, 2, 3, 10, 784, (1 << 31) - 1]
    # --- batched MATMUL (section 5.4): c1 batches stacked in rows, c0 any of the three flags ---
    if op == Op.BMATMUL:
        nb = rng.choice([1, 2, 3] if small else [1, 2, 7, 1 << 10])
        rpb = rng.choice([1, 2, 3, 5] if small else [1, 2, 3, 5, 784, 1 << 20])
        return Node(op, (a, b), nb * rpb, c, k=rng.choice(ks), c0=rng.randrange(8), c1=nb)
    # --- end batched MATMUL ---
    if op in (Op.SQRT, Op.RSQRT, Op.EXP, Op.LOG):
        return Node(op, (a,), r, c)
    if op == Op.ROW_MAX:
        return Node(op, (a,), r, 1, k=rng.choice(ks))
    if op == Op.SOFTMAX_XENT:
        return Node(op, (a, b, rand_ref(rng)), r, 1, k=rng.choice(ks))
    if op == Op.SOFTMAX_XENT_GRAD:
        k = rng.choice(ks[:-1])
        return Node(op, (a, b, rand_ref(rng)), r, k, k=k, c0=fbits)
    if op == Op.ADAM:
        return Node(op, (a, b, rand_ref(rng)), r, c, c0=fbits, c1=rand_bits(rng))
    if op in (Op.SOFTMAX, Op.SOFTMAX_BWD):
        k = rng.choice(ks[:-1])
        return Node(op, (a, b), r, k, k=k)
    if op == Op.GELU:
        return Node(op, (a,), r, c)
    # layer norm: every row length an int32 (from_int(D))
    if op == Op.LN_RSTD:
        return Node(op, (a, b), r, 1, k=rng.choice(ks), c0=fbits)
    if op == Op.LN_NORM:
        return Node(op, (a, b, rand_ref(rng)), r, rng.choice(ks))
    if op in (Op.LN_SCALE, Op.LN_BWD):
        return Node(op, (a, b), r, rng.choice(ks))
    if op in (Op.EMBEDDING, Op.EMBEDDING_BWD):  # EMBEDDING block: k = vocabulary / tokens
        return Node(op, (a, b), r, c, k=rng.choice(ks))
    return Node(op, (a, b), r, c)  # ADD SUB MUL BIAS_ADD RELU_BWD DIV ADAM_M ADAM_V GELU_BWD


@dataclass
class Case:
    header: Header
    node: Node
    j: int
    t: int
    e: int
    m: int
    prev: int
    operands: list[int]

    def refs(self) -> list[tuple[Ref, int, int]]:
        return micro.operand_refs(self.header, self.node, self.t, self.e, self.m, self.prev)

    def expected(self) -> int:
        return micro.next_state(
            self.header, self.node, self.j, self.t, self.e, self.m, self.prev, self.operands
        )


def random_case(rng: random.Random, op: Op, small: bool = False) -> Case:
    """One micro-step of a random node of opcode op; `small` as in random_node and
    random_header, with j the last step node so that every NODE input comes before it."""
    header = random_header(rng, small)
    node = random_node(op, rng, small)
    size = node.rows * node.cols
    e = rng.choice([0, size - 1, rng.randrange(size)])
    k = micro.num_micro_steps(node)
    m = rng.choice([1, k, rng.randrange(1, k + 1)])
    t = 0 if op == Op.INIT_UNIFORM else rng.choice([1, 2, rng.getrandbits(20) + 1])
    j = rng.randrange(header.n_state) if t == 0 else rng.randrange(header.n_step)
    if small and t > 0:
        j = header.n_step - 1
    case = Case(header, node, j, t, e, m, rand_bits(rng), [])
    if op in (Op.EMBEDDING, Op.EMBEDDING_BWD) and rng.random() < 0.6:  # a token that names a row
        case.prev = f32.from_int(min(rng.choice([0, 1, node.k - 1, rng.randrange(node.k)]), (1 << 31) - 1))
    case.operands = [rand_bits(rng) for _ in case.refs()]
    if op == Op.EMBEDDING_BWD and rng.random() < 0.5:  # the token names this element's row
        case.operands[0] = f32.from_int(min(e // node.cols, (1 << 31) - 1))
    return case


def program_with(case: Case, rng: random.Random) -> Program:
    """A program whose node j of step case.t is case.node, the other nodes random."""
    hd = case.header
    ops = list(Op)

    def filler(count: int) -> list[Node]:
        return [random_node(rng.choice(ops), rng) for _ in range(count)]

    init, step = filler(hd.n_state), filler(hd.n_step)
    (init if case.t == 0 else step)[case.j] = case.node
    return Program(hd, tuple(init), tuple(step))


def word(x: int) -> bytes:
    return x.to_bytes(32, "big")


def tensor_leaves(words: list[int]) -> list[bytes]:
    """Tensor packing: 8 big-endian uint32 words per leaf, lane 0 first, last leaf zero-filled."""
    padded = list(words) + [0] * (-len(words) % 8)
    return [
        b"".join(w.to_bytes(4, "big") for w in padded[i : i + 8]) for i in range(0, len(padded), 8)
    ]


def prove_operands(case: Case, rng: random.Random) -> list[tuple[bytes, bytes, list[bytes]]]:
    """Random input tensors covering the case's operands; sets case.operands from them
    and returns the (tensor_root, leaf, proof) of each operand."""
    refs = case.refs()
    sizes: dict[tuple[Ref, int], int] = {}
    for kind, index, flat in refs:
        sizes[(kind, index)] = max(sizes.get((kind, index), 0), flat + 1 + rng.randrange(0, 17))
    tensors = {key: [rand_bits(rng) for _ in range(n)] for key, n in sizes.items()}
    case.operands = [tensors[(kind, index)][flat] for kind, index, flat in refs]
    out = []
    for kind, index, flat in refs:
        leaves = tensor_leaves(tensors[(kind, index)])
        tree = merkle.levels(leaves)
        out.append((merkle.root(leaves), leaves[flat // 8], merkle.proof(tree, flat // 8)))
    return out


def proved_case(rng: random.Random, op: Op):
    """A small random case, a program holding it, and its operands as one_step_proved takes
    them: (tensor_root, leaf, proof). Every input tensor has exactly the element count the
    verifier derives from node j's own record (micro.input_count: the header's data_rows *
    data_cols for DATA), as the exact proofs require; a case whose operand does not fit
    that count (a DATA index past the dataset, one input read at two sizes) is redrawn."""
    for _ in range(100):
        c = random_case(rng, op, small=True)
        prog = program_with(c, rng)
        sizes: dict[tuple[Ref, int], int] = {}
        ok = True
        for i, (kind, index, flat) in enumerate(c.refs()):
            n = micro.input_count(c.header, c.node, i, kind)
            ok &= flat < n and sizes.setdefault((kind, index), n) == n
        if not ok:
            continue
        tensors = {key: [rand_bits(rng) for _ in range(n)] for key, n in sizes.items()}
        c.operands = [tensors[(kind, index)][flat] for kind, index, flat in c.refs()]
        out = []
        for kind, index, flat in c.refs():
            leaves = tensor_leaves(tensors[(kind, index)])
            out.append((merkle.root(leaves), leaves[flat // 8], merkle.proof(merkle.levels(leaves), flat // 8)))
        return c, prog, out
    raise AssertionError(f"no coverable case for {op.name}")
