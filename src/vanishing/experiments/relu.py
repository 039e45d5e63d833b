r"""Notebook 04: ReLU and its variants as a fix for vanishing gradients.

Three experiments, each returning plain numbers for the notebook to plot and for
``tests/test_science_solutions.py`` to assert:

* :func:`gradient_flow_by_activation`: per-layer weight-gradient norms at initialisation of a
  deep MLP, one activation at a time, each with the initialisation recommended for it
  (:data:`RECOMMENDED_INIT`): the sigmoid's norms fall by about ten orders of magnitude over
  20 layers, the ReLU family's stay within a small factor.
* :func:`train_activations`: the 8-hidden-layer sigmoid network that notebook 03 could not
  train (same data, optimiser and budget), with the sigmoid swapped for each activation.
* :func:`deep_forward` / :func:`deep_backward`: a stack of ``L`` layers
  :math:`h_{l+1} = f(h_l W_l + b_l)` on plain arrays (notebook 04 asks the learner to write the
  backward), and :func:`gradient_flow_with`, the experiment above with a given backward.
* :func:`dead_fraction_by_shift` and :func:`dying_relu_run`: the dying-ReLU problem. Shifting
  every pre-activation down by ``shift`` switches ReLU units off for the whole batch; a ReLU
  unit that is off for every input gets no gradient and never comes back, a leaky one does.

A unit is *dead* on a batch when its output is exactly 0 for every example (for ReLU: its
pre-activation is :math:`\le 0` everywhere). A unit of a leaky ReLU is never dead in that
sense; we call it *inactive* when its pre-activation is :math:`\le 0` for every example
(:func:`inactive_fraction`), and it still passes the gradient times ``alpha``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .. import functional as F
from .. import losses, nn, telemetry
from ..train import History
from .protocol import depth_data, depth_weights_rng, rng_stream, train_on_depth_data

__all__ = [
    "ACTIVATIONS",
    "RECOMMENDED_INIT",
    "dead_fraction_by_shift",
    "deep_backward",
    "deep_forward",
    "FAMILY",
    "GRADIENT_FLOW_STREAM",
    "SHIFTED_NET_STREAM",
    "gradient_flow_with",
    "hidden_params",
    "dying_relu_run",
    "gradient_flow_by_activation",
    "inactive_fraction",
    "shifted_net",
    "train_activations",
    "zero_unit_fraction",
]

#: The activations compared in notebook 04, saturating ones first.
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu")

#: Initialisation each activation is usually paired with (notebook 05 derives why):
#: Xavier (Glorot & Bengio 2010) for sigmoid and tanh, He (He et al. 2015) for the ReLU family.
RECOMMENDED_INIT = {
    "sigmoid": "xavier_normal",
    "tanh": "xavier_normal",
    "relu": "he_normal",
    "leaky_relu": "he_normal",
    "elu": "he_normal",
    "gelu": "he_normal",
}


#: The ReLU family: the activations :func:`deep_backward` takes.
FAMILY = ("relu", "leaky_relu", "elu", "gelu")

#: Stream id (:func:`~.protocol.rng_stream`) of the weights of the gradient-flow networks: one
#: draw for every activation, so they differ only in the activation and its initialiser's scale.
GRADIENT_FLOW_STREAM = 4
#: Stream id of the weights of :func:`shifted_net` (the same for every activation and shift).
SHIFTED_NET_STREAM = 41


def zero_unit_fraction(h: np.ndarray) -> float:
    r"""Fraction of the ``D`` units (columns of ``h``, shape ``(N, D)``) that are exactly 0 for
    every one of the ``N`` examples (notebook 04's ``dead_fraction`` exercise).

    Not :func:`vanishing.telemetry.dead_fraction`, which counts units never *positive*
    (:math:`\max_n h_{nd} \le 0`): the two agree for ReLU, whose outputs are never negative,
    and differ for leaky ReLU, ELU and GELU, whose negative outputs this one counts as alive.
    """
    h = np.asarray(h)
    return float(np.mean(np.all(h == 0, axis=0)))


def inactive_fraction(z: np.ndarray) -> float:
    r"""Fraction of units whose pre-activation ``z`` (shape ``(N, D)``) is :math:`\le 0` for
    every example: the units a ReLU would kill, whatever the activation actually is."""
    z = np.asarray(z)
    return float(np.mean(np.all(z <= 0, axis=0)))


# ------------------------------------------------------------------------------------------
# Gradient flow at initialisation
# ------------------------------------------------------------------------------------------
def gradient_flow_by_activation(
    activations: Sequence[str] = ACTIVATIONS,
    *,
    depth: int = 20,
    width: int = 64,
    n: int = 256,
    seed: int = 0,
    init: str | None = None,
) -> dict[str, np.ndarray]:
    r"""Weight-gradient norm of every Linear layer at initialisation, for each activation.

    The network is ``depth`` hidden layers ``Linear(width) -> activation`` and a Linear output
    on the two-moons data (``n`` points, 2 classes), float64, softmax cross-entropy; ``init``
    defaults to :data:`RECOMMENDED_INIT` of each activation. The data and the random stream of
    the weights depend only on ``seed``, so all activations see the same data.

    Returns ``{activation: norms}``, each of shape ``(depth + 1,)``, input side first.
    """
    X, y, _, _ = depth_data("moons", n=max(n, 8) * 4 // 3, seed=seed)
    X, y = X[:n], y[:n]
    out = {}
    for name in activations:
        model = nn.mlp(
            [X.shape[1]] + [width] * depth + [2],
            name,
            init=init or RECOMMENDED_INIT[name],
            rng=rng_stream(seed, GRADIENT_FLOW_STREAM),
        )
        out[name] = telemetry.layer_gradient_norms(model, X, y)
    return out


# ------------------------------------------------------------------------------------------
# A deep stack of one activation on plain arrays
# ------------------------------------------------------------------------------------------
def _family(activation: str, alpha: float) -> tuple[Callable, Callable]:
    if activation not in FAMILY:
        raise ValueError(f"activation must be one of {FAMILY}, got {activation!r}")
    if activation == "leaky_relu":
        return (lambda z: F.leaky_relu(z, alpha)), (lambda z: F.leaky_relu_grad(z, alpha))
    return F.get(activation)  # ELU with alpha = 1


def deep_forward(Ws, bs, x, activation: str = "relu", alpha: float = 0.01) -> np.ndarray:
    r""":math:`h_L` of the stack :math:`h_0 = x`, :math:`h_{l+1} = f(h_l W_l + b_l)`, the
    activation after every layer (``alpha``: the leaky ReLU's slope; ELU takes alpha = 1)."""
    f, _ = _family(activation, alpha)
    h = np.asarray(x)
    for W, b in zip(Ws, bs, strict=True):
        h = f(h @ W + b)
    return h


def deep_backward(Ws, bs, x, dout, activation: str = "relu", alpha: float = 0.01):
    r"""``(dx, dWs, dbs)`` of :func:`deep_forward` for the upstream gradient ``dout`` =
    :math:`\partial\mathcal L/\partial h_L` (the course's reference; notebook 04 asks the learner
    to write it)."""
    f, f_grad = _family(activation, alpha)
    hs, zs = [np.asarray(x)], []
    for W, b in zip(Ws, bs, strict=True):
        zs.append(hs[-1] @ W + b)
        hs.append(f(zs[-1]))
    dh = np.asarray(dout)
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for l in range(len(Ws) - 1, -1, -1):
        dz = dh * f_grad(zs[l])
        dWs[l], dbs[l] = hs[l].T @ dz, dz.sum(axis=0)
        dh = dz @ Ws[l].T
    return dh, dWs, dbs


def hidden_params(model: nn.Module) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Copies of the weights and biases of every Linear layer of ``model`` but the last."""
    lins = nn.linear_layers(model)[:-1]
    return [m.params["W"].copy() for m in lins], [m.params["b"].copy() for m in lins]


def gradient_flow_with(
    backward: Callable,
    activations: Sequence[str] = FAMILY,
    *,
    depth: int = 20,
    width: int = 64,
    n: int = 256,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    r""":func:`gradient_flow_by_activation` with a given backward through the hidden layers.

    Same networks and data; the output layer and the loss gradient come from the course, then
    ``backward(Ws, bs, X, dh, activation) -> (dx, dWs, dbs)`` (the learner's, in the notebook)
    back-propagates :math:`\partial\mathcal L/\partial h_L` through the ``depth`` hidden layers.
    Returns ``{activation: norms}`` of shape ``(depth + 1,)``, input side first, the output
    layer last.
    """
    X, y, _, _ = depth_data("moons", n=max(n, 8) * 4 // 3, seed=seed)
    X, y = X[:n], y[:n]
    out = {}
    for name in activations:
        model = nn.mlp(
            [X.shape[1]] + [width] * depth + [2],
            name,
            init=RECOMMENDED_INIT[name],
            rng=rng_stream(seed, GRADIENT_FLOW_STREAM),
        )
        Ws, bs = hidden_params(model)
        last = nn.linear_layers(model)[-1]
        h = deep_forward(Ws, bs, X, name)
        _, dlogits = losses.softmax_cross_entropy(h @ last.params["W"] + last.params["b"], y)
        _, dWs, _ = backward(Ws, bs, X, dlogits @ last.params["W"].T, name)
        norms = [np.linalg.norm(np.asarray(dW, dtype=np.float64)) for dW in dWs]
        out[name] = np.array(norms + [np.linalg.norm(h.T @ dlogits)])
    return out


# ------------------------------------------------------------------------------------------
# The deep sigmoid net of notebook 03, with other activations
# ------------------------------------------------------------------------------------------
def train_activations(
    activations: Sequence[str] = ("sigmoid", "relu"),
    *,
    depth: int = 8,
    width: int = 32,
    steps: int = 2000,
    lr: float = 1.0,
    seed: int = 0,
    telemetry_every: int = 10,
    progress: bool = True,
) -> dict[str, History]:
    r"""Notebook 03's deep network (``depth`` hidden layers of ``width``, moons, plain SGD at
    ``lr``) trained once per activation, each with its :data:`RECOMMENDED_INIT`.

    Same data, same batch order and the same random stream for the weights in every run.
    Returns ``{activation: History}`` (labels ``"<activation>, <init>"``).

    ``lr=1.0`` is notebook 03's setting for the sigmoid net; a ReLU net with the same
    learning rate diverges, so pass a smaller one (0.1) when comparing.
    """
    runs = {}
    for name in activations:
        init = RECOMMENDED_INIT[name]
        model = nn.mlp(
            [2] + [width] * depth + [2], name, init=init, rng=depth_weights_rng(seed, depth)
        )
        runs[name] = train_on_depth_data(
            model,
            lr=lr,
            steps=steps,
            seed=seed,
            telemetry_every=telemetry_every,
            progress=progress,
            label=f"{name}, {init}",
        )
    return runs


# ------------------------------------------------------------------------------------------
# Dying ReLU
# ------------------------------------------------------------------------------------------
def shifted_net(
    activation: str = "relu",
    shift: float = 0.0,
    *,
    layers: int | None = None,
    depth: int = 4,
    width: int = 32,
    alpha: float = 0.01,
    seed: int = 0,
    dtype=np.float64,
) -> nn.Sequential:
    r"""A He-initialised MLP (``depth`` hidden layers of ``width``, 2 inputs, 2 classes) whose
    hidden biases are set to ``-shift`` in the first ``layers`` hidden layers (all if None).

    A bias of :math:`-s` lowers every pre-activation by :math:`s`: what one too-large
    gradient step on the biases does. ``alpha`` is the slope of ``leaky_relu`` (and the
    ``alpha`` of ``elu``). The weights depend only on ``seed``, not on the activation.
    """
    kwargs = {"alpha": alpha} if activation in ("leaky_relu", "elu") else {}
    model = nn.mlp(
        [2] + [width] * depth + [2],
        activation,
        init="he_normal",
        rng=rng_stream(seed, SHIFTED_NET_STREAM),
        dtype=dtype,
        activation_kwargs=kwargs,
    )
    hidden = nn.linear_layers(model)[:-1]
    for lin in hidden[: len(hidden) if layers is None else layers]:
        lin.params["b"][:] = -shift
    return model


def _pre_activations(model: nn.Module, X) -> list[np.ndarray]:
    telemetry.activations(model, X)  # one forward pass; every module keeps its input
    return [m.input for _, m in telemetry.activation_layers(model)]


def dead_fraction_by_shift(
    shifts: Sequence[float], *, depth: int = 8, width: int = 64, n: int = 512, seed: int = 0
) -> np.ndarray:
    r"""Dead fraction of every ReLU layer of :func:`shifted_net` (all hidden biases
    :math:`-s`) on ``n`` moons points, for each shift. Shape ``(len(shifts), depth)``."""
    X, _, _, _ = depth_data("moons", n * 4 // 3, seed)
    out = np.empty((len(shifts), depth))
    for i, s in enumerate(shifts):
        model = shifted_net("relu", s, depth=depth, width=width, seed=seed)
        acts = telemetry.activations(model, X[:n])
        out[i] = [zero_unit_fraction(h) for h in acts.values()]
    return out


def dying_relu_run(
    activation: str = "relu",
    shift: float = 4.0,
    *,
    alpha: float = 0.1,
    steps: int = 300,
    lr: float = 0.05,
    seed: int = 0,
    progress: bool = False,
) -> dict:
    r"""Knock out most units of the first hidden layer, then train and see who recovers.

    :func:`shifted_net` with the first layer's biases at ``-shift`` (4 hidden layers of 32),
    trained with SGD (momentum 0.9) on moons. Returns a dict with

    * ``"history"``: the :class:`~vanishing.train.History`;
    * ``"inactive_before"``, ``"inactive_after"``: :func:`inactive_fraction` of the first
      hidden layer on the training set, before and after training;
    * ``"stayed_inactive"``: fraction of the units inactive before that are still inactive after;
    * ``"final_train_acc"``.
    """
    X_tr = depth_data("moons", 600, seed)[0]
    model = shifted_net(activation, shift, layers=1, alpha=alpha, seed=seed)
    before = _pre_activations(model, X_tr)[0] <= 0
    hist = train_on_depth_data(
        model,
        lr=lr,
        momentum=0.9,
        steps=steps,
        seed=seed,
        progress=progress,
        label=activation + (f" (alpha={alpha:g})" if activation == "leaky_relu" else ""),
    )
    after = _pre_activations(model, X_tr)[0] <= 0
    was = np.all(before, axis=0)
    now = np.all(after, axis=0)
    return {
        "history": hist,
        "inactive_before": float(was.mean()),
        "inactive_after": float(now.mean()),
        "stayed_inactive": float(now[was].mean()) if was.any() else float("nan"),
        "final_train_acc": hist.final_train_acc,
    }
