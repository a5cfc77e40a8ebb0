"""docs/taskspec.schema.json and the Python TaskSpec (offchain/roles/task.py) agree:
every valid example passes both, every invalid one is refused by both, and the
cross-field rules the schema cannot express (listed in its $comment) are refused
by Python. The schema is checked with a validator of the keywords it uses (and
with the jsonschema package too where it is installed)."""

import json
import re
from pathlib import Path

import pytest

from offchain.roles.task import SpecError, TaskSpec
from offchain.store.address import address_of

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "taskspec.schema.json").read_text())
A = "0x" + "ab" * 32
KEYWORDS = {"$schema", "$id", "title", "description", "$comment", "type", "additionalProperties", "required",
            "properties", "const", "maxLength", "minimum", "maximum", "exclusiveMinimum", "enum", "default",
            "minItems", "maxItems", "items", "oneOf", "$ref", "$defs", "pattern", "if", "then"}


def _type_ok(v, t):
    return {"object": isinstance(v, dict), "string": isinstance(v, str), "null": v is None,
            "array": isinstance(v, list), "boolean": isinstance(v, bool),
            "integer": isinstance(v, int) and not isinstance(v, bool),
            "number": isinstance(v, int | float) and not isinstance(v, bool)}[t]


def valid(v, s=SCHEMA) -> bool:
    """True when `v` satisfies schema `s` (the subset of draft 2020-12 the schema uses)."""
    if "$ref" in s:
        s = SCHEMA["$defs"][s["$ref"].rsplit("/", 1)[1]]
    checks = [
        "type" not in s or _type_ok(v, s["type"]),
        "const" not in s or (v == s["const"] and type(v) is type(s["const"])),
        "enum" not in s or v in s["enum"],
        "oneOf" not in s or sum(valid(v, o) for o in s["oneOf"]) == 1,
    ]
    if isinstance(v, str):
        checks += ["maxLength" not in s or len(v) <= s["maxLength"],
                   "pattern" not in s or re.search(s["pattern"], v) is not None]
    if _type_ok(v, "number"):
        checks += ["minimum" not in s or v >= s["minimum"], "maximum" not in s or v <= s["maximum"],
                   "exclusiveMinimum" not in s or v > s["exclusiveMinimum"]]
    if isinstance(v, list):
        checks += ["minItems" not in s or len(v) >= s["minItems"], "maxItems" not in s or len(v) <= s["maxItems"],
                   "items" not in s or all(valid(x, s["items"]) for x in v)]
    if isinstance(v, dict):
        props = s.get("properties", {})
        checks += [all(k in v for k in s.get("required", ())),
                   s.get("additionalProperties", True) is not False or set(v) <= set(props),
                   all(valid(v[k], sub) for k, sub in props.items() if k in v)]
        if "if" in s and valid(v, {**s["if"]}):
            checks.append(valid(v, s["then"]))
    return all(checks)


def python_valid(d) -> bool:
    try:
        TaskSpec.from_bytes(json.dumps(d).encode())
        return True
    except SpecError:
        return False


BASE = {"version": 1, "dataset": "digits", "data": A, "n_features": 64, "n_classes": 10, "steps": 100,
        "checkpoint_interval": 10}
VALID = [
    BASE,
    json.loads(TaskSpec.from_bytes(json.dumps(BASE).encode()).to_bytes()),  # every field, as published
    {**BASE, "model": "cnn", "image": [8, 8], "hidden": [4, 8], "batch": 32, "lr": 0.05, "seed": 2**64 - 1},
    {**BASE, "lr": None, "image": None, "holdout": "", "extra": {"note": "x"}},
    {**BASE, "holdout": A, "steps": 0, "checkpoint_interval": 1},
]
INVALID = {  # refused by both
    "missing data": {k: v for k, v in BASE.items() if k != "data"},
    "missing version": {k: v for k, v in BASE.items() if k != "version"},
    "version 2": {**BASE, "version": 2},
    "unknown field": {**BASE, "owner": "me"},
    "upper-case address": {**BASE, "data": A.upper().replace("0X", "0x")},
    "short holdout": {**BASE, "holdout": "0x12"},
    "negative steps": {**BASE, "steps": -1},
    "too many steps": {**BASE, "steps": 10_000_001},
    "boolean steps": {**BASE, "steps": True},
    "string steps": {**BASE, "steps": "100"},
    "no hidden layer": {**BASE, "hidden": []},
    "zero width": {**BASE, "hidden": [0]},
    "nine layers": {**BASE, "hidden": [4] * 9},
    "zero lr": {**BASE, "lr": 0},
    "huge lr": {**BASE, "lr": 2000.0},
    "string lr": {**BASE, "lr": "0.1"},
    "unknown model": {**BASE, "model": "rnn"},
    "cnn without image": {**BASE, "model": "cnn"},
    "zero image side": {**BASE, "image": [0, 64]},
    "three image sides": {**BASE, "image": [4, 4, 4]},
    "zero batch": {**BASE, "batch": 0},
    "negative seed": {**BASE, "seed": -1},
    "seed above 2**64-1": {**BASE, "seed": 2**64},
    "long dataset name": {**BASE, "dataset": "d" * 65},
    "too many features": {**BASE, "n_features": 4097},
    "extra not an object": {**BASE, "extra": []},
    "not an object": [BASE],
}
PYTHON_ONLY = {  # the $comment's cross-field rules
    "checkpoint interval above steps": {**BASE, "checkpoint_interval": 101},
    "image does not hold the features": {**BASE, "image": [4, 4]},
    "lr underflows float32": {**BASE, "lr": 1e-50},
}


def test_schema_uses_only_the_checked_keywords():
    def walk(s):
        if isinstance(s, dict):
            yield from s
            for k, v in s.items():
                if k not in ("properties", "$defs"):
                    yield from walk(v)
                else:
                    for sub in v.values():
                        yield from walk(sub)
        elif isinstance(s, list):
            for x in s:
                yield from walk(x)
    assert set(walk(SCHEMA)) <= KEYWORDS
    assert set(SCHEMA["properties"]) == set(TaskSpec.__dataclass_fields__)


@pytest.mark.parametrize("i", range(len(VALID)))
def test_valid_examples_pass_both(i):
    assert valid(VALID[i]) and python_valid(VALID[i])


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_examples_refused_by_both(name):
    assert not valid(INVALID[name]), name
    assert not python_valid(INVALID[name]), name


@pytest.mark.parametrize("name", sorted(PYTHON_ONLY))
def test_cross_field_rules_refused_by_python(name):
    assert valid(PYTHON_ONLY[name]) and not python_valid(PYTHON_ONLY[name])


def test_spec_hash_is_keccak_of_the_published_bytes():
    spec = TaskSpec.from_bytes(json.dumps(BASE).encode())
    data = spec.to_bytes()
    assert data == json.dumps(json.loads(data), sort_keys=True, separators=(",", ":")).encode()
    assert address_of(data).startswith("0x") and len(address_of(data)) == 66


def test_the_jsonschema_package_agrees():
    import jsonschema  # requirements.txt: the schema is checked by the reference validator too
    v = jsonschema.Draft202012Validator(SCHEMA)
    assert all(v.is_valid(x) for x in VALID + list(PYTHON_ONLY.values()))
    assert not any(v.is_valid(x) for x in INVALID.values())
