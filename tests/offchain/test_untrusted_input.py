"""Attacks through untrusted structures (issue 15, item 5): array artifacts, manifests,
checkpoints, spec JSON and log lines. Each is refused with one clean ValueError line
(no RecursionError, numpy shape error or KeyError), and no untrusted text can forge a
log line. On the old decoders: negative or huge dimensions were accepted or raised
numpy errors, deep JSON raised RecursionError, `Checkpoint.from_bytes` raised
KeyError, unknown spec keys were echoed raw with their newlines."""

from __future__ import annotations

import io
import json
import logging
import struct

import numpy as np
import pytest

from offchain import limits
from offchain.roles.task import (
    Checkpoint,
    Manifest,
    SpecError,
    TaskSpec,
    decode_arrays,
    encode_arrays,
)

ADDR = "0x" + "ab" * 32
ROOT = "cd" * 32


def _arrays(shapes, body: bytes, meta=None) -> bytes:
    head = json.dumps({"meta": meta or {}, "shapes": shapes}).encode()
    return struct.pack(">I", len(head)) + head + body


def test_roundtrip_still_works():
    a, b = np.arange(6, dtype=np.uint32).reshape(2, 3), np.zeros((0, 4), np.uint32)
    meta, (x, y) = decode_arrays(encode_arrays({"k": 1}, [a, b]))
    assert meta == {"k": 1} and (x == a).all() and y.shape == (0, 4)


@pytest.mark.parametrize("shapes,body,reason", [
    ([[-1, -4]], b"\0" * 16, "dimension -1"),
    ([[-2, -2]], b"\0" * 16, "dimension -2"),
    ([[-1]], b"", "dimension -1"),
    ([[2**40, 0]], b"", "dimension 1099511627776"),
    ([[1 << 20, 1 << 20]], b"", "more than"),
    ([[1000.0]], b"\0" * 4000, "dimension 1000.0"),
    ([[True, 2]], b"\0" * 8, "dimension True"),
    ([["2"]], b"\0" * 8, "dimension '2'"),
    ([[1, 1, 1, 1, 1]], b"\0" * 4, "at most 4 dimensions"),
    ([3], b"\0" * 12, "shape 0 must be a list"),
    ([[2, 2]], b"\0" * 12, "the shapes need 52 bytes, the artifact has 48"),  # truncated
    ([[2, 2]], b"\0" * 20, "the shapes need 52 bytes, the artifact has 56"),  # trailing bytes
    ([[1]] * (limits.MAX_ARRAYS + 1), b"", "at most 4096 shapes"),
])
def test_attack_bad_array_dimensions_refused(shapes, body, reason):
    with pytest.raises(ValueError, match="malformed array artifact") as e:
        decode_arrays(_arrays(shapes, body))
    assert reason in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("data,reason", [
    (b"", "shorter than"),
    (struct.pack(">I", 1 << 31) + b"{}", "past the end"),
    (struct.pack(">I", 2) + b"[]", "exactly meta and shapes"),
    (struct.pack(">I", 5000) + b"[" * 2500 + b"]" * 2500, "nested deeper"),
    (_arrays([[1]], b"\0" * 4, meta=[1]), "meta must be an object"),
])
def test_attack_malformed_array_header_refused(data, reason):
    with pytest.raises(ValueError, match=reason):
        decode_arrays(data)


@pytest.mark.parametrize("depth", [40, 100_000])
def test_attack_deep_json_is_a_clean_error_not_recursion(depth):
    deep = b"[" * depth + b"]" * depth
    with pytest.raises(SpecError, match="nested deeper than 32|bytes of JSON"):
        TaskSpec.from_bytes(deep)
    with pytest.raises(ValueError, match="nested deeper than 32"):
        Manifest.from_bytes(deep)
    nested = b'{"a":' * depth + b"1" + b"}" * depth
    with pytest.raises(ValueError, match="nested deeper than 32"):
        Manifest.from_bytes(nested)


def _spec(**changes) -> bytes:
    d = json.loads(TaskSpec("digits", ADDR, 4, 2, 100, 10).to_bytes())
    d.update(changes)
    return json.dumps(d).encode()


@pytest.mark.parametrize("changes,reason", [
    ({"steps": float("inf")}, "Infinity is not a JSON number"),
    ({"steps": 1e9}, "steps must be an integer, got 1000000000.0"),
    ({"checkpoint_interval": "k"}, "checkpoint_interval must be an integer, got 'k'"),
    ({"batch": 2**31}, "batch=2147483648 outside [1, 4096]"),
    ({"lr": float("nan")}, "NaN is not a JSON number"),
    ({"model": "x" * 10_000}, "unknown model 'xxxx"),
])
def test_attack_bad_spec_values_refused(changes, reason):
    with pytest.raises(SpecError) as e:
        TaskSpec.from_bytes(_spec(**changes))
    assert reason in str(e.value)
    assert len(str(e.value)) < 300  # never the whole hostile value


def test_attack_oversized_spec_refused():
    with pytest.raises(SpecError, match="bytes of JSON"):
        TaskSpec.from_bytes(_spec(extra={"pad": "x" * (1 << 17)}))


FORGED = "x\n2026-01-01 00:00:00,000 INFO solve: task=7 finalized"


def test_attack_log_injection_through_unknown_spec_key():
    with pytest.raises(SpecError) as e:
        TaskSpec.from_bytes(_spec(**{FORGED: 1}))
    msg = str(e.value)
    assert "\n" not in msg and "unknown field(s) 'x\\n2026" in msg
    # and whatever message a role logs, the formatter keeps it on one line
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(limits.SafeFormatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("test.injection")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("solve: refuse task=1: %s", FORGED + "\r\x1b[2K")
    finally:
        logger.removeHandler(handler)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("WARNING solve: refuse task=1: x\\n2026")
    assert "\\r\\x1b[2K" in lines[0]
    assert not any(line.startswith(("INFO", "2026")) for line in lines)


def _manifest(**changes) -> bytes:
    d = {"task_id": 1, "step_roots": [ROOT, ROOT], "checkpoints": {"0": ADDR, "1": ADDR},
         "final_model": ADDR}
    d.update(changes)
    return json.dumps(d).encode()


def test_manifest_roundtrip():
    m = Manifest.from_bytes(_manifest())
    assert Manifest.from_bytes(m.to_bytes()) == m


@pytest.mark.parametrize("changes,reason", [
    ({"task_id": -1}, "not a uint256"),
    ({"task_id": "1"}, "not a uint256"),
    ({"step_roots": ["zz" * 32]}, "32-byte hex roots"),
    ({"step_roots": [ROOT[:10]]}, "32-byte hex roots"),
    ({"checkpoints": {"-1": ADDR}}, "is not a decimal step"),
    ({"checkpoints": {"\u0665": ADDR}}, "is not a decimal step"),  # int() would accept an Arabic 5
    ({"checkpoints": {"1": "../../etc/passwd"}}, "is not a decimal step"),
    ({"checkpoints": []}, "checkpoints must be an object"),
    ({"final_model": 7}, "final_model 7 is not a content address"),
    ({"extra": 1}, "exactly task_id"),
])
def test_attack_malformed_manifest_refused(changes, reason):
    with pytest.raises(ValueError, match="malformed manifest") as e:
        Manifest.from_bytes(_manifest(**changes))
    assert reason in str(e.value)


@pytest.mark.parametrize("meta,reason", [
    ({}, "exactly step and node_roots"),
    ({"step": "3", "node_roots": []}, "step '3'"),
    ({"step": -1, "node_roots": []}, "step -1"),
    ({"step": 1, "node_roots": ["00"]}, "32-byte hex roots"),
    ({"step": 1, "node_roots": [ROOT], "x": 1}, "exactly step and node_roots"),
])
def test_attack_malformed_checkpoint_refused(meta, reason):
    with pytest.raises(ValueError, match="malformed checkpoint") as e:
        Checkpoint.from_bytes(encode_arrays(meta, [np.zeros(2, np.uint32)]))
    assert reason in str(e.value)
