"""Task specs and artifacts: what the submitter publishes, what solvers and
verifiers fetch and check, and the byte formats of arrays and checkpoints.

A task spec is a small JSON document whose content address is the task's
`spec_hash` on chain. It names the model (compiled by every party from the
spec itself, never trusted from the store), the number of steps and the
content addresses of the training matrix and the held-out set.
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from .. import limits
from ..commit import merkle
from ..commit.tensor import tensor_root
from ..runtime import compiler
from ..runtime.dataset import Dataset
from ..runtime.program import Program

SPEC_VERSION = 1

#: bounds of a spec any party accepts (larger values are refused, never attempted)
MAX_STEPS = 10_000_000
MAX_WIDTH = 4096  # features, hidden widths, classes
MAX_LAYERS = 8
MAX_BATCH = 4096
MAX_LR = 1e3
MAX_SEED = 2**64 - 1
MAX_STEP_ELEMENTS = 1 << 26  # elements of all node outputs of one step (256 MiB of float32)
_ADDRESS = re.compile(r"0x[0-9a-f]{64}")
_HEX32 = re.compile(r"[0-9a-f]{64}")
_STEP_KEY = re.compile(r"0|[1-9][0-9]{0,15}")
MAX_SPEC_BYTES = 64 << 10  # a spec is a few hundred bytes
MAX_NODES = 1 << 20  # node roots of one step in a checkpoint


class SpecError(ValueError):
    """A task spec (or its data) that is malformed or impossible: refused, never retried."""


def _int(d: dict, name: str, lo: int, hi: int) -> None:
    v = d[name]
    if type(v) is not int:
        raise SpecError(f"{name} must be an integer, got {limits.show(v)}")
    if not lo <= v <= hi:
        raise SpecError(f"{name}={v} outside [{lo}, {hi}]")


def check_fields(d: dict) -> None:
    """Raise SpecError naming the first field of spec dict `d` that is missing, of the
    wrong type, or out of its bounds (the checks that need no data)."""
    if not isinstance(d, dict):
        raise SpecError(f"a spec is a JSON object, got {type(d).__name__}")
    if d.get("version") != SPEC_VERSION:
        raise SpecError(f"unsupported spec version {limits.show(d.get('version'))}")
    known = set(TaskSpec.__dataclass_fields__)
    if unknown := sorted(set(d) - known):
        raise SpecError(f"unknown field(s) {', '.join(limits.show(k, 40) for k in unknown[:5])}")
    required = ("dataset", "data", "n_features", "n_classes", "steps", "checkpoint_interval")
    if missing := [k for k in required if k not in d]:
        raise SpecError(f"missing field(s) {', '.join(missing)}")
    if not isinstance(d["dataset"], str) or len(d["dataset"]) > 64:
        raise SpecError("dataset must be a name of at most 64 characters")
    if not isinstance(d["data"], str) or not _ADDRESS.fullmatch(d["data"]):
        raise SpecError(f"data must be a content address 0x<64 hex>, got {limits.show(d['data'])}")
    if d.get("holdout", "") != "" and not (isinstance(d["holdout"], str) and _ADDRESS.fullmatch(d["holdout"])):
        raise SpecError(f"holdout must be empty or a content address, got {limits.show(d['holdout'])}")
    _int(d, "n_features", 1, MAX_WIDTH)
    _int(d, "n_classes", 1, MAX_WIDTH)
    _int(d, "steps", 0, MAX_STEPS)
    _int(d, "checkpoint_interval", 1, max(d["steps"], 1))
    model = d.get("model", "mlp")
    if model not in compiler.MODELS:
        raise SpecError(f"unknown model {limits.show(model)} (known: {', '.join(compiler.MODELS)})")
    if "batch" in d:
        _int(d, "batch", 1, MAX_BATCH)
    if "seed" in d:
        _int(d, "seed", 0, MAX_SEED)
    hidden = d.get("hidden", [16])
    if not isinstance(hidden, list | tuple) or not 1 <= len(hidden) <= MAX_LAYERS:
        raise SpecError(f"hidden must be a list of 1..{MAX_LAYERS} widths, got {limits.show(hidden)}")
    for w in hidden:
        if type(w) is not int or not 1 <= w <= MAX_WIDTH:
            raise SpecError(f"hidden width {limits.show(w)} outside [1, {MAX_WIDTH}]")
    lr = d.get("lr")
    if lr is not None:
        if type(lr) not in (int, float) or not math.isfinite(lr) or not 0 < lr <= MAX_LR:
            raise SpecError(f"lr must be a finite number in (0, {MAX_LR:g}], got {limits.show(lr)}")
        if np.float32(lr) == 0 or not np.isfinite(np.float32(lr)):
            raise SpecError(f"lr {limits.show(lr)} is not a normal float32")
    image = d.get("image")
    if image is not None:
        if (not isinstance(image, list | tuple) or len(image) != 2
                or any(type(v) is not int or not 1 <= v <= 255 for v in image)):
            raise SpecError(f"image must be [H, W] with sizes in [1, 255], got {limits.show(image)}")
        if image[0] * image[1] != d["n_features"]:
            raise SpecError(f"image {image[0]}x{image[1]} does not hold n_features={d['n_features']}")
    if model == "cnn" and image is None:
        raise SpecError("a cnn needs an image shape")
    if not isinstance(d.get("extra", {}), dict):
        raise SpecError("extra must be an object")


@dataclass(frozen=True)
class TaskSpec:
    """Everything needed to rebuild a task's program; its JSON address is spec_hash."""

    dataset: str  # name, for people (the bytes are at `data`)
    data: str  # content address of the training matrix (uint32 (N, D))
    n_features: int
    n_classes: int
    steps: int  # T
    checkpoint_interval: int
    model: str = "mlp"
    hidden: tuple[int, ...] = (16,)
    batch: int = 8
    lr: float | None = None
    seed: int = 1
    image: tuple[int, int] | None = None
    holdout: str = ""  # content address of the held-out set (metric only)
    version: int = SPEC_VERSION
    extra: dict = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> TaskSpec:
        """The spec in `data`; SpecError (a ValueError) naming the problem when the bytes
        are not JSON or a field is missing, mistyped, unknown or out of bounds."""
        try:
            d = limits.loads(data, "task: malformed spec", max_bytes=MAX_SPEC_BYTES)
        except limits.LimitError as exc:
            raise SpecError(str(exc)) from None
        try:
            check_fields(d)
        except SpecError as exc:
            raise SpecError(f"task: malformed spec: {exc}") from None
        d["hidden"] = tuple(d.get("hidden", (16,)))
        if d.get("image") is not None:
            d["image"] = tuple(d["image"])
        return cls(**d)

    def check(self) -> None:
        """SpecError unless every field is within bounds (a spec built in Python)."""
        d = asdict(self)
        check_fields(json.loads(json.dumps(d)))

    def compile(self, train: np.ndarray) -> Program:
        """The program, compiled from this spec for the training matrix `train`; SpecError
        when the spec is impossible for that matrix (feature count, sizes) or too large."""
        self.check()
        train = np.asarray(train)
        if train.ndim != 2 or train.shape[0] < 1:
            raise SpecError(f"task: impossible spec: the training matrix has shape {train.shape}")
        if train.shape[1] != self.n_features + self.n_classes:
            raise SpecError(f"task: impossible spec: the data has {train.shape[1]} columns, the spec "
                            f"names {self.n_features} features + {self.n_classes} classes")
        ds = Dataset(self.dataset, train, self.n_features, self.n_classes,
                     np.zeros((0, self.n_features), np.float32), np.zeros(0, np.int64), self.image)
        ts = compiler.TrainSpec(model=self.model, batch=self.batch, lr=self.lr, seed=self.seed,
                                hidden=tuple(self.hidden))
        try:
            program = compiler.compile_model(ts, ds)
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            raise SpecError(f"task: impossible spec: {exc}") from None
        size = sum(n.size for n in program.step) + sum(n.size for n in program.init)
        if size > MAX_STEP_ELEMENTS:
            raise SpecError(f"task: impossible spec: one step has {size} elements "
                            f"(limit {MAX_STEP_ELEMENTS})")
        return program


# --- array codec: a JSON header then raw little-endian uint32 words ------------------


def encode_arrays(meta: dict, arrays: list[np.ndarray]) -> bytes:
    """Deterministic bytes for uint32 arrays plus a JSON-able `meta` dict."""
    arrays = [np.ascontiguousarray(a, dtype="<u4") for a in arrays]
    head = json.dumps({"meta": meta, "shapes": [list(a.shape) for a in arrays]},
                      sort_keys=True, separators=(",", ":")).encode()
    return struct.pack(">I", len(head)) + head + b"".join(a.tobytes() for a in arrays)


def _shapes(head: object) -> list[tuple[int, ...]]:
    """The array shapes of a decoded header, each dimension checked (LimitError)."""
    if not isinstance(head, dict) or set(head) != {"meta", "shapes"}:
        raise limits.LimitError("the header must be an object with exactly meta and shapes")
    if not isinstance(head["meta"], dict):
        raise limits.LimitError("meta must be an object")
    shapes = head["shapes"]
    if not isinstance(shapes, list) or len(shapes) > limits.MAX_ARRAYS:
        raise limits.LimitError(f"shapes must be a list of at most {limits.MAX_ARRAYS} shapes")
    out, total = [], 0
    for i, shape in enumerate(shapes):
        if not isinstance(shape, list) or len(shape) > limits.MAX_RANK:
            raise limits.LimitError(f"shape {i} must be a list of at most {limits.MAX_RANK} dimensions")
        for d in shape:
            if type(d) is not int or not 0 <= d <= limits.MAX_DIM:
                raise limits.LimitError(f"shape {i} has dimension {limits.show(d)} "
                                        f"(each must be an integer in [0, {limits.MAX_DIM}])")
        n = math.prod(shape)
        total += n
        if total > limits.MAX_ARRAY_ELEMENTS:
            raise limits.LimitError(f"more than {limits.MAX_ARRAY_ELEMENTS} elements")
        out.append(tuple(shape))
    return out


def decode_arrays(data: bytes) -> tuple[dict, list[np.ndarray]]:
    """(meta, arrays) of an artifact made by `encode_arrays`; ValueError naming the problem
    when the header is not bounded JSON of the expected form, a dimension is negative,
    non-integer or too large, or the byte length is not exactly the shapes' size."""
    try:
        if len(data) < 4:
            raise limits.LimitError(f"{len(data)} bytes, shorter than the 4-byte header length")
        (n,) = struct.unpack(">I", data[:4])
        if n > min(limits.MAX_ARRAY_HEADER_BYTES, len(data) - 4):
            raise limits.LimitError(f"header length {n} is over the limit or past the end")
        head = limits.loads(data[4:4 + n], "header", max_bytes=limits.MAX_ARRAY_HEADER_BYTES)
        shapes = _shapes(head)
        want = 4 + n + 4 * sum(math.prod(s) for s in shapes)
        if want != len(data):
            raise limits.LimitError(f"the shapes need {want} bytes, the artifact has {len(data)}")
        out, pos = [], 4 + n
        for shape in shapes:
            size = 4 * math.prod(shape)
            out.append(np.frombuffer(data, dtype="<u4", count=size // 4, offset=pos)
                       .reshape(shape).astype(np.uint32))
            pos += size
        return head["meta"], out
    except (struct.error, ValueError) as exc:
        raise ValueError(f"task: malformed array artifact: {exc}") from None


# --- checkpoints and the run manifest ---------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """State after step t plus the node roots of step t (so it is checkable against S_t)."""

    step: int
    state: list[np.ndarray]
    node_roots: list[bytes]

    def to_bytes(self) -> bytes:
        return encode_arrays({"step": self.step, "node_roots": [r.hex() for r in self.node_roots]},
                             self.state)

    @classmethod
    def from_bytes(cls, data: bytes) -> Checkpoint:
        meta, arrays = decode_arrays(data)
        step, roots = meta.get("step"), meta.get("node_roots")
        if set(meta) != {"step", "node_roots"}:
            raise ValueError("task: malformed checkpoint: meta must hold exactly step and node_roots")
        if type(step) is not int or not 0 <= step <= MAX_STEPS:
            raise ValueError(f"task: malformed checkpoint: step {limits.show(step)} is not in [0, {MAX_STEPS}]")
        if (not isinstance(roots, list) or len(roots) > MAX_NODES
                or not all(isinstance(r, str) and _HEX32.fullmatch(r) for r in roots)):
            raise ValueError(f"task: malformed checkpoint: node_roots must be at most {MAX_NODES} "
                             "32-byte hex roots")
        return cls(step, arrays, [bytes.fromhex(r) for r in roots])

    def check(self, program: Program, step_root: bytes) -> None:
        """Raise ValueError unless the checkpoint has the program's shape at its step
        (`check_shape`), the node roots give `step_root` and the state matches them."""
        self.check_shape(program)
        if merkle.root(self.node_roots) != step_root:
            raise ValueError(f"task: checkpoint of step {self.step} does not match its step root")
        for s, arr in enumerate(self.state):
            if tensor_root(arr) != self.node_roots[program.state_node(self.step, s)]:
                raise ValueError(f"task: checkpoint of step {self.step}: state slot {s} does not match")

    def check_shape(self, program: Program) -> None:
        """Raise ValueError unless the checkpoint has a node root per node of its step, a slot
        per state slot, each slot shaped as its node (an empty or flattened state is refused
        here, before any hashing)."""
        nodes = program.nodes(self.step)
        if len(self.node_roots) != len(nodes):
            raise ValueError(f"task: checkpoint of step {self.step} has {len(self.node_roots)} node roots, "
                             f"the program {len(nodes)}")
        if len(self.state) != program.header.n_state:
            raise ValueError(f"task: checkpoint of step {self.step} has {len(self.state)} state slots, "
                             f"the program {program.header.n_state}")
        for s, arr in enumerate(self.state):
            node = nodes[program.state_node(self.step, s)]
            if tuple(np.shape(arr)) != (node.rows, node.cols):
                raise ValueError(f"task: checkpoint of step {self.step}: state slot {s} has shape "
                                 f"{tuple(np.shape(arr))}, not ({node.rows}, {node.cols})")


@dataclass(frozen=True)
class Manifest:
    """What a solver publishes with its result: the boundary step roots (the run tree's leaves)
    and where the checkpoints are."""

    task_id: int
    step_roots: list[bytes]  # S_b(0)..S_b(n_b-1), b(i) = min(i * checkpoint_interval, T): the run tree's leaves
    checkpoints: dict[int, str]  # step -> content address of its Checkpoint
    final_model: str  # content address of the final state (a Checkpoint of step T)

    def to_bytes(self) -> bytes:
        return json.dumps({"task_id": self.task_id, "step_roots": [r.hex() for r in self.step_roots],
                           "checkpoints": {str(k): v for k, v in sorted(self.checkpoints.items())},
                           "final_model": self.final_model}, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        try:
            d = limits.loads(data, "task: malformed manifest")
        except limits.LimitError as exc:
            raise ValueError(str(exc)) from None
        bad = "task: malformed manifest: "
        if not isinstance(d, dict) or set(d) != {"task_id", "step_roots", "checkpoints", "final_model"}:
            raise ValueError(bad + "an object with exactly task_id, step_roots, checkpoints, final_model")
        if type(d["task_id"]) is not int or not 0 <= d["task_id"] < 2**256:
            raise ValueError(bad + f"task_id {limits.show(d['task_id'])} is not a uint256")
        roots = d["step_roots"]
        if (not isinstance(roots, list) or len(roots) > MAX_STEPS + 1
                or not all(isinstance(r, str) and _HEX32.fullmatch(r) for r in roots)):
            raise ValueError(bad + f"step_roots must be at most {MAX_STEPS + 1} 32-byte hex roots")
        ck = d["checkpoints"]
        if not isinstance(ck, dict) or len(ck) > MAX_STEPS + 1:
            raise ValueError(bad + "checkpoints must be an object step -> content address")
        for k, v in ck.items():
            if not _STEP_KEY.fullmatch(k) or not (isinstance(v, str) and _ADDRESS.fullmatch(v)):
                raise ValueError(bad + f"checkpoint {limits.show(k, 24)} -> {limits.show(v, 70)} is not "
                                 "a decimal step and a content address")
        if not isinstance(d["final_model"], str) or not _ADDRESS.fullmatch(d["final_model"]):
            raise ValueError(bad + f"final_model {limits.show(d['final_model'])} is not a content address")
        return cls(d["task_id"], [bytes.fromhex(r) for r in roots], {int(k): v for k, v in ck.items()},
                   d["final_model"])

    def nearest_checkpoint(self, t: int) -> int:
        """The latest checkpointed step strictly before t."""
        before = [c for c in self.checkpoints if c < t]
        if not before:
            raise ValueError(f"task: no checkpoint before step {t}")
        return max(before)


def data_root(train: np.ndarray) -> bytes:
    return tensor_root(np.asarray(train, dtype=np.uint32))


def load_task_inputs(store, task, header: int | Callable[[], int] | None = None) -> tuple[TaskSpec, np.ndarray, Program]:
    """(spec, training matrix, program) of on-chain `task`, each checked against the chain.

    Raises StoreError while the spec or data cannot be fetched (may be transient), and
    SpecError, naming the reason, when they are malformed, impossible, or do not match
    the task's roots, header, steps or interval (permanent: the addresses fix the bytes).
    `header` is the program header the registry fixed at create_task
    (`task_header`), or a function that reads it (called only once the roots
    match): it sizes every dispute's trees, so it must be the compiled one."""
    spec = TaskSpec.from_bytes(store.get(task.spec_hash))
    blob = store.get(spec.data)
    try:
        _, arrays = decode_arrays(blob)
    except ValueError as exc:
        raise SpecError(f"task: malformed data artifact: {exc}") from None
    if len(arrays) != 1:
        raise SpecError(f"task: the data artifact holds {len(arrays)} arrays, not 1")
    train = arrays[0]
    program = spec.compile(train)
    if data_root(train) != task.data_root:
        raise SpecError(f"data root mismatch (chain 0x{task.data_root.hex()}, data 0x{data_root(train).hex()})")
    if program.root() != task.program_root:
        raise SpecError(f"program root mismatch (chain 0x{task.program_root.hex()}, "
                        f"compiled 0x{program.root().hex()})")
    if callable(header):
        header = header()
    if header is not None and int(header) != program.header.encode():
        raise SpecError("program header mismatch (the task's header is not the compiled one)")
    if spec.steps != task.num_steps or spec.checkpoint_interval != task.checkpoint_interval:
        raise SpecError(f"steps mismatch (spec {spec.steps}/{spec.checkpoint_interval}, chain "
                        f"{task.num_steps}/{task.checkpoint_interval})")
    return spec, train, program
