"""What the course teaches about each finding: likely causes, fixes, notebook numbers, remedies.

This is the only module that knows the curriculum. Every ``*_advice`` function returns
``(cause, fix, notebooks, remedy)``: two sentences for the report, the notebook numbers, and the
first fix as a dict of settings (the vocabulary of :data:`vanishing.experiments.capstone.FIXABLE`
plus ``"normalise_inputs"``), which the battery in ``tests/doctor_battery`` applies and trains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .rules import INIT_FOR, SCALE_TARGET

#: The course's notebooks, for the "see notebook" pointers.
NOTEBOOKS: dict[str, str] = {
    "01": "saturating activations",
    "02": "weight initialisation",
    "03": "slow and poor training",
    "04": "ReLU and variants",
    "05": "Xavier and He initialisation",
    "06": "batch normalisation",
    "07": "residual connections",
    "08": "exploding gradients and clipping",
}

_SATURATING = {"sigmoid", "tanh"}


@dataclass
class Context:
    """What the model is made of, for tailoring the cause and the remedy."""

    kinds: set = field(default_factory=set)
    depth: int = 0
    batchnorm: bool = False
    residual: bool = False
    weight_scale: float = float("nan")  # median over Linear layers of std(W) * sqrt(fan_in)
    scale_orders: float = 0.0  # log10 prod (s_l / s*) over the plain hidden layers
    lr: float | None = None
    optimizer: str = "sgd"
    dtype: str = ""
    hidden_bias: float = 0.0  # the most negative median bias of a hidden Linear layer
    trained: bool = False  # examined with its History: the weights are not the initial ones

    @property
    def activation(self) -> str:
        kinds = sorted(self.kinds)
        return kinds[0] if len(kinds) == 1 else (kinds[0] if kinds else "relu")

    @property
    def init(self) -> str:
        return INIT_FOR.get(self.activation, "he_normal")

    @property
    def target_scale(self) -> float:
        return SCALE_TARGET.get(self.activation, math.sqrt(2))

    @property
    def too_small(self) -> bool:
        return not self.trained and self.scale_orders <= -2.0

    @property
    def too_large(self) -> bool:
        big = np.isfinite(self.weight_scale) and self.weight_scale > 2.0 * self.target_scale
        return not self.trained and (self.scale_orders >= 2.0 or bool(big))


def join(parts: list[str]) -> str:
    return "; ".join(p for p in parts if p)


def scale_text(ctx: Context) -> str:
    if not np.isfinite(ctx.weight_scale):
        return ""
    return (
        f"std(W)·√fan_in = {ctx.weight_scale:.3g}, where {ctx.activation} keeps the signal's "
        f"scale at {ctx.target_scale:.3g} ({'He' if ctx.target_scale > 1 else 'Xavier'})"
    )


def _init_remedy(ctx: Context) -> dict:
    return {"init": ctx.init, "gain": 1.0}


def _lr_down(ctx: Context) -> dict:
    """A tenth of the learning rate (Adam: at most its usual 1e-3)."""
    if not ctx.lr:
        # the learning rate is not on record: the usual start (notebook 03)
        return {"lr": 1e-3 if ctx.optimizer == "adam" else 0.1}
    return {"lr": min(ctx.lr / 10, 1e-3) if ctx.optimizer == "adam" else ctx.lr / 10}


def vanishing_advice(ctx: Context, zero: bool):
    cause, fix, nbs, remedy = [], [], [], None
    if zero:
        cause.append("no gradient at all passes some layer: everything below it is frozen")
    if ctx.too_small:
        cause.append(
            f"the weights are too small: {scale_text(ctx)}, so every layer shrinks signals "
            "on the way forward and gradients on the way back"
        )
        fix.append(f"initialise with {ctx.init} and gain 1 (05)")
        nbs += ["02", "05"]
        remedy = _init_remedy(ctx)
    if ctx.kinds & _SATURATING:
        bound = "1/4" if "sigmoid" in ctx.kinds else "1"
        kinds = "/".join(sorted(ctx.kinds & _SATURATING))
        cause.append(
            f"each {kinds} layer multiplies the backward signal by f'(z) ≤ {bound}, "
            "so the gradient shrinks geometrically with depth"
        )
        fix.append("use ReLU with He initialisation (04, 05)")
        nbs += ["01", "04", "05"]
        remedy = remedy or {"activation": "relu", "init": "he_normal", "gain": 1.0}
    if not ctx.batchnorm:
        fix.append("add batch norm after each Linear (06)")
        nbs.append("06")
        remedy = remedy or {"batchnorm": True}
    if not ctx.residual and ctx.depth >= 8:
        cause.append(f"a plain stack of {ctx.depth} layers has no shortcut for the gradient")
        fix.append("add residual connections (07)")
        nbs.append("07")
        remedy = remedy or {"residual": True}
    if not cause:
        cause.append("the product of per-layer Jacobians shrinks with depth")
    return join(cause), join(fix), tuple(sorted(set(nbs))), remedy


def exploding_advice(ctx: Context, lr_high: bool):
    cause, fix, nbs, remedy = [], [], ["08"], None
    if ctx.too_large:
        cause.append(
            f"the weights are too large: {scale_text(ctx)}, so every layer multiplies "
            "signals and gradients by more than 1"
        )
        fix.append(f"initialise with {ctx.init} and gain 1 (05)")
        nbs += ["02", "05"]
        remedy = _init_remedy(ctx)
    if lr_high:
        cause.append(
            f"the learning rate{f' ({ctx.lr:g})' if ctx.lr else ''} is too large: "
            "each step grows the weights, which grows the next gradient"
        )
        fix.append("lower the learning rate about tenfold (03)")
        nbs.append("03")
        remedy = remedy or _lr_down(ctx)
    if ctx.residual and not ctx.batchnorm:
        cause.append("residual blocks add their output's variance at every block")
        fix.append("add batch norm in the blocks or scale their initial weights down (06, 07)")
        nbs += ["06", "07"]
        remedy = remedy or {"batchnorm": True}
    if ctx.batchnorm and not cause:
        cause.append(
            "deep batch-norm stacks grow gradients towards the input at initialisation "
            "(Yang et al. 2019)"
        )
    if not cause:
        cause.append(
            "the per-layer Jacobians have norms above 1 and their product grows "
            "with depth (or with training steps)"
        )
    fix.append("clip the gradient's global norm (08)")
    return join(cause), join(fix), tuple(sorted(set(nbs))), remedy or {"clip": 1.0}


def nonfinite_advice(ctx: Context, diverged: bool = False):
    """``diverged``: training ended in nan/inf (a History), so the step size is suspect even
    when the learning rate is not on record."""
    dtype = f"the {ctx.dtype}" if ctx.dtype else "the floating-point"
    cause = [f"values overflowed {dtype} range: exploding activations or gradients"]
    remedy = None
    if ctx.too_large:
        cause.append(f"the weights are far too large ({scale_text(ctx)})")
        remedy = _init_remedy(ctx)
    if ctx.lr is not None or diverged:
        lr = f" ({ctx.lr:g})" if ctx.lr is not None else ""
        cause.append(f"or the learning rate{lr} made the weights diverge")
        remedy = remedy or _lr_down(ctx)
    fix = (
        "lower the learning rate (03), clip the gradient's global norm (08), use He/Xavier "
        "initialisation (05); check that the inputs hold no nan"
    )
    return join(cause), fix, ("02", "05", "08"), remedy or {"clip": 1.0}


def input_advice(ctx: Context, rms: float):
    cause = (
        f"the inputs are not standardised (root mean square {rms:.3g}, against 1): the first "
        "layer's pre-activations, the gradients and the loss all scale with them, so no "
        "learning rate suits every layer"
    )
    fix = "standardise each input feature to mean 0 and std 1 before training (02, 06)"
    return cause, fix, ("02", "06"), {"normalise_inputs": True}


def symmetry_advice(ctx: Context, zero: bool):
    what = "all-zero" if zero else "identical"
    cause = (
        f"the weights of these layers are {what} for every unit, so all units compute the "
        "same output and receive the same gradient: they stay identical however long you "
        "train (the symmetry is never broken)"
    )
    fix = f"initialise the weights at random, with {ctx.init} (02, 05)"
    return cause, fix, ("02", "05"), _init_remedy(ctx)


def init_scale_advice(ctx: Context):
    way = "shrinks" if ctx.scale_orders < 0 else "grows"
    mismatch = ""
    if ctx.kinds - _SATURATING and abs(ctx.weight_scale - 1.0) < 0.15:
        mismatch = " (Xavier's scale, but the ReLU family needs He's √2: an init mismatch)"
    cause = (
        f"the initial weight scale does not suit {ctx.activation}: {scale_text(ctx)}{mismatch}; "
        f"over the {ctx.depth} layers it {way} the signal by 10^{abs(ctx.scale_orders):.1f}"
    )
    fix = f"initialise with {ctx.init} and gain 1 (05), or add batch norm (06)"
    return cause, fix, ("02", "05"), _init_remedy(ctx)


def saturation_advice(ctx: Context, kinds: str):
    cause = [
        "the pre-activations are too large, so most units sit in the flat tails of "
        f"{kinds} where f'(z) ≈ 0"
    ]
    remedy = None
    if ctx.too_large:
        cause.append(f"the weights are too large: {scale_text(ctx)}")
        remedy = _init_remedy(ctx)
    fix = [f"initialise with {ctx.init} (05)"]
    if not ctx.batchnorm:
        fix.append("add batch norm before each activation (06)")
        remedy = remedy or {"batchnorm": True}
    fix.append("or use ReLU (04); normalise the inputs")
    return join(cause), join(fix), ("01", "02", "05", "06"), remedy or _init_remedy(ctx)


def dead_advice(ctx: Context, during_training: bool):
    if ctx.hidden_bias < -0.5:
        cause = (
            f"large negative biases (down to {ctx.hidden_bias:.3g}) keep these ReLUs' "
            "pre-activations below 0 for every input: they output 0, get no gradient and "
            "never recover"
        )
        fix = "set the biases to 0, as He initialisation does (04, 05)"
        remedy = {"bias": 0.0}
    else:
        cause = (
            "ReLU units whose pre-activation is negative for every input output 0 and get no "
            "gradient, so they never recover: weights knocked over by a too-large "
            "learning-rate step, or a bad initial scale"
        )
        fix = "a smaller learning rate (03); batch norm before the activation (06)"
        remedy = _lr_down(ctx) if during_training else {"batchnorm": True}
    fix += (
        "; LeakyReLU with a slope that lets gradient through (alpha = 0.1, not the default "
        "0.01, which revives a dead layer too slowly: 04)"
    )
    return cause, fix, ("03", "04", "05", "06"), remedy


def update_high_advice(ctx: Context):
    cause = (
        "the learning rate is too large for these layers: each step rewrites a large part "
        "of the weights, so training jumps around or diverges"
    )
    fix = "lower the learning rate about tenfold, or clip the gradient norm (03, 08)"
    return cause, fix, ("03", "08"), _lr_down(ctx)


def update_low_advice(ctx: Context):
    cause = "the learning rate is too small, or the gradient reaching these layers vanishes"
    fix = (
        "raise the learning rate (SGD: 0.1, Adam: 1e-3 are the usual starts); if only the "
        "early layers are affected, fix the vanishing "
        "gradient first (03, 04-07)"
    )
    remedy = None
    if ctx.lr:
        # the course's usual step sizes (notebook 03): SGD 0.1, Adam 1e-3
        usual = 1e-3 if ctx.optimizer == "adam" else 0.1
        remedy = {"lr": usual if ctx.lr < usual else ctx.lr * 10}
    return cause, fix, ("03",), remedy
