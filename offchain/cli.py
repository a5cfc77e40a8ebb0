"""Command-line interface: one click group, one function per command.

`python -m offchain train ...` trains a model reproducibly and prints
`accuracy=<held-out accuracy> run_root=0x<hex>`; the protocol roles add
their own commands (serve, submit, solve, verify, status) to `cli`.
"""

from __future__ import annotations

import click


@click.group()
def cli() -> None:
    """Trustless training agent: reproducible runtime, commitments and protocol roles."""


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


def main() -> None:
    cli()
