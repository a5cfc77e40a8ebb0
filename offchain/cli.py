"""Command line: `python -m offchain <command> --help`; one click group, one thin
function per command. `train` (runtime) trains reproducibly and prints
`accuracy=... run_root=0x...`; serve, submit, solve, verify, status and demo run
the protocol roles with settings from offchain/config.py; dispute-demo plays one
dispute game to its end on a fresh Anvil."""

from __future__ import annotations

import json
import logging
import sys

import click

from .config import load_settings


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    for noisy in ("web3", "urllib3", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _settings(ctx: click.Context, **overrides):
    try:
        return load_settings(ctx.obj.get("config"), **overrides)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


@click.group()
@click.option("--config", type=click.Path(dir_okay=False), default=None,
              help="TOML settings file (else $TT_CONFIG); TT_* variables override it.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.pass_context
def cli(ctx: click.Context, config: str | None, verbose: bool) -> None:
    """Trustless training: reproducible runtime, artifact store and protocol roles."""
    ctx.ensure_object(dict)
    ctx.obj["config"] = config
    _setup_logging(verbose)


@cli.command()
@click.option("--model", type=click.Choice(["mlp", "cnn"]), default="mlp", show_default=True,
              help="Model to compile.")
@click.option("--dataset", "dataset_name", type=click.Choice(["digits", "synthetic"]), default="digits",
              show_default=True, help="Training dataset.")
@click.option("--steps", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Training steps T (step 0 is the initialisation).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Directory for checkpoints and index.json.")
@click.option("--backend", default="reference", show_default=True,
              help="Executor: reference, reference:cuda or fast.")
@click.option("--checkpoint-interval", "interval", type=click.IntRange(min=1), default=100,
              show_default=True, help="Write a checkpoint every k steps.")
@click.option("--batch", type=click.IntRange(min=1), default=32, show_default=True, help="Batch size B.")
@click.option("--lr", type=float, default=None, help="SGD learning rate (default: the model's).")
@click.option("--seed", type=click.IntRange(min=0, max=2**64 - 1), default=1, show_default=True,
              help="Task seed (batches and initial values).")
@click.option("--hidden", default="128", show_default=True,
              help="MLP hidden widths, comma separated.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def train(model: str, dataset_name: str, steps: int, out_dir: str, backend: str, interval: int,
          batch: int, lr: float | None, seed: int, hidden: str, quiet: bool) -> None:
    """Train MODEL on DATASET reproducibly and commit every step."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from .runtime import compiler, dataset, executor
    from .runtime import train as train_mod

    try:
        widths = tuple(int(w) for w in hidden.split(",") if w.strip())
        data = dataset.load(dataset_name)
        spec = compiler.TrainSpec(model, batch, lr, seed, widths)
        program = compiler.compile_model(spec, data)
        executor.get_backend(backend)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    columns = (TextColumn("training"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, disable=quiet, transient=True) as bar:
        task = bar.add_task("train", total=steps + 1)
        result = train_mod.train(program, data, steps, out_dir, backend, interval,
                                 on_step=lambda t, _f: bar.update(task, completed=t + 1))
    click.echo(f"accuracy={result.accuracy:.4f} run_root=0x{result.run_root.hex()}")


@cli.command()
@click.option("--host", default=None, help="Bind address (settings: store_host).")
@click.option("--port", type=int, default=None, help="Port, 0 for any free one (settings: store_port).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the local artifact store over HTTP (GET /<address>, PUT /)."""
    from .store import LocalStore, StoreServer

    s = _settings(ctx, store_host=host, store_port=port)
    srv = StoreServer(LocalStore(s.store_dir), s.store_host, s.store_port)
    click.echo(f"serving {s.store_dir} at {srv.url}", err=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


@cli.command()
@click.option("--dataset", default="digits", show_default=True, help="Dataset name.")
@click.option("--model", default="mlp", show_default=True, help="mlp or cnn.")
@click.option("--hidden", default="16", show_default=True, help="Hidden widths, comma separated.")
@click.option("--steps", type=int, default=30, show_default=True, help="Training steps T.")
@click.option("--batch", type=int, default=8, show_default=True)
@click.option("--lr", type=float, default=None, help="Learning rate (model default if unset).")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--checkpoint-interval", type=int, default=10, show_default=True)
@click.option("--payment", type=float, default=10.0, show_default=True, help="Tokens escrowed.")
@click.option("--solver-stake", type=float, default=100.0, show_default=True, help="Tokens the solver locks.")
@click.option("--claim-period", type=int, default=600, show_default=True, help="Seconds to claim.")
@click.option("--solve-period", type=int, default=3600, show_default=True, help="Seconds to solve.")
@click.option("--watch/--no-watch", default=False, help="Keep running: cancel, expire or finalise the task.")
@click.pass_context
def submit(ctx, dataset, model, hidden, steps, batch, lr, seed, checkpoint_interval, payment,
           solver_stake, claim_period, solve_period, watch) -> None:
    """Publish a dataset, program and spec, and create the task (prints its id)."""
    from .roles.submit import Submitter, TaskTerms, build_spec

    s = _settings(ctx)
    try:
        widths = tuple(int(w) for w in hidden.split(",") if w)
        spec, artifacts = build_spec(dataset, steps, checkpoint_interval, model, widths, batch, lr, seed)
        sub = Submitter(s)
        tid = sub.create(spec, artifacts, TaskTerms(int(payment * 10**18), int(solver_stake * 10**18),
                                                    claim_period, solve_period))
    except Exception as exc:  # noqa: BLE001 - one clear line for the operator
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps({"task_id": tid}))
    if watch:
        sub.run(until=lambda: all(p in ("finalized", "cancelled", "expired", "rejected")
                                  for _, p, _ in sub.db.tasks()))


@cli.command()
@click.option("--fault", default=None, metavar="step=T,node=J,element=E",
              help="Flip the lowest mantissa bit of that element and carry on (dishonest).")
@click.option("--skip-steps", type=float, default=0.0, show_default=True,
              help="Fake this fraction of the steps by copying the previous state (dishonest).")
@click.option("--skip-seed", type=int, default=0, show_default=True, help="Which steps --skip-steps fakes.")
@click.option("--backend", default="reference", show_default=True, help="Executor backend.")
@click.option("--cheat", type=click.Choice(["withhold", "random-root", "wrong-model"]), default=None,
              help="Dishonest: withhold the artifacts of a faulty run, commit a random run root, "
                   "or name a wrong final model.")
@click.option("--exit-when-done", is_flag=True, help="Exit once every task seen is settled.")
@click.pass_context
def solve(ctx, fault, skip_steps, skip_seed, backend, cheat, exit_when_done) -> None:
    """Run the solver daemon: claim tasks, train, commit, collect payment."""
    from .dispute.run import Fault
    from .roles.solve import Solver

    s = _settings(ctx)
    try:
        f = Fault.parse(fault) if fault else None
        solver = Solver(s, fault=f, skip_steps=skip_steps, skip_seed=skip_seed, backend=backend,
                        cheat=cheat or "")
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    until = None
    if exit_when_done:
        until = lambda: bool(solver.db.tasks()) and all(  # noqa: E731
            p in ("finalized", "refused", "lost", "rejected", "expired") for _, p, _ in solver.db.tasks())
    solver.run(until=until)


@cli.command()
@click.option("--samples", type=int, default=None, help="Steps to check per task (settings: samples).")
@click.option("--backend", default="reference", show_default=True, help="Executor backend.")
@click.pass_context
def verify(ctx, samples, backend) -> None:
    """Run the verifier daemon: re-execute sampled steps of every committed result."""
    from .roles.verify import Verifier

    Verifier(_settings(ctx, samples=samples), backend=backend).run()


@cli.command()
@click.option("--account", "accounts", multiple=True, metavar="NAME=0xADDRESS",
              help="Also show this account's balances (repeatable).")
@click.pass_context
def status(ctx, accounts) -> None:
    """Print a table of tasks, their phase and deadlines, and balances."""
    from .chain import ChainClient
    from .roles.status import print_status

    named = {}
    for a in accounts:
        name, _, addr = a.partition("=")
        if not addr.startswith("0x"):
            raise click.UsageError(f"--account expects NAME=0xADDRESS, got {a!r}")
        named[name] = addr
    try:
        print_status(ChainClient(_settings(ctx)), named)
    except Exception as exc:  # noqa: BLE001
        raise click.ClickException(str(exc)) from None


@cli.command()
@click.option("--steps", type=int, default=1000, show_default=True, help="Training steps of the demo task.")
@click.option("--samples", type=click.IntRange(min=1), default=None,
              help="Steps the verifier checks (default 3; every step with --fault, so the fault is caught).")
@click.option("--fault", default=None, metavar="step=T,node=J,element=E",
              help="Run the solver with this fault (see `solve --help`): the verifier disputes it "
                   "(with --incentives: after flagging it and the solver's secret reveal).")
@click.option("--skip-steps", type=float, default=0.0, help="Run the solver with --skip-steps.")
@click.option("--incentives", is_flag=True,
              help="Deploy the VerifierPool: the verifier attests, reveals and settles (fee share, jackpot).")
@click.option("--forced-rate", type=click.IntRange(0, 1_000_000), default=None, metavar="PPM",
              help="With --incentives: the forced-error rate of the claim (1000000: forced; default: the parameter).")
@click.option("--cheat", type=click.Choice(["withhold", "random-root", "wrong-model"]), default=None,
              help="Run a cheating solver (solve --cheat); the demo ends status=rejected when caught.")
def demo(steps, samples, fault, skip_steps, incentives, forced_rate, cheat) -> None:
    """Start Anvil, deploy, run store, solver and verifier, submit the digits task,
    wait until it is finalised (or, with a fault the verifier catches, until the
    daemons have played the dispute to its end) and print a summary. With
    --incentives, walk the task through the incentive layer's windows too.
    Leaves nothing running."""
    from .demo import run_demo
    from .dispute.run import Fault

    try:
        if fault:
            Fault.parse(fault)
        if not 0.0 <= skip_steps <= 1.0:
            raise ValueError(f"demo: --skip-steps must be in [0, 1], got {skip_steps}")
        if forced_rate is not None and not incentives:
            raise ValueError("demo: --forced-rate needs --incentives")
        if incentives and skip_steps:
            raise ValueError("demo: --incentives runs without --skip-steps")
        if cheat and (incentives or skip_steps):
            raise ValueError("demo: --cheat runs without --incentives and --skip-steps")
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if samples is None:
        samples = steps if fault else 3
    try:
        run_demo(steps=steps, samples=samples, fault=fault, skip_steps=skip_steps, incentives=incentives,
                 forced_rate=forced_rate, cheat=cheat)
    except Exception as exc:  # noqa: BLE001
        raise click.ClickException(str(exc)) from None


@cli.command("dispute-demo")
@click.option("--steps", type=click.IntRange(min=1), default=50, show_default=True, help="Training steps T of the task.")
@click.option("--fault", default=None, help="Faulty solver: step=T,node=J,element=E (flip that element's lowest bit).")
@click.option("--liar", is_flag=True, help="Honest solver; the challenger fakes a fault.")
@click.option("--stall", type=click.Choice(["solver", "challenger"]), default=None,
              help="That party stops answering after two moves.")
@click.option("--hidden", type=click.IntRange(min=1), default=8, show_default=True, help="MLP hidden width.")
@click.option("--batch", type=click.IntRange(min=1), default=4, show_default=True, help="Batch size B.")
@click.option("--checkpoint-interval", "interval", type=click.IntRange(min=1), default=None,
              help="The task's checkpoint interval c (default min(10, steps)); the run tree holds steps 0, c, 2c, ..., T.")
def dispute_demo(steps, fault, liar, stall, hidden, batch, interval) -> None:
    """Play one dispute to its end on a fresh Anvil and print its outcome."""
    from .dispute.demo import run_demo
    from .dispute.run import Fault

    try:
        f = Fault.parse(fault) if fault else None
        if f is not None and liar:
            raise ValueError("dispute: --fault and --liar exclude each other")
        res = run_demo(steps, f, liar, stall, hidden, batch, echo=lambda s: click.echo(s, err=True),
                       interval=interval)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(res.line())


def main() -> None:
    cli(obj={})


if __name__ == "__main__":
    main()
