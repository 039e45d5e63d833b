r"""Notebook 07: residual connections give the gradient a path around every layer.

The two networks compared have the same 50 hidden sigmoid layers of width 32 (Xavier weights,
the same random draws); they differ only in the skip connections. Written with
:math:`h_l` the input of layer :math:`l+1`'s sigmoid (the pre-activations),

* **plain**: :math:`h_l = \sigma(h_{l-1}) W_l + b_l`, the usual stack of sigmoid layers
  (``Linear → [sigmoid → Linear] × (depth - 1) → sigmoid → Linear``);
* **residual**: :math:`h_l = h_{l-1} + \sigma(h_{l-1}) W_l + b_l` for :math:`l = 2 \dots`
  ``depth``: every ``sigmoid → Linear`` pair wrapped in :class:`vanishing.nn.Residual`, the
  *pre-activation* order of He, Zhang, Ren & Sun (2016b, ECCV, "Identity mappings in deep
  residual networks"). The branch ends in a linear layer with zero-mean weights, so at
  initialisation it adds a zero-mean term and the sum does not drift.

Backward through a residual layer is :math:`\partial L/\partial h_{l-1} = g_l + g_l J_l`
(:math:`g_l = \partial L/\partial h_l`, :math:`J_l` the branch's Jacobian): the identity term
passes :math:`g_l` down unchanged, however small :math:`g_l J_l` is.

* :func:`gradient_norms_at_init`: per-layer weight-gradient norms at initialisation (float64:
  the plain network's first-layer gradient, about :math:`10^{-31}` of the last, would be a
  float32 subnormal or zero).
* :func:`train_model`, :func:`train_run` (two moons) and :func:`digits_run` (the 8×8
  handwritten digits, 10 classes): SGD with momentum; the residual network trains, the plain
  one stays at chance.
* :func:`chain_norms`: the same contrast on bare Jacobian products (no data, no training).
* :func:`degradation_losses`: He et al.'s (2016) degradation on the digits: a deeper plain
  tanh net reaches a higher training loss than a shallower one; its residual twin does not.
* :func:`block_forward`, :func:`block_backward`: a residual block with a real branch,
  :math:`y = x + \mathrm{ReLU}(xW_1 + b_1)W_2 + b_2`, as plain functions (the reference for
  the notebook's exercises); :func:`branch_weights` draws the weights of a stack of them.
"""

from __future__ import annotations

import numpy as np

from .. import data, nn, optim, telemetry
from ..train import History
from .protocol import depth_data, fit_split, rng_stream

__all__ = [
    "BRANCH_STREAM",
    "DEEP_NET_STREAM",
    "block_backward",
    "block_forward",
    "branch_weights",
    "chain_norms",
    "deep_net",
    "dataset_split",
    "degradation_losses",
    "digits_run",
    "gradient_norms_at_init",
    "random_jacobians",
    "train_model",
    "train_run",
]

#: Stream id (:func:`~.protocol.rng_stream`) of the weights of :func:`deep_net`: the plain and
#: the residual network draw the same weights in the same order.
DEEP_NET_STREAM = 7
#: Stream id of the weights of :func:`branch_weights`.
BRANCH_STREAM = 13

#: Training protocol of notebook 07 (both data sets): SGD with momentum, batches of 64.
TRAIN = {"steps": 300, "lr": 0.05, "momentum": 0.9, "batch_size": 64, "val_fraction": 0.25}


def deep_net(
    kind: str,
    *,
    depth: int = 50,
    width: int = 32,
    n_in: int = 2,
    n_out: int = 2,
    activation: str = "sigmoid",
    init: str = "xavier_normal",
    seed: int = 0,
    dtype=np.float64,
) -> nn.Sequential:
    """The plain (``kind="plain"``) or residual (``kind="residual"``) network described above:
    ``n_in`` inputs, ``depth`` hidden ``activation`` layers of ``width``, ``n_out`` outputs.
    The weights are drawn in the same order from the same stream for both kinds, so the two
    networks have identical parameters; the plain one is exactly ``nn.mlp`` 's layer stack."""
    if kind not in ("plain", "residual"):
        raise ValueError(f"kind must be 'plain' or 'residual', got {kind!r}")
    for name, v in (("depth", depth), ("width", width), ("n_in", n_in), ("n_out", n_out)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    rng = rng_stream(seed, DEEP_NET_STREAM)
    layers: list[nn.Module] = [nn.Linear(n_in, width, init=init, rng=rng, dtype=dtype)]
    for _ in range(depth - 1):
        block = nn.Sequential(
            nn.make_activation(activation), nn.Linear(width, width, init=init, rng=rng, dtype=dtype)
        )
        layers.append(nn.Residual(block) if kind == "residual" else block)
    layers += [
        nn.make_activation(activation),
        nn.Linear(width, n_out, init=init, rng=rng, dtype=dtype),
    ]
    return nn.Sequential(*layers)


def gradient_norms_at_init(kind: str, *, depth: int = 50, seed: int = 0) -> np.ndarray:
    """Weight-gradient norm of every Linear layer of :func:`deep_net` on the training data
    (moons, 450 points) at initialisation, float64; shape ``(depth + 1,)``."""
    X, y, _, _ = depth_data("moons", 600, seed)
    return telemetry.layer_gradient_norms(deep_net(kind, depth=depth, seed=seed), X, y)


def dataset_split(dataset: str, seed: int = 0):
    """``(X_train, y_train, X_val, y_val)`` of :func:`train_model`: ``"moons"`` (450 + 150
    points) or ``"digits"`` (1,348 + 449 images), shuffled by ``seed``."""
    if dataset == "moons":
        return depth_data("moons", 600, seed)
    if dataset == "digits":
        X, y = data.digits()
        return data.train_val_split(X, y, TRAIN["val_fraction"], rng=np.random.default_rng(seed))
    raise ValueError(f"dataset must be 'moons' or 'digits', got {dataset!r}")


def train_model(
    kind: str,
    *,
    dataset: str = "moons",
    depth: int = 50,
    steps: int = TRAIN["steps"],
    lr: float = TRAIN["lr"],
    momentum: float = TRAIN["momentum"],
    seed: int = 0,
    telemetry_every: int = 5,
    eval_every: int | None = None,
    progress: bool = True,
) -> tuple[nn.Sequential, History]:
    """Train :func:`deep_net` (``kind``, ``depth`` hidden layers) with SGD (``lr``,
    ``momentum``, batches of 64) on ``dataset``: ``"moons"`` (600 points, 2 classes) or
    ``"digits"`` (1,797 8×8 images, 10 classes), a quarter held out for validation.
    Same data, weights and batch order for both kinds. Returns ``(model, history)``."""
    split = dataset_split(dataset, seed)
    X_tr, y_tr = split[:2]
    model = deep_net(kind, depth=depth, n_in=X_tr.shape[1], n_out=int(y_tr.max()) + 1, seed=seed)
    hist = fit_split(
        model,
        split,
        optimizer=optim.SGD(model, lr=lr, momentum=momentum),
        steps=steps,
        batch_size=TRAIN["batch_size"],
        seed=seed,
        eval_every=eval_every,
        telemetry_every=telemetry_every,
        progress=progress,
        label=f"{kind}, {depth} sigmoid layers",
    )
    return model, hist


def train_run(kind: str, **kwargs) -> History:
    """The history of :func:`train_model` on two moons (same keyword arguments)."""
    return train_model(kind, dataset="moons", **kwargs)[1]


def digits_run(kind: str, **kwargs) -> History:
    """The history of :func:`train_model` on the handwritten digits (same keyword arguments)."""
    return train_model(kind, dataset="digits", **kwargs)[1]


def random_jacobians(L: int, n: int, *, slope: float = 0.25, rng=None) -> list[np.ndarray]:
    r"""``L`` matrices :math:`J = \text{slope}\cdot W^\top`, :math:`W_{ij}\sim\mathcal N(0, 1/n)`:
    the Jacobian of a sigmoid layer whose units all sit at the sigmoid's steepest point
    (:math:`\sigma' = 1/4`), with Xavier-scale weights."""
    rng = np.random.default_rng(rng)
    return [slope * rng.standard_normal((n, n)).T / np.sqrt(n) for _ in range(L)]


def chain_norms(dout: np.ndarray, jacobians, residual: bool) -> np.ndarray:
    r"""Reference for the notebook's exercise: :math:`\|g_l\|` for :math:`l = 0..L-1`, with
    :math:`g_L` = ``dout`` and :math:`g_{l-1} = g_l J_l` (plain) or :math:`g_l + g_l J_l`
    (residual); ``jacobians[l-1]`` is :math:`J_l`."""
    g = np.asarray(dout, dtype=np.float64)
    out = np.empty(len(jacobians))
    for i in range(len(jacobians) - 1, -1, -1):
        g = g + g @ jacobians[i] if residual else g @ jacobians[i]
        out[i] = np.linalg.norm(g)
    return out


def block_forward(x, W1, b1, W2, b2):
    r"""Residual block :math:`y = x + aW_2 + b_2`, :math:`a = \mathrm{ReLU}(z)`,
    :math:`z = xW_1 + b_1`; x (N, D), W1 (D, H), b1 (H,), W2 (H, D), b2 (D,).

    Returns ``(y, cache)`` with ``cache = (x, W1, W2, z, a)``, the format notebook 07 asks
    for. Arrays keep their dtype; the inputs are not changed.
    """
    x, W1, b1, W2, b2 = (np.asarray(v) for v in (x, W1, b1, W2, b2))
    if (
        x.ndim != 2
        or W1.shape != (x.shape[1], b1.shape[0])
        or W2.shape != (b1.shape[0], x.shape[1])
    ):
        raise ValueError(
            f"block_forward: shapes x {x.shape}, W1 {W1.shape}, b1 {b1.shape}, W2 {W2.shape} "
            "do not fit (N, D), (D, H), (H,), (H, D)"
        )
    z = x @ W1 + b1
    a = np.maximum(z, 0).astype(z.dtype, copy=False)
    y = x + (a @ W2 + b2)
    return y, (x, W1, W2, z, a)


def block_backward(dout, cache):
    r"""Backward pass of :func:`block_forward`: ``(dx, dW1, db1, dW2, db2)`` for
    ``dout`` :math:`= \partial L/\partial y`. ReLU's slope at :math:`z = 0` is 0.

    :math:`dx = \text{dout} + dz\,W_1^\top` (the identity path, then the branch), with
    :math:`dz = (\text{dout}\,W_2^\top)\odot[z > 0]`; :math:`dW_2 = a^\top\text{dout}`,
    :math:`db_2 = \sum_n \text{dout}_n`, :math:`dW_1 = x^\top dz`, :math:`db_1 = \sum_n dz_n`.
    """
    x, W1, W2, z, a = cache
    dz = (dout @ W2.T) * (z > 0)
    return dout + dz @ W1.T, x.T @ dz, dz.sum(axis=0), a.T @ dout, dout.sum(axis=0)


def branch_weights(
    depth: int,
    width: int,
    hidden: int | None = None,
    *,
    branch_scale: float | None = None,
    seed: int = 0,
    dtype=np.float64,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    r"""``depth`` tuples ``(W1, b1, W2, b2)`` for a stack of :func:`block_forward` blocks of
    width ``width`` (branch width ``hidden``, default ``width``): :math:`W_1` He-normal
    (variance :math:`2/D`), :math:`W_2` He-normal times ``branch_scale``, biases 0.

    ``branch_scale`` defaults to :math:`1/\sqrt{\text{depth}}`, the Fixup scaling for
    two-layer branches (Zhang, Dauphin & Ma 2019): each branch then multiplies a squared
    gradient norm by about :math:`c = 2\,\text{branch\_scale}^2 = 2/\text{depth}`, so
    the residual stack grows it by about :math:`(1 + c)^{\text{depth}} \approx e^2` in all,
    while the same branches without the identity shrink it by :math:`c^{\text{depth}}`.
    """
    hidden = width if hidden is None else hidden
    scale = 1 / np.sqrt(depth) if branch_scale is None else float(branch_scale)
    rng = rng_stream(seed, BRANCH_STREAM)
    out = []
    for _ in range(depth):
        W1 = rng.standard_normal((width, hidden)) * np.sqrt(2 / width)
        W2 = rng.standard_normal((hidden, width)) * np.sqrt(2 / hidden) * scale
        out.append(
            (W1.astype(dtype), np.zeros(hidden, dtype), W2.astype(dtype), np.zeros(width, dtype))
        )
    return out


# ------------------------------------------------------------------------------------------
# Degradation: a deeper plain net trains worse than a shallower one; its residual twin does not
# ------------------------------------------------------------------------------------------
#: The degradation comparison of notebook 07 on the digits: tanh layers of 32 with Xavier
#: weights (a 5-layer *sigmoid* net does not leave its plateau within this budget, so the
#: shallow reference would not train), SGD with momentum 0.9, batches of 64.
DEGRADATION = {"activation": "tanh", "depths": (5, 20), "steps": 300, "lr": 0.02, "window": 50}


def degradation_losses(
    *,
    depths: tuple[int, int] = DEGRADATION["depths"],
    steps: int = DEGRADATION["steps"],
    lr: float = DEGRADATION["lr"],
    seed: int = 0,
    window: int = DEGRADATION["window"],
) -> dict[str, dict[str, object]]:
    """Train three :func:`deep_net` s of :data:`DEGRADATION` 's tanh layers on the digits: plain
    with ``depths[0]`` hidden layers, plain with ``depths[1]``, residual with ``depths[1]``.

    Same data, batch order and optimiser for all three (see :func:`train_model`). Returns
    ``{label: {"loss": per-step training loss (ndarray), "final_loss": mean training loss of
    the last ``window`` steps (float), "train_acc": final training accuracy (float)}}`` with
    labels ``"plain, <d> layers"`` and ``"residual, <d> layers"``.
    """
    if len(depths) != 2 or not all(isinstance(d, (int, np.integer)) and d >= 1 for d in depths):
        raise ValueError(f"depths must be two positive ints (shallow, deep), got {depths!r}")
    if not isinstance(window, (int, np.integer)) or not 1 <= window <= steps:
        raise ValueError(f"window must be an int in [1, steps={steps}], got {window!r}")
    split = dataset_split("digits", seed)
    X_tr, y_tr = split[:2]
    out: dict[str, dict[str, object]] = {}
    for kind, depth in (("plain", depths[0]), ("plain", depths[1]), ("residual", depths[1])):
        model = deep_net(
            kind,
            depth=int(depth),
            n_in=X_tr.shape[1],
            n_out=int(y_tr.max()) + 1,
            activation=DEGRADATION["activation"],
            seed=seed,
        )
        hist = fit_split(
            model,
            split,
            optimizer=optim.SGD(model, lr=lr, momentum=TRAIN["momentum"]),
            steps=steps,
            batch_size=TRAIN["batch_size"],
            seed=seed,
            eval_every=steps,
            telemetry_every=10**9,
            progress=False,
        )
        out[f"{kind}, {depth} layers"] = {
            "loss": np.asarray(hist.loss, dtype=float),
            "final_loss": float(np.mean(hist.loss[-window:])),
            "train_acc": float(hist.final_train_acc),
        }
    return out
