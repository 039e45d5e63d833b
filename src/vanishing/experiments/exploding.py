r"""Notebook 08: exploding gradients, the spectral radius, and clipping.

Backpropagating through :math:`T` steps of a recurrence :math:`h_t = \phi(W h_{t-1})` multiplies
the gradient by :math:`T` Jacobians :math:`\operatorname{diag}(\phi'(a_t))\,W`. For the linear
chain the product is :math:`W^T`, whose norm behaves like :math:`\rho(W)^T` (Gelfand's formula:
:math:`\|W^T\|^{1/T} \to \rho(W)`, the spectral radius): it dies out for :math:`\rho < 1` and
explodes for :math:`\rho > 1` (Pascanu, Mikolov & Bengio 2013, section 2). With
:math:`W = \lambda Q`, :math:`Q` orthogonal, every singular value is :math:`\lambda` and
:math:`\|\partial h_T/\partial h_0\|_2 = \lambda^T` exactly.

A feed-forward network trained with too large a learning rate explodes the same way across
training steps; clipping the global gradient norm (Pascanu et al. 2013, algorithm 1) bounds
each step and rescues the run.

Longer than 400 lines on purpose: it is all of notebook 08 (the matrix chains, the tanh RNN
and its training loop, the feed-forward divergence runs), whose names the notebook,
:mod:`vanishing.plots.exploding` and the tests import from this one module; each section is
short and stands alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import data, nn
from ..train import History
from .protocol import fit_split, rng_stream


# ------------------------------------------------------------------------------------------
# Matrices and chains
# ------------------------------------------------------------------------------------------
def scaled_orthogonal(n: int, radius: float, rng: np.random.Generator) -> np.ndarray:
    r""":math:`\lambda Q` with :math:`Q` a random orthogonal ``(n, n)`` matrix: every eigenvalue
    has modulus :math:`\lambda` = ``radius`` and every singular value equals it."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return radius * q * np.sign(np.diag(r))


def gaussian_with_radius(n: int, radius: float, rng: np.random.Generator) -> np.ndarray:
    r"""A Gaussian ``(n, n)`` matrix rescaled to spectral radius ``radius``. Not normal: its
    largest singular value is about twice its spectral radius."""
    W = rng.standard_normal((n, n)) / np.sqrt(n)
    return W * (radius / np.max(np.abs(np.linalg.eigvals(W))))


def scaled_shift(n: int, scale: float) -> np.ndarray:
    r"""``scale`` times the ``(n, n)`` down-shift matrix :math:`S` (ones just below the
    diagonal, :math:`S e_j = e_{j+1}`). It is nilpotent: every eigenvalue is 0, so
    :math:`\rho = 0`, yet :math:`\|(cS)^t\|_2 = c^t` for :math:`t < n` and
    :math:`(cS)^n = 0`: the norm of the powers grows like :math:`c^t` for :math:`n - 1` steps
    before it drops to 0."""
    if int(n) != n or n < 1:
        raise ValueError(f"scaled_shift: n must be a positive integer, got {n!r}")
    return float(scale) * np.eye(int(n), k=-1)


def product_norms(W: np.ndarray, T: int, slopes: np.ndarray | None = None) -> np.ndarray:
    r""":math:`\|(D W)^t\|_2` (spectral norm) for :math:`t = 0, \dots, T`, with
    :math:`D = \operatorname{diag}(\text{slopes})` (the identity if ``slopes`` is None):
    the Jacobian product of a recurrence whose activation has these slopes at every step.
    Shape ``(T + 1,)``, starting with 1. An exact zero product gives 0."""
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"product_norms: W must be a square matrix, got shape {W.shape}")
    d = np.ones(W.shape[0]) if slopes is None else np.asarray(slopes, dtype=np.float64)
    if d.shape != (W.shape[0],):
        raise ValueError(
            f"product_norms: slopes must have shape ({W.shape[0]},) like W's rows, got {d.shape}"
        )
    step = d[:, None] * W
    J = np.eye(W.shape[0])
    out = np.empty(T + 1)
    for t in range(T + 1):
        out[t] = np.linalg.norm(J, 2)
        J = step @ J
    return out


def power_norms(W: np.ndarray, x0: np.ndarray, T: int) -> np.ndarray:
    r""":math:`\|W^t x_0\|_2` for :math:`t = 0, \dots, T`; shape ``(T + 1,)``."""
    out = np.empty(T + 1)
    x = np.asarray(x0, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(T + 1):
            out[t] = np.linalg.norm(x)
            x = W @ x
    return out


def chain_jacobian_norms(
    W: np.ndarray, T: int, nonlinearity: str = "linear", h0: np.ndarray | None = None
) -> np.ndarray:
    r""":math:`\|\partial h_t / \partial h_0\|_2` (spectral norm) for :math:`t = 0, \dots, T`.

    The chain is :math:`h_t = W h_{t-1}` (``"linear"``) or :math:`h_t = \tanh(W h_{t-1})`
    (``"tanh"``, started at ``h0``), so :math:`\partial h_t/\partial h_0 = \prod_{s=t}^{1}
    \operatorname{diag}(\phi'(W h_{s-1}))\,W`. Returns an array of shape ``(T + 1,)``
    starting with 1.
    """
    if nonlinearity not in ("linear", "tanh"):
        raise ValueError(f"nonlinearity must be 'linear' or 'tanh', got {nonlinearity!r}")
    n = W.shape[0]
    J = np.eye(n)
    h = np.zeros(n) if h0 is None else np.asarray(h0, dtype=np.float64)
    out = np.empty(T + 1)
    out[0] = 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, T + 1):
            if nonlinearity == "linear":
                J = W @ J
            else:
                h = np.tanh(W @ h)
                J = (1 - h * h)[:, None] * (W @ J)
            out[t] = np.linalg.norm(J, 2) if np.all(np.isfinite(J)) else np.inf
    return out


def growth_per_step(norms: np.ndarray, skip: int = 0) -> float:
    r"""Average factor per step, :math:`(n_T / n_{s})^{1/(T-s)}` with :math:`s` = ``skip``."""
    norms = np.asarray(norms, dtype=np.float64)
    T = len(norms) - 1
    return float((norms[T] / norms[skip]) ** (1.0 / (T - skip)))


def recurrent_comparison(
    radii=(0.9, 1.1),
    n: int = 32,
    T: int = 50,
    seed: int = 0,
    nonlinearity: str = "linear",
    h0_scale: float = 0.1,
) -> dict[float, np.ndarray]:
    r"""``{radius: chain_jacobian_norms}`` for :math:`W = \lambda Q` at each radius (one Q)."""
    rng = np.random.default_rng(seed)
    q = scaled_orthogonal(n, 1.0, rng)
    h0 = h0_scale * rng.standard_normal(n)
    return {r: chain_jacobian_norms(r * q, T, nonlinearity, h0) for r in radii}


# ------------------------------------------------------------------------------------------
# A tanh recurrent network: forward, backpropagation through time, Jacobians
# ------------------------------------------------------------------------------------------
def rnn_forward(
    W_rec: np.ndarray, W_in: np.ndarray, b: np.ndarray, h0: np.ndarray, xs: np.ndarray
) -> np.ndarray:
    r"""Hidden states of the tanh RNN :math:`h_t = \tanh(W_{rec} h_{t-1} + W_{in} x_t + b)`.

    Parameters
    ----------
    W_rec : ndarray of shape (H, H)
    W_in : ndarray of shape (H, D)
    b : ndarray of shape (H,)
    h0 : ndarray of shape (N, H), the initial states of a batch of N sequences (one row each)
    xs : ndarray of shape (T, N, D), ``xs[t - 1]`` is the batch's input :math:`x_t`

    Returns
    -------
    hs : ndarray of shape (T + 1, N, H), ``hs[t]`` is :math:`h_t` (``hs[0]`` is ``h0``). With
    one row per sequence, :math:`W_{rec} h_{t-1}` for every row is ``hs[t - 1] @ W_rec.T``.
    """
    W_rec, W_in, b, h0, xs = (np.asarray(a) for a in (W_rec, W_in, b, h0, xs))
    H = W_rec.shape[0]
    if (
        W_rec.shape != (H, H)
        or W_in.ndim != 2
        or W_in.shape[0] != H
        or b.shape != (H,)
        or h0.ndim != 2
        or h0.shape[1] != H
        or xs.ndim != 3
        or xs.shape[1:] != (h0.shape[0], W_in.shape[1])
    ):
        raise ValueError(
            "rnn_forward: shapes do not fit: W_rec (H, H), W_in (H, D), b (H,), h0 (N, H), "
            f"xs (T, N, D); got W_rec {W_rec.shape}, W_in {W_in.shape}, b {b.shape}, "
            f"h0 {h0.shape}, xs {xs.shape}"
        )
    T = xs.shape[0]
    hs = np.empty((T + 1,) + h0.shape, dtype=np.result_type(W_rec, W_in, b, h0, xs))
    hs[0] = h0
    for t in range(1, T + 1):
        hs[t] = np.tanh(hs[t - 1] @ W_rec.T + xs[t - 1] @ W_in.T + b)
    return hs


def rnn_backward(
    dhs: np.ndarray, xs: np.ndarray, hs: np.ndarray, W_rec: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Backpropagation through time for :func:`rnn_forward` (the course's reference).

    ``dhs[t - 1]`` is the gradient of the loss reaching :math:`h_t` directly, shape (T, N, H).
    Returns ``(dW_rec, dW_in, db, dh0)``, the gradients w.r.t. each, shaped like each.
    With :math:`a_t` the pre-activation and :math:`g_t` the total gradient at :math:`h_t`
    (from the loss and from :math:`h_{t+1}`): :math:`\delta_t = g_t \odot (1 - h_t^2)`,
    :math:`\partial L/\partial W_{rec} = \sum_t \delta_t^\top h_{t-1}`,
    :math:`\partial L/\partial W_{in} = \sum_t \delta_t^\top x_t`,
    :math:`\partial L/\partial b = \sum_t \sum_n \delta_t`, and
    :math:`g_{t-1} = \text{dhs}_{t-1} + \delta_t W_{rec}` (Werbos 1990).
    """
    T = xs.shape[0]
    dW_rec = np.zeros(W_rec.shape, dtype=hs.dtype)
    dW_in = np.zeros((W_rec.shape[0], xs.shape[-1]), dtype=hs.dtype)
    db = np.zeros(W_rec.shape[0], dtype=hs.dtype)
    g = np.zeros_like(hs[0])
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(T, 0, -1):
            delta = (g + dhs[t - 1]) * (1 - hs[t] * hs[t])
            dW_rec += delta.T @ hs[t - 1]
            dW_in += delta.T @ xs[t - 1]
            db += delta.sum(axis=0)
            g = delta @ W_rec
    return dW_rec, dW_in, db, g


def rnn_jacobians(hs: np.ndarray, W_rec: np.ndarray) -> np.ndarray:
    r""":math:`\partial h_t / \partial h_0` for :math:`t = 0, \dots, T` of one sequence of
    :func:`rnn_forward` (the course's reference): ``hs`` of shape (T + 1, H), result of shape
    (T + 1, H, H): :math:`J_0 = I` and
    :math:`J_t = \operatorname{diag}(1 - h_t^2)\,W_{rec}\,J_{t-1}`."""
    hs = np.asarray(hs)
    J = np.eye(W_rec.shape[0], dtype=hs.dtype)
    out = np.empty((len(hs),) + J.shape, dtype=hs.dtype)
    out[0] = J
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, len(hs)):
            J = (1 - hs[t] * hs[t])[:, None] * (W_rec @ J)
            out[t] = J
    return out


def chain_states(W: np.ndarray, T: int, h0: np.ndarray) -> np.ndarray:
    r"""States :math:`h_0, \dots, h_T` of the input-free chain :math:`h_t = \tanh(W h_{t-1})`
    (no input, no bias), shape (T + 1, H): :func:`rnn_forward` on one sequence."""
    H = W.shape[0]
    h0 = np.asarray(h0, dtype=np.float64).reshape(1, H)
    hs = rnn_forward(W, np.zeros((H, 1)), np.zeros(H), h0, np.zeros((T, 1, 1)))
    return hs[:, 0]


def spectral_norms(jacobians: np.ndarray) -> np.ndarray:
    r""":math:`\|J_t\|_2` (largest singular value) of each matrix of a (T + 1, H, H) stack."""
    J = np.asarray(jacobians, dtype=np.float64)
    return np.linalg.norm(J, ord=2, axis=(1, 2))


# --- the memory task and its training loop -------------------------------------------------
#: Stream ids (:func:`~.protocol.rng_stream`) of :func:`train_rnn`: the initial weights, and
#: the batches of the memory task (the same whatever ``lr`` and ``clip`` are).
RNN_INIT_STREAM, RNN_BATCH_STREAM = 3, 4
#: The recurrent network of the clipping demonstration: H hidden tanh units, T steps.
RNN_HIDDEN, RNN_STEPS = 32, 30
#: Its initial recurrent matrix is RNN_RADIUS · Q (Q orthogonal), its input weights have
#: standard deviation RNN_INPUT_SCALE; SGD at RNN_LR, clipped at RNN_CLIP.
RNN_RADIUS, RNN_INPUT_SCALE, RNN_LR, RNN_CLIP = 2.0, 0.1, 1.0, 0.5


def memory_task(
    rng: np.random.Generator, N: int = 32, T: int = RNN_STEPS, noise: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    r"""A batch of the "remember the first input" task: ``(xs, y)`` with ``xs`` of shape
    (T, N, 1) and labels ``y`` in {0, 1} of shape (N,). The first input is :math:`2y - 1`
    (±1), every later input is Gaussian noise of standard deviation ``noise``; the label has
    to be read off :math:`h_T`, so its gradient travels back through all T steps."""
    xs = noise * rng.standard_normal((T, N, 1))
    y = rng.integers(0, 2, size=N)
    xs[0, :, 0] = 2.0 * y - 1.0
    return xs, y


def _clip_reference(grads, max_norm):
    from ..optim import clip_grad_norm

    clipped = [np.array(g, copy=True) for g in grads]
    total = clip_grad_norm(clipped, max_norm)
    return clipped, total


@dataclass
class RNNRun:
    """What :func:`train_rnn` recorded, one entry per training step."""

    label: str
    loss: np.ndarray  # training loss (binary cross-entropy, mean over the batch)
    grad_norm: np.ndarray  # global norm of all gradients, before clipping
    accuracy: np.ndarray  # training-batch accuracy
    clip: float | None

    @property
    def final_loss(self) -> float:
        """Mean training loss over the last 50 steps."""
        return float(np.mean(self.loss[-50:]))


def train_rnn(
    backward: Callable | None = None,
    clip_fn: Callable | None = None,
    *,
    clip: float | None = None,
    lr: float = RNN_LR,
    steps: int = 150,
    seed: int = 0,
    radius: float = RNN_RADIUS,
    input_scale: float = RNN_INPUT_SCALE,
    hidden: int = RNN_HIDDEN,
    T: int = RNN_STEPS,
    batch: int = 32,
    label: str | None = None,
) -> RNNRun:
    r"""Train a tanh RNN on :func:`memory_task` with plain SGD, optionally clipping the
    global gradient norm at ``clip``.

    The readout is logistic: :math:`p = \sigma(v \cdot h_T + c)`. Every step computes the
    recurrent gradients with ``backward(dhs, xs, hs, W_rec) -> (dW_rec, dW_in, db, dh0)``
    (the signature of :func:`rnn_backward`, the default) and, if ``clip`` is set, clips all
    five gradients together with ``clip_fn(grads, clip) -> (clipped, total_norm)``
    (default: the course's :func:`vanishing.optim.clip_grad_norm`). The same seed gives the
    same initial weights and batches whatever ``lr`` and ``clip`` are.
    """
    backward = rnn_backward if backward is None else backward
    clip_fn = _clip_reference if clip_fn is None else clip_fn
    rng = rng_stream(seed, RNN_INIT_STREAM)
    P = {
        "W_rec": scaled_orthogonal(hidden, radius, rng),
        "W_in": input_scale * rng.standard_normal((hidden, 1)),
        "b": np.zeros(hidden),
        "v": rng.standard_normal(hidden) / np.sqrt(hidden),
        "c": np.zeros(1),
    }
    batches = rng_stream(seed, RNN_BATCH_STREAM)
    loss, norm, acc = np.empty(steps), np.empty(steps), np.empty(steps)
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(steps):
            xs, y = memory_task(batches, batch, T)
            hs = rnn_forward(P["W_rec"], P["W_in"], P["b"], np.zeros((batch, hidden)), xs)
            z = hs[-1] @ P["v"] + P["c"][0]
            loss[step] = np.mean(np.logaddexp(0.0, z) - y * z)
            acc[step] = np.mean((z > 0) == (y == 1))
            dz = (0.5 * (1.0 + np.tanh(0.5 * z)) - y) / batch  # sigmoid(z) - y, stable
            dhs = np.zeros(hs[1:].shape)
            dhs[-1] = dz[:, None] * P["v"]
            dW_rec, dW_in, db, _ = backward(dhs, xs, hs, P["W_rec"])
            grads = [dW_rec, dW_in, db, hs[-1].T @ dz, np.array([dz.sum()])]
            if clip is not None:
                grads, total = clip_fn(grads, clip)
            else:
                total = np.sqrt(sum(float(np.sum(np.square(a))) for a in grads))
            norm[step] = total
            for name, d in zip(("W_rec", "W_in", "b", "v", "c"), grads, strict=True):
                P[name] = P[name] - lr * np.asarray(d)
    if label is None:
        label = "no clipping" if clip is None else f"clipped at {clip:g}"
    return RNNRun(label, loss, norm, acc, clip)


def rnn_clipping_comparison(
    backward: Callable | None = None,
    clip_fn: Callable | None = None,
    *,
    clip: float = RNN_CLIP,
    steps: int = 150,
    seed: int = 0,
) -> dict[str, RNNRun]:
    """The same RNN run without and with clipping: ``{"no clipping": run, "clipped at c": run}``."""
    a = train_rnn(backward, clip_fn, steps=steps, seed=seed)
    b = train_rnn(backward, clip_fn, clip=clip, steps=steps, seed=seed)
    return {a.label: a, b.label: b}


def initial_gradient_norms(
    backward: Callable | None = None,
    radii=(0.9, RNN_RADIUS),
    lengths=range(1, RNN_STEPS + 1),
    seed: int = 0,
) -> dict[float, np.ndarray]:
    """``{radius: norms}``: the global gradient norm of the :func:`train_rnn` network at
    initialisation (first batch, nothing clipped) for each sequence length T in ``lengths``."""
    return {
        r: np.array(
            [
                train_rnn(backward, steps=1, T=int(T), radius=r, seed=seed).grad_norm[0]
                for T in lengths
            ]
        )
        for r in radii
    }


# ------------------------------------------------------------------------------------------
# Training that diverges, and clipping
# ------------------------------------------------------------------------------------------
#: The network of the divergence and clipping demonstrations: 6 hidden ReLU layers of 64,
#: He init, on two spirals; plain SGD.
NET_SIZES = [2] + [64] * 6 + [2]
#: Stream ids of the demonstrations: the spirals and their split, the network's initial
#: weights, and the batch order (the same whatever ``lr`` and ``clip`` are).
SPIRALS_STREAM, NET_INIT_STREAM, NET_BATCH_STREAM = 8, 1, 2


def spirals(seed: int = 0, n: int = 600):
    """``(X_train, y_train, X_val, y_val)`` for the training demonstrations."""
    rng = rng_stream(seed, SPIRALS_STREAM)
    X, y = data.two_spirals(n, rng=rng)
    return data.train_val_split(X, y, rng=rng)


def train_run(
    lr: float,
    *,
    clip: float | None = None,
    steps: int = 300,
    seed: int = 0,
    momentum: float = 0.9,
    telemetry: bool = False,
    progress: bool = False,
    label: str | None = None,
) -> History:
    """Train the demonstration network with SGD (momentum 0.9 by default) at ``lr``.

    The same seed gives the same initial weights and batches whatever ``lr`` and ``clip``
    are, so runs differ only by those.
    """
    from ..optim import SGD

    split = spirals(seed)
    model = nn.mlp(NET_SIZES, "relu", init="he_normal", rng=rng_stream(seed, NET_INIT_STREAM))
    opt = SGD(model, lr=lr, momentum=momentum)
    if label is None:
        label = f"lr={lr:g}" + (f", clip={clip:g}" if clip is not None else ", no clipping")
    return fit_split(
        model,
        split,
        optimizer=opt,
        steps=steps,
        batch_size=64,
        seed=seed,
        stream=NET_BATCH_STREAM,
        telemetry=telemetry,
        progress=progress,
        clip=clip,
        label=label,
        warn_on_nan=False,  # diverging is what these runs show
    )


def lr_sweep(
    lrs=(0.01, 0.05, 0.5), steps: int = 300, seed: int = 0, progress: bool = False
) -> dict[float, History]:
    """One :func:`train_run` per learning rate (no clipping)."""
    return {lr: train_run(lr, steps=steps, seed=seed, progress=progress) for lr in lrs}


#: Learning rate at which the demonstration network diverges without clipping.
DIVERGING_LR = 0.5
#: The clipping threshold that rescues it (global gradient norm).
CLIP = 0.5


def clipping_comparison(
    lr: float = DIVERGING_LR,
    clip: float = CLIP,
    steps: int = 300,
    seed: int = 0,
    telemetry: bool = True,
    progress: bool = False,
) -> dict[str, History]:
    """The same run without and with clipping: ``{"no clipping": h, "clip ...": h}``."""
    a = train_run(
        lr, steps=steps, seed=seed, telemetry=telemetry, progress=progress, label="no clipping"
    )
    b = train_run(
        lr,
        clip=clip,
        steps=steps,
        seed=seed,
        telemetry=telemetry,
        progress=progress,
        label=f"clipped at {clip:g}",
    )
    return {a.label: a, b.label: b}


def total_grad_norm(history: History) -> np.ndarray:
    r"""Global gradient norm :math:`\sqrt{\sum_l \|\partial L/\partial W_l\|^2}` at each
    recorded step (before clipping), shape ``(R,)``."""
    g = np.asarray(history.grad_norm, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.sqrt(np.sum(g * g, axis=1))
