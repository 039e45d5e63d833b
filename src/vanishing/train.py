r"""A small training loop with a progress bar, and the :class:`History` it returns.

::

    hist = fit(model, X, y, optimizer=SGD(model, lr=0.1), steps=500, batch_size=64,
               rng=np.random.default_rng(0), X_val=X_val, y_val=y_val)
    hist.loss            # (steps_run,) training loss of every step
    hist.grad_norm       # (R, n_linear) per-layer weight-gradient norms at hist.telemetry_steps
    hist.nan_step        # first step whose loss was not finite, else None

The per-layer statistics are those of :mod:`vanishing.telemetry`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from . import losses
from ._checks import check_positive, check_rng
from ._env import autograding
from .nn import Module
from .optim import SGD, Adam, Optimizer, clip_grad_norm
from .telemetry import Telemetry

# ------------------------------------------------------------------------------------------
# Prediction
# ------------------------------------------------------------------------------------------
_EVAL_CHUNK = 4096


def _run_eval(model: Module, X) -> np.ndarray:
    """Outputs of ``model`` in eval mode (the previous mode is restored), in chunks."""
    X = np.asarray(X)
    mode = model.mode
    model.eval()
    try:
        outs = [model(X[i : i + _EVAL_CHUNK]) for i in range(0, max(len(X), 1), _EVAL_CHUNK)]
    finally:
        model.set_mode(mode)
    return np.concatenate(outs) if len(outs) > 1 else outs[0]


def predict(model: Module, X) -> np.ndarray:
    """Predicted class :math:`\\arg\\max_c z_{nc}` for each row of ``X``, shape ``(N,)``.

    Runs in eval mode (BatchNorm uses running statistics); the model's mode is restored.
    """
    return np.argmax(_run_eval(model, X), axis=1)


def accuracy(model: Module, X, y) -> float:
    """Fraction of rows of ``X`` (shape ``(N, D)``) whose predicted class equals ``y``."""
    y = np.asarray(y)
    if len(y) == 0:
        return float("nan")
    return float(np.mean(predict(model, X) == y))


# ------------------------------------------------------------------------------------------
# History
# ------------------------------------------------------------------------------------------
@dataclass
class History:
    r"""What :func:`fit` recorded.

    Attributes
    ----------
    loss : ndarray of shape (S,)
        Training (mini-batch) loss at every step run; ``S`` steps. A non-finite loss is the
        last entry when training stopped on it.
    eval_steps : ndarray of shape (E,)
        Steps after which accuracy was evaluated.
    train_acc, val_acc : ndarray of shape (E,)
        Accuracy on (up to 2000 rows of) the training set and on the validation set
        (``nan`` without validation data).
    telemetry_steps : ndarray of shape (R,)
        Steps at which per-layer statistics were recorded (empty with telemetry off).
    act_names, act_kinds : list of str
        Dotted names and activation names of the activation layers (columns of ``act_*``).
    linear_names : list of str
        Dotted names of the Linear layers (columns of ``grad_norm``, ``update_ratio``).
    act_mean, act_std, saturated, dead : ndarray of shape (R, n_act)
    grad_norm, update_ratio : ndarray of shape (R, n_linear)
        See :mod:`vanishing.telemetry` for the definitions;
        ``update_ratio`` is :math:`\|\Delta W\|/\|W\|`.
    nan_step : int or None
        The first step whose loss was ``nan`` or ``inf``; training stopped there.
    lr : float
        Learning rate of the optimiser.
    """

    loss: np.ndarray = field(default_factory=lambda: np.empty(0))
    eval_steps: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    train_acc: np.ndarray = field(default_factory=lambda: np.empty(0))
    val_acc: np.ndarray = field(default_factory=lambda: np.empty(0))
    telemetry_steps: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    act_names: list[str] = field(default_factory=list)
    act_kinds: list[str] = field(default_factory=list)
    linear_names: list[str] = field(default_factory=list)
    act_mean: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    act_std: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    saturated: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    dead: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    grad_norm: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    update_ratio: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    nan_step: int | None = None
    lr: float = float("nan")
    label: str = ""

    @property
    def steps(self) -> int:
        """Number of steps run (including the one that produced a NaN loss)."""
        return len(self.loss)

    @property
    def diverged(self) -> bool:
        return self.nan_step is not None

    @property
    def final_train_acc(self) -> float:
        return float(self.train_acc[-1]) if len(self.train_acc) else float("nan")

    @property
    def final_val_acc(self) -> float:
        return float(self.val_acc[-1]) if len(self.val_acc) else float("nan")

    def __repr__(self) -> str:
        parts = [f"steps={self.steps}"]
        if len(self.loss):
            parts.append(f"final loss={self.loss[-1]:.4g}")
        if len(self.train_acc):
            parts.append(f"train acc={self.final_train_acc:.3f}")
        if len(self.val_acc) and np.isfinite(self.final_val_acc):
            parts.append(f"val acc={self.final_val_acc:.3f}")
        if self.nan_step is not None:
            parts.append(f"NaN at step {self.nan_step}")
        parts.append(
            f"telemetry: {len(self.telemetry_steps)} records x "
            f"{len(self.linear_names)} linear / {len(self.act_names)} activation layers"
        )
        return f"History({', '.join(parts)})"


# ------------------------------------------------------------------------------------------
# fit
# ------------------------------------------------------------------------------------------
def _make_optimizer(model: Module, optimizer, lr) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        if lr is not None:
            optimizer.lr = check_positive(lr, "lr")
        return optimizer
    name = "sgd" if optimizer is None else optimizer
    if name == "sgd":
        return SGD(model, lr=0.1 if lr is None else lr)
    if name == "adam":
        return Adam(model, lr=1e-3 if lr is None else lr)
    raise ValueError(f"optimizer must be an Optimizer instance, 'sgd' or 'adam', got {optimizer!r}")


def _progress_enabled(progress: bool) -> bool:
    return bool(progress) and not autograding()


def _batch_stream(X, y, batch_size: int, rng: np.random.Generator):
    from .data import batches

    while True:
        for xb, yb in batches(X, y, batch_size, rng):
            if len(xb) >= 2 or batch_size == 1:  # a last batch of 1 would break BatchNorm
                yield xb, yb


def fit(
    model: Module,
    X,
    y,
    *,
    loss: str = "cross_entropy",
    optimizer=None,
    lr: float | None = None,
    steps: int | None = None,
    epochs: int | None = None,
    batch_size: int = 64,
    rng=None,
    X_val=None,
    y_val=None,
    eval_every: int | None = None,
    telemetry: bool | Telemetry = True,
    telemetry_every: int = 1,
    progress: bool = True,
    clip: float | None = None,
    label: str = "",
    warn_on_nan: bool = True,
) -> History:
    r"""Train ``model`` with mini-batch gradient descent and record what happened.

    Each step: ``out = model(xb)``; ``loss, dout = loss_fn(out, yb)``; stop if the loss is not
    finite; ``model.backward(dout)``; telemetry reads activations and gradients; optionally
    ``clip_grad_norm(model, clip)``; ``optimizer.step()``; telemetry reads the updates.

    Parameters
    ----------
    model : Module
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
        Integer class labels (``loss="cross_entropy"``; with ``"mse"`` labels are one-hot
        encoded, or real targets of the output's shape are used as they are).
    loss : {"cross_entropy", "mse"}
    optimizer : Optimizer, "sgd" or "adam"
        An optimiser built on ``model``, or a name (then ``lr`` defaults to 0.1 for SGD and
        1e-3 for Adam). Default: plain SGD.
    lr : float, optional
        Learning rate (overrides the optimiser's when given).
    steps, epochs : int
        How long to train: exactly one of them (``epochs`` passes over ``X``).
    batch_size : int
    rng : numpy.random.Generator
        Shuffles the batches. Pass a seeded one for reproducible runs.
    X_val, y_val : ndarray, optional
        Validation data, evaluated with the training accuracy.
    eval_every : int, optional
        Steps between accuracy evaluations (default: about 50 evaluations per run). The last
        step is always evaluated.
    telemetry : bool or Telemetry
        Record per-layer statistics (``True``), nothing (``False``), or into a given
        :class:`~vanishing.telemetry.Telemetry`.
    telemetry_every : int
        Record every ``k``-th step when ``telemetry`` is ``True``.
    progress : bool
        Show a ``tqdm`` progress bar (a widget in notebooks). Always off under nbgrader
        autograding (``NBGRADER_EXECUTION`` set).
    clip : float, optional
        Clip the global gradient norm to this value before each step (Pascanu et al. 2013).
    label : str
        A name for the run, used by :mod:`vanishing.plots` legends.
    warn_on_nan : bool
        Warn (``RuntimeWarning``) when the loss stops being finite and training stops. Runs
        meant to diverge pass ``False``; ``History.nan_step`` records the step either way.

    Returns
    -------
    History
        If the loss becomes ``nan``/``inf`` at step ``t``, training stops there (with one
        ``RuntimeWarning`` unless ``warn_on_nan=False``) and ``History.nan_step == t``.
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be a vanishing.nn.Module, got {type(model).__name__}")
    if (steps is None) == (epochs is None):
        raise ValueError("give exactly one of steps= or epochs=")
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if not isinstance(warn_on_nan, bool):
        raise TypeError(f"warn_on_nan must be True or False, got {warn_on_nan!r}")
    loss_fn = losses.get(loss)
    rng = check_rng(rng)
    opt = _make_optimizer(model, optimizer, lr)
    if epochs is not None:
        per_epoch = -(-len(X) // batch_size)
        if len(X) % batch_size == 1 and batch_size > 1:
            per_epoch -= 1
        steps = int(epochs) * per_epoch
    steps = int(steps)
    if steps < 1:
        raise ValueError(f"nothing to train: steps={steps}")
    eval_every = int(eval_every) if eval_every else max(1, steps // 50)
    has_val = X_val is not None and y_val is not None
    classify = y.dtype.kind in "iu"
    tel = (
        telemetry
        if isinstance(telemetry, Telemetry)
        else Telemetry(model, every=telemetry_every, enabled=bool(telemetry))
    )
    n_eval = min(len(X), 2000)  # a fixed subset for training accuracy
    X_eval, y_eval = X[:n_eval], y[:n_eval]

    loss_hist = np.empty(steps)
    eval_steps, train_acc, val_acc = [], [], []
    nan_step = None
    bar = None
    if _progress_enabled(progress):
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc=label or "fit", leave=True)
    stream = _batch_stream(X, y, batch_size, rng)
    model.train()
    t = 0
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run ends in NaN
            for t in range(steps):
                xb, yb = next(stream)
                out = model(xb)
                value, dout = loss_fn(out, losses.as_targets(yb, out, loss))
                loss_hist[t] = value
                if not np.isfinite(value):
                    nan_step = t
                    break
                model.backward(dout)
                tel.observe_backward(t)
                if clip is not None:
                    clip_grad_norm(model, clip)
                opt.step()
                tel.observe_update(opt)
                if classify and ((t + 1) % eval_every == 0 or t == steps - 1):
                    eval_steps.append(t)
                    train_acc.append(accuracy(model, X_eval, y_eval))
                    val_acc.append(accuracy(model, X_val, y_val) if has_val else np.nan)
                    model.train()
                if bar is not None:
                    bar.update(1)
                    if t % 20 == 0:
                        bar.set_postfix(loss=f"{value:.4f}", refresh=False)
    finally:
        if bar is not None:
            bar.close()
    n_run = t + 1
    if nan_step is not None and warn_on_nan:
        warnings.warn(
            f"fit: the loss became {loss_hist[nan_step]} at step {nan_step}; "
            "training stopped (History.nan_step records it)",
            RuntimeWarning,
            stacklevel=2,
        )
    rec = tel.arrays()
    return History(
        loss=loss_hist[:n_run].copy(),
        eval_steps=np.asarray(eval_steps, dtype=np.int64),
        train_acc=np.asarray(train_acc, dtype=np.float64),
        val_acc=np.asarray(val_acc, dtype=np.float64),
        telemetry_steps=rec["steps"],
        act_names=list(tel.act_names),
        act_kinds=list(tel.act_kinds),
        linear_names=list(tel.linear_names),
        act_mean=rec["act_mean"],
        act_std=rec["act_std"],
        saturated=rec["saturated"],
        dead=rec["dead"],
        grad_norm=rec["grad_norm"],
        update_ratio=rec["update_ratio"],
        nan_step=nan_step,
        lr=float(opt.lr),
        label=label,
    )
