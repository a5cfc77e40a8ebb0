"""Task specs and artifacts: what the submitter publishes, what solvers and
verifiers fetch and check, and the byte formats of arrays and checkpoints.

A task spec is a small JSON document whose content address is the task's
`spec_hash` on chain. It names the model (compiled by every party from the
spec itself, never trusted from the store), the number of steps and the
content addresses of the training matrix and the held-out set.
"""

from __future__ import annotations

import json
import struct
from dataclasses import asdict, dataclass, field

import numpy as np

from ..commit import merkle
from ..commit.tensor import tensor_root
from ..runtime import compiler
from ..runtime.dataset import Dataset
from ..runtime.program import Program

SPEC_VERSION = 1


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
        try:
            d = json.loads(data)
            if d.get("version") != SPEC_VERSION:
                raise ValueError(f"unsupported spec version {d.get('version')}")
            d["hidden"] = tuple(d["hidden"])
            if d.get("image") is not None:
                d["image"] = tuple(d["image"])
            return cls(**d)
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"task: malformed spec: {exc}") from None

    def compile(self, train: np.ndarray) -> Program:
        """The program, compiled from this spec for the training matrix `train`."""
        ds = Dataset(self.dataset, train, self.n_features, self.n_classes,
                     np.zeros((0, self.n_features), np.float32), np.zeros(0, np.int64), self.image)
        ts = compiler.TrainSpec(model=self.model, batch=self.batch, lr=self.lr, seed=self.seed,
                                hidden=tuple(self.hidden))
        return compiler.compile_model(ts, ds)


# --- array codec: a JSON header then raw little-endian uint32 words ------------------


def encode_arrays(meta: dict, arrays: list[np.ndarray]) -> bytes:
    """Deterministic bytes for uint32 arrays plus a JSON-able `meta` dict."""
    arrays = [np.ascontiguousarray(a, dtype="<u4") for a in arrays]
    head = json.dumps({"meta": meta, "shapes": [list(a.shape) for a in arrays]},
                      sort_keys=True, separators=(",", ":")).encode()
    return struct.pack(">I", len(head)) + head + b"".join(a.tobytes() for a in arrays)


def decode_arrays(data: bytes) -> tuple[dict, list[np.ndarray]]:
    try:
        (n,) = struct.unpack(">I", data[:4])
        head = json.loads(data[4:4 + n])
        pos = 4 + n
        out = []
        for shape in head["shapes"]:
            size = int(np.prod(shape)) * 4
            if pos + size > len(data):
                raise ValueError("truncated")
            out.append(np.frombuffer(data[pos:pos + size], dtype="<u4").reshape(shape).astype(np.uint32))
            pos += size
        if pos != len(data):
            raise ValueError("trailing bytes")
        return head["meta"], out
    except (struct.error, ValueError, KeyError, TypeError) as exc:
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
        return cls(int(meta["step"]), arrays, [bytes.fromhex(r) for r in meta["node_roots"]])

    def check(self, program: Program, step_root: bytes) -> None:
        """Raise ValueError unless the node roots give `step_root` and the state matches them."""
        if merkle.root(self.node_roots) != step_root:
            raise ValueError(f"task: checkpoint of step {self.step} does not match its step root")
        for s, arr in enumerate(self.state):
            if tensor_root(arr) != self.node_roots[program.state_node(self.step, s)]:
                raise ValueError(f"task: checkpoint of step {self.step}: state slot {s} does not match")


@dataclass(frozen=True)
class Manifest:
    """What a solver publishes with its result: every S_t and where the checkpoints are."""

    task_id: int
    step_roots: list[bytes]  # S_0..S_T
    checkpoints: dict[int, str]  # step -> content address of its Checkpoint
    final_model: str  # content address of the final state (a Checkpoint of step T)

    def to_bytes(self) -> bytes:
        return json.dumps({"task_id": self.task_id, "step_roots": [r.hex() for r in self.step_roots],
                           "checkpoints": {str(k): v for k, v in sorted(self.checkpoints.items())},
                           "final_model": self.final_model}, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        try:
            d = json.loads(data)
            return cls(int(d["task_id"]), [bytes.fromhex(r) for r in d["step_roots"]],
                       {int(k): v for k, v in d["checkpoints"].items()}, d["final_model"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"task: malformed manifest: {exc}") from None

    def nearest_checkpoint(self, t: int) -> int:
        """The latest checkpointed step strictly before t."""
        before = [c for c in self.checkpoints if c < t]
        if not before:
            raise ValueError(f"task: no checkpoint before step {t}")
        return max(before)


def data_root(train: np.ndarray) -> bytes:
    return tensor_root(np.asarray(train, dtype=np.uint32))
