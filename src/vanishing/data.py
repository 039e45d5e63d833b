r"""Small data sets, nothing downloaded: 2-D toys made in code, and one real set shipped.

Each 2-D generator returns ``X`` of shape ``(n, 2)`` (float64 unless ``dtype`` says
otherwise) and integer labels ``y`` of shape ``(n,)``, classes balanced, and takes an
``rng``. :func:`digits` loads the 8×8 handwritten digits of Alpaydin & Kaynak (UCI, CC BY
4.0) from the copy inside the package (``datasets/DIGITS.md`` has the citation).
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources

import numpy as np

from ._checks import check_dtype, check_positive, check_rng, unknown_name


def _check_n(n, n_classes: int = 2) -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < n_classes:
        raise ValueError(f"n must be an int >= {n_classes}, got {n!r}")
    return int(n)


def _split_counts(n: int, k: int) -> list[int]:
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def _finish(X, y, rng, dtype):
    order = rng.permutation(len(y))
    return X[order].astype(check_dtype(dtype)), y[order].astype(np.int64)


def two_spirals(
    n: int = 400, noise: float = 0.2, turns: float = 1.5, rng=None, dtype=np.float64
) -> tuple[np.ndarray, np.ndarray]:
    r"""Two interleaved spirals (Lang & Witbrock 1988), a classic hard case for shallow nets.

    Point :math:`i` of class :math:`c` sits at radius :math:`r = t` and angle
    :math:`2\pi\,\text{turns}\cdot t + c\pi`, :math:`t \in (0, 1]`, plus Gaussian noise of std
    ``noise`` times the local spacing. Coordinates are scaled to roughly unit variance.
    """
    n = _check_n(n)
    noise = check_positive(noise, "noise", allow_zero=True)
    rng = check_rng(rng)
    Xs, ys = [], []
    for c, m in enumerate(_split_counts(n, 2)):
        t = np.sqrt(rng.uniform(0.02, 1.0, m))
        angle = 2 * np.pi * turns * t + c * np.pi
        pts = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
        Xs.append(pts + rng.normal(0, noise * 0.1, pts.shape))
        ys.append(np.full(m, c))
    X = np.concatenate(Xs) / 0.5
    return _finish(X, np.concatenate(ys), rng, dtype)


def moons(
    n: int = 400, noise: float = 0.1, rng=None, dtype=np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, centred and scaled to roughly unit variance."""
    n = _check_n(n)
    noise = check_positive(noise, "noise", allow_zero=True)
    rng = check_rng(rng)
    m0, m1 = _split_counts(n, 2)
    a0, a1 = rng.uniform(0, np.pi, m0), rng.uniform(0, np.pi, m1)
    X = np.concatenate(
        [np.stack([np.cos(a0), np.sin(a0)], 1), np.stack([1 - np.cos(a1), 0.5 - np.sin(a1)], 1)]
    )
    X = X + rng.normal(0, noise, X.shape)
    X = (X - [0.5, 0.25]) / [0.85, 0.5]
    return _finish(X, np.r_[np.zeros(m0), np.ones(m1)], rng, dtype)


def circles(
    n: int = 400, noise: float = 0.05, factor: float = 0.5, rng=None, dtype=np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (class 1) inside a large one (class 0); ``factor`` is their radius ratio."""
    n = _check_n(n)
    noise = check_positive(noise, "noise", allow_zero=True)
    if not 0 < factor < 1:
        raise ValueError(f"factor must be in (0, 1), got {factor}")
    rng = check_rng(rng)
    m0, m1 = _split_counts(n, 2)
    a0, a1 = rng.uniform(0, 2 * np.pi, m0), rng.uniform(0, 2 * np.pi, m1)
    X = np.concatenate(
        [np.stack([np.cos(a0), np.sin(a0)], 1), factor * np.stack([np.cos(a1), np.sin(a1)], 1)]
    )
    X = (X + rng.normal(0, noise, X.shape)) / 0.55
    return _finish(X, np.r_[np.zeros(m0), np.ones(m1)], rng, dtype)


def digits(
    n_classes: int = 10, *, flatten: bool = True, scale: bool = True, dtype=np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 8×8 handwritten digits (Alpaydin & Kaynak 1998, UCI, CC BY 4.0), read from
    the copy shipped inside the package: ``(X, y)``, in the stored order (no shuffling).

    ``X`` has shape ``(n, 64)`` (or ``(n, 8, 8)`` with ``flatten=False``); pixels are counts
    0–16, and with ``scale=True`` (the default) they are standardised per pixel over the
    whole set (mean 0, standard deviation 1; pixels that are always 0 stay 0). ``y`` holds
    int64 labels. ``n_classes`` keeps the digits ``0 … n_classes - 1`` only (2 to 10).
    """
    if not isinstance(n_classes, (int, np.integer)) or not 2 <= n_classes <= 10:
        raise ValueError(f"n_classes must be an int from 2 to 10, got {n_classes!r}")
    dtype = check_dtype(dtype)
    with resources.files(__package__).joinpath("datasets/digits.npz").open("rb") as f:
        with np.load(f) as archive:
            images, labels = archive["images"], archive["labels"]
    X = images.reshape(len(images), 64).astype(np.float64)
    if scale:
        std = X.std(axis=0)
        X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
    keep = labels < n_classes
    X, y = X[keep], labels[keep].astype(np.int64)
    if not flatten:
        X = X.reshape(len(X), 8, 8)
    return X.astype(dtype), y


#: The 2-D toy generators by name (:func:`digits` is loaded, not generated, and is not here).
DATASETS = {"two_spirals": two_spirals, "moons": moons, "circles": circles}


def load(name: str, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """Make the 2-D data set called ``name`` (``two_spirals``, ``moons`` or ``circles``)."""
    if name not in DATASETS:
        raise unknown_name("data set", name, list(DATASETS))
    return DATASETS[name](**kwargs)


def train_val_split(X, y, val_fraction: float = 0.2, rng=None):
    """Shuffle and split into ``(X_train, y_train, X_val, y_val)``."""
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    order = check_rng(rng).permutation(len(y))
    n_val = max(1, int(round(val_fraction * len(y))))
    val, train = order[:n_val], order[n_val:]
    return X[train], y[train], X[val], y[val]


def batches(
    X, y, batch_size: int, rng=None, shuffle: bool = True
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One pass over the data in mini-batches of ``batch_size`` (the last may be smaller)."""
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    order = check_rng(rng).permutation(len(y)) if shuffle else np.arange(len(y))
    for start in range(0, len(y), batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]
