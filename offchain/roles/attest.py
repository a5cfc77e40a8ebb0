"""The verifier's side of the incentive layer (docs/protocol.md "Incentives"):
join a committed task, draw the sample steps from the pool, replay them,
commit keccak256(values, salt), flag a mismatch (how forced errors are
caught), reveal after the verification window; in the report window after
finalization `prove` the revealed values against the final run root (and,
for a forced error it flagged, `prove_mismatch` against the committed wrong
root) and hunt lazy attesters of a forced error (whistleblower `report`);
after it `settle` (stake back, fee and award shares credited) and
`claim_credit`.

Hook for the verifier daemon: when `enabled(chain)`, call
`advance(daemon, tid, phase, data)` instead of the plain sampling check;
the phases it sets start with "attest-" and end at "done". A
mismatch is kept as evidence (`db.add_evidence(tid, step, "step_root", ...)`);
when the solver's secret reveal shows the flagged task NOT forced (the
committed root stands: a real fault), the task goes to the verifier's
dispute path (phase "challenged", data `attest=True`: open the dispute in
the challenge window, then "disputing"); when that ends, the verifier's
`_end` hands it back here ("attest-revealed" with `dispute_end`) to settle:
a won dispute rejects the task, so the flagger's stake is unlocked, not
forfeited.
"""

from __future__ import annotations

import logging
import os

from ..chain import send_once
from ..commit import merkle, roots
from ..incentives import rules
from ..runtime.replay import replay_from_start
from ..store import StoreError
from . import admission, availability, funds
from .forced import incentive, incentives_on
from .registry import COMMITTED, FINALIZED, artifact_uri, get_task, now
from .task import Manifest, SpecError, load_task_inputs

log = logging.getLogger("offchain.attest")

#: mismatching steps kept as evidence (the earliest ones)
EVIDENCE_STEPS = 3


def enabled(chain) -> bool:
    return incentives_on(chain)


def attestation(chain, tid: int, who: str) -> dict:
    names = ("stake", "join_block", "seed", "commitment", "flagged", "revealed", "proven", "caught", "settled")
    return dict(zip(names, chain.call("VerifierPool", "attestation", tid, who), strict=False))


def round_of(chain, tid: int) -> dict:
    names = ("verifiers", "revealed", "flaggers", "provers", "catchers", "pot", "award", "reserved", "finalized_at",
             "forced", "swept")
    return dict(zip(names, chain.call("VerifierPool", "round_of", tid), strict=False))


def replay_values(store, task, manifest: Manifest, steps: list[int], backend: str,
                  last: int | None = None) -> tuple[list[bytes], list[int]]:
    """My S_b(i) for each sampled boundary index i (in order) and the boundary indices where
    the solver's manifest disagrees: any boundary replayed on the way to a sample, S_0
    included. The replay starts from this verifier's own initialisation (no checkpoint of
    the solver is trusted for a start state)."""
    _spec, train, program = load_task_inputs(store, task)
    last = max(steps) if last is None else max(last, *steps)
    mine, bad, _ = replay_from_start(program, train, last, backend, manifest.step_roots,
                                     interval=task.checkpoint_interval, num_steps=task.num_steps)
    return [mine[t] for t in steps], bad


def _manifest_values(d, tid: int, task, inc: dict, steps: list[int]):
    """(manifest, my values at `steps`, mismatching steps) from the solver's manifest; None
    while its artifacts cannot be obtained or checked (bounded retries with backoff); once
    that wait is over, (None, my values, [-1] if my full replay's run root differs from the
    committed one else []): the verifier flags it on its own replay and disputes it."""
    key = f"artifacts:{tid}"
    if not availability.due(d.db, key):
        return None
    try:
        manifest = Manifest.from_bytes(d.store.get(artifact_uri(d.chain, tid)))
        if roots.run_root(manifest.step_roots) != task.run_root:
            raise ArtifactProblem("manifest step roots do not hash to the committed run root")
        try:  # a checkpoint at every multiple of k and at T, the sampled boundaries' well formed
            _spec, _train, program = load_task_inputs(d.store, task)
            bounds = roots.boundaries(task.num_steps, task.checkpoint_interval)
            admission.check_manifest(d.store, manifest, program, task.num_steps, task.checkpoint_interval,
                                     [bounds[i] for i in steps if 0 <= i < len(bounds)])
        except SpecError:
            raise
        except ValueError as exc:
            raise ArtifactProblem(str(exc)) from None
        # a verifier set to check at least every boundary (settings.samples) replays the whole run
        n_b = len(bounds)
        last = n_b - 1 if d.settings.samples >= n_b - 1 else None
        return (manifest, *replay_values(d.store, task, manifest, steps, d.backend, last))
    except (StoreError, ValueError) as exc:
        if isinstance(exc, SpecError):
            raise
        window = int(d.chain.call("Parameters", "verification_window"))
        late = now(d.chain) >= inc["attest_deadline"] - window // 2
        if not (isinstance(exc, ArtifactProblem) or availability.failed(d.db, key, d.settings, str(exc)) or late):
            return None
        _spec, train, program = load_task_inputs(d.store, task)
        n_b = len(roots.boundaries(task.num_steps, task.checkpoint_interval))
        mine, _, _ = replay_from_start(program, train, n_b - 1, d.backend, interval=task.checkpoint_interval,
                                       num_steps=task.num_steps)
        wrong = roots.run_root(mine) != task.run_root
        d.db.add_evidence(tid, -1, "artifacts", {"problem": str(exc), "run_root": task.run_root.hex()})
        log.warning("attest: task=%d artifacts: %s: own full replay %s the committed run root", tid, exc,
                    "differs from" if wrong else "agrees with")
        return None, [mine[t] for t in steps], ([-1] if wrong else [])


class ArtifactProblem(ValueError):
    """The solver's artifacts contradict its commitment (permanent: no retries)."""


def advance(d, tid: int, phase: str, data: dict) -> None:
    """One step of the attestation state machine for daemon `d` (a Verifier)."""
    chain, db, me = d.chain, d.db, d.chain.address
    task = get_task(chain, tid)
    inc = incentive(chain, tid)
    if phase in ("committed", "artifact_error"):
        if task.status != COMMITTED or now(chain) > inc["attest_deadline"]:
            db.set_task(tid, "done", reason="missed the verification window")
            return
        stake = int(chain.call("VerifierPool", "verifier_stake", tid))
        free = int(chain.call("StakeManager", "free_stake", me))
        if free < stake:
            if db.action(f"attest-bond:{tid}") is None:  # not bonded yet: say what is missing, send nothing
                funds.require(chain, stake, f"stake as a verifier of task {tid}")
            sm = chain.contract("StakeManager").address
            send_once(chain, db, f"attest-approve:{tid}", "Token", "approve", sm, stake)
            send_once(chain, db, f"attest-bond:{tid}", "StakeManager", "bond", stake)
        send_once(chain, db, f"attest-join:{tid}", "VerifierPool", "join", tid,
                  landed=lambda: attestation(chain, tid, me)["join_block"] != 0)
        db.set_task(tid, "attest-joined")
    elif phase == "attest-joined":
        att = attestation(chain, tid, me)
        if chain.block_number() <= att["join_block"] + 1:
            return  # the seed block is not mined yet
        if att["seed"] == bytes(32):
            send_once(chain, db, f"attest-seed:{tid}", "VerifierPool", "record_seed", tid, me,
                      landed=lambda: attestation(chain, tid, me)["seed"] != bytes(32))
        steps = [int(t) for t in chain.call("VerifierPool", "sample_steps", tid, me)]
        got = _manifest_values(d, tid, task, inc, steps)
        if got is None:
            return  # backing off: the solver's artifacts are not (yet) to be had
        manifest, values, bad = got
        salt = bytes.fromhex(data["salt"]) if "salt" in data else os.urandom(32)
        db.set_task(tid, "attest-joined", salt=salt.hex())  # durable before it is committed
        send_once(chain, db, f"attest-commit:{tid}", "VerifierPool", "commit_attestation", tid,
                  rules.commitment(tid, me, values, salt),
                  landed=lambda: attestation(chain, tid, me)["commitment"] != bytes(32))
        mismatch = next(({"k": k, "leaf": manifest.step_roots[t].hex(),
                          "proof": [p.hex() for p in merkle.proof(merkle.levels(manifest.step_roots), t)]}
                         for k, t in enumerate(steps) if manifest.step_roots[t] != values[k]),
                        None) if manifest is not None else None  # no usable manifest: own replay only
        if bad:
            send_once(chain, db, f"attest-flag:{tid}", "VerifierPool", "flag", tid,
                      landed=lambda: attestation(chain, tid, me)["flagged"])
            log.warning("attest: task=%d flagged: the solver's S_t differs at %d steps, first %s", tid, len(bad),
                        bad[:EVIDENCE_STEPS])
            tree = merkle.levels(manifest.step_roots) if manifest is not None else None
            for t in bad[:EVIDENCE_STEPS] if manifest is not None else ():  # the earliest mismatches
                db.add_evidence(tid, t, "step_root", {"theirs": manifest.step_roots[t].hex(),
                                                      "proof": [p.hex() for p in merkle.proof(tree, t)],
                                                      "run_root": task.run_root.hex()})
        db.set_task(tid, "attest-committed", steps=steps, values=[v.hex() for v in values], flagged=bool(bad),
                    mismatch=mismatch)
        log.info("attest: task=%d committed %d sampled step roots", tid, len(steps))
    elif phase == "attest-committed":
        if now(chain) <= inc["attest_deadline"]:
            return
        if now(chain) > inc["reveal_deadline"]:
            db.set_task(tid, "attest-revealed", missed=True)
            return
        values = [bytes.fromhex(v) for v in data["values"]]
        send_once(chain, db, f"attest-reveal:{tid}", "VerifierPool", "reveal", tid, values,
                  bytes.fromhex(data["salt"]), landed=lambda: attestation(chain, tid, me)["revealed"])
        db.set_task(tid, "attest-revealed")
        log.info("attest: task=%d revealed", tid)
    elif phase == "attest-revealed":
        if not _to_dispute(d, tid, task, inc, data):
            _settle(d, tid, task, inc, data)


def _to_dispute(d, tid: int, task, inc: dict, data: dict) -> bool:
    """Hand a flagged task that the secret reveal shows not forced (a real fault) to the
    verifier's dispute path, once. True while the attestation must not settle yet."""
    if "dispute_end" in data or task.status != COMMITTED:
        return False
    if inc["forced"] and inc["revealed"]:
        # the revealed root replaces the wrong one: check it by an own full replay and
        # dispute it if it is still wrong (a solver that hid a forced error reveals a wrong root)
        d.db.set_task(tid, "challenged", attest=True, recheck="the revealed root of a forced task")
        log.info("attest: task=%d forced: checking the revealed root against an own full replay", tid)
        return True
    if not data.get("flagged"):
        return False
    if not inc["revealed"]:
        return True  # disputes open only after the secret reveal
    d.db.set_task(tid, "challenged", attest=True)
    log.warning("attest: task=%d not forced: the flagged mismatch is a real fault, disputing it", tid)
    return True


def _settle(d, tid: int, task, inc: dict, data: dict) -> None:
    chain, db, me = d.chain, d.db, d.chain.address
    if task.status <= COMMITTED:
        return
    if task.status == FINALIZED:
        fin = round_of(chain, tid)["finalized_at"]
        window = int(chain.call("VerifierPool", "terms_of", tid)[3])  # the task's own reveal window
        if now(chain) <= fin + window:
            manifest = Manifest.from_bytes(d.store.get(artifact_uri(chain, tid)))
            _prove(d, tid, inc, data, manifest)
            if inc["forced"]:
                hunt(d, tid, manifest, from_block=inc["claim_block"])
            if not data.get("proved"):
                db.set_task(tid, "attest-revealed", proved=True)  # walk_incentives waits for this
            return
    send_once(chain, db, f"attest-settle:{tid}", "VerifierPool", "settle", tid,
              landed=lambda: attestation(chain, tid, me)["settled"])
    att = attestation(chain, tid, me)
    if int(chain.call("VerifierPool", "credit", me)) > 0:
        send_once(chain, db, f"attest-claim:{tid}", "VerifierPool", "claim_credit",
                  landed=lambda: int(chain.call("VerifierPool", "credit", me)) == 0)
    db.set_task(tid, "done")
    log.info("attest: task=%d settled (%s)", tid, "fee claimed" if att["proven"] else "no fee")


def _prove(d, tid: int, inc: dict, data: dict, manifest: Manifest) -> None:
    """In the report window: prove my revealed values against the final run root (the pot is
    shared by provers only); for a forced error I flagged, prove the mismatch with the committed
    wrong root at a sample (the award is shared by those catchers)."""
    chain, db, me = d.chain, d.db, d.chain.address
    values = [bytes.fromhex(v) for v in data.get("values", [])]
    steps = data.get("steps", [])
    if not values or data.get("missed") or any(manifest.step_roots[t] != v for t, v in zip(steps, values, strict=False)):
        return
    att = attestation(chain, tid, me)
    if not att["revealed"] or att["settled"]:
        return
    if not att["proven"]:
        send_once(chain, db, f"attest-prove:{tid}", "VerifierPool", "prove", tid,
                  rules.step_proofs(manifest.step_roots, steps),
                  landed=lambda: attestation(chain, tid, me)["proven"])
    mm = data.get("mismatch")
    if inc["forced"] and att["flagged"] and mm and not attestation(chain, tid, me)["caught"]:
        send_once(chain, db, f"attest-catch:{tid}", "VerifierPool", "prove_mismatch", tid, mm["k"],
                  bytes.fromhex(mm["leaf"]), [bytes.fromhex(p) for p in mm["proof"]],
                  landed=lambda: attestation(chain, tid, me)["caught"])


def hunt(d, tid: int, manifest: Manifest, from_block: int | None = None) -> int:
    """Whistleblower: report every verifier whose revealed value differs from the
    final root in a finalized forced-error task. Returns how many were reported.
    Reveals are read from `from_block` (the task's claim block; never before the
    deployment block) in bounded windows (`ChainClient.get_logs`)."""
    chain, db, me = d.chain, d.db, d.chain.address
    logs = chain.get_logs("VerifierPool", "AttestationRevealed", {"task_id": tid}, from_block=from_block)
    reported = 0
    for ev in logs:
        who = ev.args["verifier"]
        if who.lower() == me.lower() or attestation(chain, tid, who)["settled"]:
            continue
        steps = [int(t) for t in chain.call("VerifierPool", "sample_steps", tid, who)]
        for k, (t, v) in enumerate(zip(steps, ev.args["values"], strict=False)):
            if bytes(v) != manifest.step_roots[t]:
                proof = rules.step_proofs(manifest.step_roots, [t])[0]
                send_once(chain, db, f"attest-report:{tid}:{who}", "VerifierPool", "report", tid, who, k,
                          manifest.step_roots[t], proof, landed=lambda w=who: attestation(chain, tid, w)["settled"])
                log.warning("attest: task=%d reported %s: attested a wrong S_%d of a forced error", tid, who, t)
                reported += 1
                break
    return reported
