"""Proofs of every commitment level verify, and fail once anything is tampered with."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from offchain.commit import proofs, trace
from offchain.commit.tensor import tensor_root
from offchain.runtime import compiler, dataset
from offchain.runtime.opcodes import FIXED_MICRO_STEPS, Op, Ref
from offchain.runtime.replay import Run
from offchain.runtime.train import train


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    data = dataset.digits()
    program = compiler.compile_mlp(compiler.MLPConfig((64, 12, 10), batch=5, lr=0.5, seed=9), data.rows, data.cols)
    out = tmp_path_factory.mktemp("run")
    train(program, data, 6, out, interval=4)
    return Run.open(out, data)


def _flip(b: bytes) -> bytes:
    return bytes([b[0] ^ 1]) + b[1:]


def test_element_proof(run):
    t, j = 5, 3
    root = run.node_root(t, j)
    for e in (0, 7, 8, run.program.step[j].size - 1):
        p = run.prove_tensor_element(t, j, e)
        assert p.value == int(run.outputs(t)[j].reshape(-1)[e])
        assert proofs.verify_element(root, p)
        assert not proofs.verify_element(root, dataclasses.replace(p, value=p.value ^ 1))
        assert not proofs.verify_element(root, dataclasses.replace(p, e=p.e + 8))
        bad_sib = dataclasses.replace(p.leaf, siblings=(_flip(p.leaf.siblings[0]),) + p.leaf.siblings[1:])
        assert not proofs.verify_element(root, dataclasses.replace(p, leaf=bad_sib))


def test_node_root_step_root_and_program_record(run):
    t = 4
    for j in range(run.program.header.n_step):
        p = run.prove_node_root(t, j)
        assert proofs.verify_leaf_value(run.step_root(t), j, run.node_root(t, j), p)
        assert not proofs.verify_leaf_value(run.step_root(t), j, _flip(run.node_root(t, j)), p)
    # the run tree's leaves: the boundary step roots S_0, S_4, S_6 (interval 4, T = 6)
    assert run.step_roots == [run.step_root(t) for t in (0, 4, 6)]
    for i in range(3):
        p = run.prove_step_root(i)
        assert proofs.verify_leaf_value(run.run_root, i, run.step_roots[i], p)
        assert not proofs.verify_leaf_value(run.run_root, (i + 1) % 3, run.step_roots[i], p)
    proot = run.program.root()
    for t, j in ((0, 0), (0, 3), (1, 0), (1, run.program.header.n_step - 1)):
        p = run.prove_program_record(t, j)
        assert int.from_bytes(p.leaf, "big") == run.program.nodes(t)[j].encode()
        assert proofs.verify_leaf(proot, p)
        assert not proofs.verify_leaf(_flip(proot), p)


def test_data_element_proof(run):
    droot = run.data.root()
    p = run.prove_data_element(74 * 3 + 70)
    assert p.value == int(run.data.train[3, 70]) and proofs.verify_element(droot, p)
    assert not proofs.verify_element(droot, dataclasses.replace(p, value=0x3F800001))


@pytest.mark.parametrize("t,j", [(0, 1), (3, 0), (3, 2), (3, 3), (4, 7), (6, 13)])
def test_micro_trace(run, t, j):
    node = run.program.nodes(t)[j]
    for e in (0, node.size - 1):
        tr = run.micro_trace(t, j, e)
        assert tr[0] == 0 and tr[-1] == int(run.outputs(t)[j].reshape(-1)[e])
        assert len(tr) == (node.k if node.op in (Op.MATMUL, Op.SUM) else FIXED_MICRO_STEPS[node.op]) + 1
        root = run.micro_trace_root(t, j, e)
        assert root == tensor_root(np.array(tr, np.uint32))
        for m in (0, len(tr) - 1):
            p = run.prove_trace_state(t, j, e, m)
            assert p.value == tr[m] and proofs.verify_element(root, p)


def test_operand_proofs_every_kind(run):
    t = 5
    roots_kw = {"step_root_t": run.step_root(t), "step_root_prev": run.step_root(t - 1),
                "data_root": run.data.root()}
    seen = set()
    for j, node in enumerate(run.program.step):
        m = max(1, node.k)
        for op in run.prove_operands(t, j, node.size - 1, m):
            seen.add(op.kind)
            assert op.value == run.view(t).read(op.kind, op.index, op.flat)
            assert trace.verify_operand(run.program, t, op, j=j, **roots_kw)
            assert not trace.verify_operand(run.program, t, dataclasses.replace(op, value=op.value ^ 1),
                                            j=j, **roots_kw)
            if op.kind == Ref.DATA:
                assert not trace.verify_operand(run.program, t, op, **{**roots_kw, "data_root": _flip(roots_kw["data_root"])})
            elif op.kind == Ref.NODE:
                assert not trace.verify_operand(run.program, t, op, j=op.index, **roots_kw)  # not left of j
                assert not trace.verify_operand(run.program, t, op, **{**roots_kw, "step_root_t": run.step_root(t - 1)})
            else:
                assert not trace.verify_operand(run.program, t, op, **{**roots_kw, "step_root_prev": run.step_root(t)})
    assert seen == {Ref.NODE, Ref.STATE, Ref.DATA}


def test_operand_values_reproduce_the_trace(run):
    # the one-step check: s_m = next_state(s_{m-1}, proven operands)
    from offchain.runtime import micro

    t, j = 2, 2  # first matmul
    node = run.program.step[j]
    tr = run.micro_trace(t, j, 5)
    for m in (1, node.k // 2, node.k):
        ops = [o.value for o in run.prove_operands(t, j, 5, m)]
        assert micro.next_state(run.program.header, node, j, t, 5, m, tr[m - 1], ops) == tr[m]


def test_out_of_range_queries(run):
    with pytest.raises(ValueError, match="outside 0..6"):
        run.step_root(7)
    with pytest.raises(ValueError, match="out of range"):
        run.prove_tensor_element(1, 0, 10**6)
