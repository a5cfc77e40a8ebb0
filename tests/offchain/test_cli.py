"""The `train` command: help text, the final line, the run directory, bad input."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from offchain.cli import cli


def test_help():
    runner = CliRunner()
    assert "train" in runner.invoke(cli, ["--help"]).output
    out = runner.invoke(cli, ["train", "--help"]).output
    assert "--checkpoint-interval" in out and "--backend" in out


def test_train_prints_accuracy_and_run_root(tmp_path):
    runner = CliRunner()
    args = ["train", "--steps", "3", "--out", str(tmp_path), "--hidden", "8", "--batch", "4",
            "--checkpoint-interval", "2", "--quiet"]
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    m = re.fullmatch(r"accuracy=(0\.\d{4}|1\.0000) run_root=0x([0-9a-f]{64})", res.output.strip().splitlines()[-1])
    assert m
    index = json.loads((tmp_path / "index.json").read_text())
    assert index["run_root"] == "0x" + m.group(2) and sorted(index["checkpoints"], key=int) == ["0", "2", "3"]
    again = runner.invoke(cli, args[:4] + [str(tmp_path / "again")] + args[5:])
    assert again.output.strip().splitlines()[-1] == res.output.strip().splitlines()[-1]


def test_bad_input_is_one_line_error(tmp_path):
    runner = CliRunner()
    res = runner.invoke(cli, ["train", "--out", str(tmp_path), "--backend", "nope"])
    assert res.exit_code == 2 and "unknown backend 'nope'" in res.output
    res = runner.invoke(cli, ["train", "--out", str(tmp_path), "--steps", "-1"])
    assert res.exit_code == 2
