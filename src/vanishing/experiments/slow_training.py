r"""Notebook 03: slow and poor training, measured with the learner's own gradients.

:func:`train_depths` trains a shallow and a deep sigmoid network on the same data with
:func:`vanishing.train.fit` (the protocol of :mod:`.protocol`) and compares how much each
layer moved (:func:`relative_weight_change`).

The network of notebook 03 on plain arrays: ``Ws[l]`` of shape ``(n_l, n_{l+1})`` and
``bs[l]`` of shape ``(n_{l+1},)``, ``l = 0 .. L-1``,

.. math:: h_0 = x,\qquad h_{l+1} = \sigma(h_l W_l + b_l)\ (l < L-1),\qquad
          \text{logits} = h_{L-1} W_{L-1} + b_{L-1},

and the mean softmax cross-entropy of the logits against integer labels. :func:`train_by_hand`
trains it with plain SGD using a *given* gradient function (the learner's, in the notebook) and
records the per-layer gradient norms and update-to-weight ratios it computes, on the same data,
weights and batches as :func:`train_depths`, so that with a correct gradient the two runs
agree. It also records, on a fixed probe set, the mean activation and
the saturated fraction of every hidden layer, where Glorot & Bengio (2010, Fig. 2) saw the top
hidden layer of a deep sigmoid network driven to 0.

:func:`train_digits` repeats the depth comparison on a real data set, the 8×8 handwritten
digits of :func:`vanishing.data.digits`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .. import data as datasets
from .. import functional as F
from .. import losses, nn, optim, telemetry, train
from .protocol import (
    batch_rng,
    depth_data,
    depth_weights_rng,
    fit_split,
    frobenius,
    train_on_depth_data,
)

__all__ = [
    "DIGITS_RUNS",
    "DepthRun",
    "digits_data",
    "hidden_activations",
    "net_params",
    "relative_weight_change",
    "sigmoid_net_gradients",
    "sigmoid_net_logits",
    "sigmoid_net_loss",
    "train_by_hand",
    "train_depths",
    "train_digits",
    "update_ratios",
]


@dataclass
class DepthRun:
    """One training run of :func:`train_depths`.

    history : the :class:`~vanishing.train.History` of :func:`vanishing.train.fit`
    rel_change : :math:`\\|W_\\text{end} - W_0\\|_F / \\|W_0\\|_F` per Linear layer, shape
        ``(n_linear,)``, input side first
    model : the trained network
    """

    history: train.History
    rel_change: np.ndarray
    model: nn.Sequential


def relative_weight_change(before: Sequence[np.ndarray], after: Sequence[np.ndarray]) -> np.ndarray:
    r""":math:`\|W^\text{after}_l - W^\text{before}_l\|_F / \|W^\text{before}_l\|_F` per layer."""
    return np.array(
        [frobenius(a - b) / frobenius(b) for b, a in zip(before, after, strict=True)],
        dtype=np.float64,
    )


def train_depths(
    depths: Sequence[int] = (1, 4, 8),
    *,
    dataset: str = "moons",
    width: int = 32,
    activation: str = "sigmoid",
    init: str = "xavier_normal",
    steps: int = 2000,
    lr: float = 1.0,
    momentum: float = 0.0,
    batch_size: int = 64,
    n: int = 600,
    seed: int = 0,
    telemetry_every: int = 5,
    progress: bool = True,
) -> dict[str, DepthRun]:
    r"""Train one ``activation`` MLP per entry of ``depths`` (hidden layers of ``width``).

    All runs see the same data (``dataset`` with ``n`` points, 25 % held out), the same batch
    order and the same optimiser: SGD with ``lr`` and ``momentum`` for ``steps`` steps.
    Returns ``{"<d> hidden layer(s)": DepthRun}`` in the order of ``depths``.
    """
    X_tr, y_tr, X_val, y_val = depth_data(dataset, n, seed)
    runs: dict[str, DepthRun] = {}
    for d in depths:
        label = f"{d} hidden layer{'s' if d != 1 else ''}"
        sizes = [X_tr.shape[1]] + [width] * int(d) + [int(y_tr.max()) + 1]
        model = nn.mlp(sizes, activation, init=init, rng=depth_weights_rng(seed, d))
        before = [m.params["W"].copy() for m in nn.linear_layers(model)]
        hist = train_on_depth_data(
            model,
            lr=lr,
            steps=steps,
            momentum=momentum,
            dataset=dataset,
            n=n,
            batch_size=batch_size,
            seed=seed,
            telemetry_every=telemetry_every,
            progress=progress,
            label=label,
        )
        after = [m.params["W"] for m in nn.linear_layers(model)]
        runs[label] = DepthRun(hist, relative_weight_change(before, after), model)
    return runs


def sigmoid_net_logits(Ws, bs, x) -> np.ndarray:
    """The logits of the network of the module docstring for a batch ``x`` of shape (N, n_0)."""
    h = np.asarray(x)
    for l, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        z = h @ W + b
        h = z if l == len(Ws) - 1 else F.sigmoid(z)
    return h


def hidden_activations(Ws, bs, x) -> list[np.ndarray]:
    r"""The outputs :math:`h_1, \dots, h_{L-1}` of the hidden sigmoid layers for a batch ``x``,
    input side first (shapes ``(N, n_l)``)."""
    hs, h = [], np.asarray(x)
    for W, b in zip(Ws[:-1], bs[:-1], strict=True):
        h = F.sigmoid(h @ W + b)
        hs.append(h)
    return hs


def sigmoid_net_loss(Ws, bs, x, y) -> float:
    """Mean softmax cross-entropy of :func:`sigmoid_net_logits` against the labels ``y``."""
    return losses.softmax_cross_entropy(sigmoid_net_logits(Ws, bs, x), y)[0]


def sigmoid_net_gradients(Ws, bs, x, y) -> tuple[list[np.ndarray], list[np.ndarray]]:
    r"""``(dWs, dbs)``: the gradient of :func:`sigmoid_net_loss` w.r.t. every ``Ws[l]`` and
    ``bs[l]`` (the course's reference; notebook 03 asks the learner to write it)."""
    hs, h = [np.asarray(x)], np.asarray(x)
    for l, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        z = h @ W + b
        h = z if l == len(Ws) - 1 else F.sigmoid(z)
        hs.append(h)
    _, d = losses.softmax_cross_entropy(hs[-1], y)  # dL/dz of the output layer
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for l in range(len(Ws) - 1, -1, -1):
        dWs[l], dbs[l] = hs[l].T @ d, d.sum(axis=0)
        if l:
            d = (d @ Ws[l].T) * hs[l] * (1 - hs[l])  # sigma'(z) = sigma(z) (1 - sigma(z))
    return dWs, dbs


def update_ratios(Ws, dWs, lr) -> np.ndarray:
    r""":math:`\|\text{lr}\cdot dW_l\|_F / \|W_l\|_F` for every layer: the relative size of one
    SGD step (the weights before the step). Shape ``(L,)``."""
    return np.array([abs(lr) * frobenius(dW) / frobenius(W) for W, dW in zip(Ws, dWs, strict=True)])


def net_params(
    depth: int,
    *,
    width: int = 32,
    n_in: int = 2,
    n_out: int = 2,
    init: str = "xavier_normal",
    seed: int = 0,
) -> tuple[nn.Sequential, list[np.ndarray], list[np.ndarray]]:
    """The model :func:`train_depths` trains for ``depth`` hidden layers, and copies of its
    weights and biases as lists."""
    sizes = [n_in] + [width] * int(depth) + [n_out]
    model = nn.mlp(sizes, "sigmoid", init=init, rng=depth_weights_rng(seed, depth))
    lins = nn.linear_layers(model)
    return model, [m.params["W"].copy() for m in lins], [m.params["b"].copy() for m in lins]


def _batch_stream(X, y, batch_size: int, rng: np.random.Generator):
    while True:  # the batches of vanishing.train.fit, in the same order
        for xb, yb in datasets.batches(X, y, batch_size, rng):
            if len(xb) >= 2 or batch_size == 1:
                yield xb, yb


def _accuracy(Ws, bs, X, y) -> float:
    return float(np.mean(np.argmax(sigmoid_net_logits(Ws, bs, X), axis=1) == y))


def train_by_hand(
    gradients: Callable,
    depths: Sequence[int] = (1, 4, 8),
    *,
    ratios: Callable = update_ratios,
    dataset: str = "moons",
    width: int = 32,
    init: str = "xavier_normal",
    steps: int = 2000,
    lr: float = 1.0,
    batch_size: int = 64,
    n: int = 600,
    seed: int = 0,
    record_every: int = 5,
    eval_every: int | None = None,
) -> dict[str, DepthRun]:
    r"""Notebook 03's experiment with a given gradient function: one sigmoid network per entry
    of ``depths`` trained by plain SGD, ``W -= lr * dW``, ``b -= lr * db``.

    ``gradients(Ws, bs, x, y) -> (dWs, dbs)`` computes every step's gradients;
    ``ratios(Ws, dWs, lr)`` the update-to-weight ratios recorded every ``record_every`` steps
    (with ``‖dW_l‖_F`` as ``grad_norm``). Same data, initial weights and batch order as
    :func:`train_depths`. Returns ``{"<d> hidden layer(s)":
    DepthRun}``; each history's loss is the course's forward loss of each batch, and the
    run's ``model`` holds the final weights.

    At every recorded step the history also holds, for each hidden layer ``h1 .. h{L-1}`` on
    the first ``min(N_train, 2000)`` training examples, the mean and standard deviation of all
    its outputs (``act_mean``, ``act_std``) and the fraction of outputs below 0.03 or above
    0.97 (``saturated``, :data:`vanishing.telemetry.SATURATION_BOUNDS`), before that step's
    update.
    """
    X_tr, y_tr, X_val, y_val = depth_data(dataset, n, seed)
    n_eval = min(len(X_tr), 2000)
    eval_every = int(eval_every) if eval_every else max(1, steps // 50)
    runs: dict[str, DepthRun] = {}
    for d in depths:
        label = f"{d} hidden layer{'s' if d != 1 else ''}"
        model, Ws, bs = net_params(
            d, width=width, n_in=X_tr.shape[1], n_out=int(y_tr.max()) + 1, init=init, seed=seed
        )
        before = [W.copy() for W in Ws]
        stream = _batch_stream(X_tr, y_tr, batch_size, batch_rng(seed))
        loss = np.empty(steps)
        rec_steps, g_rows, r_rows, a_rows = [], [], [], []
        probe = X_tr[:n_eval]
        ev_steps, tr_acc, va_acc = [], [], []
        nan_step, t = None, 0
        with np.errstate(over="ignore", invalid="ignore"):
            for t in range(steps):
                xb, yb = next(stream)
                loss[t] = sigmoid_net_loss(Ws, bs, xb, yb)
                if not np.isfinite(loss[t]):
                    nan_step = t
                    break
                dWs, dbs = gradients(Ws, bs, xb, yb)
                if t % record_every == 0:
                    rec_steps.append(t)
                    g_rows.append([frobenius(dW) for dW in dWs])
                    r_rows.append(np.asarray(ratios(Ws, dWs, lr), dtype=np.float64))
                    acts = hidden_activations(Ws, bs, probe)
                    a_rows.append(
                        [
                            [h.mean(), h.std(), telemetry.saturated_fraction(h, "sigmoid")]
                            for h in acts
                        ]
                    )
                Ws = [W - lr * dW for W, dW in zip(Ws, dWs, strict=True)]
                bs = [b - lr * db for b, db in zip(bs, dbs, strict=True)]
                if (t + 1) % eval_every == 0 or t == steps - 1:
                    ev_steps.append(t)
                    tr_acc.append(_accuracy(Ws, bs, X_tr[:n_eval], y_tr[:n_eval]))
                    va_acc.append(_accuracy(Ws, bs, X_val, y_val))
        for m, W, b in zip(nn.linear_layers(model), Ws, bs, strict=True):
            m.params["W"][...] = W
            m.params["b"][...] = b
        L = len(Ws)
        acts = np.asarray(a_rows, dtype=np.float64).reshape(-1, L - 1, 3)
        hist = train.History(
            loss=loss[: t + 1].copy(),
            eval_steps=np.asarray(ev_steps, dtype=np.int64),
            train_acc=np.asarray(tr_acc, dtype=np.float64),
            val_acc=np.asarray(va_acc, dtype=np.float64),
            telemetry_steps=np.asarray(rec_steps, dtype=np.int64),
            linear_names=[f"W{l + 1}" for l in range(L)],
            act_names=[f"h{l + 1}" for l in range(L - 1)],
            act_kinds=["sigmoid"] * (L - 1),
            act_mean=acts[:, :, 0],
            act_std=acts[:, :, 1],
            saturated=acts[:, :, 2],
            dead=np.full(acts.shape[:2], np.nan),
            grad_norm=np.asarray(g_rows, dtype=np.float64).reshape(-1, L),
            update_ratio=np.asarray(r_rows, dtype=np.float64).reshape(-1, L),
            nan_step=nan_step,
            lr=float(lr),
            label=label,
        )
        runs[label] = DepthRun(hist, relative_weight_change(before, Ws), model)
    return runs


#: The runs of :func:`train_digits`: ``(label, hidden layers, activation, initialisation)``.
DIGITS_RUNS: tuple[tuple[str, int, str, str], ...] = (
    ("1 hidden layer, sigmoid", 1, "sigmoid", "xavier_normal"),
    ("8 hidden layers, sigmoid", 8, "sigmoid", "xavier_normal"),
    ("8 hidden layers, ReLU + He", 8, "relu", "he_normal"),
)


def digits_data(seed: int = 0, val_fraction: float = 0.25):
    """The 8×8 digits (:func:`vanishing.data.digits`, 10 classes, standardised pixels) split
    into ``(X_train, y_train, X_val, y_val)``, ``val_fraction`` held out, shuffled with ``seed``."""
    X, y = datasets.digits()
    return datasets.train_val_split(X, y, val_fraction, rng=np.random.default_rng(seed))


def train_digits(
    runs: Sequence[tuple[str, int, str, str]] = DIGITS_RUNS,
    *,
    steps: int = 600,
    lr: float = 0.1,
    width: int = 32,
    batch_size: int = 64,
    seed: int = 0,
    eval_every: int = 20,
) -> dict[str, train.History]:
    r"""Notebook 03's depth comparison on the handwritten digits (64 inputs, 10 classes).

    For every ``(label, depth, activation, init)`` of ``runs``: an MLP
    ``64 -> width x depth -> 10`` (:func:`vanishing.nn.mlp`, weights drawn with the seed
    ``[seed, depth]``) trained by plain SGD, :math:`W \leftarrow W - \text{lr}\, dW`, on the
    mean softmax cross-entropy, for ``steps`` batches of ``batch_size``; every run sees the
    same split (:func:`digits_data`) and the same batches in the same order. Validation
    accuracy is evaluated every ``eval_every`` steps. Returns ``{label: History}``.
    """
    if int(steps) < 1:
        raise ValueError(f"steps must be at least 1, got {steps!r}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    split = digits_data(seed)
    X_tr = split[0]
    out: dict[str, train.History] = {}
    for label, depth, activation, init in runs:
        sizes = [X_tr.shape[1]] + [int(width)] * int(depth) + [10]
        model = nn.mlp(sizes, activation, init=init, rng=depth_weights_rng(seed, depth))
        out[label] = fit_split(
            model,
            split,
            optimizer=optim.SGD(model, lr=lr),
            steps=int(steps),
            batch_size=batch_size,
            seed=seed,
            eval_every=eval_every,
            telemetry=False,
            progress=False,
            label=label,
        )
    return out
