"""Gas of the one-step check: the float32 primitives and (later) each opcode.

Starts its own Anvil on a free port, deploys the test harnesses from the
brownie build artifacts (compiling the project first if needed), and prints
per-section gas figures. Section "primitives" (softfloat32): the gas of one
internal call of each primitive (op set v2: div, sqrt, exp, log, tanh too), measured with msg.gas around the call in
FloatBatchHarness (minus the cost of the two msg.gas reads), over
representative operands (normal, subnormal, rounding ties, specials), with
eth_estimateGas of the FloatHarness external call for reference.

The last line is `onestep max gas: N`, N the maximum over every figure
measured by every section. Add a section as a function `(Bench) -> int`
returning its maximum, and list it in SECTIONS.

    python bench/gas_onestep.py
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from web3 import Web3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from offchain.commit import merkle  # noqa: E402
from offchain.runtime import f32, micro  # noqa: E402
from offchain.runtime import opcodes as oc  # noqa: E402
from offchain.runtime.opcodes import Op, Ref  # noqa: E402
from offchain.runtime.program import Header, Node, Program  # noqa: E402

SIGN = 0x80000000


@dataclass
class Bench:
    """A running Anvil node with a funded sender; deploys build artifacts."""

    w3: Web3
    sender: str

    def deploy(self, name: str, *args):
        art = json.loads((ROOT / "build" / "contracts" / f"{name}.json").read_text())
        factory = self.w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
        tx = factory.constructor(*args).transact({"from": self.sender})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        return self.w3.eth.contract(address=receipt.contractAddress, abi=art["abi"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _compile() -> None:
    """Compile with brownie when the artifacts are missing or stale."""
    needed = ["FloatHarness", "FloatBatchHarness", "OneStepV2", "OneStepVerifier", "MerkleHarness", "OneStepGasProbe"]
    build = ROOT / "build" / "contracts"
    sources = list((ROOT / "contracts").rglob("*.vy"))
    newest = max(p.stat().st_mtime for p in sources)
    if all((build / f"{n}.json").exists() for n in needed) and all(
        (build / f"{n}.json").stat().st_mtime >= newest for n in needed
    ):
        return
    brownie = ROOT / ".venv" / "bin" / "brownie"
    subprocess.run([str(brownie), "compile"], cwd=ROOT, check=True, capture_output=True)


def start_anvil() -> tuple[subprocess.Popen, Web3]:
    anvil = shutil.which("anvil", path=f"{ROOT / 'node_modules' / '.bin'}:{os.environ['PATH']}")
    if anvil is None:
        raise SystemExit("gas_onestep: anvil not found (run `make setup`)")
    port = _free_port()
    proc = subprocess.Popen(
        [anvil, "--port", str(port), "--gas-limit", "30000000", "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}"))
    for _ in range(200):
        try:
            if w3.is_connected():
                return proc, w3
        except Exception:
            pass
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("gas_onestep: anvil did not start")


# ---------------------------------------------------------------- primitives


def _bits(x: float) -> int:
    return f32.to_bits(np.float32(x))


def primitive_operands(rng: np.random.Generator) -> dict[str, list[tuple[int, int]]]:
    """Operand classes, 40 pairs each (fixed seed)."""
    n = 40
    normal = [
        (_bits(a), _bits(b))
        for a, b in zip(
            rng.normal(0, 3, n), rng.normal(0, 3, n) * 10.0 ** rng.integers(-4, 4, n), strict=True
        )
    ]
    tiny = rng.integers(1, 0x7FFFFF, (n, 2))
    signs = rng.integers(0, 2, n)
    subnormal = [(int(a) | int(s) * SIGN, int(b)) for (a, b), s in zip(tiny, signs, strict=True)]
    # subnormal results from normal operands: the smallest normals
    subnormal += [(0x00800000 | int(a), 0x3F000000 | int(b)) for a, b in tiny[: n // 4]]
    ties = []
    for _ in range(n):
        ex = int(rng.integers(100, 150))
        x = (ex << 23) | int(rng.integers(0, 1 << 23))
        ties.append((x, _bits(np.ldexp(1.0, ex - 151))))  # x + half ulp
    special = [
        (0, SIGN),
        (0x7F800000, 0x3F800000),
        (0x7FC00000, 0x3F800000),
        (0x7F7FFFFF, 0x7F7FFFFF),
        (0x3F800000, 0xBF800000),
    ]
    return {"normal": normal, "subnormal": subnormal, "tie": ties, "special": special}


def primitive_section(bench: Bench) -> int:
    """Gas of each softfloat32 primitive; returns the max internal cost."""
    probe = bench.deploy("FloatBatchHarness")
    ext = bench.deploy("FloatHarness")
    baseline = probe.functions.gas_baseline().call()
    rng = np.random.default_rng(2024)
    classes = primitive_operands(rng)
    mul_ties = [(_bits(3.0 * 2.0**e), _bits(5592407.0 * 2.0**-e)) for e in range(-20, 20)]
    ints = [int(v) for v in rng.integers(-(2**31), 2**31, 40)] + [
        (1 << 24) + 1,
        (1 << 24) + 3,
        -(2**31),
        2**31 - 1,
        1,
        -7,
    ]

    rows: list[tuple[str, str, list[int], int]] = []
    for name, fn, ext_fn in (
        ("add", probe.functions.gas_add, ext.functions.f32_add),
        ("sub", probe.functions.gas_sub, ext.functions.f32_sub),
        ("mul", probe.functions.gas_mul, ext.functions.f32_mul),
        ("max", probe.functions.gas_max, ext.functions.f32_max),
        ("gt", probe.functions.gas_gt, None),
    ):
        for cls, pairs in classes.items():
            if name == "mul" and cls == "tie":
                pairs = mul_ties
            gas = [fn(a, b).call()[0] - baseline for a, b in pairs]
            est = ext_fn(*pairs[0]).estimate_gas() if ext_fn is not None else 0
            rows.append((name, cls, gas, est))
    gas = [probe.functions.gas_from_int(x).call()[0] - baseline for x in ints]
    rows.append(("from_int", "int32", gas, ext.functions.f32_from_int(ints[0]).estimate_gas()))
    # op set v2: div, sqrt (exact) and the defined exp / log / tanh
    for cls in ("normal", "subnormal", "special"):
        pairs = classes[cls]
        gas = [probe.functions.gas_div(a, b).call()[0] - baseline for a, b in pairs]
        rows.append(("div", cls, gas, ext.functions.f32_div(*pairs[0]).estimate_gas()))
        gas = [probe.functions.gas_sqrt(a & 0x7FFFFFFF).call()[0] - baseline for a, _ in pairs]
        rows.append(("sqrt", cls, gas, ext.functions.f32_sqrt(pairs[0][0] & 0x7FFFFFFF).estimate_gas()))
    ranges = {"exp": (-100.0, 88.0), "log": (1e-30, 1e30), "tanh": (-12.0, 12.0)}
    for name, (lo, hi) in ranges.items():
        xs = rng.uniform(lo, hi, 40) if name != "log" else np.exp(rng.uniform(np.log(lo), np.log(hi), 40))
        xs = list(xs) + ([-0.5, 0.3, 1e-3] if name != "log" else [1.0, 1e-40, 2.5])
        fn = getattr(probe.functions, "gas_" + name)
        gas = [fn(_bits(x)).call()[0] - baseline for x in xs]
        rows.append((name, "range", gas, 0))

    print(f"== primitives (softfloat32, internal call cost; msg.gas baseline {baseline}) ==")
    print(f"{'op':<9}{'operands':<11}{'n':>4}{'mean':>8}{'max':>7}{'estimateGas(ext)':>18}")
    worst = 0
    per_op: dict[str, list[int]] = {}
    for name, cls, gas, est in rows:
        per_op.setdefault(name, []).extend(gas)
        worst = max(worst, max(gas))
        est_s = str(est) if est else "-"
        print(f"{name:<9}{cls:<11}{len(gas):>4}{np.mean(gas):>8.0f}{max(gas):>7}{est_s:>18}")
    print("-- per primitive over all operand classes --")
    for name, gas in per_op.items():
        print(f"{name:<9}mean {np.mean(gas):>6.0f}  max {max(gas):>5}")
    return worst


# ---------------------------------------------------------------- one-step


#: random words behind the NODE/STATE operands: each operand's tensor is the first
#: micro.input_count words (its exact length; proofs are exact, heights from node j's record)
ONESTEP_TENSOR_WORDS = 8192


def _tensor_tree(words: list[int]) -> list[list[bytes]]:
    padded = list(words) + [0] * (-len(words) % 8)
    leaves = [b"".join(w.to_bytes(4, "big") for w in padded[i : i + 8]) for i in range(0, len(padded), 8)]
    return merkle.levels(leaves)


def mlp_program() -> Program:
    """The digits MLP shape: 4 state slots, 18 step nodes, 23 program leaves (depth-5 proofs)."""
    header = Header(n_state=4, n_step=18, data_rows=1797, data_cols=74, batch=32, seed=0x5EED)
    bound = _bits(0.125)
    init = tuple(Node(Op.INIT_UNIFORM, (), r, c, c0=bound) for r, c in ((64, 32), (1, 32), (32, 10), (1, 10)))
    N, S, D = Ref.NODE, Ref.STATE, Ref.DATA
    step = (
        Node(Op.GATHER, ((D, 0),), 32, 64, c0=0),  # 0: x (B, 64)
        Node(Op.GATHER, ((D, 0),), 32, 10, c0=64),  # 1: y (B, 10)
        Node(Op.MATMUL, ((N, 0), (S, 0)), 32, 32, k=64),  # 2: x @ W1
        Node(Op.BIAS_ADD, ((N, 2), (S, 1)), 32, 32),  # 3: + b1
        Node(Op.RELU, ((N, 3),), 32, 32),  # 4: h
        Node(Op.MATMUL, ((N, 4), (S, 2)), 32, 10, k=32),  # 5: h @ W2
        Node(Op.BIAS_ADD, ((N, 5), (S, 3)), 32, 10),  # 6: logits
        Node(Op.MSE_GRAD, ((N, 6), (N, 1)), 32, 10, c0=_bits(2.0 / 320)),  # 7: dL/dlogits
        Node(Op.MATMUL, ((N, 4), (N, 7)), 32, 10, k=32, c0=1),  # 8: h^T @ g  (dW2)
        Node(Op.SUM, ((N, 7),), 1, 10, k=32, c0=0),  # 9: db2
        Node(Op.MATMUL, ((N, 7), (S, 2)), 32, 32, k=10, c0=2),  # 10: g @ W2^T
        Node(Op.RELU_BWD, ((N, 3), (N, 10)), 32, 32),  # 11: dh
        Node(Op.MATMUL, ((N, 0), (N, 11)), 64, 32, k=32, c0=1),  # 12: x^T @ dh  (dW1)
        Node(Op.SUM, ((N, 11),), 1, 32, k=32, c0=0),  # 13: db1
        Node(Op.SGD, ((S, 0), (N, 12)), 64, 32, c0=_bits(0.05)),  # 14: W1'
        Node(Op.SGD, ((S, 1), (N, 13)), 1, 32, c0=_bits(0.05)),  # 15: b1'
        Node(Op.SGD, ((S, 2), (N, 8)), 32, 10, c0=_bits(0.05)),  # 16: W2'
        Node(Op.SGD, ((S, 3), (N, 9)), 1, 10, c0=_bits(0.05)),  # 17: b2'
    )
    return Program(header, init, step)


def onestep_cases() -> list[tuple[str, int, int, Node]]:
    """(label, t, j, node): one node per opcode, the MLP's own where it has one."""
    prog = mlp_program()
    h = prog.header
    D, N = Ref.DATA, Ref.NODE
    extra = {  # opcodes the MLP does not use, appended as if they were its nodes (same tree depth)
        Op.IM2COL: Node(Op.IM2COL, ((D, 0),), 32 * 36, 9, c0=8 << 24 | 8 << 16 | 3 << 8 | 3),
        Op.ADD: Node(Op.ADD, ((N, 2), (N, 3)), 32, 32),
        Op.SUB: Node(Op.SUB, ((N, 2), (N, 3)), 32, 32),
        Op.MUL: Node(Op.MUL, ((N, 2), (N, 3)), 32, 32),
        Op.SCALE: Node(Op.SCALE, ((N, 3),), 32, 32, c0=_bits(0.3)),
        # op set v2 (inputs stand in by size: each operand tensor has micro.input_count words)
        Op.DIV: Node(Op.DIV, ((N, 2), (N, 3)), 32, 32),
        Op.SQRT: Node(Op.SQRT, ((N, 3),), 32, 32),
        Op.RSQRT: Node(Op.RSQRT, ((N, 3),), 32, 32),
        Op.EXP: Node(Op.EXP, ((N, 3),), 32, 32),
        Op.LOG: Node(Op.LOG, ((N, 3),), 32, 32),
        Op.ROW_MAX: Node(Op.ROW_MAX, ((N, 6),), 32, 1, k=10),
        Op.SOFTMAX_XENT: Node(Op.SOFTMAX_XENT, ((N, 6), (N, 7), (N, 9)), 32, 1, k=10),
        Op.SOFTMAX_XENT_GRAD: Node(Op.SOFTMAX_XENT_GRAD, ((N, 6), (N, 1), (N, 9)), 32, 10, k=10,
                                   c0=_bits(1 / 32)),
        Op.ADAM_M: Node(Op.ADAM_M, ((Ref.STATE, 2), (N, 8)), 32, 10),
        Op.ADAM_V: Node(Op.ADAM_V, ((Ref.STATE, 2), (N, 8)), 32, 10),
        Op.ADAM: Node(Op.ADAM, ((Ref.STATE, 2), (N, 8), (N, 9)), 32, 10, c0=_bits(1e-3), c1=_bits(1e-2)),
        Op.SOFTMAX: Node(Op.SOFTMAX, ((N, 6), (N, 9)), 32, 10, k=10),
        Op.SOFTMAX_BWD: Node(Op.SOFTMAX_BWD, ((N, 7), (N, 6)), 32, 10, k=10),
        Op.GELU: Node(Op.GELU, ((N, 3),), 32, 32),
        Op.GELU_BWD: Node(Op.GELU_BWD, ((N, 3), (N, 2)), 32, 32),
        # layer norm over 32 features (the row sum / rstd stand in as 32-word tensors)
        Op.LN_RSTD: Node(Op.LN_RSTD, ((N, 3), (N, 9)), 32, 1, k=32, c0=_bits(1e-5)),
        Op.LN_NORM: Node(Op.LN_NORM, ((N, 3), (N, 9), (N, 10)), 32, 32),
        Op.LN_SCALE: Node(Op.LN_SCALE, ((N, 3), (N, 9)), 32, 32),
        Op.LN_BWD: Node(Op.LN_BWD, ((N, 3), (N, 2)), 32, 32),
        # batched MATMUL (section 5.4): causal attention scores Q K^T, 3 heads of 8 x 8, d = 16;
        # the measured element (e = 99: head 1, row 4, column 3) is unmasked (two operand proofs)
        Op.BMATMUL: Node(Op.BMATMUL, ((N, 2), (N, 3)), 24, 8, k=16, c0=oc.BMM_TRANSPOSE_B | oc.BMM_CAUSAL, c1=3),
        # EMBEDDING block: 32 tokens, a 256 x 32 table (8192 words); backward over 32 tokens
        Op.EMBEDDING: Node(Op.EMBEDDING, ((N, 9), (Ref.STATE, 0)), 32, 32, k=256),
        Op.EMBEDDING_BWD: Node(Op.EMBEDDING_BWD, ((N, 9), (N, 3)), 256, 32, k=32),
    }
    out: list[tuple[str, int, int, Node]] = [("INIT_UNIFORM", 0, 0, prog.init[0])]
    seen = {Op.INIT_UNIFORM}
    for j, node in enumerate(prog.step):
        if node.op not in seen:
            seen.add(node.op)
            out.append((node.op.name, 1000, j, node))
    out += [(op.name, 1000, 16, node) for op, node in extra.items()]  # j=16: every NODE input is before it
    assert len(out) == len(Op) and h.n_step == 18
    return out


#: the costliest micro-step of the op set v2 opcodes (log / exp + div / two exps)
HEAVIEST_M: dict[Op, Callable[[Node], int]] = {
    Op.RSQRT: lambda n: 2,
    Op.SOFTMAX_XENT: lambda n: n.k + 1,  # log, add, sub; two operands
    Op.SOFTMAX_XENT_GRAD: lambda n: n.k + 1,  # sub, exp, div; two operands
    Op.ADAM: lambda n: 7,  # from_int, mul, exp, sub, div
    Op.SOFTMAX: lambda n: n.k + 1,  # sub, exp, div; two operands
    Op.SOFTMAX_BWD: lambda n: 1,  # mul, add; two operands
    Op.GELU: lambda n: 2,  # tanh (exp, div)
    Op.GELU_BWD: lambda n: 2,  # tanh (exp, div)
    Op.LN_RSTD: lambda n: n.k,  # div, sub, mul, add; two operands (k+1..k+3 have none)
    Op.LN_NORM: lambda n: 1,  # from_int, div, sub; two operands
    Op.LN_BWD: lambda n: n.cols,  # mul, add; two operands (C+1: from_int, div, mul; one)
    Op.EMBEDDING: lambda n: 2,  # the table row named by s_1: two operand proofs
}

#: EMBEDDING block: s_{m-1} of the measured micro-step where it matters (a token naming row
#: 200 of the table; a positive accumulator for the backward, whose token names the row)
EMBEDDING_PREV = {Op.EMBEDDING: 0x43480000}  # 200.0


def onestep_section(bench: Bench) -> int:
    """Gas of one complete one_step_proved call per opcode, proofs included."""
    verifier = bench.deploy("OneStepVerifier", bench.deploy("OneStepV2").address)
    prog = mlp_program()
    hd = prog.header
    rng = np.random.default_rng(7)
    tensor = [_bits(x) for x in rng.normal(0, 1, ONESTEP_TENSOR_WORDS).astype(np.float32)]
    tensor_pos = [w & 0x7FFFFFFF for w in tensor]
    dataset = [_bits(x) for x in rng.random(hd.data_rows * hd.data_cols).astype(np.float32)]
    data_tree = _tensor_tree(dataset)

    print(f"== one-step (OneStepVerifier.one_step_proved, digits-MLP program: {len(prog.leaves())} leaves) ==")
    probe = bench.deploy("OneStepGasProbe")
    print("   exec: gas of the call itself (OneStepGasProbe, msg.gas around a static call, cold access")
    print("   included); calldata: its bytes at 4/16 gas; total = 21000 + calldata + exec, what a")
    print("   transaction carrying the proofs pays before the EIP-7623 floor; estimateGas: that")
    print("   transaction on Anvil (Prague: the floor 21000 + 10 gas/token binds for proof-heavy calls)")
    print(f"{'opcode':<13}{'t':>5}{'j':>4}{'m':>4}{'proofs':>8}{'exec':>8}{'calldata':>10}{'total':>8}{'estimateGas':>13}")
    worst = 0
    for label, t, j, node in onestep_cases():
        # substitute the node so that its record is leaf j of its step
        init, step = list(prog.init), list(prog.step)
        (init if t == 0 else step)[j] = node
        p = Program(hd, tuple(init), tuple(step))
        ptree = merkle.levels(p.leaves())
        k = micro.num_micro_steps(node)
        m = max(1, k // 2 + 1) if k > 2 else k
        if node.op in HEAVIEST_M:
            m = HEAVIEST_M[node.op](node)
        e = node.size // 2 + 3
        prev = _bits(rng.normal(0, 1))
        if node.op >= Op.DIV:  # positive values: log, sqrt, div take their full paths, not NaN exits
            prev &= 0x7FFFFFFF
        prev = EMBEDDING_PREV.get(node.op, prev)
        ops, operands = [], []
        for i, (kind, _index, flat) in enumerate(micro.operand_refs(hd, node, t, e, m, prev)):
            count = micro.input_count(hd, node, i, kind)
            src = dataset if kind == Ref.DATA else (tensor_pos if node.op >= Op.DIV else tensor)[:count]
            if node.op == Op.EMBEDDING_BWD and i == 0:  # the token names this element's row: add
                src = list(src)
                src[flat] = _bits(float(e // node.cols))
            tree = data_tree if kind == Ref.DATA else _tensor_tree(src)
            ops.append((tree[-1][0], tree[0][flat // 8], merkle.proof(tree, flat // 8)))
            operands.append(src[flat])
        args = [p.root(), hd.encode(), merkle.proof(ptree, 0), node.encode(),
                merkle.proof(ptree, p.leaf_index(t, j)), t, j, e, m, prev, ops]
        fn = verifier.functions.one_step_proved(*args)
        state, _inputs = fn.call()
        want = micro.next_state(hd, node, j, t, e, m, prev, operands)
        if state != want:
            raise SystemExit(f"gas_onestep: {label} returned {state:#x}, micro.py says {want:#x}")
        data = bytes.fromhex(verifier.encode_abi("one_step_proved", args=args)[2:])
        calldata = sum(4 if b == 0 else 16 for b in data)
        est = fn.estimate_gas()
        exe = probe.functions.measure(verifier.address, data).call()
        total = 21_000 + calldata + exe
        depth = sum(len(o[2]) for o in ops) + len(args[2]) + len(args[4])
        print(f"{label:<13}{t:>5}{j:>4}{m:>4}{depth:>8}{exe:>8}{calldata:>10}{total:>8}{est:>13}")
        worst = max(worst, total, est)
    harness = bench.deploy("MerkleHarness")
    tree = _tensor_tree(tensor)
    for depth in (5, 10, 15):
        proof = merkle.proof(tree, 5)[:depth] + [bytes(32)] * max(0, depth - 10)
        call = harness.encode_abi("verify", args=[tree[-1][0], tree[0][5], 5, proof])
        exe = probe.functions.measure(harness.address, bytes.fromhex(call[2:])).call()
        print(f"-- one depth-{depth} Merkle proof alone (MerkleHarness.verify via the probe): exec {exe}")
    return worst


#: the sections, in order; each returns its maximum gas figure
SECTIONS: list[Callable[[Bench], int]] = [primitive_section, onestep_section]


def main() -> None:
    _compile()
    proc, w3 = start_anvil()
    try:
        bench = Bench(w3=w3, sender=w3.eth.accounts[0])
        worst = max(section(bench) for section in SECTIONS)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"onestep max gas: {worst}")


if __name__ == "__main__":
    main()
