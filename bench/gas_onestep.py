"""Gas of the one-step check: the float32 primitives and (later) each opcode.

Starts its own Anvil on a free port, deploys the test harnesses from the
brownie build artifacts (compiling the project first if needed), and prints
per-section gas figures. Section "primitives" (softfloat32): the gas of one
internal call of each primitive, measured with msg.gas around the call in
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

from offchain.runtime import f32  # noqa: E402

SIGN = 0x80000000


@dataclass
class Bench:
    """A running Anvil node with a funded sender; deploys build artifacts."""

    w3: Web3
    sender: str

    def deploy(self, name: str):
        art = json.loads((ROOT / "build" / "contracts" / f"{name}.json").read_text())
        factory = self.w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
        tx = factory.constructor().transact({"from": self.sender})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        return self.w3.eth.contract(address=receipt.contractAddress, abi=art["abi"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _compile() -> None:
    """Compile with brownie when the artifacts are missing or stale."""
    needed = ["FloatHarness", "FloatBatchHarness"]
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


#: the sections, in order; each returns its maximum gas figure
SECTIONS: list[Callable[[Bench], int]] = [primitive_section]


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
