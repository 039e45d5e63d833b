r"""Loss functions returning ``(loss, dpred)``: the scalar loss and its gradient w.r.t. the
prediction, both averaged over the batch.

``LOSSES`` registers each by name for the gradient-check test.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._checks import as_float_array, unknown_name


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``(N, C)`` logits, shifted by the row maximum so it never overflows."""
    z = logits - logits.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _check_labels(y, n: int, n_classes: int) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        else:
            raise TypeError(f"y must hold integer class labels, got dtype {y.dtype}")
    if y.shape != (n,):
        raise ValueError(f"y has shape {y.shape}, expected ({n},) to match logits")
    if n and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"y must hold labels in [0, {n_classes - 1}], got {y.min()}..{y.max()}")
    return y


def softmax_cross_entropy(logits, y) -> tuple[float, np.ndarray]:
    r"""Mean cross-entropy of softmax(logits) against integer labels.

    Parameters
    ----------
    logits : ndarray of shape (N, C)
    y : ndarray of shape (N,), integer labels in ``[0, C)``

    Returns
    -------
    loss : float
        :math:`L = -\frac1N \sum_n \log p_{n, y_n}` with :math:`p = \mathrm{softmax}(z)`,
        computed as :math:`\log\sum_c e^{z_c - m} - (z_y - m)` (no overflow).
    dlogits : ndarray of shape (N, C)
        :math:`\partial L / \partial z = (p - \mathrm{onehot}(y)) / N`.
    """
    logits = as_float_array(logits, "logits")
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (N, C), got {logits.shape}")
    N, C = logits.shape
    y = _check_labels(y, N, C)
    z = logits - logits.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):  # e^{z} for very negative z rounds to 0: correct
        log_sum = np.log(np.exp(z).sum(axis=1))
        dlogits = np.exp(z - log_sum[:, None])
    rows = np.arange(N)
    loss = float(np.mean(log_sum - z[rows, y]))
    dlogits[rows, y] -= 1
    dlogits /= N
    return loss, dlogits.astype(logits.dtype, copy=False)


def mse(pred, target) -> tuple[float, np.ndarray]:
    r"""Mean squared error over all entries.

    .. math:: L = \frac{1}{N D}\sum_{n,d} (p_{nd} - t_{nd})^2,\qquad
              \frac{\partial L}{\partial p} = \frac{2}{N D}(p - t)

    ``pred`` and ``target`` have the same shape, ``(N,)`` or ``(N, D)``.
    """
    pred = as_float_array(pred, "pred")
    target = as_float_array(target, "target")
    if pred.shape != target.shape:
        raise ValueError(f"pred has shape {pred.shape} but target has shape {target.shape}")
    diff = pred - target
    return float(np.mean(diff * diff)), (2.0 / diff.size) * diff


LOSSES: dict[str, Callable[..., tuple[float, np.ndarray]]] = {
    "cross_entropy": softmax_cross_entropy,
    "mse": mse,
}


def get(name: str) -> Callable[..., tuple[float, np.ndarray]]:
    """The loss registered as ``name`` in :data:`LOSSES` (case-insensitive)."""
    key = name.lower() if isinstance(name, str) else name
    if key not in LOSSES:
        raise unknown_name("loss", name, list(LOSSES))
    return LOSSES[key]


def as_targets(y, out: np.ndarray, loss: str) -> np.ndarray:
    """``y`` in the form loss ``loss`` takes against predictions ``out``.

    For ``"mse"`` against ``(N, C)`` outputs, 1-D ``y`` becomes a column when ``C == 1``
    and one-hot rows when it holds integer class labels; otherwise ``y`` is returned as an
    array, unchanged (cross-entropy takes the labels themselves).
    """
    y = np.asarray(y)
    if str(loss).lower() == "mse" and y.ndim == 1 and out.ndim == 2:
        if out.shape[1] == 1:
            return y.reshape(-1, 1).astype(out.dtype)
        if y.dtype.kind in "iu":  # class labels against C outputs: one-hot targets
            return np.eye(out.shape[1], dtype=out.dtype)[y]
    return y
