r"""The training protocol the notebooks share, and the named random streams it draws from.

Every experiment draws its random numbers from a stream named by ``[seed, stream id]``
(:func:`rng_stream`), so that changing one setting (a learning rate, an initialiser, an
activation) leaves every other draw where it was. The streams of the shared protocol:

* the data of :func:`depth_data` come from ``default_rng(seed)`` alone;
* the batch order of every run comes from ``[seed, DATA_STREAM]`` (:func:`batch_rng`);
* the weights of a network with ``depth`` hidden layers come from ``[seed, depth]``
  (:func:`depth_weights_rng`): networks of different depths draw independent weights, and
  two networks of the same depth (any activation or normalisation) the same draws.

The other modules name their own stream ids next to the experiments that use them.

:func:`fit_split` is :func:`vanishing.train.fit` on a ``(X_train, y_train, X_val, y_val)``
split with the batch order of the named stream; :func:`train_on_depth_data` is SGD on
:func:`depth_data`, the protocol of notebooks 03-07.
"""

from __future__ import annotations

import numpy as np

from .. import data as datasets
from .. import nn, optim, train

__all__ = [
    "DATA_STREAM",
    "batch_rng",
    "depth_data",
    "depth_weights_rng",
    "fit_split",
    "frobenius",
    "rng_stream",
    "train_on_depth_data",
]

#: Stream id of the batch order (the mini-batches :func:`vanishing.train.fit` draws) of every
#: run of the shared protocol; far above any depth, so it never meets a weight stream.
DATA_STREAM = 10**6


def rng_stream(seed, stream) -> np.random.Generator:
    """The generator of stream ``stream`` for ``seed``: ``default_rng([seed, stream])``."""
    return np.random.default_rng([seed, stream])


def batch_rng(seed) -> np.random.Generator:
    """The batch-order stream of ``seed`` (:data:`DATA_STREAM`)."""
    return rng_stream(seed, DATA_STREAM)


def depth_weights_rng(seed, depth) -> np.random.Generator:
    """The weight stream of a network with ``depth`` hidden layers, for ``seed``."""
    return rng_stream(seed, depth)


def frobenius(a) -> float:
    r""":math:`\|a\|_F` with the squares summed in float64 (the experiments' reported norm;
    :func:`vanishing.functional.norm` sums in the array's own dtype and rescales instead)."""
    return float(np.sqrt(np.sum(np.square(a, dtype=np.float64))))


def depth_data(dataset: str = "moons", n: int = 600, seed: int = 0):
    """The data of the shared protocol: ``(X_train, y_train, X_val, y_val)``, 25 % held out,
    ``dataset`` (a name of :func:`vanishing.data.load`) with ``n`` points, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    X, y = datasets.load(dataset, n=n, rng=rng)
    return datasets.train_val_split(X, y, 0.25, rng=rng)


def fit_split(
    model: nn.Module,
    split,
    *,
    optimizer,
    steps: int,
    batch_size: int = 64,
    seed: int = 0,
    stream: int = DATA_STREAM,
    **fit_kwargs,
) -> train.History:
    """:func:`vanishing.train.fit` of ``model`` on ``split = (X_train, y_train, X_val, y_val)``
    for ``steps`` batches of ``batch_size``, the batch order from stream ``stream`` of ``seed``
    (:data:`DATA_STREAM` unless an experiment names its own). ``fit_kwargs`` go to ``fit``."""
    X_tr, y_tr, X_val, y_val = split
    return train.fit(
        model,
        X_tr,
        y_tr,
        optimizer=optimizer,
        steps=steps,
        batch_size=batch_size,
        rng=rng_stream(seed, stream),
        X_val=X_val,
        y_val=y_val,
        **fit_kwargs,
    )


def train_on_depth_data(
    model: nn.Module,
    *,
    lr: float,
    steps: int,
    momentum: float = 0.0,
    dataset: str = "moons",
    n: int = 600,
    batch_size: int = 64,
    seed: int = 0,
    telemetry_every: int = 5,
    progress: bool = True,
    label: str = "",
) -> train.History:
    """Train ``model`` with SGD on :func:`depth_data`: the protocol notebooks 03-07 share, so
    that every run sees the same data and the same batch order for a given ``seed``."""
    return fit_split(
        model,
        depth_data(dataset, n, seed),
        optimizer=optim.SGD(model, lr=lr, momentum=momentum),
        steps=steps,
        batch_size=batch_size,
        seed=seed,
        telemetry_every=telemetry_every,
        progress=progress,
        label=label,
    )
