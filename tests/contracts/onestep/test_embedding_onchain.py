"""EMBEDDING / EMBEDDING_BWD on chain (OneStepV2 via the OneStepVerifier): the row a token names
(`idx`) is the same bits as micro.embed_index for every class of token bits, micro-step 2's
table operand is the row the agreed s_1 names, and the attacks on it fail.

Attacks: a party that claims another token s_1 than the data holds (the one-step at m = 1
computes the data's token); a proof of the table element at another row (the reference fixes
the leaf and the lane); a token that names no row (-0, negative, fraction, subnormal, inf, NaN,
>= vocabulary: s_2 is the canonical NaN and a table operand is refused by the count).
"""

import random
import struct

import brownie
import pytest
from onestep_cases import tensor_leaves

from offchain.commit import merkle
from offchain.runtime import f32, micro
from offchain.runtime.opcodes import CANONICAL_NAN, Op, Ref
from offchain.runtime.program import Header, Node, Program

V, D, R = 20, 8, 6  # vocabulary, width (one leaf per table row), tokens

TOKENS = [
    0x00000000, 0x80000000, 0x3F800000, 0x41980000, 0x41A00000, 0x41A80000,  # +0 -0 1 19 20 21
    0x3F000000, 0x3FC00000, 0x40100000, 0x00000001, 0x007FFFFF, 0xBF800000, 0xC1800000,
    0x7F800000, 0xFF800000, 0x7FC00000, 0x7F800001, 0xFFC00000, 0x7F7FFFFF, 0x4F000000,
    0x4F800000, 0x4B800001, 0x4B000000,
]


def _bits(x: float) -> int:
    return int.from_bytes(struct.pack(">f", x), "big")


def _setup(tokens: list[int], table: list[int], op: Op = Op.EMBEDDING, cols: int = D):
    """Program: init slot 0 = tokens (1, R), slot 1 = `table` (the EMBEDDING table (V, cols) or
    the EMBEDDING_BWD gradient (R, cols)); step node 0 a filler, node 1 the EMBEDDING(_BWD)
    over STATE 0 / STATE 1; executor.validate accepts it."""
    from offchain.runtime import executor

    n_tok, rows1 = len(tokens), len(table) // cols
    header = Header(2, 4, 5, 5, 2, 7)
    init = (Node(Op.INIT_UNIFORM, (), 1, n_tok), Node(Op.INIT_UNIFORM, (), rows1, cols))
    if op == Op.EMBEDDING:
        node = Node(op, ((Ref.STATE, 0), (Ref.STATE, 1)), n_tok, cols, k=rows1)
    else:  # out (V, cols), k = tokens
        node = Node(op, ((Ref.STATE, 0), (Ref.STATE, 1)), V, cols, k=n_tok)
    step = (Node(Op.RELU, ((Ref.STATE, 0),), 1, n_tok), node,
            Node(Op.SCALE, ((Ref.STATE, 0),), 1, n_tok, c0=0x3F800000),
            Node(Op.SCALE, ((Ref.STATE, 1),), rows1, cols, c0=0x3F800000))
    prog = Program(header, init, step)
    executor.validate(prog)
    tree = merkle.levels(prog.leaves())
    tensors = {0: tokens, 1: table}

    def args(e: int, m: int, prev: int) -> list:
        return [prog.root(), header.encode(), merkle.proof(tree, 0), node.encode(),
                merkle.proof(tree, prog.leaf_index(1, 1)), 1, 1, e, m, prev]

    def operand(slot: int, flat: int):
        leaves = tensor_leaves(tensors[slot])
        return (merkle.root(leaves), leaves[flat // 8], merkle.proof(merkle.levels(leaves), flat // 8))

    return header, node, args, operand


@pytest.fixture(scope="module")
def table():
    rng = random.Random(5)
    return [rng.getrandbits(32) & 0xBFFFFFFF for _ in range(V * D)]  # no NaNs


def test_embed_index_matches_micro_for_every_token_class(onestep_v2):
    """operand_refs at m = 2 (the row) and next_state on chain equal micro's for every class."""
    header = Header(2, 4, 5, 5, 2, 7)
    node = Node(Op.EMBEDDING, ((Ref.STATE, 0), (Ref.STATE, 1)), R, D, k=V)
    rng = random.Random(9)
    toks = TOKENS + [rng.getrandbits(32) for _ in range(12)] + [_bits(float(v)) for v in range(V + 2)]
    e = 2 * D + 5
    for x in toks:
        got = [tuple(r) for r in onestep_v2.operand_refs(header.encode(), node.encode(), 1, e, 2, x)]
        assert got == micro.operand_refs(header, node, 1, e, 2, x), hex(x)
        ops = [x] + ([0x7F800001] if len(got) == 2 else [])
        want = micro.next_state(header, node, 1, 1, e, 2, x, ops)
        assert onestep_v2.next_state(header.encode(), node.encode(), 1, 1, e, 2, x, ops) == want, hex(x)
    assert micro.next_state(header, node, 1, 1, e, 2, _bits(3.0), [_bits(3.0), 0x7F800001]) == CANONICAL_NAN


def test_attack_claim_another_token(verifier, table):
    """s_1 is the token the data holds: the one-step at m = 1 computes it from the proved
    token element, so a party that claims another s_1 (to be judged at m = 2 on another row)
    loses there; a token leaf with another value fails its proof."""
    tokens = [_bits(float(v)) for v in (4, 7, 0, 19, 2, 11)]
    _h, _n, args, operand = _setup(tokens, table)
    r = 3
    state, _ = verifier.one_step_proved(*args(r * D + 2, 1, 0), [operand(0, r)])
    assert state == tokens[r] and state != _bits(18.0)
    root, leaf, proof = operand(0, r)
    lane = r % 8
    forged = leaf[:4 * lane] + _bits(18.0).to_bytes(4, "big") + leaf[4 * lane + 4:]
    with brownie.reverts("onestep: bad operand proof"):
        verifier.one_step_proved(*args(r * D + 2, 1, 0), [(root, forged, proof)])


def test_attack_table_leaf_at_another_row(verifier, table):
    """At m = 2 with the agreed s_1 = 7, the table element is W[7 * D + c]: the leaf of row 8
    (a valid proof of another leaf) is refused; the honest proof gives W[7 * D + c]."""
    tokens = [_bits(float(v)) for v in (4, 7, 0, 19, 2, 11)]
    _h, _n, args, operand = _setup(tokens, table)
    r, c = 1, 3
    e = r * D + c
    state, _ = verifier.one_step_proved(*args(e, 2, tokens[r]), [operand(0, r), operand(1, 7 * D + c)])
    assert state == table[7 * D + c]
    for row in (6, 8, 0, 19):
        with brownie.reverts("onestep: bad operand proof"):
            verifier.one_step_proved(*args(e, 2, tokens[r]), [operand(0, r), operand(1, row * D + c)])
    # the token operand is position 0 at m = 2 as at m = 1: a forged token lane is refused too
    root, leaf, proof = operand(0, r)
    forged = leaf[:4 * r] + _bits(8.0).to_bytes(4, "big") + leaf[4 * r + 4:]
    with brownie.reverts("onestep: bad operand proof"):
        verifier.one_step_proved(*args(e, 2, tokens[r]), [(root, forged, proof), operand(1, 7 * D + c)])


def test_attack_table_lane_of_a_shared_leaf(verifier):
    """Width 2: rows 6..9 share a leaf. The reference fixes the lane, so the party cannot
    read row 7's value for a token 6 from the same (valid) leaf."""
    cols = 2
    rng = random.Random(6)
    table = [rng.getrandbits(32) & 0xBFFFFFFF for _ in range(V * cols)]
    tokens = [_bits(float(v)) for v in (6, 7, 0, 1, 2, 3)]
    _h, _n, args, operand = _setup(tokens, table, cols=cols)
    assert (6 * cols) // 8 == (7 * cols) // 8
    state, _ = verifier.one_step_proved(*args(1, 2, tokens[0]), [operand(0, 0), operand(1, 7 * cols + 1)])
    assert state == table[6 * cols + 1] != table[7 * cols + 1]


@pytest.mark.parametrize("tok", [0x80000000, 0xBF800000, 0x3FC00000, 0x00000001, 0x7F800000, 0xFF800000,
                                 0x7FC00000, 0x7F800001, 0x41A00000, 0x4F800000],
                         ids=["-0", "-1", "1.5", "subnormal", "inf", "-inf", "nan", "snan", "vocab", "2^32"])
def test_attack_out_of_range_token(verifier, table, tok):
    """A token that names no row: s_2 is the canonical NaN, and a table operand (of any row)
    is refused by the operand count; s_1 is still the data's bits."""
    tokens = [_bits(1.0), tok, _bits(2.0), _bits(3.0), _bits(4.0), _bits(5.0)]
    _h, _n, args, operand = _setup(tokens, table)
    e = 1 * D + 4
    assert verifier.one_step_proved(*args(e, 1, 0), [operand(0, 1)])[0] == tok
    assert verifier.one_step_proved(*args(e, 2, tok), [operand(0, 1)])[0] == CANONICAL_NAN
    for row in (0, V - 1):
        with brownie.reverts("onestep: wrong operand count"):
            verifier.one_step_proved(*args(e, 2, tok), [operand(0, 1), operand(1, row * D + 4)])


def test_embedding_bwd_select_accumulate(verifier):
    """EMBEDDING_BWD: micro-step m adds g[m-1, c] only when tok[m-1] names the output row;
    another row, -0 and fractions keep s_{m-1} bits (even a -0 prev)."""
    rng = random.Random(8)
    tokens = [_bits(3.0), _bits(5.0), 0x80000000, _bits(3.5), _bits(3.0), 0x7FC00000]
    gr = [rng.getrandbits(32) & 0xBFFFFFFF for _ in range(R * D)]
    header, node, args, operand = _setup(tokens, gr, op=Op.EMBEDDING_BWD)
    prev = 0x80000000
    for m in range(1, R + 1):
        for row in (3, 5, 0):
            e = row * D + 2
            ops = [operand(0, m - 1), operand(1, (m - 1) * D + 2)]
            want = micro.next_state(header, node, 1, 1, e, m, prev, [tokens[m - 1], gr[(m - 1) * D + 2]])
            got = verifier.one_step_proved(*args(e, m, prev), ops)[0]
            assert got == want
            if micro.embed_index(tokens[m - 1], V) == row:
                assert got == f32.add(prev, gr[(m - 1) * D + 2])
            else:
                assert got == prev  # bits kept, -0 included
        prev = rng.choice([0x80000000, 0, 0x3F800000, rng.getrandbits(32)])
