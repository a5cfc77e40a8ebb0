"""Program validation, input checks and the backend registry."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from runtime_oracle import one_node_program

from offchain.runtime import executor
from offchain.runtime.compiler import MLPConfig, compile_mlp
from offchain.runtime.opcodes import Op, Ref
from offchain.runtime.program import Header, Node, Program


def _mlp() -> Program:
    return compile_mlp(MLPConfig((5, 7, 3), batch=4), 11, 8)


def _replace_step(prog: Program, j: int, node: Node) -> Program:
    step = list(prog.step)
    step[j] = node
    return dataclasses.replace(prog, step=tuple(step))


def test_compiled_programs_validate():
    executor.validate(_mlp())


@pytest.mark.parametrize("mutate,msg", [
    (lambda n: dataclasses.replace(n, inputs=((Ref.NODE, 9), n.inputs[1])), "not an earlier node"),
    (lambda n: dataclasses.replace(n, inputs=((Ref.STATE, 99), n.inputs[1])), "out of range"),
    (lambda n: dataclasses.replace(n, k=6), "input sizes"),
    (lambda n: dataclasses.replace(n, k=0), "k field must be >= 1"),
    (lambda n: dataclasses.replace(n, c0=4), "transpose bits"),
    (lambda n: dataclasses.replace(n, c1=1), "c1 must be 0"),
    (lambda n: dataclasses.replace(n, inputs=n.inputs[:1]), "takes 2 inputs"),
    (lambda n: dataclasses.replace(n, inputs=((Ref.DATA, 0), n.inputs[1])), "cannot read DATA"),
])
def test_bad_matmul_rejected(mutate, msg):
    prog = _mlp()
    j = next(i for i, n in enumerate(prog.step) if n.op == Op.MATMUL)
    with pytest.raises(ValueError, match=msg):
        executor.validate(_replace_step(prog, j, mutate(prog.step[j])))


def test_bad_gather_and_elementwise_rejected():
    prog = _mlp()
    with pytest.raises(ValueError, match="rows 5 != batch 4"):
        executor.validate(_replace_step(prog, 0, dataclasses.replace(prog.step[0], rows=5)))
    with pytest.raises(ValueError, match="past the dataset width"):
        executor.validate(_replace_step(prog, 0, dataclasses.replace(prog.step[0], c0=4)))
    j = next(i for i, n in enumerate(prog.step) if n.op == Op.RELU)
    with pytest.raises(ValueError, match="differ from output size"):
        executor.validate(_replace_step(prog, j, dataclasses.replace(prog.step[j], cols=8)))
    with pytest.raises(ValueError, match="c0 must be 0"):
        executor.validate(_replace_step(prog, j, dataclasses.replace(prog.step[j], c0=1)))


def test_state_shape_and_counts_checked():
    prog = _mlp()
    last = len(prog.step) - 1
    bad = dataclasses.replace(prog.step[last], rows=3, cols=1)  # slot 3 is (1, 3)
    with pytest.raises(ValueError, match="state slot 3 changes shape"):
        executor.validate(_replace_step(prog, last, bad))
    with pytest.raises(ValueError, match="header node counts"):
        executor.validate(dataclasses.replace(prog, header=dataclasses.replace(prog.header, n_step=3)))
    init_reads_state = Node(Op.SCALE, ((Ref.STATE, 0),), 5, 7, 0, 0x3F800000)
    with pytest.raises(ValueError, match="cannot read state"):
        executor.validate(dataclasses.replace(prog, init=(init_reads_state,) + prog.init[1:]))
    with pytest.raises(ValueError, match="only in the initialisation"):
        executor.validate(_replace_step(prog, 2, Node(Op.INIT_UNIFORM, (), 4, 7, 0, 0)))


def test_sum_axis_checked():
    node = Node(Op.SUM, ((Ref.STATE, 0),), 1, 3, 4, 2)
    with pytest.raises(ValueError, match="axis must be 0 or 1"):
        executor.validate(one_node_program(node, [(4, 3)]))
    node = Node(Op.SUM, ((Ref.STATE, 0),), 2, 3, 4, 0)
    with pytest.raises(ValueError, match="axis 0 needs output"):
        executor.validate(one_node_program(node, [(4, 3)]))


def test_inputs_checked():
    prog = _mlp()
    data = np.zeros((11, 8), np.uint32)
    state = executor.state_after(prog, 0, executor.run_step(prog, 0, [], data))
    with pytest.raises(ValueError, match="dataset must be uint32"):
        executor.run_step(prog, 1, state, data.astype(np.float32))
    with pytest.raises(ValueError, match="expected 4 state tensors"):
        executor.run_step(prog, 1, state[:3], data)
    with pytest.raises(ValueError, match="state slot 0 must be uint32"):
        executor.run_step(prog, 1, [state[0].T.copy()] + state[1:], data)


def test_registry():
    with pytest.raises(ValueError, match="unknown backend 'nope'"):
        executor.get_backend("nope")
    assert "reference" in executor.available_backends()
    calls = []

    def fake(program, t, state, data):
        calls.append(t)
        return []

    executor.register_backend("fake-for-test", fake)
    prog = one_node_program(Node(Op.RELU, ((Ref.STATE, 0),), 1, 1), [(1, 1)])
    executor.run_step(prog, 0, [], np.zeros((1, 1), np.uint32), backend="fake-for-test")
    assert calls == [0]


def test_header_version_checked():
    prog = one_node_program(Node(Op.RELU, ((Ref.STATE, 0),), 1, 1), [(1, 1)])
    bad = dataclasses.replace(prog, header=Header(1, 2, 1, 1, 1, 0, version=2))
    with pytest.raises(ValueError, match="unsupported program version 2"):
        executor.validate(bad)


def _operand_sizes(prog: Program):
    """(t, j, node, operand position, on-chain count, producer's true size) for every operand."""
    from offchain.runtime import micro

    for t, nodes in ((0, prog.init), (1, prog.step)):
        for j, node in enumerate(nodes):
            k = micro.num_micro_steps(node)
            for m in range(1, k + 1):
                for i, (kind, index, _flat) in enumerate(micro.operand_refs(prog.header, node, t, 0, m)):
                    true = executor._ref_size(prog, t, j, kind, index)
                    yield t, j, node, i, micro.input_count(prog.header, node, i, kind), true


def test_onestep_operand_counts_are_true_sizes_in_compiled_programs():
    """The one-step verifier derives each operand tensor's element count from node j's own
    record (micro.input_count); in every compiled model it is the producer's true size, at
    every micro-step of every node."""
    from offchain.runtime.compiler import CNNConfig, compile_cnn

    progs = [_mlp(), compile_mlp(MLPConfig((6, 5, 4, 3), batch=3), 9, 9),
             compile_cnn(CNNConfig(image=(5, 6), kernel=3, filters=2, classes=3, batch=2), 7, 33)]
    n = 0
    for prog in progs:
        for t, j, node, i, got, true in _operand_sizes(prog):
            assert got == true, (t, j, node.op.name, i)
            n += 1
    assert n > 100


@pytest.mark.parametrize("j,node", [
    # MATMUL A is rows * k: k one larger makes the derived count differ from the producer's size
    (2, lambda n: dataclasses.replace(n, k=n.k + 1)),
    # BIAS_ADD's bias read as a full (rows, cols) tensor
    (3, lambda n: dataclasses.replace(n, op=Op.ADD)),
])
def test_attack_operand_count_differs_from_producer(monkeypatch, j, node):
    """A program whose on-chain operand count (from node j's record) is not the producer's
    true size would let an operand proof have the wrong height. validate refuses it through
    `_check_operand_counts` even with the shape checks of `_check_node` switched off (the
    rule the contract uses is checked as such, not only implied by the shape rules)."""
    prog = _mlp()
    assert prog.step[j].op == (Op.MATMUL if j == 2 else Op.BIAS_ADD)
    bad = _replace_step(prog, j, node(prog.step[j]))
    monkeypatch.setattr(executor, "_check_node", lambda *a: None)
    with pytest.raises(ValueError, match="the one-step verifier assumes"):
        executor.validate(bad)
    executor.validate(prog)
