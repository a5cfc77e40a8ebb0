"""Training datasets as one uint32 matrix (N, D): features, then one-hot targets.

`digits()` is scikit-learn's 8x8 digits (features / 16, exact in float32)
with a fixed split: row i is held out when i % 5 == 4, so the split needs no
random generator. `synthetic()` makes a deterministic random classification
set for benchmarks. The training matrix is what the program's DATA
reference reads and what `data_root` commits to; the held-out arrays are
only used to report accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..commit.tensor import tensor_root

HOLDOUT_EVERY = 5  # row i is held out when i % HOLDOUT_EVERY == HOLDOUT_EVERY - 1


@dataclass(frozen=True)
class Dataset:
    """A training matrix in bits plus held-out float32 features and labels."""

    name: str
    train: np.ndarray  # (N, F + n_classes) uint32: features then one-hot targets
    n_features: int  # F
    n_classes: int
    test_x: np.ndarray  # (M, F) float32
    test_y: np.ndarray  # (M,) int64 labels
    image: tuple[int, int] | None = None  # (H, W) when the features are an image

    @property
    def rows(self) -> int:
        return int(self.train.shape[0])

    @property
    def cols(self) -> int:
        return int(self.train.shape[1])

    def root(self) -> bytes:
        """data_root: the tensor root of the training matrix."""
        return tensor_root(self.train)


def to_bits(x: np.ndarray) -> np.ndarray:
    """float32 values -> their uint32 bit patterns (same shape)."""
    return np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)


def from_bits(words: np.ndarray) -> np.ndarray:
    """uint32 bit patterns -> float32 values (same shape)."""
    return np.ascontiguousarray(words, dtype=np.uint32).view(np.float32)


def pack(features: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """The (N, F + n_classes) uint32 matrix: float32 features then one-hot targets."""
    if features.ndim != 2 or labels.shape != (features.shape[0],):
        raise ValueError("dataset: features must be (N, F) and labels (N,)")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError("dataset: label outside 0..n_classes-1")
    onehot = np.eye(n_classes, dtype=np.float32)[labels]
    return to_bits(np.concatenate([features.astype(np.float32), onehot], axis=1))


def digits() -> Dataset:
    """scikit-learn digits: 1797 8x8 images, features / 16, fixed 4:1 split."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)  # (1797, 64), exact: values k/16
    y = d.target.astype(np.int64)
    held = np.arange(len(x)) % HOLDOUT_EVERY == HOLDOUT_EVERY - 1
    return Dataset("digits", pack(x[~held], y[~held], 10), 64, 10, x[held], y[held], (8, 8))


def synthetic(n_rows: int, n_features: int, n_classes: int, seed: int = 0) -> Dataset:
    """A deterministic random set: labels from a fixed random linear map of the features."""
    if n_rows < 2 or n_features < 1 or n_classes < 2:
        raise ValueError("dataset: synthetic needs n_rows >= 2, n_features >= 1, n_classes >= 2")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_rows, n_features)).astype(np.float32)
    w = rng.standard_normal((n_features, n_classes)).astype(np.float32)
    y = np.argmax(x @ w, axis=1).astype(np.int64)
    n_test = max(1, n_rows // HOLDOUT_EVERY)
    return Dataset(f"synthetic{n_features}", pack(x[n_test:], y[n_test:], n_classes),
                   n_features, n_classes, x[:n_test], y[:n_test])


def load(name: str) -> Dataset:
    """A dataset by CLI name: 'digits' or 'synthetic'."""
    if name == "digits":
        return digits()
    if name == "synthetic":
        return synthetic(2048, 784, 10)
    raise ValueError(f"dataset: unknown dataset {name!r} (choose digits or synthetic)")
