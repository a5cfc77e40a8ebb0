"""End to end: disputes over op set v2 nodes are pinpointed and won by the one-step check.

`run_demo` (deploy, task, solver commit, dispute played by both drivers on
a fresh Anvil) on the tiny digits MLP with softmax cross-entropy and AdamW
(hidden 4, batch 2, 3 steps). Node indices of that program (step t >= 1):
7 ROW_MAX, 8 MUL (y*z), 9 SOFTMAX_XENT, 10 EXP (perplexity), 11
SOFTMAX_XENT_GRAD, 18-21 ADAM_M, 22-25 ADAM_V, 26-29 ADAM. DIV, SQRT,
RSQRT, LOG, SOFTMAX, SOFTMAX_BWD, GELU, GELU_BWD and BMATMUL (causal and
not), which the MLP does not use, are inserted as extra metric nodes after
node 10 (`_with_extra_nodes`); so is a layer norm of the logits with its
backward (`_with_layernorm_nodes`). EMBEDDING and EMBEDDING_BWD likewise
(`_with_embedding_nodes`, tokens from the pixels).
"""

import pytest

from offchain.dispute.demo import default_program, run_demo
from offchain.dispute.run import Fault
from offchain.runtime import executor, micro
from offchain.runtime import opcodes as oc
from offchain.runtime.opcodes import Op, Ref
from offchain.runtime.program import Node, Program

STEPS = 3


def _play(fault, program=None):
    # checkpoint interval 1: every step is a boundary of the run tree, so a fault in a metric
    # node (loss, perplexity: they never reach the state) still changes a committed root; the
    # segment phase itself is tested in tests/contracts/dispute/test_segment.py
    return run_demo(STEPS, fault=fault, hidden=4, batch=2, echo=lambda _s: None, loss="xent",
                    optimizer="adam", program=program, interval=1)


def _check(res, fault):
    assert (res.winner, res.by) == ("challenger", "onestep")
    assert (res.t, res.j, res.e) == (fault.t, fault.j, fault.e)


def test_program_layout():
    prog, _ = default_program(STEPS, 4, 2, loss="xent", optimizer="adam")
    ops = [n.op for n in prog.step]
    assert ops[7:12] == [Op.ROW_MAX, Op.MUL, Op.SOFTMAX_XENT, Op.EXP, Op.SOFTMAX_XENT_GRAD]
    assert ops[18:] == [Op.ADAM_M] * 4 + [Op.ADAM_V] * 4 + [Op.ADAM] * 4


@pytest.mark.parametrize("fault", [
    pytest.param(Fault(2, 9, 1), id="softmax_xent"),
    pytest.param(Fault(STEPS, 26, 37), id="adam-last-step"),
    pytest.param(Fault(1, 10, 0), id="exp"),
])
def test_v2_fault_pinpointed(fault):
    _check(_play(fault), fault)


@pytest.mark.slow
@pytest.mark.parametrize("fault", [
    pytest.param(Fault(2, 7, 1), id="row_max"),
    pytest.param(Fault(1, 11, 13), id="softmax_xent_grad"),
    pytest.param(Fault(2, 18, 100), id="adam_m"),
    pytest.param(Fault(1, 25, 3), id="adam_v"),
    pytest.param(Fault(2, 28, 5), id="adam-mid-step"),
])
def test_v2_fault_pinpointed_more(fault):
    _check(_play(fault), fault)


def _with_extra_nodes(extra_ops: list[Op | Node]) -> tuple[Program, object]:
    """The xent/adam program with one metric node per op in extra_ops inserted after
    node 10 (perplexity), each reading the loss (node 9) and perplexity (node 10);
    a Node in extra_ops is inserted as it is (its inputs must be nodes < 11)."""
    prog, data = default_program(STEPS, 4, 2, loss="xent", optimizer="adam")
    q = 11
    extra = []
    for op in extra_ops:
        if isinstance(op, Node):
            extra.append(op)
        elif op in (Op.SOFTMAX, Op.SOFTMAX_BWD):  # softmax of the logits (6) with their row max (7),
            ins = ((Ref.NODE, 6), (Ref.NODE, 7)) if op == Op.SOFTMAX else ((Ref.NODE, 8), (Ref.NODE, q))
            extra.append(Node(op, ins, 2, 10, k=10))  # its backward with upstream y*z (8)
        elif op in (Op.GELU, Op.GELU_BWD):  # on the logits (6); backward with upstream y*z (8)
            extra.append(Node(op, ((Ref.NODE, 6), (Ref.NODE, 8)) if op == Op.GELU_BWD else ((Ref.NODE, 6),), 2, 10))
        else:
            ins = ((Ref.NODE, 9), (Ref.NODE, 10)) if op == Op.DIV else ((Ref.NODE, 10),)
            extra.append(Node(op, ins, 2, 1))
    return _insert(prog, data, q, extra)


def _insert(prog: Program, data, q: int, extra: list[Node]) -> tuple[Program, object]:
    """prog with the nodes `extra` inserted at step index q (their NODE refs absolute)."""
    out = prog.insert_step_nodes(q, extra)
    executor.validate(out)
    return out, data


@pytest.mark.slow
@pytest.mark.parametrize("op, j", [(Op.DIV, 11), (Op.SQRT, 12), (Op.RSQRT, 13), (Op.LOG, 14)],
                         ids=["div", "sqrt", "rsqrt", "log"])
def test_v2_elementwise_fault_pinpointed(op, j):
    program = _with_extra_nodes([Op.DIV, Op.SQRT, Op.RSQRT, Op.LOG])
    assert program[0].step[j].op == op
    fault = Fault(2, j, 1)
    _check(_play(fault, program), fault)


@pytest.mark.slow
@pytest.mark.parametrize("op, j", [(Op.SOFTMAX, 11), (Op.SOFTMAX_BWD, 12), (Op.GELU, 13), (Op.GELU_BWD, 14)],
                         ids=["softmax", "softmax_bwd", "gelu", "gelu_bwd"])
def test_v2_layer_fault_pinpointed(op, j):
    program = _with_extra_nodes([Op.SOFTMAX, Op.SOFTMAX_BWD, Op.GELU, Op.GELU_BWD])
    assert program[0].step[j].op == op
    fault = Fault(2, j, 13)
    _check(_play(fault, program), fault)


def _with_layernorm_nodes() -> tuple[Program, object]:
    """The xent/adam program with a layer norm of the logits (node 6, 2 x 10) and its
    backward (upstream y*z, node 8) inserted after node 10 as metric nodes:
    11 SUM axis 1 (row sum), 12 LN_RSTD, 13 LN_NORM (xhat), 14 SUM axis 0 of the
    logits (a 1 x 10 gain), 15 LN_SCALE, 16 LN_BWD, 17 LN_NORM (dx from node 16)."""
    prog, data = default_program(STEPS, 4, 2, loss="xent", optimizer="adam")
    N = Ref.NODE
    eps = 0x3727C5AC  # 1e-5
    extra = [
        Node(Op.SUM, ((N, 6),), 2, 1, k=10, c0=1),
        Node(Op.LN_RSTD, ((N, 6), (N, 11)), 2, 1, k=10, c0=eps),
        Node(Op.LN_NORM, ((N, 6), (N, 11), (N, 12)), 2, 10),
        Node(Op.SUM, ((N, 6),), 1, 10, k=2, c0=0),
        Node(Op.LN_SCALE, ((N, 13), (N, 14)), 2, 10),
        Node(Op.LN_BWD, ((N, 8), (N, 13)), 2, 10),
        Node(Op.LN_NORM, ((N, 16), (N, 11), (N, 12)), 2, 10),
    ]
    return _insert(prog, data, 11, extra)


def test_layernorm_fault_pinpointed():
    """A fault in the LN_NORM node (xhat) is found at its step, node and element and
    decided by the one-step check (OneStepV2's LN_NORM semantics on chain)."""
    program = _with_layernorm_nodes()
    assert program[0].step[13].op == Op.LN_NORM
    fault = Fault(2, 13, 13)
    _check(_play(fault, program), fault)


@pytest.mark.slow
@pytest.mark.parametrize("op, j, e", [(Op.LN_RSTD, 12, 1), (Op.LN_SCALE, 15, 7), (Op.LN_BWD, 16, 13),
                                      (Op.LN_NORM, 17, 4)],
                         ids=["ln_rstd", "ln_scale", "ln_bwd", "ln_norm-dx"])
def test_layernorm_faults_pinpointed_more(op, j, e):
    program = _with_layernorm_nodes()
    assert program[0].step[j].op == op
    fault = Fault(2, j, e)
    _check(_play(fault, program), fault)


# --- batched MATMUL (BMATMUL, docs/reproducible-ops.md section 5.4) ---
# the logits (node 6, 2 x 10 = 20 words) read as 2 batches of (5, 2): causal scores
# logits @ logits^T per batch (10, 5), masked above the diagonal; and a product with both
# operands stored transposed, logits^T-blocks @ (y*z)^T-blocks (node 8)
_BMM_CAUSAL = Node(Op.BMATMUL, ((Ref.NODE, 6), (Ref.NODE, 6)), 10, 5, k=2,
                   c0=oc.BMM_TRANSPOSE_B | oc.BMM_CAUSAL, c1=2)
_BMM_TT = Node(Op.BMATMUL, ((Ref.NODE, 6), (Ref.NODE, 8)), 10, 5, k=2,
               c0=oc.BMM_TRANSPOSE_A | oc.BMM_TRANSPOSE_B, c1=2)


def _bmm_program():
    program = _with_extra_nodes([_BMM_CAUSAL, _BMM_TT])
    assert program[0].step[11] == _BMM_CAUSAL and program[0].step[12] == _BMM_TT
    return program


def test_bmatmul_masked_element_fault_pinpointed():
    """A fault in a causally masked score (element 7: batch 0, row 1, column 2; its honest
    trace is -inf at every micro-step with no operands) is won by the one-step check."""
    program = _bmm_program()
    _nb, rows_per_batch, _ta, _tb, causal = micro.bmm_geometry(_BMM_CAUSAL)
    rr, col = divmod(7, 5)
    assert causal and col > rr % rows_per_batch
    fault = Fault(2, 11, 7)
    _check(_play(fault, program), fault)


@pytest.mark.slow
@pytest.mark.parametrize("j, e", [(11, 31), (12, 17)], ids=["causal-unmasked", "both-transposed"])
def test_bmatmul_fault_pinpointed_more(j, e):
    fault = Fault(2, j, e)
    _check(_play(fault, _bmm_program()), fault)
# --- end batched MATMUL ---
# --- EMBEDDING (h-embed) ------------------------------------------------------------------
# Token ids from the data: the digits pixels are v/16 (v = 0..16), so SCALE(x, 16) holds the
# integers 0..16 (tok, node 11); the first-layer weights W_0 (slot 8, 64 x 4) serve as a
# 64-row table. Node 12 = EMBEDDING(tok, W_0), node 13 = EMBEDDING(x, W_0) (raw pixels: 0 and
# 1.0 name rows 0 and 1, fractions name no row -> canonical NaN), node 14 = EMBEDDING_BWD(tok,
# node 12) (64 x 4, 128 select-accumulate micro-steps). All are metric nodes.

SIXTEEN = 0x41800000  # 16.0


def _with_embedding_nodes() -> tuple[Program, object]:
    prog, data = default_program(STEPS, 4, 2, loss="xent", optimizer="adam")
    assert prog.meta["param_offset"] == 8 and (prog.init[8].rows, prog.init[8].cols) == (64, 4)
    N, S = Ref.NODE, Ref.STATE
    q = 11
    extra = [
        Node(Op.SCALE, ((N, 0),), 2, 64, c0=SIXTEEN),  # 11: tokens 0..16
        Node(Op.EMBEDDING, ((N, 11), (S, 8)), 128, 4, k=64),  # 12
        Node(Op.EMBEDDING, ((N, 0), (S, 8)), 128, 4, k=64),  # 13: raw pixels, most name no row
        Node(Op.EMBEDDING_BWD, ((N, 11), (N, 12)), 64, 4, k=128),  # 14
    ]
    return _insert(prog, data, q, extra)


def _token_element(program: Program, data, t: int, node: int, valid: bool) -> int:
    """An output element of EMBEDDING node `node` at step t whose token names a row (or not)."""
    from offchain.runtime import micro

    outs = list(executor.run_steps(program, data.train, 0, t, [], "reference"))[-1][1]
    tok = outs[program.step[node].inputs[0][1]].reshape(-1)
    cols = program.step[node].cols
    for r, x in enumerate(tok.tolist()):
        if (micro.embed_index(x, program.step[node].k) >= 0) == valid and (not valid or x != 0):
            return r * cols + 1
    raise AssertionError("no such token in the batch")


def test_embedding_fault_pinpointed():
    """A lie about EMBEDDING's output (a token that names a nonzero row) loses at the one-step
    check of micro-step 2, whose table operand is the row the agreed token s_1 names."""
    program = _with_embedding_nodes()
    assert [n.op for n in program[0].step[11:15]] == [Op.SCALE, Op.EMBEDDING, Op.EMBEDDING, Op.EMBEDDING_BWD]
    fault = Fault(2, 12, _token_element(*program, 2, 12, True))
    res = _play(fault, program)
    _check(res, fault)
    assert res.m == 2  # the table row named by the agreed token, proved against W_0's root


def test_attack_embedding_claims_another_token():
    """A solver whose micro-trace for an EMBEDDING element claims another token s_1 than the
    data holds (so that micro-step 2 would read another table row) differs from the honest
    trace at m = 1: the one-step there computes the data's token and the liar loses."""
    from offchain.dispute.run import PartyRun

    program, data = _with_embedding_nodes()
    fault = Fault(2, 12, _token_element(program, data, 2, 12, True))

    class TokenLiar(PartyRun):
        def trace(self, t, j, e):
            tr = super().trace(t, j, e)
            if (t, j, e) == (fault.t, fault.j, fault.e):
                tr[1] = 0x40A00000 if tr[1] != 0x40A00000 else 0x40C00000  # token 5.0 (or 6.0)
            return tr

    honest = PartyRun(program, data.train, STEPS, interval=1)
    liar = TokenLiar(program, data.train, STEPS, fault=fault, base=honest, interval=1)
    res = run_demo(STEPS, hidden=4, batch=2, echo=lambda _s: None, runs=(liar, honest),
                   program=(program, data))
    _check(res, fault)
    assert res.m == 1


@pytest.mark.slow
@pytest.mark.parametrize("j, valid", [(13, False), (14, True)], ids=["embedding-no-row", "embedding_bwd"])
def test_embedding_more_faults_pinpointed(j, valid):
    """A token that names no row (the output is the canonical NaN; the lie flips its low bit),
    and EMBEDDING_BWD (the fault element in a row that tokens hit)."""
    program = _with_embedding_nodes()
    if j == 13:
        e = _token_element(*program, 2, 13, False)
    else:  # row 3 * 4 + 1 of dW: pixel value 3 appears in almost every digit
        e = 3 * 4 + 1
    fault = Fault(2, j, e)
    res = _play(fault, program)
    _check(res, fault)
    assert res.m == (2 if j == 13 else 128)  # the NaN step; the last token's select-accumulate


# --- end EMBEDDING ------------------------------------------------------------------------
