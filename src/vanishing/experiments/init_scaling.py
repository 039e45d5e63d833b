r"""Notebook 05: Xavier and He initialisation, and a laptop-scale He et al. (2015), Fig. 3.

* :func:`activation_std_by_depth`: the standard deviation of every layer's activations in a
  fresh deep MLP, for an (initialiser, activation) pair: flat (or slowly drifting) with the
  matching pair, geometric decay or saturation with the wrong one.
* :func:`deep_relu_run`: He et al. (2015), Fig. 3 in miniature. A 30-layer ReLU network
  (width 64) on the two-moons data, trained with plain SGD, once with Xavier weights
  (variance :math:`2/(n_\text{in}+n_\text{out}) = 1/n` for the square hidden layers, so the
  signal shrinks by :math:`\sqrt{1/2}` per layer, :math:`2^{-15}` over 30) and once with He
  weights (variance :math:`2/n`). The He network trains; the Xavier one stalls at chance.

Why gradient clipping at 1 in :func:`deep_relu_run`: at this learning rate 2 of 16 He runs
without clipping blew up in their first steps (a 30-layer ReLU net's first updates are large).
Clipping bounds those steps; it never touches the Xavier run, whose global gradient norm is
about :math:`10^{-4}` (see :func:`initial_gradient_norms`).

The backward variance argument runs on the bias-free *stack* of :mod:`.saturating`
(:math:`h_l = \varphi(h_{l-1}W_l)`, :math:`h_0 = x`, ``dout`` :math:`= \partial L/\partial h_L`),
with :math:`\varphi` linear or ReLU:

* :func:`stack_forward`, :func:`stack_backward`: the forward output and the gradients
  :math:`g_l = \partial L/\partial h_l`, :math:`l = 0..L` (references for the notebook's
  exercises, which forbid them);
* :func:`gradient_variances`: the mean square of every :math:`g_l`, as measured;
* :func:`predicted_gradient_variances`: He et al. (2015), eq. 13, layer by layer,
  :math:`\mathbb E[g_{l-1}^2] = c\,n_l\operatorname{Var}(W_l)\,\mathbb E[g_l^2]` with
  :math:`c = 1` (linear) or :math:`\tfrac12` (ReLU);
* :data:`WEIGHT_RULES` and :func:`rule_weights`: the fan-in, fan-out and Glorot variances.

The same contrast on real data (:func:`digits_deep_run`): the 8×8 handwritten digits
(Alpaydin & Kaynak 1998, :func:`vanishing.data.digits`), 64 standardised pixels, 10 classes,
through 30 hidden layers of 64 units. There every layer is square (the first one too), so
Xavier's variance :math:`2/(n_\text{in}+n_\text{out}) = 1/64` is exactly half of He's
:math:`2/64` in *every* layer; with ReLU the signal shrinks by :math:`2^{-15}` and the run stays
at chance (10 %), with He weights it trains, and with tanh Xavier's weights are the matched pair.

:func:`decision_boundary_grid` evaluates a trained 2-D classifier on a grid, for drawing its
decision boundary.
"""

from __future__ import annotations

import numpy as np

from .. import data, nn, optim, telemetry
from ..train import History
from .protocol import depth_data, fit_split, rng_stream
from .saturating import chain_forward_backward

__all__ = [
    "ACTIVATION_STD_STREAM",
    "DEEP_NET_STREAM",
    "DEEP_RELU",
    "activation_std_by_depth",
    "deep_relu_net",
    "deep_relu_run",
    "DIGITS_DEEP",
    "digits_split",
    "digits_deep_net",
    "digits_deep_run",
    "decision_boundary_grid",
    "initial_gradient_norms",
    "STACK_ACTIVATIONS",
    "WEIGHT_RULES",
    "stack_forward",
    "stack_backward",
    "gradient_variances",
    "predicted_gradient_variances",
    "rule_weights",
]

#: Stream id (:func:`~.protocol.rng_stream`) of the inputs and weights of
#: :func:`activation_std_by_depth` (the same for every initialiser and activation).
ACTIVATION_STD_STREAM = 5
#: Stream id of the weights of the 30-layer networks (:func:`deep_relu_net`,
#: :func:`digits_deep_net`): the same draws for either initialiser, only scaled.
DEEP_NET_STREAM = 15

#: The network and optimiser of the He et al. (2015) Fig. 3 reproduction.
DEEP_RELU = {
    "depth": 30,
    "width": 64,
    "lr": 0.05,
    "batch_size": 128,
    "clip": 1.0,
    "dataset": "moons",
    "n": 600,
}


def activation_std_by_depth(
    init: str,
    activation: str,
    *,
    depth: int = 50,
    width: int = 256,
    n: int = 512,
    gain: float = 1.0,
    seed: int = 0,
    dtype=np.float32,
) -> np.ndarray:
    r"""Standard deviation of each hidden layer's activations at initialisation, shape ``(depth,)``.

    Inputs :math:`x \sim \mathcal N(0, 1)` of shape ``(n, width)``; ``depth`` layers
    ``Linear(width, width)`` (initialiser ``init`` times ``gain``, zero biases) each followed
    by ``activation``. The weights depend only on ``seed``.
    """
    rng = rng_stream(seed, ACTIVATION_STD_STREAM)
    x = rng.standard_normal((n, width)).astype(dtype)
    model = nn.mlp(
        [width] * (depth + 1) + [2], activation, init=init, rng=rng, dtype=dtype, gain=gain
    )
    with np.errstate(all="ignore"):
        return telemetry.activation_stats(model, x).std


def deep_relu_net(
    init: str, *, depth: int = 30, width: int = 64, seed: int = 0, dtype=np.float32
) -> nn.Sequential:
    """``depth`` hidden ReLU layers of ``width`` on 2 inputs, 2 classes, all Linear layers from
    ``init``. The random stream depends only on ``seed`` (not on ``init``)."""
    return nn.mlp(
        [2] + [width] * depth + [2],
        "relu",
        init=init,
        rng=rng_stream(seed, DEEP_NET_STREAM),
        dtype=dtype,
    )


def initial_gradient_norms(
    init: str, *, depth: int = 30, width: int = 64, seed: int = 0
) -> np.ndarray:
    """Per-Linear-layer weight-gradient norms of :func:`deep_relu_net` on the training data at
    initialisation (float64, so nothing underflows), shape ``(depth + 1,)``."""
    X, y, _, _ = depth_data(DEEP_RELU["dataset"], DEEP_RELU["n"], seed)
    model = deep_relu_net(init, depth=depth, width=width, seed=seed, dtype=np.float64)
    return telemetry.layer_gradient_norms(model, X, y)


def deep_relu_run(
    init: str,
    *,
    steps: int = 300,
    seed: int = 0,
    depth: int = DEEP_RELU["depth"],
    width: int = DEEP_RELU["width"],
    lr: float = DEEP_RELU["lr"],
    clip: float | None = DEEP_RELU["clip"],
    momentum: float = 0.0,
    optimizer: str = "sgd",
    telemetry_every: int = 5,
    progress: bool = True,
    return_model: bool = False,
) -> History | tuple[History, nn.Sequential]:
    r"""Train :func:`deep_relu_net` on two moons (600 points, a quarter held out).

    Plain SGD (as He et al. 2015) with learning rate ``lr``, batches of 128 and the global
    gradient norm clipped at ``clip``; ``optimizer="adam"`` uses Adam at ``lr`` instead. The
    data, the weights' random stream and the batch order depend only on ``seed``, so the Xavier
    and He runs differ only in the weights' scale. ``return_model=True`` returns
    ``(history, trained model)``.
    """
    X_tr, y_tr, X_val, y_val = depth_data(DEEP_RELU["dataset"], DEEP_RELU["n"], seed)
    split = (X_tr.astype(np.float32), y_tr, X_val.astype(np.float32), y_val)
    model = deep_relu_net(init, depth=depth, width=width, seed=seed)
    if optimizer == "sgd":
        opt = optim.SGD(model, lr=lr, momentum=momentum)
    elif optimizer == "adam":
        opt = optim.Adam(model, lr=lr)
    else:
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    history = fit_split(
        model,
        split,
        optimizer=opt,
        steps=steps,
        batch_size=DEEP_RELU["batch_size"],
        seed=seed,
        telemetry_every=telemetry_every,
        progress=progress,
        clip=clip,
        label=f"{init}, {depth} ReLU layers" + (", Adam" if optimizer == "adam" else ""),
    )
    return (history, model) if return_model else history


# ------------------------------------------------------------------------------------------
# The same contrast on real data: the 8x8 handwritten digits
# ------------------------------------------------------------------------------------------
#: The network and optimiser of the digits run: 30 hidden layers of 64 (all square), plain SGD.
DIGITS_DEEP = {
    "depth": 30,
    "width": 64,
    "lr": 0.1,
    "batch_size": 128,
    "clip": 1.0,
    "val_fraction": 0.25,
    "eval_every": 30,
}


def digits_split(seed: int = 0, dtype=np.float32):
    """The digits (all 10 classes, standardised pixels) shuffled by ``seed`` and split into
    ``(X_train, y_train, X_val, y_val)``: 1,348 training and 449 validation images."""
    X, y = data.digits(dtype=dtype)
    return data.train_val_split(X, y, DIGITS_DEEP["val_fraction"], rng=np.random.default_rng(seed))


def digits_deep_net(
    init: str,
    activation: str = "relu",
    *,
    depth: int = DIGITS_DEEP["depth"],
    width: int = DIGITS_DEEP["width"],
    seed: int = 0,
    gain: float = 1.0,
    dtype=np.float32,
) -> nn.Sequential:
    """64 inputs, ``depth`` hidden layers of ``width`` (``activation``), 10 classes, every
    Linear layer from ``init`` times ``gain``, zero biases. The random stream depends only on
    ``seed``, so two initialisers give the same draws, scaled."""
    if activation not in ("relu", "tanh"):
        raise ValueError(f"activation must be 'relu' or 'tanh', got {activation!r}")
    return nn.mlp(
        [64] + [width] * depth + [10],
        activation,
        init=init,
        rng=rng_stream(seed, DEEP_NET_STREAM),
        dtype=dtype,
        gain=gain,
    )


def digits_deep_run(
    init: str,
    activation: str = "relu",
    *,
    steps: int = 300,
    seed: int = 0,
    depth: int = DIGITS_DEEP["depth"],
    width: int = DIGITS_DEEP["width"],
    lr: float = DIGITS_DEEP["lr"],
    clip: float | None = DIGITS_DEEP["clip"],
    gain: float = 1.0,
    progress: bool = True,
) -> History:
    r"""Train :func:`digits_deep_net` on :func:`digits_split` with plain SGD.

    Learning rate ``lr``, batches of 128, the global gradient norm clipped at ``clip`` (as in
    :func:`deep_relu_run`), accuracy evaluated every 30 steps, telemetry off. Chance is 10 %,
    a loss of :math:`\ln 10 \approx 2.30`. The data split, the weights' random stream and the
    batch order depend only on ``seed``.
    """
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    split = digits_split(seed)
    model = digits_deep_net(init, activation, depth=depth, width=width, seed=seed, gain=gain)
    return fit_split(
        model,
        split,
        optimizer=optim.SGD(model, lr=lr),
        steps=steps,
        batch_size=DIGITS_DEEP["batch_size"],
        seed=seed,
        eval_every=DIGITS_DEEP["eval_every"],
        telemetry=False,
        progress=progress,
        clip=clip,
        label=f"{init.split('_')[0].capitalize()} + {activation}",
    )


def decision_boundary_grid(
    model: nn.Module, X, *, n: int = 150, margin: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""A two-class, 2-D classifier's probability of class 1 on a grid: ``(xx, yy, p)``.

    The grid covers the bounding box of ``X`` (shape ``(N, 2)``) widened by ``margin`` on
    every side, ``n`` points per axis; ``xx``, ``yy`` and ``p`` have shape ``(n, n)``, with
    :math:`p = \operatorname{softmax}(f(x))_1 = 1/(1 + e^{f_0(x) - f_1(x)})` from the model's
    two logits, computed in evaluation mode (batch norm uses its running statistics). The
    decision boundary is the contour :math:`p = \tfrac12`. The model's mode is restored.
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2), got {X.shape}")
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r}")
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
    grid = np.column_stack([xx.ravel(), yy.ravel()]).astype(X.dtype)
    was_training = model.training
    model.eval()
    try:
        with np.errstate(all="ignore"):
            logits = np.asarray(model(grid), dtype=np.float64)
    finally:
        if was_training:
            model.train()
    if logits.shape != (n * n, 2):
        raise ValueError(f"the model must give 2 logits per point, got shape {logits.shape}")
    p = 1.0 / (1.0 + np.exp(np.clip(logits[:, 0] - logits[:, 1], -700, 700)))
    return xx, yy, p.reshape(n, n)


# ------------------------------------------------------------------------------------------
# The backward variance argument on a bias-free stack (linear or ReLU)
# ------------------------------------------------------------------------------------------
#: The activations of the stack, with :math:`\mathbb E[\varphi'(z)^2]` for :math:`z` symmetric
#: around 0: the factor ``c`` of :func:`predicted_gradient_variances`.
STACK_ACTIVATIONS = {"linear": 1.0, "relu": 0.5}

#: ``Var(W)`` of a layer of shape ``(n_in, n_out)`` under each rule, for a linear stack; a ReLU
#: stack doubles each one (``gain`` 2 in :func:`rule_weights`).
WEIGHT_RULES = {
    "fan-in": lambda n_in, n_out: 1.0 / n_in,
    "fan-out": lambda n_in, n_out: 1.0 / n_out,
    "Glorot": lambda n_in, n_out: 2.0 / (n_in + n_out),
}


def _stack_activation(activation: str) -> str:
    if activation not in STACK_ACTIVATIONS:
        raise ValueError(f"activation must be 'linear' or 'relu', got {activation!r}")
    return activation


def stack_forward(x, weights, activation: str = "linear") -> np.ndarray:
    r""":math:`h_L` of the stack :math:`h_l = \varphi(h_{l-1}W_l)`, :math:`h_0 = x`, in the
    dtype of ``x`` (``weights`` may be empty: then ``x`` itself)."""
    act = _stack_activation(activation)
    h = np.asarray(x)
    for W in weights:
        z = h @ W
        h = np.maximum(z, 0, dtype=z.dtype) if act == "relu" else z
    return h


def stack_backward(x, weights, dout, activation: str = "linear") -> list[np.ndarray]:
    r"""``[g_0, ..., g_L]``, :math:`g_l = \partial L/\partial h_l` (``g_L`` is ``dout``), in the
    dtype of the inputs; ReLU's derivative at 0 is 0. Reference for notebook 05's exercise."""
    _, _, _, dhs = chain_forward_backward(list(weights), x, dout, _stack_activation(activation))
    return list(dhs)


def gradient_variances(x, weights, dout, activation: str = "linear") -> np.ndarray:
    """Mean square (over the batch and the units) of every :math:`g_l`, float64, ``(L + 1,)``."""
    grads = stack_backward(x, weights, dout, activation)
    return np.array([np.mean(np.square(g, dtype=np.float64)) for g in grads])


def predicted_gradient_variances(
    widths, weight_variances, dout_variance: float, activation: str = "linear"
) -> np.ndarray:
    r"""He et al. (2015), eq. 13: :math:`p_L` = ``dout_variance`` and
    :math:`p_{l-1} = c\,n_l\,v_l\,p_l` (:math:`n_l` = ``widths[l]``, the fan-out of layer
    :math:`l`; :math:`c` from :data:`STACK_ACTIVATIONS`). float64, shape ``(L + 1,)``."""
    c = STACK_ACTIVATIONS[_stack_activation(activation)]
    widths = [int(n) for n in widths]
    v = np.asarray(weight_variances, dtype=np.float64)
    if v.shape != (len(widths) - 1,):
        raise ValueError(
            f"weight_variances has shape {v.shape}, expected ({len(widths) - 1},) for "
            f"{len(widths)} widths"
        )
    p = np.empty(len(widths))
    p[-1] = float(dout_variance)
    for l in range(len(widths) - 1, 0, -1):
        p[l - 1] = c * widths[l] * v[l - 1] * p[l]
    return p


def rule_weights(widths, rule: str, *, gain: float = 1.0, rng=None) -> list[np.ndarray]:
    """Normal weights of shape ``(widths[l-1], widths[l])`` with variance ``gain`` times
    :data:`WEIGHT_RULES` ``[rule]`` (``gain=2`` for ReLU), float64."""
    rng = np.random.default_rng(rng)
    var = WEIGHT_RULES[rule]
    return [
        rng.standard_normal((a, b)) * np.sqrt(gain * var(a, b))
        for a, b in zip(widths[:-1], widths[1:], strict=True)
    ]
