"""Command line: `python -m offchain <command> --help`; one click group, one thin
function per command. `train` (runtime) trains reproducibly and prints
`accuracy=... run_root=0x...`; serve, submit, solve, verify, status and demo run
the protocol roles with settings from offchain/config.py; dispute-demo plays one
dispute game to its end on a fresh Anvil; warmup compiles the numba kernels
into their on-disk cache."""

from __future__ import annotations

import json
import logging
import math
import os
import re
import sys
from pathlib import Path

import click

from .config import load_settings


def _setup_logging(verbose: bool) -> None:
    from .limits import SafeFormatter  # one message is one line, whatever untrusted text it holds

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    for noisy in ("web3", "urllib3", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _settings(ctx: click.Context, **overrides):
    try:
        return load_settings(ctx.obj.get("config"), **overrides)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


# --- flag validation: every flag checked before anything starts, one line naming it -------------


class OneLineGroup(click.Group):
    """A click group whose errors are one line on stderr (`Error: ...`), with no usage block."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            no_args = getattr(click.exceptions, "NoArgsIsHelpError", ())
            if isinstance(exc, no_args):  # no command given: the help text, as click prints it
                exc.show()
            else:
                click.echo(f"Error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Abort, KeyboardInterrupt):
            click.echo("Aborted!", err=True)
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)


def _number(lo: float | None = None, hi: float | None = None, open_lo: bool = False):
    """A click callback: a finite float within [lo, hi] (lo excluded with `open_lo`); None passes."""
    def check(_ctx, param, value):
        if value is None:
            return None
        bad = not math.isfinite(value) or (lo is not None and (value <= lo if open_lo else value < lo)) \
            or (hi is not None and value > hi)
        if bad:
            rng = " and ".join(x for x in ((lo is not None and f"{'>' if open_lo else '>='} {lo:g}"),
                                           (hi is not None and f"<= {hi:g}")) if x)
            raise click.BadParameter(f"{value!r} is not a finite number {rng}", param=param)
        return value
    return check


def _widths(_ctx, param, value: str):
    """`--hidden 128,64`: a tuple of positive integers."""
    parts = [w.strip() for w in (value or "").split(",")]
    if not parts or not all(re.fullmatch(r"[0-9]+", w) and int(w) >= 1 for w in parts):
        raise click.BadParameter(f"{value!r} is not a comma-separated list of positive integers", param=param)
    return tuple(int(w) for w in parts)


def _out_dir(_ctx, param, value: str):
    """`--out DIR`: created now (with its parents) and writable, else one line."""
    p = Path(value)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.BadParameter(f"{value!r}: cannot create it ({exc.strerror})", param=param) from None
    if not os.access(p, os.W_OK | os.X_OK):
        raise click.BadParameter(f"{value!r}: not writable", param=param)
    return value


def _backend(_ctx, param, value: str | None):
    if value is None:  # the settings' backend (checked where it is used)
        return None
    from .runtime import executor

    try:
        executor.get_backend(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: {exc}", param=param) from None
    return value


def _fault(_ctx, param, value: str | None):
    """`--fault step=T,node=J,element=E`: its form (its range is checked against the task)."""
    if value is None:
        return None
    from .dispute.run import Fault

    try:
        Fault.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc).removeprefix("dispute: "), param=param) from None
    return value


def _accounts(_ctx, param, values):
    named = {}
    for a in values:
        name, _, addr = a.partition("=")
        if not name or not re.fullmatch(r"0x[0-9a-fA-F]{40}", addr):
            raise click.BadParameter(f"{a!r} is not NAME=0xADDRESS (40 hex digits)", param=param)
        named[name] = addr
    return named


def _non_empty(_ctx, param, value):
    if value is not None and not value.strip():
        raise click.BadParameter("must not be empty", param=param)
    return value


def _check_backend(name: str) -> None:
    """ValueError naming the backend when it cannot run here (unknown, or numba missing)."""
    from .runtime import executor

    executor.get_backend(name)


@click.group(cls=OneLineGroup)
@click.option("--config", type=click.Path(dir_okay=False, exists=True), default=None,
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
@click.option("--steps", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Training steps T (step 0 is the initialisation).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, callback=_out_dir,
              help="Directory for checkpoints and index.json.")
@click.option("--backend", default=None, callback=_backend,
              help="Executor: fast (numba, the default: settings backend), reference or reference:cuda.")
@click.option("--checkpoint-interval", "interval", type=click.IntRange(min=1), default=100,
              show_default=True, help="Write a checkpoint every k steps.")
@click.option("--batch", type=click.IntRange(min=1), default=32, show_default=True, help="Batch size B.")
@click.option("--lr", type=float, default=None, callback=_number(0, None, open_lo=True),
              help="Learning rate (default: the model's; the MLP with adam: 0.001).")
@click.option("--seed", type=click.IntRange(min=0, max=2**64 - 1), default=1, show_default=True,
              help="Task seed (batches and initial values).")
@click.option("--hidden", default="128", show_default=True, callback=_widths,
              help="MLP hidden widths, comma separated.")
@click.option("--loss", type=click.Choice(["mse", "xent"]), default="mse", show_default=True,
              help="MLP loss: mse on one-hot targets (op set v1) or softmax cross-entropy (v2).")
@click.option("--optimizer", type=click.Choice(["sgd", "adam"]), default="sgd", show_default=True,
              help="MLP optimizer: sgd (v1) or adam (AdamW, v2).")
@click.option("--weight-decay", type=float, default=0.0, show_default=True, callback=_number(0, 1),
              help="AdamW weight decay.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def train(ctx: click.Context, model: str, dataset_name: str, steps: int, out_dir: str, backend: str | None,
          interval: int, batch: int, lr: float | None, seed: int, hidden: tuple[int, ...], loss: str,
          optimizer: str, weight_decay: float, quiet: bool) -> None:
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

    backend = backend or _settings(ctx).backend
    try:
        data = dataset.load(dataset_name)
        spec = compiler.TrainSpec(model, batch, lr, seed, hidden, loss, optimizer, weight_decay)
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
@click.option("--host", default=None, callback=_non_empty, help="Bind address (settings: store_host).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port, 0 for any free one (settings: store_port).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the local artifact store over HTTP (GET/HEAD /<address>, signed PUT /<address>).

    Uploads are accepted from the addresses in store_uploaders and, when
    store_min_stake > 0, from any address with that bond in the StakeManager
    (read from the chain at rpc_url); each within store_quota bytes."""
    from .store import LocalStore, StoreServer
    from .store.auth import AllowList, StakedUploaders, any_of
    from .store.server import ServerLimits

    s = _settings(ctx, store_host=host, store_port=port)
    try:
        authorizers = [AllowList.parse(s.store_uploaders)]
        if s.store_min_stake > 0:
            from .chain import ChainClient

            chain = ChainClient(s.with_(private_key=""))  # read-only: the store holds no key
            authorizers.append(StakedUploaders(lambda a: chain.call("StakeManager", "bonded", a),
                                               s.store_min_stake))
        if s.store_quota < 0 or s.store_max_artifact < 1:
            raise ValueError("serve: store_quota must be >= 0 and store_max_artifact >= 1")
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if not authorizers[0].addresses and s.store_min_stake <= 0:
        click.echo("serve: no uploader is authorised (set store_uploaders or store_min_stake): "
                   "every upload will be refused", err=True)
    srv = StoreServer(LocalStore(s.store_dir), s.store_host, s.store_port, authorize=any_of(*authorizers),
                      limits_=ServerLimits(max_artifact=s.store_max_artifact, quota=s.store_quota))
    click.echo(f"serving {s.store_dir} at {srv.url}", err=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


@cli.command()
@click.option("--dataset", type=click.Choice(["digits", "synthetic"]), default="digits", show_default=True,
              help="Dataset name.")
@click.option("--model", type=click.Choice(["mlp", "cnn"]), default="mlp", show_default=True, help="mlp or cnn.")
@click.option("--hidden", default="16", show_default=True, callback=_widths,
              help="Hidden widths, comma separated.")
@click.option("--steps", type=click.IntRange(min=1), default=30, show_default=True, help="Training steps T.")
@click.option("--batch", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--lr", type=float, default=None, callback=_number(0, None, open_lo=True),
              help="Learning rate (model default if unset).")
@click.option("--seed", type=click.IntRange(0, 2**64 - 1), default=1, show_default=True)
@click.option("--checkpoint-interval", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--payment", type=float, default=10.0, show_default=True, callback=_number(0, 1e12, open_lo=True),
              help="Tokens escrowed.")
@click.option("--solver-stake", type=float, default=100.0, show_default=True, callback=_number(0, 1e12),
              help="Tokens the solver locks.")
@click.option("--claim-period", type=click.IntRange(min=1), default=600, show_default=True,
              help="Seconds to claim.")
@click.option("--solve-period", type=click.IntRange(min=1), default=3600, show_default=True,
              help="Seconds to solve.")
@click.option("--watch/--no-watch", default=False, help="Keep running: cancel, expire or finalise the task.")
@click.pass_context
def submit(ctx, dataset, model, hidden, steps, batch, lr, seed, checkpoint_interval, payment,
           solver_stake, claim_period, solve_period, watch) -> None:
    """Publish a dataset, program and spec, and create the task (prints its id)."""
    from .deployment import to_units, token_of
    from .roles.submit import Submitter, TaskTerms, build_spec

    s = _settings(ctx)
    try:
        spec, artifacts = build_spec(dataset, steps, checkpoint_interval, model, hidden, batch, lr, seed)
        sub = Submitter(s)
        decimals = token_of(s)[1]  # the deployment's token, not an assumed 18 decimals
        tid = sub.create(spec, artifacts, TaskTerms(to_units(payment, decimals), to_units(solver_stake, decimals),
                                                    claim_period, solve_period))
    except Exception as exc:  # noqa: BLE001 - one clear line for the operator
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps({"task_id": tid}))
    if watch:
        sub.run(until=lambda: all(p in ("finalized", "cancelled", "expired", "rejected")
                                  for _, p, _ in sub.db.tasks()))


@cli.command()
@click.option("--fault", default=None, metavar="step=T,node=J,element=E", callback=_fault,
              help="Flip the lowest mantissa bit of that element and carry on (dishonest).")
@click.option("--skip-steps", type=float, default=0.0, show_default=True, callback=_number(0, 1),
              help="Fake this fraction of the steps by copying the previous state (dishonest).")
@click.option("--skip-seed", type=click.IntRange(0, 2**64 - 1), default=0, show_default=True,
              help="Which steps --skip-steps fakes.")
@click.option("--backend", default=None, callback=_backend, help="Executor backend (default: settings backend, fast).")
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
        _check_backend(backend or s.backend)
        solver = Solver(s, fault=f, skip_steps=skip_steps, skip_seed=skip_seed, backend=backend or s.backend,
                        cheat=cheat or "")
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    until = None
    if exit_when_done:
        until = lambda: bool(solver.db.tasks()) and all(  # noqa: E731
            p in ("finalized", "refused", "lost", "rejected", "expired") for _, p, _ in solver.db.tasks())
    solver.run(until=until)


@cli.command()
@click.option("--samples", type=click.IntRange(min=1), default=None,
              help="Steps to check per task (settings: samples).")
@click.option("--backend", default=None, callback=_backend, help="Executor backend (default: settings backend, fast).")
@click.pass_context
def verify(ctx, samples, backend) -> None:
    """Run the verifier daemon: re-execute sampled steps of every committed result."""
    from .roles.verify import Verifier

    s = _settings(ctx, samples=samples)
    try:
        _check_backend(backend or s.backend)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    Verifier(s, backend=backend or s.backend).run()


@cli.command()
def warmup() -> None:
    """Compile the fast executor's and the hashing kernels into numba's cache (run by `make setup`)."""
    from .runtime.warmup import warmup as run_warmup

    click.echo(f"numba kernels ready in {run_warmup():.1f} s")


@cli.command()
@click.option("--account", "accounts", multiple=True, metavar="NAME=0xADDRESS", callback=_accounts,
              help="Also show this account's balances (repeatable).")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON document (amounts in the token's smallest unit, as strings).")
@click.pass_context
def status(ctx, accounts, as_json) -> None:
    """Print a table of tasks, their phase and deadlines, and balances."""
    from .chain import ChainClient
    from .roles.status import print_status, status_document

    s = _settings(ctx)
    try:
        chain = ChainClient(s)
        if as_json:
            click.echo(json.dumps(status_document(chain, accounts), indent=2))
        else:
            print_status(chain, accounts)
    except Exception as exc:  # noqa: BLE001
        raise click.ClickException(str(exc)) from None


@cli.command()
@click.option("--steps", type=click.IntRange(1, 1_000_000), default=1000, show_default=True,
              help="Training steps of the demo task.")
@click.option("--samples", type=click.IntRange(min=1), default=None,
              help="Steps the verifier checks (default 3; every step with --fault, so the fault is caught).")
@click.option("--fault", default=None, metavar="step=T,node=J,element=E", callback=_fault,
              help="Run the solver with this fault (see `solve --help`): the verifier disputes it "
                   "(with --incentives: after flagging it and the solver's secret reveal).")
@click.option("--skip-steps", type=float, default=0.0, callback=_number(0, 1),
              help="Run the solver with --skip-steps.")
@click.option("--incentives", is_flag=True,
              help="Deploy the VerifierPool: the verifier attests, reveals and settles (fee share, jackpot).")
@click.option("--forced-rate", type=click.IntRange(0, 1_000_000), default=None, metavar="PPM",
              help="With --incentives: the forced-error rate of the claim (1000000: forced; default: the parameter).")
@click.option("--cheat", type=click.Choice(["withhold", "random-root", "wrong-model"]), default=None,
              help="Run a cheating solver (solve --cheat); the demo ends status=rejected when caught.")
@click.option("--timeout", type=float, default=None, callback=_number(0, None, open_lo=True),
              help="Overall limit in seconds: the demo ends with an error after it (default: 1800 plus "
                   "2 s per step).")
def demo(steps, samples, fault, skip_steps, incentives, forced_rate, cheat, timeout) -> None:
    """Start Anvil, deploy, run store, solver and verifier, submit the digits task,
    wait until it is finalised (or, with a fault the verifier catches, until the
    daemons have played the dispute to its end) and print a summary. With
    --incentives, walk the task through the incentive layer's windows too.
    Leaves nothing running, also when stopped by SIGTERM or Ctrl-C; a daemon's error
    ends it with that error."""
    from .demo import DemoStopped, check_demo_fault, default_timeout, run_demo

    try:
        if fault:
            check_demo_fault(fault, steps)  # the task's program: node and element too
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
                 forced_rate=forced_rate, cheat=cheat,
                 timeout=timeout if timeout is not None else default_timeout(steps))
    except DemoStopped as exc:  # SIGTERM/SIGHUP: cleaned up; the conventional 128 + signal status
        err = click.ClickException(str(exc))
        err.exit_code = 128 + exc.signum
        raise err from None
    except Exception as exc:  # noqa: BLE001
        raise click.ClickException(str(exc)) from None


@cli.command("dispute-demo")
@click.option("--steps", type=click.IntRange(min=1), default=50, show_default=True, help="Training steps T of the task.")
@click.option("--fault", default=None, callback=_fault,
              help="Faulty solver: step=T,node=J,element=E (flip that element's lowest bit).")
@click.option("--liar", is_flag=True, help="Honest solver; the challenger fakes a fault.")
@click.option("--stall", type=click.Choice(["solver", "challenger"]), default=None,
              help="That party stops answering after two moves.")
@click.option("--hidden", type=click.IntRange(min=1), default=8, show_default=True, help="MLP hidden width.")
@click.option("--batch", type=click.IntRange(min=1), default=4, show_default=True, help="Batch size B.")
@click.option("--loss", type=click.Choice(["mse", "xent"]), default="mse", show_default=True,
              help="The task MLP's loss (xent: op set v2).")
@click.option("--optimizer", type=click.Choice(["sgd", "adam"]), default="sgd", show_default=True,
              help="The task MLP's optimizer (adam: op set v2).")
@click.option("--checkpoint-interval", "interval", type=click.IntRange(min=1), default=None,
              help="The task's checkpoint interval c (default min(10, steps)); the run tree holds steps 0, c, 2c, ..., T.")
def dispute_demo(steps, fault, liar, stall, hidden, batch, loss, optimizer, interval) -> None:
    """Play one dispute to its end on a fresh Anvil and print its outcome."""
    from .dispute.demo import run_demo
    from .dispute.run import Fault

    logging.getLogger("offchain.dispute").setLevel(logging.WARNING)  # each move is echoed once, below
    try:
        f = Fault.parse(fault) if fault else None
        if f is not None and liar:
            raise ValueError("dispute: --fault and --liar exclude each other")
        res = run_demo(steps, f, liar, stall, hidden, batch, echo=lambda s: click.echo(s, err=True),
                       loss=loss, optimizer=optimizer, interval=interval)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(res.line())


def main() -> None:
    cli(obj={})


if __name__ == "__main__":
    main()
