"""Bad input on the command line (issue 14 item 6): every flag of every `python -m offchain`
command is checked before anything starts; a bad value gives one line on stderr naming the
flag and the value, exit status 2, and (for `demo`) no Anvil is ever started."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from offchain.chain import anvil
from offchain.cli import cli

ROOT = Path(__file__).resolve().parents[2]

#: (case, argv, words the one error line must hold)
CASES = [
    ("train-steps-negative", ["train", "--out", "{tmp}", "--steps", "-5"], ["--steps", "-5"]),
    ("train-steps-zero", ["train", "--out", "{tmp}", "--steps", "0"], ["--steps", "0"]),
    ("train-lr-negative", ["train", "--out", "{tmp}", "--lr", "-1"], ["--lr", "-1"]),
    ("train-lr-nan", ["train", "--out", "{tmp}", "--lr", "nan"], ["--lr", "nan"]),
    ("train-hidden-abc", ["train", "--out", "{tmp}", "--hidden", "abc"], ["--hidden", "abc"]),
    ("train-hidden-zero", ["train", "--out", "{tmp}", "--hidden", "16,0"], ["--hidden", "16,0"]),
    ("train-out-proc", ["train", "--out", "/proc/nope"], ["--out", "/proc/nope"]),
    ("train-backend", ["train", "--out", "{tmp}", "--backend", "gpu9"], ["--backend", "gpu9"]),
    ("serve-port", ["serve", "--port", "70000"], ["--port", "70000"]),
    ("submit-steps-zero", ["submit", "--steps", "0"], ["--steps", "0"]),
    ("submit-payment-negative", ["submit", "--payment", "-1"], ["--payment", "-1"]),
    ("submit-payment-inf", ["submit", "--payment", "inf"], ["--payment", "inf"]),
    ("submit-interval-zero", ["submit", "--checkpoint-interval", "0"], ["--checkpoint-interval", "0"]),
    ("submit-solve-period", ["submit", "--solve-period", "-3"], ["--solve-period", "-3"]),
    ("submit-model", ["submit", "--model", "gpt"], ["--model", "gpt"]),
    ("solve-fault-form", ["solve", "--fault", "step=x"], ["--fault", "step=x"]),
    ("solve-skip-steps", ["solve", "--skip-steps", "2"], ["--skip-steps", "2"]),
    ("verify-samples-zero", ["verify", "--samples", "0"], ["--samples", "0"]),
    ("status-account", ["status", "--account", "bob=0x12"], ["--account", "bob=0x12"]),
    ("demo-steps-negative", ["demo", "--steps", "-5"], ["--steps", "-5"]),
    ("demo-steps-zero", ["demo", "--steps", "0"], ["--steps", "0"]),
    ("demo-timeout-zero", ["demo", "--timeout", "0"], ["--timeout", "0"]),
    ("demo-fault-step-out-of-range", ["demo", "--steps", "20", "--fault", "step=99,node=1,element=1"],
     ["--fault", "fault step 99 outside 0..20"]),
    ("demo-fault-node-out-of-range", ["demo", "--steps", "20", "--fault", "step=3,node=999,element=0"],
     ["--fault", "node 999 outside"]),
    ("dispute-demo-fault", ["dispute-demo", "--fault", "nope"], ["--fault", "nope"]),
    ("config-missing", ["--config", "{tmp}/none.toml", "verify"], ["--config", "none.toml"]),
]


@pytest.fixture
def no_anvil(monkeypatch):
    """Any attempt to start Anvil fails the test."""
    def refuse(*_a, **_k):
        raise AssertionError("Anvil was started for a command with a bad flag")
    monkeypatch.setattr(anvil.Anvil, "start", refuse)


def _one_line_error(res) -> str:
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert res.exit_code == 2, (res.exit_code, res.output)
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
    return lines[0]


@pytest.mark.parametrize("case,argv,words", CASES, ids=[c[0] for c in CASES])
def test_bad_flag_is_one_line_exit_2_before_starting(tmp_path, no_anvil, case, argv, words):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    line = _one_line_error(CliRunner().invoke(cli, argv, env={"TT_CONFIG": ""}))
    for w in words:
        assert w in line, line


def test_bad_private_key_is_named_not_shown(tmp_path, no_anvil):
    key = "0x" + "zz" * 32
    res = CliRunner().invoke(cli, ["verify"], env={"TT_PRIVATE_KEY": key, "TT_STATE_DIR": str(tmp_path)})
    line = _one_line_error(res)
    assert "private_key" in line and key not in res.output


def test_bad_toml_names_the_file_and_line(tmp_path, no_anvil):
    p = tmp_path / "agent.toml"
    p.write_text('[agent]\nsamples = 3\nrpc_url = "http://x\n')
    line = _one_line_error(CliRunner().invoke(cli, ["--config", str(p), "verify"]))
    assert str(p) in line and "line 3" in line


def test_setting_out_of_range_in_toml_names_setting_value_and_range(tmp_path, no_anvil):
    p = tmp_path / "agent.toml"
    p.write_text("[agent]\nsamples = 0\n")
    line = _one_line_error(CliRunner().invoke(cli, ["--config", str(p), "verify"]))
    assert "samples = 0" in line and ">= 1" in line


def test_demo_fault_out_of_range_ends_at_once_with_one_line():
    # the real process: the error is on stderr at once, exit 2, nothing started
    res = subprocess.run([sys.executable, "-m", "offchain", "demo", "--steps", "20", "--fault",
                          "step=99,node=1,element=1"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert res.returncode == 2, res.stderr
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "fault step 99 outside 0..20" in lines[0], res.stderr
    assert "anvil at" not in res.stdout
