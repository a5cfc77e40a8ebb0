"""Where a party's kept states live during a replay or a dispute: on disk, not in memory
(issue 15, item 2). A run of T steps keeps the state after every k-th step so any step can
be recomputed from one nearby; held in memory that is T/k states (T = 10^6 with k = 1:
about 72 GiB for a small MLP). Two mappings from step to state slots, both read-only
copies on access:

- `DiskStates`: states written as .npy files to a private temporary directory (0700),
  removed with the object or at exit; directories a killed process left are swept by
  the next one (`DiskStates(root)` removes those of processes no longer alive);
- `StoreStates`: a solver's published checkpoints, loaded from its artifact store when
  asked for (the addresses are all it keeps).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path

import numpy as np

PREFIX = "states-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(root: Path) -> None:
    """Remove the state directories under `root` left by processes no longer running."""
    for d in root.glob(PREFIX + "*"):
        pid = d.name[len(PREFIX):].partition("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(d, ignore_errors=True)


class DiskStates(MutableMapping):
    """step -> state slots (uint32 arrays), each state one directory of .npy files."""

    def __init__(self, root: str | Path | None = None):
        if root is not None:
            root = Path(root)
            root.mkdir(parents=True, exist_ok=True)
            sweep(root)
        self.dir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=root))
        self._slots: dict[int, int] = {}  # step -> number of slots
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.dir), True)

    def __setitem__(self, t: int, state: list[np.ndarray]) -> None:
        t = int(t)
        tmp = self.dir / f"{t}.tmp"
        tmp.mkdir(exist_ok=True)
        for s, arr in enumerate(state):
            np.save(tmp / f"{s}.npy", np.asarray(arr, dtype=np.uint32), allow_pickle=False)
        final = self.dir / str(t)
        if final.exists():
            shutil.rmtree(final)
        tmp.replace(final)
        self._slots[t] = len(state)

    def __getitem__(self, t: int) -> list[np.ndarray]:
        n = self._slots[int(t)]
        return [np.load(self.dir / str(int(t)) / f"{s}.npy", allow_pickle=False) for s in range(n)]

    def __delitem__(self, t: int) -> None:
        del self._slots[int(t)]
        shutil.rmtree(self.dir / str(int(t)), ignore_errors=True)

    def __iter__(self) -> Iterator[int]:
        return iter(list(self._slots))

    def __len__(self) -> int:
        return len(self._slots)

    def __contains__(self, t) -> bool:
        return t in self._slots

    def close(self) -> None:
        self._cleanup()


class StoreStates(Mapping):
    """step -> state of a run's checkpoints {step: content address}, fetched on access."""

    def __init__(self, store, checkpoints: Mapping):
        self.store = store
        self.addresses = {int(t): a for t, a in checkpoints.items()}

    def __getitem__(self, t: int) -> list[np.ndarray]:
        from ..roles.task import Checkpoint

        return [np.asarray(a, dtype=np.uint32) for a in Checkpoint.from_bytes(self.store.get(self.addresses[int(t)])).state]

    def __iter__(self) -> Iterator[int]:
        return iter(self.addresses)

    def __len__(self) -> int:
        return len(self.addresses)

    def __contains__(self, t) -> bool:
        return t in self.addresses
