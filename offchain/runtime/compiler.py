"""Compiler from a model spec to a program: an MLP with relu, and a small CNN via IM2COL.

Both train with MSE on one-hot targets and plain SGD (op set v1); the MLP
also with softmax cross-entropy (`loss="xent"`: ROW_MAX, MUL, SOFTMAX_XENT,
SOFTMAX_XENT_GRAD) and/or AdamW (`optimizer="adam"`: ADAM_M, ADAM_V, ADAM;
the moment slots come first, then the parameters). The backward pass is
written out as nodes. Each model has one dataclass config (nanoGPT style).
The step program is forward, loss gradient, backward, then one SGD node per
state slot in slot order (the last n_state nodes are the new state,
docs/reproducible-ops.md section 3). Initial values follow nn.Linear's
default range: uniform in +-1/sqrt(fan_in) for weights and biases.
`predict` evaluates a compiled model on held-out data with numpy float32;
it is a metric only, never committed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .dataset import Dataset, from_bits
from .executor import validate
from .opcodes import Op, Ref
from .program import Header, Node, Program


def f32_bits(x: float) -> int:
    """The uint32 bit pattern of float32(x)."""
    return int(np.array([x], dtype=np.float32).view(np.uint32)[0])


class _Builder:
    """Appends step nodes and returns their indices."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []

    def add(self, op: Op, inputs: tuple[tuple[Ref, int], ...], rows: int, cols: int,
            k: int = 0, c0: int = 0, c1: int = 0) -> tuple[Ref, int]:
        self.nodes.append(Node(op, inputs, rows, cols, k, c0, c1))
        return (Ref.NODE, len(self.nodes) - 1)


def _init(rows: int, cols: int, fan_in: int) -> Node:
    return Node(Op.INIT_UNIFORM, (), rows, cols, 0, f32_bits(1.0 / math.sqrt(fan_in)))


def _state(slot: int) -> tuple[Ref, int]:
    return (Ref.STATE, slot)


def _dense_backward(b: _Builder, x: tuple[Ref, int], g: tuple[Ref, int], batch: int,
                    n_in: int, n_out: int) -> tuple[tuple[Ref, int], tuple[Ref, int]]:
    """dW = x^T @ g (n_in, n_out) and db = sum_rows(g) (1, n_out) for y = x @ W + b."""
    dw = b.add(Op.MATMUL, (x, g), n_in, n_out, k=batch, c0=1)  # (B, n_in)^T @ (B, n_out)
    db = b.add(Op.SUM, (g,), 1, n_out, k=batch, c0=0)  # sum over the batch
    return dw, db


# --- MLP ----------------------------------------------------------------------


LOSSES = ("mse", "xent")
OPTIMIZERS = ("sgd", "adam")
#: default learning rates per optimizer (the MLP's; the CNN keeps its own)
DEFAULT_LR = {"sgd": 1.0, "adam": 0.001}


@dataclass(frozen=True)
class MLPConfig:
    widths: tuple[int, ...] = (64, 128, 10)  # input, hidden..., classes
    batch: int = 32  # B, dataset rows sampled per step
    lr: float = 1.0  # learning rate (SGD or Adam)
    seed: int = 1  # task seed: batches and initial values
    loss: str = "mse"  # "mse" (v1) or "xent" (softmax cross-entropy, op set v2)
    optimizer: str = "sgd"  # "sgd" (v1) or "adam" (AdamW, op set v2)
    weight_decay: float = 0.0  # AdamW's decoupled weight decay


def compile_mlp(cfg: MLPConfig, data_rows: int, data_cols: int) -> Program:
    """MLP: x -> [matmul, bias, relu]* -> matmul, bias -> loss -> optimizer.

    loss "mse": MSE_GRAD on one-hot targets (mean over B x classes); "xent":
    mean softmax cross-entropy over the batch (the per-row loss SOFTMAX_XENT
    and perplexity EXP(loss) are metric nodes next to the gradient). optimizer "sgd": one SGD
    per slot; "adam": slots [m_0.., v_0.., W_0, b_0, ...] and per parameter
    ADAM_M, ADAM_V, ADAM (AdamW, weight decay `weight_decay`)."""
    w = cfg.widths
    if len(w) < 2 or min(w) < 1:
        raise ValueError("compiler: an MLP needs at least input and output widths >= 1")
    if data_cols != w[0] + w[-1]:
        raise ValueError(f"compiler: dataset has {data_cols} columns, the MLP needs {w[0] + w[-1]}")
    if cfg.loss not in LOSSES:
        raise ValueError(f"compiler: unknown loss {cfg.loss!r} (choose from {', '.join(LOSSES)})")
    if cfg.optimizer not in OPTIMIZERS:
        raise ValueError(f"compiler: unknown optimizer {cfg.optimizer!r} (choose from {', '.join(OPTIMIZERS)})")
    B, L = cfg.batch, len(w) - 1
    params: list[Node] = []
    for i in range(L):  # param 2i = W_i (w[i], w[i+1]), param 2i+1 = b_i (1, w[i+1])
        params += [_init(w[i], w[i + 1], w[i]), _init(1, w[i + 1], w[i])]
    adam = cfg.optimizer == "adam"
    P = len(params)
    off = 2 * P if adam else 0  # slot of param 0; Adam's m_p is slot p, v_p slot P + p
    zeros = [Node(Op.INIT_UNIFORM, (), n.rows, n.cols, 0, 0) for n in params]  # bound 0: signed zeros
    init: list[Node] = (zeros + zeros + params) if adam else params
    b = _Builder()
    x = b.add(Op.GATHER, ((Ref.DATA, 0),), B, w[0], c0=0)  # (B, F)
    y = b.add(Op.GATHER, ((Ref.DATA, 0),), B, w[-1], c0=w[0])  # (B, classes) one-hot
    acts, pre = [x], []
    for i in range(L):
        z = b.add(Op.MATMUL, (acts[-1], _state(off + 2 * i)), B, w[i + 1], k=w[i])  # (B, w_i) @ (w_i, w_i+1)
        h = b.add(Op.BIAS_ADD, (z, _state(off + 2 * i + 1)), B, w[i + 1])
        pre.append(h)
        if i < L - 1:
            acts.append(b.add(Op.RELU, (h,), B, w[i + 1]))
    NC = w[-1]
    if cfg.loss == "mse":
        g = b.add(Op.MSE_GRAD, (pre[-1], y), B, NC, c0=f32_bits(2.0 / (B * NC)))  # dL/dpred, mean
    else:
        mx = b.add(Op.ROW_MAX, (pre[-1],), B, 1, k=NC)  # row max of the logits
        yz = b.add(Op.MUL, (y, pre[-1]), B, NC)  # y * z
        loss = b.add(Op.SOFTMAX_XENT, (pre[-1], yz, mx), B, 1, k=NC)  # per-row loss (a metric node)
        b.add(Op.EXP, (loss,), B, 1)  # per-row perplexity exp(loss) (a metric node)
        g = b.add(Op.SOFTMAX_XENT_GRAD, (pre[-1], y, mx), B, NC, k=NC, c0=f32_bits(1.0 / B))  # mean over B
    grads: dict[int, tuple[Ref, int]] = {}
    for i in reversed(range(L)):
        grads[2 * i], grads[2 * i + 1] = _dense_backward(b, acts[i], g, B, w[i], w[i + 1])
        if i > 0:
            da = b.add(Op.MATMUL, (g, _state(off + 2 * i)), B, w[i], k=w[i + 1], c0=2)  # (B, w_i+1) @ W^T
            g = b.add(Op.RELU_BWD, (pre[i - 1], da), B, w[i])
    lr = f32_bits(cfg.lr)
    if adam:
        first = len(b.nodes)
        for p, node in enumerate(params):  # new m_p: node first + p
            b.add(Op.ADAM_M, (_state(p), grads[p]), node.rows, node.cols)
        for p, node in enumerate(params):  # new v_p: node first + P + p
            b.add(Op.ADAM_V, (_state(P + p), grads[p]), node.rows, node.cols)
        wd = f32_bits(cfg.weight_decay)
        for p, node in enumerate(params):
            mv = ((Ref.NODE, first + p), (Ref.NODE, first + P + p))
            b.add(Op.ADAM, (_state(off + p), *mv), node.rows, node.cols, c0=lr, c1=wd)
    else:
        for s, node in enumerate(init):
            b.add(Op.SGD, (_state(s), grads[s]), node.rows, node.cols, c0=lr)
    header = Header(len(init), len(b.nodes), data_rows, data_cols, B, cfg.seed)
    meta: dict = {"model": "mlp", "widths": list(w)}
    if cfg.loss != "mse" or adam:  # v1 programs keep v1 metadata
        meta.update(loss=cfg.loss, optimizer=cfg.optimizer, param_offset=off)
    prog = Program(header, tuple(init), tuple(b.nodes), meta)
    validate(prog)
    return prog


# --- CNN ----------------------------------------------------------------------


@dataclass(frozen=True)
class CNNConfig:
    image: tuple[int, int] = (8, 8)  # (H, W) of the input image
    kernel: int = 3  # KH = KW
    filters: int = 8  # F, output channels of the single conv layer
    classes: int = 10
    batch: int = 32
    lr: float = 0.5
    seed: int = 1


def compile_cnn(cfg: CNNConfig, data_rows: int, data_cols: int) -> Program:
    """conv 3x3 (IM2COL + MATMUL) -> bias -> relu -> dense -> MSE(one-hot) -> SGD."""
    H, W = cfg.image
    KH = KW = cfg.kernel
    if not (1 <= KH <= H and 1 <= KW <= W) or max(H, W, KH) > 255:
        raise ValueError("compiler: kernel must fit the image (sizes up to 255)")
    if data_cols != H * W + cfg.classes:
        raise ValueError(f"compiler: dataset has {data_cols} columns, the CNN needs {H * W + cfg.classes}")
    B, F, NC = cfg.batch, cfg.filters, cfg.classes
    P = (H - KH + 1) * (W - KW + 1)  # output pixels per image
    init = [
        _init(KH * KW, F, KH * KW),  # slot 0: conv weights (KH*KW, F)
        _init(1, F, KH * KW),  # slot 1: conv bias
        _init(P * F, NC, P * F),  # slot 2: dense weights (P*F, classes)
        _init(1, NC, P * F),  # slot 3: dense bias
    ]
    b = _Builder()
    geom = H << 24 | W << 16 | KH << 8 | KW
    cols = b.add(Op.IM2COL, ((Ref.DATA, 0),), B * P, KH * KW, c0=geom, c1=0)  # (B*P, KH*KW)
    y = b.add(Op.GATHER, ((Ref.DATA, 0),), B, NC, c0=H * W)  # (B, classes)
    z = b.add(Op.MATMUL, (cols, _state(0)), B * P, F, k=KH * KW)  # (B*P, 9) @ (9, F)
    h = b.add(Op.BIAS_ADD, (z, _state(1)), B * P, F)
    a = b.add(Op.RELU, (h,), B * P, F)  # same bytes as (B, P*F)
    z2 = b.add(Op.MATMUL, (a, _state(2)), B, NC, k=P * F)  # (B, P*F) @ (P*F, classes)
    pred = b.add(Op.BIAS_ADD, (z2, _state(3)), B, NC)
    g = b.add(Op.MSE_GRAD, (pred, y), B, NC, c0=f32_bits(2.0 / (B * NC)))
    dwd, dbd = _dense_backward(b, a, g, B, P * F, NC)
    da = b.add(Op.MATMUL, (g, _state(2)), B, P * F, k=NC, c0=2)  # (B, classes) @ Wd^T
    dh = b.add(Op.RELU_BWD, (h, da), B * P, F)
    dwc, dbc = _dense_backward(b, cols, dh, B * P, KH * KW, F)
    lr = f32_bits(cfg.lr)
    for s, grad in enumerate((dwc, dbc, dwd, dbd)):
        b.add(Op.SGD, (_state(s), grad), init[s].rows, init[s].cols, c0=lr)
    header = Header(len(init), len(b.nodes), data_rows, data_cols, B, cfg.seed)
    meta = {"model": "cnn", "image": [H, W], "kernel": KH, "filters": F, "classes": NC}
    prog = Program(header, tuple(init), tuple(b.nodes), meta)
    validate(prog)
    return prog


# --- by name ------------------------------------------------------------------

MODELS = ("mlp", "cnn")


@dataclass(frozen=True)
class TrainSpec:
    """What the CLI asks for: model name plus optional overrides."""

    model: str = "mlp"
    batch: int = 32
    lr: float | None = None  # None: the model's default
    seed: int = 1
    hidden: tuple[int, ...] = field(default=(128,))
    loss: str = "mse"
    optimizer: str = "sgd"
    weight_decay: float = 0.0


def compile_model(spec: TrainSpec, data: Dataset) -> Program:
    """Compile `spec.model` for `data`."""
    if spec.model == "mlp":
        lr = DEFAULT_LR.get(spec.optimizer, MLPConfig.lr) if spec.lr is None else spec.lr
        cfg = MLPConfig((data.n_features, *spec.hidden, data.n_classes), spec.batch, lr, spec.seed,
                        spec.loss, spec.optimizer, spec.weight_decay)
        return compile_mlp(cfg, data.rows, data.cols)
    if (spec.loss, spec.optimizer, spec.weight_decay) != ("mse", "sgd", 0.0):
        raise ValueError(f"compiler: --loss/--optimizer/--weight-decay are for the MLP; {spec.model} uses mse + sgd")
    if spec.model == "cnn":
        if data.image is None:
            raise ValueError(f"compiler: dataset {data.name} has no image shape for a CNN")
        cfg = CNNConfig(data.image, 3, 8, data.n_classes, spec.batch,
                        CNNConfig.lr if spec.lr is None else spec.lr, spec.seed)
        return compile_cnn(cfg, data.rows, data.cols)
    raise ValueError(f"compiler: unknown model {spec.model!r} (choose from {', '.join(MODELS)})")


# --- evaluation (metric only) -------------------------------------------------


def predict(program: Program, state: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    """Class predictions of the compiled model with parameters `state` on float32 x (M, F)."""
    p = [from_bits(s) for s in state]
    x = np.asarray(x, dtype=np.float32)
    meta = program.meta
    if meta.get("model") == "mlp":
        h = x
        p = p[int(meta.get("param_offset", 0)):]  # Adam: the moment slots come first
        n_layers = len(p) // 2
        for i in range(n_layers):
            h = h @ p[2 * i] + p[2 * i + 1]
            if i < n_layers - 1:
                h = np.maximum(h, 0)
        return np.argmax(h, axis=1)
    if meta.get("model") == "cnn":
        H, W = meta["image"]
        k = meta["kernel"]
        imgs = x.reshape(-1, H, W)
        patches = np.stack([imgs[:, ky:ky + H - k + 1, kx:kx + W - k + 1]
                            for ky in range(k) for kx in range(k)], axis=-1)  # (M, OH, OW, k*k)
        h = np.maximum(patches.reshape(len(x), -1, k * k) @ p[0] + p[1], 0)  # (M, P, F)
        out = h.reshape(len(x), -1) @ p[2] + p[3]
        return np.argmax(out, axis=1)
    raise ValueError("compiler: program has no model metadata to evaluate")


def accuracy(program: Program, state: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of held-out rows classified correctly."""
    return float(np.mean(predict(program, state, x) == y))
