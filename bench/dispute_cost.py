"""Gas and rounds of the dispute game on the digits MLP (64-32-10, batch 32) with 1,000 steps
and checkpoint interval 100 (the run tree holds S_0, S_100, ..., S_1000; a fault between two
boundaries is found through the SEGMENT commitment and the L1b descent).

Trains the honest run once, then for a fault at each level of the program
(initialisation at step 0, the data gather, a matmul, an elementwise node,
the SGD update of the last step) builds the faulty solver's run and plays
the dispute on a fresh Anvil. Prints, per fault, rounds, gas per party, the
one-step transaction's gas, the `resolve` transaction's (the settlement, sent
by the winner after the end) and the total (open, every move, resolve), then
the worst cases: `one-step worst case: gas=G` and
`dispute worst case: rounds=R gas=G`.

    python bench/dispute_cost.py [--steps 1000] [--interval 100] [--hidden 32] [--batch 32]
    python bench/dispute_cost.py --v2   # op set v2 one steps (every v2 opcode: offchain.runtime.warmup.v2_catalogue)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from offchain.dispute.demo import default_program, run_demo  # noqa: E402
from offchain.dispute.run import Fault, PartyRun  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--interval", type=int, default=100, help="the task's checkpoint interval c")
    ap.add_argument("--v2", action="store_true", help="op set v2 one steps on the tiny xent/AdamW MLP instead")
    a = ap.parse_args()
    if a.v2:
        return v2()
    program, data = default_program(a.steps, a.hidden, a.batch)
    T = a.steps
    faults = {  # node indices of the compiled MLP's step program
        "init (step 0)": Fault(0, 0, 517),
        # at step T - 1, inside the last segment: flips that reach the boundary T (the lowest-bit
        # flips at gather element 1000 or relu element 40 die out before it: nothing to dispute)
        "gather": Fault(T - 1, 0, 1_001),
        "matmul K=64": Fault(T - 1, 2, 77),
        "relu": Fault(T - 1, 4, 40, bit=20),
        "sgd last step": Fault(T, 14, 2_000),
    }
    t0 = time.time()
    honest = PartyRun(program, data.train, T, interval=a.interval)
    print(f"honest run: {T} steps (checkpoint interval {a.interval}) in {time.time() - t0:.0f}s", flush=True)
    print(f"{'fault':<16}{'rounds':>7}{'gas solver':>12}{'gas chall.':>12}{'one-step':>10}{'resolve':>9}"
          f"{'total':>11}  where")
    worst_rounds = worst_gas = worst_one_step = 0
    for name, f in faults.items():
        faulty = PartyRun(program, data.train, T, fault=f, base=honest, interval=a.interval)
        r = run_demo(T, hidden=a.hidden, batch=a.batch, echo=lambda _s: None, runs=(faulty, honest))
        assert (r.winner, r.t, r.j, r.e) == ("challenger", f.t, f.j, f.e), r.line()
        print(f"{name:<16}{r.rounds:>7}{r.gas_solver:>12}{r.gas_challenger + r.gas_open:>12}"
              f"{r.gas_one_step:>10}{r.gas_resolve:>9}{r.gas:>11}  t={r.t} j={r.j} e={r.e} m={r.m}", flush=True)
        worst_rounds, worst_gas = max(worst_rounds, r.rounds), max(worst_gas, r.gas)
        worst_one_step = max(worst_one_step, r.gas_one_step)
    print(f"one-step worst case: gas={worst_one_step}")
    print(f"dispute worst case: rounds={worst_rounds} gas={worst_gas}")


def v2() -> None:
    """One dispute per op set v2 opcode on `warmup.v2_catalogue` (the tiny xent/AdamW MLP, hidden 4,
    batch 2, 3 steps, c = 1, with a metric node of every v2 opcode it does not use): the one-step
    and resolve transactions' gas, then `one-step worst case (v2): gas=G`."""
    from offchain.runtime import dataset
    from offchain.runtime.warmup import v2_catalogue

    data = dataset.load("digits")
    prog = v2_catalogue(data)
    seen: set = set()
    worst = 0
    for j, node in enumerate(prog.step):
        if node.op < 15 or node.op in seen:  # v1 opcodes: the main table above
            continue
        seen.add(node.op)
        f = Fault(2, j, min(13, node.size - 1))
        r = run_demo(3, fault=f, echo=lambda _s: None, program=(prog, data), interval=1)
        assert (r.winner, r.t, r.j, r.e) == ("challenger", f.t, f.j, f.e), r.line()
        print(f"{node.op.name:<18} j={j:<3} m={r.m:<4} one-step={r.gas_one_step} resolve={r.gas_resolve} "
              f"total={r.gas}", flush=True)
        worst = max(worst, r.gas_one_step)
    print(f"one-step worst case (v2): gas={worst}")


if __name__ == "__main__":
    main()
