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
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import data, nn
from ..train import History, fit


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
# Training that diverges, and clipping
# ------------------------------------------------------------------------------------------
#: The network of the divergence and clipping demonstrations: 6 hidden ReLU layers of 64,
#: He init, on two spirals; plain SGD.
NET_SIZES = [2] + [64] * 6 + [2]


def spirals(seed: int = 0, n: int = 600):
    """``(X_train, y_train, X_val, y_val)`` for the training demonstrations."""
    rng = np.random.default_rng([seed, 8])
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

    X, y, X_val, y_val = spirals(seed)
    model = nn.mlp(NET_SIZES, "relu", init="he_normal", rng=np.random.default_rng([seed, 1]))
    opt = SGD(model, lr=lr, momentum=momentum)
    if label is None:
        label = f"lr={lr:g}" + (f", clip={clip:g}" if clip is not None else ", no clipping")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # fit warns once when the loss is nan
        return fit(
            model,
            X,
            y,
            optimizer=opt,
            steps=steps,
            batch_size=64,
            rng=np.random.default_rng([seed, 2]),
            X_val=X_val,
            y_val=y_val,
            telemetry=telemetry,
            progress=progress,
            clip=clip,
            label=label,
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


# ------------------------------------------------------------------------------------------
# Figures
# ------------------------------------------------------------------------------------------
def plot_norms(
    series: dict,
    *,
    references: dict | None = None,
    title: str = "",
    ylabel: str = "norm (log scale)",
    xlabel: str = "step t",
    ax=None,
):
    """Lines of ``{label: norms}`` against the step on a log y axis (a different colour and
    line style each); ``references`` are drawn finely dotted in grey (e.g. ``{"λ^t": array}``).
    Returns the figure."""
    import matplotlib.pyplot as plt

    from ..plots import model_colour

    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    else:
        fig = ax.figure
    styles = ["-", "--", "-.", ":"]
    for i, (label, v) in enumerate(series.items()):
        v = np.asarray(v, dtype=np.float64)
        ax.plot(
            np.arange(len(v)),
            np.where(v > 0, v, np.nan),
            color=model_colour(i),
            ls=styles[i % len(styles)],
            lw=2.2,
            label=label,
        )
    for label, v in (references or {}).items():
        ax.plot(np.arange(len(v)), v, color="0.35", ls=(0, (1, 1.5)), lw=1.2, label=label)
    ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def chain_explorer(
    radius: float = 1.1,
    nonlinearity: str = "tanh",
    T: int = 50,
    h0_scale: float = 0.1,
    seed: int = 0,
):
    r"""Figure for the interactive demo: :math:`\|\partial h_t/\partial h_0\|` of the linear
    chain and of the ``nonlinearity`` chain at spectral radius ``radius``, with
    :math:`\lambda^t`."""
    runs = {
        "linear": recurrent_comparison((radius,), T=T, seed=seed)[radius],
        nonlinearity: recurrent_comparison(
            (radius,), T=T, seed=seed, nonlinearity=nonlinearity, h0_scale=h0_scale
        )[radius],
    }
    if nonlinearity == "linear":
        runs.pop(nonlinearity)
        runs = {"linear": runs["linear"]}
    return plot_norms(
        runs,
        references={rf"$\lambda^t$, $\lambda$ = {radius:g}": radius ** np.arange(T + 1)},
        title=rf"Gradient through a recurrent chain, $W = \lambda Q$, $\lambda$ = {radius:g}",
        ylabel=r"$\|\partial h_t / \partial h_0\|_2$ (log scale)",
    )


def plot_clipping(runs: dict[str, History], clip: float = CLIP):
    """Two panels for :func:`clipping_comparison`: training loss, and the total gradient norm
    before clipping, both against the step on log axes; the clip threshold dashed."""
    import matplotlib.pyplot as plt

    from ..plots import model_colour

    fig, (ax_l, ax_g) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    for i, (label, h) in enumerate(runs.items()):
        c = model_colour(i)
        loss = np.asarray(h.loss, dtype=np.float64)
        ax_l.plot(
            np.arange(len(loss)), np.where(np.isfinite(loss), loss, np.nan), color=c, label=label
        )
        if h.nan_step is not None:
            ax_l.axvline(
                h.nan_step,
                color=c,
                ls=":",
                lw=1.5,
                label=f"{label}: loss is nan from step {h.nan_step}",
            )
        g = total_grad_norm(h)
        ax_g.plot(
            h.telemetry_steps, np.where(np.isfinite(g) & (g > 0), g, np.nan), color=c, label=label
        )
    ax_g.axhline(clip, color="black", ls="--", lw=1, label=f"clip threshold {clip:g}")
    ax_l.set(yscale="log", xlabel="training step", ylabel="training loss (log scale)", title="Loss")
    ax_g.set(
        yscale="log",
        xlabel="training step",
        ylabel=r"global gradient norm $\|g\|$ before clipping (log scale)",
        title="Gradient norm",
    )
    # a diverging run reaches 1e300 before nan: keep the axes on the runs that train
    ax_l.set_ylim(1e-3, 1e3)
    ax_g.set_ylim(top=min(ax_g.get_ylim()[1], 1e6))
    for ax, what in ((ax_l, "loss"), (ax_g, "norm")):
        for i, h in enumerate(runs.values()):
            if h.nan_step is not None:
                ax.annotate(
                    f"{what} off the chart, then nan",
                    xy=(h.nan_step, 1),
                    xytext=(8, 0),
                    xycoords=("data", "axes fraction"),
                    textcoords="offset points",
                    va="top",
                    fontsize="small",
                    color=model_colour(i),
                )
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize="small", loc="center right")
    fig.suptitle(
        f"SGD with momentum at lr = {runs[next(iter(runs))].lr:g}: "
        "without and with gradient clipping"
    )
    return fig
