r"""Notebook 06: batch normalisation rescues the deep sigmoid network of notebook 03.

* :func:`deep_sigmoid_run`: notebook 03's network (8 hidden sigmoid layers of 32, Xavier
  weights, two moons, plain SGD, batches of 64), with or without a
  :class:`~vanishing.nn.BatchNorm1d` between every Linear layer and its sigmoid
  (``Linear -> BatchNorm1d -> sigmoid``, the placement of Ioffe & Szegedy 2015). Without it the
  network stays at chance; with it, it trains.
* :func:`lr_sweep`: the final training loss of both networks over a range of learning
  rates: the range that trains is wide with batch norm and empty without it (at this depth
  and budget).
* :class:`FunctionalBatchNorm`: a :class:`~vanishing.nn.BatchNorm1d` whose passes are given
  functions (the learner's ``batchnorm_forward`` and ``batchnorm_backward`` of notebook 06),
  so that the experiments above run on the learner's code: every function above takes
  ``forward=`` and ``backward=``.

* :func:`digits_sigmoid_run`: the same contrast on real data, the 8×8 handwritten digits
  (Alpaydin & Kaynak 1998, :func:`vanishing.data.digits`): 64 standardised pixels, 10
  classes, 8 hidden sigmoid layers of 32. Without batch norm it stays at chance (10 %).

Notebook 03 trained this network at learning rate 1.0; here the default is 0.1, at which the
network without batch norm is just as stuck, and the one with it trains steadily (at 1.0 it
trains too, but its evaluation-mode accuracy jumps between chance and 100 %).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np

from .. import nn, optim
from ..train import History
from .init_scaling import decision_boundary_grid, digits_split
from .protocol import depth_weights_rng, fit_split, train_on_depth_data

__all__ = [
    "FunctionalBatchNorm",
    "deep_sigmoid_net",
    "deep_sigmoid_run",
    "lr_sweep",
    "DIGITS_SIGMOID",
    "digits_sigmoid_net",
    "digits_sigmoid_run",
    "decision_boundary_grid",
]

ForwardFn = Callable[..., tuple]
BackwardFn = Callable[..., tuple]


@nn.register  # gradient-checked with the inherited example (the course's own passes)
class FunctionalBatchNorm(nn.BatchNorm1d):
    """:class:`~vanishing.nn.BatchNorm1d` computed by the functions it is given.

    ``forward(x, gamma, beta, running_mean, running_var, mode, momentum, eps)`` returns
    ``(out, new_running_mean, new_running_var, cache)`` (notebook 06's
    ``batchnorm_forward``); ``backward(dout, x, gamma, eps)`` returns ``(dx, dgamma, dbeta)``
    for training mode (notebook 06's ``batchnorm_backward``). Either may be ``None``: that
    pass is the course's own. Buffers and parameters are those of ``BatchNorm1d``; the
    functions receive copies, so they cannot change the layer's state behind its back. A
    backward pass after an evaluation-mode forward uses the course's (it is not trained).
    """

    def __init__(
        self,
        n: int,
        forward: ForwardFn | None = None,
        backward: BackwardFn | None = None,
        momentum: float = 0.1,
        eps: float = 1e-5,
        dtype=np.float64,
    ):
        super().__init__(n, momentum=momentum, eps=eps, dtype=dtype)
        self.forward_fn, self.backward_fn = forward, backward
        self._x: np.ndarray | None = None

    def forward(self, x):
        x = np.asarray(x, dtype=self.dtype)
        self._x = x
        if self.forward_fn is None:
            return super().forward(x)
        nn.check_2d(self, x, self.n)
        p = self._params
        out, mean, var, _ = self.forward_fn(
            x.copy(),
            p["gamma"].copy(),
            p["beta"].copy(),
            self.running_mean.copy(),
            self.running_var.copy(),
            self.mode,
            self.momentum,
            self.eps,
        )
        self.running_mean = np.array(mean, dtype=self.dtype)
        self.running_var = np.array(var, dtype=self.dtype)
        if self.training and self.backward_fn is not None:
            self._cache = (None, None, True)  # the backward function needs only x
        else:  # what the course's backward needs
            if self.training:
                mu, v = x.mean(axis=0), x.var(axis=0)
            else:
                mu, v = self.running_mean, self.running_var
            inv_std = 1.0 / np.sqrt(v + self.eps)
            self._cache = ((x - mu) * inv_std, inv_std, self.training)
        return np.asarray(out, dtype=self.dtype)

    def backward(self, dout):
        training = self._cache[2] if self._cache is not None else self.training
        if self.backward_fn is None or not training:
            return super().backward(dout)
        dout = np.asarray(dout, dtype=self.dtype)
        if self._x is None or dout.shape != self._x.shape:
            shape = None if self._x is None else self._x.shape
            raise ValueError(f"{self!r}: dout has shape {dout.shape}, expected {shape}")
        dx, dgamma, dbeta = self.backward_fn(
            dout.copy(), self._x.copy(), self._params["gamma"].copy(), self.eps
        )
        self._grads["gamma"] = np.array(dgamma, dtype=self.dtype)
        self._grads["beta"] = np.array(dbeta, dtype=self.dtype)
        return np.asarray(dx, dtype=self.dtype)

    def __repr__(self):
        return f"FunctionalBatchNorm({self.n})"


def deep_sigmoid_net(
    batchnorm: bool,
    *,
    depth: int = 8,
    width: int = 32,
    seed: int = 0,
    forward: ForwardFn | None = None,
    backward: BackwardFn | None = None,
    n_in: int = 2,
    n_out: int = 2,
) -> nn.Sequential:
    """Notebook 03's sigmoid MLP (``n_in`` = 2 inputs, ``depth`` hidden layers of ``width``,
    ``n_out`` = 2 classes, Xavier-normal weights), optionally with batch norm before every
    sigmoid. The weights' random stream depends only on ``seed`` and ``depth`` (as in notebook
    03). With ``forward`` or ``backward`` given, every batch norm is a
    :class:`FunctionalBatchNorm` running them (the same weights and the same numbers, up to
    rounding)."""
    model = nn.mlp(
        [n_in] + [width] * depth + [n_out],
        "sigmoid",
        init="xavier_normal",
        batchnorm=batchnorm,
        rng=depth_weights_rng(seed, depth),
    )
    if forward is not None or backward is not None:
        for i, layer in enumerate(model.layers):
            if isinstance(layer, nn.BatchNorm1d):
                model.layers[i] = FunctionalBatchNorm(
                    layer.n, forward, backward, momentum=layer.momentum, eps=layer.eps
                )
    return model


def deep_sigmoid_run(
    batchnorm: bool,
    *,
    depth: int = 8,
    width: int = 32,
    steps: int = 1000,
    lr: float = 0.1,
    seed: int = 0,
    telemetry_every: int = 10,
    progress: bool = True,
    forward: ForwardFn | None = None,
    backward: BackwardFn | None = None,
    return_model: bool = False,
) -> History | tuple[History, nn.Sequential]:
    """Train :func:`deep_sigmoid_net` with plain SGD on notebook 03's data (moons, 600 points,
    a quarter held out) and batch order. A diverging run stops at its first non-finite loss
    (``History.nan_step``), without a warning. ``forward`` and ``backward``: see
    :func:`deep_sigmoid_net`. ``return_model=True`` returns ``(history, trained model)``."""
    model = deep_sigmoid_net(
        batchnorm, depth=depth, width=width, seed=seed, forward=forward, backward=backward
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        history = train_on_depth_data(
            model,
            lr=lr,
            steps=steps,
            seed=seed,
            telemetry_every=telemetry_every,
            progress=progress,
            label=f"{depth} sigmoid layers, "
            + ("with batch norm" if batchnorm else "no batch norm"),
        )
    return (history, model) if return_model else history


def lr_sweep(
    lrs: Sequence[float],
    batchnorm: bool,
    *,
    depth: int = 8,
    steps: int = 300,
    last: int = 50,
    seed: int = 0,
    forward: ForwardFn | None = None,
    backward: BackwardFn | None = None,
) -> np.ndarray:
    r"""Final training loss of :func:`deep_sigmoid_run` for each learning rate: the mean
    mini-batch loss of the ``last`` steps (``inf`` for a run that diverged), shape
    ``(len(lrs),)``. Chance level is :math:`\ln 2 \approx 0.693`. Telemetry off.

    The loss, not the accuracy, because the evaluation-mode accuracy of a batch-norm network
    trained at a large learning rate jumps from one evaluation to the next (its running
    statistics lag behind the weights); the averaged training loss does not. ``forward`` and
    ``backward``: see :func:`deep_sigmoid_net`."""
    out = np.empty(len(lrs))
    for i, lr in enumerate(lrs):
        h = deep_sigmoid_run(
            batchnorm,
            depth=depth,
            steps=steps,
            lr=lr,
            seed=seed,
            telemetry_every=10**9,
            progress=False,
            forward=forward,
            backward=backward,
        )
        out[i] = np.inf if h.diverged else float(np.mean(h.loss[-last:]))
    return out


# ------------------------------------------------------------------------------------------
# The same contrast on real data: the 8x8 handwritten digits
# ------------------------------------------------------------------------------------------
#: The digits run: notebook 03's 8 sigmoid layers of 32, on 64 pixels and 10 classes.
DIGITS_SIGMOID = {"depth": 8, "width": 32, "lr": 0.1, "batch_size": 64, "eval_every": 30}


def digits_sigmoid_net(
    batchnorm: bool,
    *,
    depth: int = DIGITS_SIGMOID["depth"],
    width: int = DIGITS_SIGMOID["width"],
    seed: int = 0,
    forward: ForwardFn | None = None,
    backward: BackwardFn | None = None,
) -> nn.Sequential:
    """:func:`deep_sigmoid_net` with 64 inputs and 10 classes (float64)."""
    return deep_sigmoid_net(
        batchnorm,
        depth=depth,
        width=width,
        seed=seed,
        forward=forward,
        backward=backward,
        n_in=64,
        n_out=10,
    )


def digits_sigmoid_run(
    batchnorm: bool,
    *,
    steps: int = 300,
    lr: float = DIGITS_SIGMOID["lr"],
    seed: int = 0,
    depth: int = DIGITS_SIGMOID["depth"],
    width: int = DIGITS_SIGMOID["width"],
    progress: bool = True,
    forward: ForwardFn | None = None,
    backward: BackwardFn | None = None,
) -> History:
    r"""Train :func:`digits_sigmoid_net` with plain SGD (batches of 64, accuracy every 30
    steps, telemetry off) on :func:`~.init_scaling.digits_split` (1,348 training and 449
    validation images). Chance is 10 %, a loss of :math:`\ln 10 \approx 2.30`. The split, the
    weights and the batch order depend only on ``seed``."""
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    split = digits_split(seed, dtype=np.float64)
    model = digits_sigmoid_net(
        batchnorm, depth=depth, width=width, seed=seed, forward=forward, backward=backward
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fit_split(
            model,
            split,
            optimizer=optim.SGD(model, lr=lr),
            steps=steps,
            batch_size=DIGITS_SIGMOID["batch_size"],
            seed=seed,
            eval_every=DIGITS_SIGMOID["eval_every"],
            telemetry=False,
            progress=progress,
            label=f"digits, {depth} sigmoid layers, "
            + ("with batch norm" if batchnorm else "no batch norm"),
        )
