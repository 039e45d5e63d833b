r"""Notebook 06: batch normalisation rescues the deep sigmoid network of notebook 03.

* :func:`deep_sigmoid_run`: notebook 03's network (8 hidden sigmoid layers of 32, Xavier
  weights, two moons, plain SGD, batches of 64), with or without a
  :class:`~vanishing.nn.BatchNorm1d` between every Linear layer and its sigmoid
  (``Linear -> BatchNorm1d -> sigmoid``, the placement of Ioffe & Szegedy 2015). Without it the
  network stays at chance; with it, it trains.
* :func:`lr_sweep`: the final training loss of both networks over a range of learning
  rates: the range that trains is wide with batch norm and empty without it (at this depth
  and budget).

Notebook 03 trained this network at learning rate 1.0; here the default is 0.1, at which the
network without batch norm is just as stuck, and the one with it trains steadily (at 1.0 it
trains too, but its evaluation-mode accuracy jumps between chance and 100 %).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from .. import nn
from ..train import History
from .causes import train_on_depth_data

__all__ = ["deep_sigmoid_net", "deep_sigmoid_run", "lr_sweep"]


def deep_sigmoid_net(
    batchnorm: bool, *, depth: int = 8, width: int = 32, seed: int = 0
) -> nn.Sequential:
    """Notebook 03's sigmoid MLP (2 inputs, ``depth`` hidden layers of ``width``, 2 classes,
    Xavier-normal weights), optionally with batch norm before every sigmoid. The weights'
    random stream depends only on ``seed`` and ``depth`` (as in notebook 03)."""
    return nn.mlp(
        [2] + [width] * depth + [2],
        "sigmoid",
        init="xavier_normal",
        batchnorm=batchnorm,
        rng=np.random.default_rng([seed, depth]),
    )


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
) -> History:
    """Train :func:`deep_sigmoid_net` with plain SGD on notebook 03's data (moons, 600 points,
    a quarter held out) and batch order. A diverging run stops at its first non-finite loss
    (``History.nan_step``), without a warning."""
    model = deep_sigmoid_net(batchnorm, depth=depth, width=width, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return train_on_depth_data(
            model,
            lr=lr,
            steps=steps,
            seed=seed,
            telemetry_every=telemetry_every,
            progress=progress,
            label=f"{depth} sigmoid layers, "
            + ("with batch norm" if batchnorm else "no batch norm"),
        )


def lr_sweep(
    lrs: Sequence[float],
    batchnorm: bool,
    *,
    depth: int = 8,
    steps: int = 300,
    last: int = 50,
    seed: int = 0,
) -> np.ndarray:
    r"""Final training loss of :func:`deep_sigmoid_run` for each learning rate: the mean
    mini-batch loss of the ``last`` steps (``inf`` for a run that diverged), shape
    ``(len(lrs),)``. Chance level is :math:`\ln 2 \approx 0.693`. Telemetry off.

    The loss, not the accuracy, because the evaluation-mode accuracy of a batch-norm network
    trained at a large learning rate jumps from one evaluation to the next (its running
    statistics lag behind the weights); the averaged training loss does not."""
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
        )
        out[i] = np.inf if h.diverged else float(np.mean(h.loss[-last:]))
    return out
