"""Content-addressed checkpoints and the run index of a training directory.

A checkpoint holds the state slots after step t (docs/reproducible-ops.md,
"Checkpoints"). Its bytes are:

    b"TTCKPT01" | program_root (32) | t (uint64) | n_state (uint32)
    | n_state x (rows uint32, cols uint32) | every slot's words, uint32

all integers big-endian, slots in order, each row-major. The file is named
`<keccak256(bytes) hex>.ckpt`; loading checks the name against the bytes.
`index.json` lists the program records, the dataset, every S_t, the run
root and the checkpoints by step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from eth_hash.auto import keccak

from .program import Header, Node, Program

MAGIC = b"TTCKPT01"
INDEX = "index.json"


def encode(program_root: bytes, t: int, state: list[np.ndarray]) -> bytes:
    """The checkpoint bytes of `state` after step t."""
    parts = [MAGIC, program_root, t.to_bytes(8, "big"), len(state).to_bytes(4, "big")]
    for arr in state:
        parts += [arr.shape[0].to_bytes(4, "big"), arr.shape[1].to_bytes(4, "big")]
    parts += [np.ascontiguousarray(arr, dtype=np.uint32).astype(">u4").tobytes() for arr in state]
    return b"".join(parts)


def decode(blob: bytes) -> tuple[bytes, int, list[np.ndarray]]:
    """(program_root, t, state) from checkpoint bytes; ValueError when malformed."""
    if blob[:8] != MAGIC or len(blob) < 52:
        raise ValueError("checkpoint: bad magic or truncated header")
    root, t, n = blob[8:40], int.from_bytes(blob[40:48], "big"), int.from_bytes(blob[48:52], "big")
    pos = 52
    shapes = []
    for _ in range(n):
        shapes.append((int.from_bytes(blob[pos:pos + 4], "big"), int.from_bytes(blob[pos + 4:pos + 8], "big")))
        pos += 8
    state = []
    for rows, cols in shapes:
        nbytes = 4 * rows * cols
        if pos + nbytes > len(blob):
            raise ValueError("checkpoint: truncated tensor data")
        state.append(np.frombuffer(blob[pos:pos + nbytes], dtype=">u4").astype(np.uint32).reshape(rows, cols))
        pos += nbytes
    if pos != len(blob):
        raise ValueError("checkpoint: trailing bytes")
    return root, t, state


def write(directory: Path, program_root: bytes, t: int, state: list[np.ndarray]) -> str:
    """Store a checkpoint under its content address; return the file name."""
    blob = encode(program_root, t, state)
    name = keccak(blob).hex() + ".ckpt"
    path = Path(directory) / name
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(blob)
        tmp.replace(path)
    return name


def read(directory: Path, name: str) -> tuple[bytes, int, list[np.ndarray]]:
    """Load and check a checkpoint by file name (its content address)."""
    blob = (Path(directory) / name).read_bytes()
    if keccak(blob).hex() + ".ckpt" != name:
        raise ValueError(f"checkpoint: {name} does not match its content hash")
    return decode(blob)


def program_to_json(program: Program) -> list[str]:
    """Program records as 0x-prefixed 64-hex-digit words (the program tree's leaves)."""
    return ["0x" + leaf.hex() for leaf in program.leaves()]


def program_from_json(words: list[str], meta: dict | None = None) -> Program:
    """Inverse of program_to_json."""
    ints = [int(w, 16) for w in words]
    if not ints:
        raise ValueError("checkpoint: empty program")
    header = Header.decode(ints[0])
    if len(ints) != 1 + header.n_state + header.n_step:
        raise ValueError("checkpoint: program record count does not match its header")
    init = tuple(Node.decode(w) for w in ints[1:1 + header.n_state])
    step = tuple(Node.decode(w) for w in ints[1 + header.n_state:])
    return Program(header, init, step, dict(meta or {}))


@dataclass
class RunIndex:
    """The contents of index.json."""

    program: list[str]  # program records, hex
    meta: dict  # compiler metadata (model shape, for evaluation)
    dataset: str  # dataset name, to reload it
    data_root: str  # 0x hex
    steps: int  # T
    interval: int  # k
    backend: str
    checkpoints: dict[int, str]  # step -> file name
    step_roots: list[str]  # boundary step roots S_b(0)..S_b(n_b-1) (S_0..S_T when interval = 1), 0x hex
    run_root: str  # 0x hex
    accuracy: float | None = None

    def save(self, directory: Path) -> Path:
        path = Path(directory) / INDEX
        body = dict(self.__dict__)
        body["checkpoints"] = {str(k): v for k, v in sorted(self.checkpoints.items())}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(body, indent=1) + "\n")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, directory: Path) -> RunIndex:
        path = Path(directory) / INDEX
        if not path.exists():
            raise ValueError(f"checkpoint: no {INDEX} in {directory}")
        body = json.loads(path.read_text())
        body["checkpoints"] = {int(k): v for k, v in body["checkpoints"].items()}
        return cls(**body)

    def program_obj(self) -> Program:
        return program_from_json(self.program, self.meta)

    def checkpoint_at_or_before(self, t: int) -> int:
        """The largest checkpointed step <= t."""
        found = [s for s in self.checkpoints if s <= t]
        if not found:
            raise ValueError(f"checkpoint: none at or before step {t}")
        return max(found)
