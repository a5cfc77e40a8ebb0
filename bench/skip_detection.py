"""Probability that a verifier detects `--skip-steps F`, over repeated draws of the
agent's own skip selection (dispute.run.is_skipped) and step sampling
(roles.sampling.sample_steps) with the verifier's replay rule (replay from the
nearest checkpoint before each sampled step, compare every replayed step).
Prints measured rates beside 1 - (1 - F)^s. No chain, no training: the
outcome depends only on which steps are faked and which are sampled."""

import os
import sys

from offchain.dispute.run import is_skipped
from offchain.roles.sampling import detection_probability, sample_steps

T, S, RUNS = 40, 3, int(os.environ.get("RUNS", "2000"))
VERIFIER = "0x" + "ab" * 20


def detected(F: float, run: int, interval: int) -> bool:
    steps = sample_steps(run.to_bytes(32, "big"), VERIFIER, 1, T, S)
    faked = {t for t in range(1, T + 1) if is_skipped(F, run, 1, t)}
    for t in steps:
        c = max(c for c in range(0, T + 1, interval) if c < t)
        if any(c < u <= t for u in faked):
            return True
    return False


print(f"T={T} steps, s={S} sampled steps, {RUNS} runs per F")
print(f"{'F':>5} {'formula':>8} {'interval 1':>11} {'interval 10':>12}")
for F in (0.05, 0.1, 0.25, 0.5):
    m1 = sum(detected(F, r, 1) for r in range(RUNS)) / RUNS
    m10 = sum(detected(F, r, 10) for r in range(RUNS)) / RUNS
    print(f"{F:>5} {detection_probability(F, S):>8.3f} {m1:>11.3f} {m10:>12.3f}")
sys.stdout.flush()
