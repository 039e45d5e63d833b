"""Margins of the science tests over seeds x OpenBLAS kernels: bench/KERNEL-MARGINS.md.

Every threshold a ``@pytest.mark.science`` test asserts (outside the capstone, notebook 09,
which bench/capstone_margins.py measures) is computed here by the same calls the test makes,
for more seeds than the test runs, under each OpenBLAS kernel: one fresh process per kernel
with ``OPENBLAS_CORETYPE`` set before numpy loads (threadpoolctl reports the kernel that really
ran). The parent writes a table: test, quantity, threshold, min-max per kernel, margin.

* ``each``: the test asserts the bound for every seed it runs; the margin is the smallest
  distance from the bound over all measured seeds x kernels.
* ``median``: the test asserts the bound on the median over its seeds; the margin is the
  smallest distance of that median (per kernel) from the bound. The min-max columns still show
  the single seeds.
* ``k/n``: at least k of the test's n seeds must pass; the margin is (passing seeds - k),
  smallest over kernels (and over windows of n consecutive measured seeds).
* ``log`` quantities: the margin is in decades (a factor 10^margin from the bound).

Run: ``.venv/bin/python bench/kernel_margins.py [--seeds 8] [--only SUBSTRING]``. About 2 min of
CPU per kernel (15-22 min each on the crowded shared machine); ``--jobs 2`` runs two kernels at a
time; ``--merge FILE --only GROUP`` re-measures some groups into saved values.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

KERNELS = ("Haswell", "SkylakeX", "Sandybridge", "Zen")
ROOT = Path(__file__).resolve().parent.parent


def _test_module(name: str):
    """A module of ``tests/`` (its fixed streams), loaded from its file."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OUT = ROOT / "bench" / "KERNEL-MARGINS.md"


@dataclass(frozen=True)
class Q:
    """One thresholded quantity. ``lo``/``hi``: the bounds the test asserts (None: none)."""

    test: str
    name: str
    group: str
    lo: float | None = None
    hi: float | None = None
    stat: str = "each"  # "each", "median" or "k/n" (then k, n)
    k: int = 0
    n: int = 0
    log: bool = False
    test_seeds: str = ""  # the seeds the test runs, for the table
    exact: bool = False  # a yes/no (1/0) or exact value: no distance to speak of


QUANTITIES: list[Q] = []
GROUPS: dict[str, tuple[Callable[[int], dict[str, float]], int]] = {}


def group(name: str, max_seeds: int = 100):
    """Register ``fn(seed) -> {quantity name: value}``, measured for up to ``max_seeds``."""

    def deco(fn):
        GROUPS[name] = (fn, max_seeds)
        return fn

    return deco


def q(test, name, group_, lo=None, hi=None, **kw):
    QUANTITIES.append(Q(test, name, group_, lo, hi, **kw))


def _med5(a) -> float:
    return float(np.median(np.asarray(a)[-5:]))


# ------------------------------------------------------------------------------------------
# tests/test_science_causes.py
# ------------------------------------------------------------------------------------------
F_C = "test_science_causes.py::"


@group("causes_chain")
def _causes_chain(seed):
    from vanishing.experiments import saturating

    norms = saturating.gradient_norms_by_activation(("sigmoid", "tanh", "linear"), seed=seed)
    out = {f"{a} factor per layer": saturating.factor_per_layer(norms[a]) for a in norms}
    out["sigmoid first/last"] = norms["sigmoid"][0] / norms["sigmoid"][-1]
    return out


q(
    F_C + "test_sigmoid_chain_loses_about_a_factor_four_per_layer",
    "sigmoid factor per layer",
    "causes_chain",
    0.2,
    0.26,
    test_seeds="0-4",
)
q(
    F_C + "test_sigmoid_chain_loses_about_a_factor_four_per_layer",
    "tanh factor per layer",
    "causes_chain",
    0.85,
    None,
    test_seeds="0-4",
)
q(
    F_C + "test_sigmoid_chain_loses_about_a_factor_four_per_layer",
    "linear factor per layer",
    "causes_chain",
    0.9,
    None,
    test_seeds="0-4",
)
q(
    F_C + "test_sigmoid_chain_loses_about_a_factor_four_per_layer",
    "sigmoid first/last",
    "causes_chain",
    None,
    1e-10,
    log=True,
    test_seeds="0-4",
)


@group("causes_bound", 3)
def _causes_bound(seed):
    from vanishing.experiments import saturating

    worst = 0.0
    for activation in ("sigmoid", "tanh"):
        for scale in (0.5, 1.0, 3.0, 8.0):
            rng = np.random.default_rng(seed)
            Ws = saturating.random_chain(15, 32, scale=scale, rng=rng)
            x, dout = rng.standard_normal((16, 32)), rng.standard_normal((16, 32))
            norms = saturating.chain_gradient_norms(Ws, x, dout, activation)
            ratios = norms / np.append(norms[1:], np.linalg.norm(dout))
            worst = max(
                worst, float((ratios / saturating.chain_layer_bounds(Ws, activation)).max())
            )
    return {"max ratio / bound": worst}


q(
    F_C + "test_every_layer_respects_the_derivative_bound",
    "max ratio / bound",
    "causes_bound",
    None,
    1 + 1e-12,
    test_seeds="0-2",
)


@group("causes_overflow")
def _causes_overflow(seed):
    from vanishing.experiments import weight_scale

    out = {}
    for activation in ("linear", "relu"):
        run = weight_scale.propagate(
            40, 256, 1.0, activation=activation, rng=np.random.default_rng(seed)
        )
        out[f"first non-finite layer, {activation}"] = float(run.first_nonfinite or 0)
        run64 = weight_scale.propagate(
            40, 256, 1.0, activation=activation, rng=np.random.default_rng(seed), dtype=np.float64
        )
        out[f"float64 finite, {activation}"] = float(run64.first_nonfinite is None)
    return out


for _a, _lo, _hi in (("linear", 28, 34), ("relu", 32, 39)):
    q(
        F_C + "test_standard_normal_weights_overflow_float32_within_forty_layers",
        f"first non-finite layer, {_a}",
        "causes_overflow",
        _lo,
        _hi,
        test_seeds="0-4",
    )
    q(
        F_C + "test_standard_normal_weights_overflow_float32_within_forty_layers",
        f"float64 finite, {_a}",
        "causes_overflow",
        1,
        None,
        exact=True,
        test_seeds="0",
    )


@group("causes_scale")
def _causes_scale(seed):
    from vanishing.experiments import weight_scale

    lecun = weight_scale.propagate(50, 256, 1 / 16, rng=np.random.default_rng(seed)).z_std
    half = weight_scale.propagate(
        50, 256, 0.5 / 16, rng=np.random.default_rng(seed), dtype=np.float64
    ).z_std / 0.5 ** np.arange(1, 51)
    rng = np.random.default_rng(seed)
    he = weight_scale.propagate(50, 256, np.sqrt(2 / 256), activation="relu", rng=rng).z_std
    lr = weight_scale.propagate(50, 256, 1 / 16, activation="relu", rng=rng).z_std
    return {
        "lecun min z_std": lecun.min(),
        "lecun max z_std": lecun.max(),
        "half min ratio": half.min(),
        "half max ratio": half.max(),
        "he min z_std": he.min(),
        "he max z_std": he.max(),
        "relu lecun z_std[50]": lr[-1],
    }


_t = F_C + "test_lecun_scale_keeps_a_linear_stack_within_a_factor_two"
q(_t, "lecun min z_std", "causes_scale", 0.5, None, test_seeds="0-4")
q(_t, "lecun max z_std", "causes_scale", None, 2.0, test_seeds="0-4")
_t = F_C + "test_half_lecun_scale_shrinks_by_one_half_per_layer"
q(_t, "half min ratio", "causes_scale", 0.7, None, test_seeds="0-4")
q(_t, "half max ratio", "causes_scale", None, 1.43, test_seeds="0-4")
_t = F_C + "test_relu_needs_he_scale"
q(_t, "he min z_std", "causes_scale", np.sqrt(2) / 4, None, log=True, test_seeds="0-4")
q(_t, "he max z_std", "causes_scale", None, 4 * np.sqrt(2), log=True, test_seeds="0-4")
q(_t, "relu lecun z_std[50]", "causes_scale", 5e-9, 2e-7, log=True, test_seeds="0-4")


@group("causes_glorot")
def _causes_glorot(seed):
    from vanishing import init
    from vanishing.experiments import weight_scale

    rng = np.random.default_rng(seed)
    x, dout = rng.standard_normal((128, 256)), rng.standard_normal((128, 256))
    st = {}
    for name, fn in [("standard", weight_scale.standard_uniform), ("xavier", init.xavier_uniform)]:
        Ws = [fn((256, 256), rng=rng) for _ in range(10)]
        st[name] = weight_scale.layer_statistics(Ws, x, dout, "tanh")
    s, x_ = st["standard"], st["xavier"]
    return {
        "standard act 10/1": s["act_std"][-1] / s["act_std"][0],
        "standard grad 1/10": s["grad_std"][0] / s["grad_std"][-1],
        "xavier act 10/1": x_["act_std"][-1] / x_["act_std"][0],
        "xavier grad 1/10": x_["grad_std"][0] / x_["grad_std"][-1],
        "xavier max |act mean|": float(np.abs(x_["act_mean"]).max()),
    }


_t = F_C + "test_glorot_standard_init_shrinks_activations_and_gradients_with_depth"
q(_t, "standard act 10/1", "causes_glorot", None, 0.03, log=True, test_seeds="0-2")
q(_t, "standard grad 1/10", "causes_glorot", None, 0.03, log=True, test_seeds="0-2")
q(_t, "xavier act 10/1", "causes_glorot", 0.2, None, test_seeds="0-2")
q(_t, "xavier grad 1/10", "causes_glorot", 0.15, None, test_seeds="0-2")
q(_t, "xavier max |act mean|", "causes_glorot", None, 0.05, test_seeds="0-2")


def _first_step_below(loss, threshold, window=25):
    avg = np.convolve(loss, np.ones(window) / window, mode="valid")
    below = np.flatnonzero(avg < threshold)
    return int(below[0]) + window - 1 if below.size else None


@group("causes_depth", 6)
def _causes_depth(seed):
    from vanishing.experiments import slow_training

    runs = slow_training.train_depths((1, 4, 8), seed=seed, progress=False)
    shallow, middle, deep = (runs[k] for k in runs)
    ratio = np.nanmedian(deep.history.update_ratio, axis=0)
    t1 = _first_step_below(shallow.history.loss, 0.3)
    t4 = _first_step_below(middle.history.loss, 0.3)
    t8 = _first_step_below(deep.history.loss, 0.3)
    return {
        "deep rel change first/last": deep.rel_change[0] / deep.rel_change[-1],
        "deep update ratio, first layer": ratio[0],
        "deep update ratio, last layer": ratio[-1],
        "min growth of log update ratio (layers 2-8)": float(np.diff(np.log(ratio[:-1]))[1:].min()),
        "shallow min rel change": float(shallow.rel_change.min()),
        "1 layer: step loss < 0.3": float(t1 if t1 is not None else np.inf),
        "4 layers / 1 layer: steps to loss < 0.3": (np.inf if t4 is None else t4 / t1),
        "8 layers reaches loss < 0.3": float(t8 is not None),
        "val acc gap 1 - 8 layers (last 5)": float(
            shallow.history.val_acc[-5:].mean() - deep.history.val_acc[-5:].mean()
        ),
        "8 layers val acc (last 5)": float(deep.history.val_acc[-5:].mean()),
    }


_t = F_C + "test_deep_sigmoid_first_layer_barely_moves"
q(_t, "deep rel change first/last", "causes_depth", None, 1e-2, log=True, test_seeds="0-2")
q(_t, "deep update ratio, first layer", "causes_depth", None, 1e-5, log=True, test_seeds="0-2")
q(_t, "deep update ratio, last layer", "causes_depth", 1e-3, None, log=True, test_seeds="0-2")
q(_t, "min growth of log update ratio (layers 2-8)", "causes_depth", 0, None, test_seeds="0-2")
q(_t, "shallow min rel change", "causes_depth", 0.5, None, test_seeds="0-2")
_t = F_C + "test_deep_sigmoid_net_learns_slowly_and_ends_worse"
q(_t, "1 layer: step loss < 0.3", "causes_depth", None, 100, test_seeds="0-2")
q(_t, "4 layers / 1 layer: steps to loss < 0.3", "causes_depth", 5, None, test_seeds="0-2")
q(_t, "8 layers reaches loss < 0.3", "causes_depth", None, 0, exact=True, test_seeds="0-2")
q(_t, "val acc gap 1 - 8 layers (last 5)", "causes_depth", 0.25, None, test_seeds="0-2")
q(_t, "8 layers val acc (last 5)", "causes_depth", None, 0.6, test_seeds="0-2")

# ------------------------------------------------------------------------------------------
# tests/test_science_solutions.py
# ------------------------------------------------------------------------------------------
F_S = "test_science_solutions.py::"


@group("relu_flow")
def _relu_flow(seed):
    from vanishing.experiments import relu as R

    flow = R.gradient_flow_by_activation(depth=20, width=64, seed=seed)
    r = {name: g[0] / g[-2] for name, g in flow.items()}
    fam = [r[n] for n in ("relu", "leaky_relu", "elu", "gelu")]
    return {
        "sigmoid first/last hidden": r["sigmoid"],
        "ReLU family min": min(fam),
        "ReLU family max": max(fam),
    }


_t = F_S + "test_sigmoid_gradients_vanish_through_20_layers_relu_family_does_not"
q(_t, "sigmoid first/last hidden", "relu_flow", None, 1e-9, log=True, test_seeds="0-2")
q(_t, "ReLU family min", "relu_flow", 0.01, None, log=True, test_seeds="0-2")
q(_t, "ReLU family max", "relu_flow", None, 30, log=True, test_seeds="0-2")


@group("relu_train")
def _relu_train(seed):
    from vanishing.experiments import relu as R

    runs = R.train_activations(
        ("sigmoid", "relu"), steps=500, lr=0.1, seed=seed, progress=False, telemetry_every=10**9
    )
    return {
        "sigmoid val acc": runs["sigmoid"].final_val_acc,
        "relu val acc": runs["relu"].final_val_acc,
    }


_t = F_S + "test_notebook_03_network_trains_with_relu_not_with_sigmoid"
q(_t, "sigmoid val acc", "relu_train", None, 0.6, test_seeds="0-4")
q(_t, "relu val acc", "relu_train", 0.85, None, test_seeds="0-4")
q(_t, "relu val acc", "relu_train", 0.95, None, stat="median", n=5, test_seeds="0-4")


@group("relu_dead_shift", 1)
def _relu_dead_shift(seed):
    from vanishing.experiments import relu as R

    dead = R.dead_fraction_by_shift([0.0, 0.5, 1.0, 2.0, 3.0], depth=8, width=64, seed=seed)
    return {
        "min step of dead fraction with shift": float(np.diff(dead, axis=0).min()),
        "dead, shift 0, max layer": float(dead[0].max()),
        "dead, shift 3, layer 1": float(dead[-1, 0]),
        "dead, shift 3, min of layers 2-8": float(dead[-1, 1:].min()),
    }


_t = F_S + "test_dead_fraction_grows_with_the_bias_shift_and_with_depth"
q(
    _t,
    "min step of dead fraction with shift",
    "relu_dead_shift",
    0,
    None,
    exact=True,
    test_seeds="0",
)
q(_t, "dead, shift 0, max layer", "relu_dead_shift", None, 0.4, test_seeds="0")
q(_t, "dead, shift 3, layer 1", "relu_dead_shift", 0.6, None, test_seeds="0")
q(_t, "dead, shift 3, min of layers 2-8", "relu_dead_shift", 1.0, None, exact=True, test_seeds="0")


@group("relu_dying")
def _relu_dying(seed):
    from vanishing.experiments import relu as R

    relu = R.dying_relu_run("relu", shift=4.0, seed=seed)
    leaky = R.dying_relu_run("leaky_relu", shift=4.0, alpha=0.1, seed=seed)
    return {
        "inactive before": relu["inactive_before"],
        "relu still inactive": relu["stayed_inactive"],
        "leaky revives some (stayed < 1)": float(leaky["stayed_inactive"] < 1.0),
        "leaky train acc": leaky["final_train_acc"],
    }


_t = F_S + "test_dead_relu_units_never_recover_leaky_ones_do"
q(_t, "inactive before", "relu_dying", 0.75, None, test_seeds="0-5")
q(_t, "relu still inactive", "relu_dying", 1.0, None, exact=True, test_seeds="0-5")
q(
    _t,
    "leaky revives some (stayed < 1)",
    "relu_dying",
    1,
    None,
    stat="k/n",
    k=4,
    n=6,
    test_seeds="0-5",
)
q(_t, "leaky train acc", "relu_dying", 0.8, None, test_seeds="0-5")
q(_t, "leaky train acc", "relu_dying", 0.95, None, stat="median", n=6, test_seeds="0-5")


@group("init_std", 1)
def _init_std(seed):
    from vanishing.experiments import init_scaling as I

    std = {
        (i, a): I.activation_std_by_depth(i, a, depth=50, width=128, n=256, seed=seed)
        for i in ("he_normal", "xavier_normal")
        for a in ("relu", "tanh")
    }
    he, xa = std["he_normal", "relu"], std["xavier_normal", "relu"]
    xt = std["xavier_normal", "tanh"]
    gx = I.initial_gradient_norms("xavier_normal")
    gh = I.initial_gradient_norms("he_normal")
    return {
        "he relu std 50/1": he[-1] / he[0],
        "xavier relu std 30 / prediction": xa[29] / (xa[0] * 2.0 ** (-29 / 2)),
        "xavier tanh std[50]": xt[-1],
        "xavier tanh std[1] - std[50]": xt[0] - xt[-1],
        "xavier tanh max step up": float(np.diff(xt).max()),
        "he tanh std[50]": std["he_normal", "tanh"][-1],
        "xavier global grad norm": float(np.sqrt(np.sum(gx**2))),
        "min he/xavier grad": float((gh / gx).min()),
    }


_t = F_S + "test_activation_std_flat_with_matched_pairs_drifts_with_mismatched"
q(_t, "he relu std 50/1", "init_std", 0.5, 2, log=True, test_seeds="0")
q(_t, "xavier relu std 30 / prediction", "init_std", 1 / 3, 3, log=True, test_seeds="0")
q(_t, "xavier tanh std[50]", "init_std", 0.05, None, test_seeds="0")
q(_t, "xavier tanh std[1] - std[50]", "init_std", 0, None, test_seeds="0")
q(_t, "xavier tanh max step up", "init_std", None, 0.02, test_seeds="0")
q(_t, "he tanh std[50]", "init_std", 0.4, 0.7, test_seeds="0")
_t = F_S + "test_xavier_gradients_at_init_are_tiny_so_clipping_never_acts"
q(_t, "xavier global grad norm", "init_std", None, 1e-3, log=True, test_seeds="0")
q(_t, "min he/xavier grad", "init_std", 1e3, None, log=True, test_seeds="0")


@group("init_train")
def _init_train(seed):
    from vanishing.experiments import init_scaling as I

    kw = dict(steps=300, seed=seed, progress=False, telemetry_every=10**9)
    he = I.deep_relu_run("he_normal", **kw)
    xa = I.deep_relu_run("xavier_normal", **kw)
    adam = I.deep_relu_run("xavier_normal", optimizer="adam", lr=1e-3, clip=None, **kw)
    return {
        "he train acc": he.final_train_acc,
        "xavier train acc": xa.final_train_acc,
        "|xavier loss (last 50) - ln 2|": abs(np.mean(xa.loss[-50:]) - np.log(2)),
        "xavier + adam train acc": adam.final_train_acc,
    }


_t = F_S + "test_he_2015_fig3_30_layer_relu_he_trains_xavier_stalls"
q(_t, "he train acc", "init_train", 0.9, None, test_seeds="0-1")
q(_t, "xavier train acc", "init_train", None, 0.56, test_seeds="0-1")
q(_t, "|xavier loss (last 50) - ln 2|", "init_train", None, 0.01, test_seeds="0-1")
q(
    F_S + "test_with_adam_the_xavier_network_trains_too",
    "xavier + adam train acc",
    "init_train",
    0.95,
    None,
    test_seeds="0",
)


@group("bn_train")
def _bn_train(seed):
    from vanishing.experiments import batchnorm as B

    kw = dict(steps=500, seed=seed, progress=False, telemetry_every=10**9)
    plain, bn = B.deep_sigmoid_run(False, **kw), B.deep_sigmoid_run(True, **kw)
    return {
        "no BN train acc": plain.final_train_acc,
        "no BN loss (last 50)": float(np.mean(plain.loss[-50:])),
        "BN loss (last 50)": float(np.mean(bn.loss[-50:])),
        "BN train acc, median of last 5 evaluations": _med5(bn.train_acc),
        "BN train acc (final)": bn.final_train_acc,
    }


_t = F_S + "test_batch_norm_rescues_notebook_03_sigmoid_network"
q(_t, "no BN train acc", "bn_train", None, 0.6, test_seeds="0-2")
q(_t, "no BN loss (last 50)", "bn_train", 0.65, None, test_seeds="0-2")
q(_t, "BN loss (last 50)", "bn_train", None, 0.5, test_seeds="0-2")
q(_t, "BN train acc, median of last 5 evaluations", "bn_train", 0.85, None, test_seeds="0-2")


@group("bn_sweep")
def _bn_sweep(seed):
    from vanishing.experiments import batchnorm as B

    lrs = [0.01, 0.1, 1.0, 3.0]
    return {
        "BN max loss over lr 0.01-3": float(np.max(B.lr_sweep(lrs, True, seed=seed))),
        "no BN min loss over lr 0.01-3": float(np.min(B.lr_sweep(lrs, False, seed=seed))),
    }


_t = F_S + "test_batch_norm_widens_the_range_of_learning_rates_that_train"
q(_t, "BN max loss over lr 0.01-3", "bn_sweep", None, 0.5, test_seeds="0-1")
q(_t, "no BN min loss over lr 0.01-3", "bn_sweep", 0.65, None, test_seeds="0-1")


@group("res_init")
def _res_init(seed):
    from vanishing.experiments import residual as S

    plain = S.gradient_norms_at_init("plain", seed=seed)
    resid = S.gradient_norms_at_init("residual", seed=seed)
    return {
        "plain first/last hidden": plain[0] / plain[-2],
        "residual first/last hidden": resid[0] / resid[-2],
    }


_t = F_S + "test_residual_50_layer_keeps_the_gradient_plain_loses_it"
q(_t, "plain first/last hidden", "res_init", None, 1e-25, log=True, test_seeds="0-1")
q(_t, "residual first/last hidden", "res_init", 0.1, 20, log=True, test_seeds="0-1")


@group("res_train", 6)
def _res_train(seed):
    from vanishing.experiments import residual as S

    # SGD at lr 0.05, momentum 0.9 (the notebook's protocol), evaluated every 30 steps
    kw = dict(steps=300, seed=seed, progress=False, telemetry_every=10**9, eval_every=30)
    plain, resid = S.train_run("plain", **kw), S.train_run("residual", **kw)
    return {
        "plain best train acc (every 30 steps)": float(np.max(plain.train_acc)),
        "residual final train acc": resid.final_train_acc,
    }


_t = F_S + "test_residual_50_layer_sigmoid_net_trains_plain_does_not"
q(_t, "plain best train acc (every 30 steps)", "res_train", None, 0.6, test_seeds="0-4")
q(_t, "residual final train acc", "res_train", 0.8, None, test_seeds="0-4")


@group("res_degradation", 6)
def _res_degradation(seed):
    from vanishing.experiments import residual as S

    r = S.degradation_losses(seed=seed)
    shallow, deep = r["plain, 5 layers"]["final_loss"], r["plain, 20 layers"]["final_loss"]
    resid = r["residual, 20 layers"]["final_loss"]
    return {
        "plain 5 layers: loss": shallow,
        "plain 20 layers: loss": deep,
        "plain 20 / plain 5": deep / shallow,
        "residual 20 layers: loss": resid,
        "plain 20 / residual 20": deep / resid,
        "|residual 20 - plain 5|": abs(resid - shallow),
    }


_t = (
    "test_science_nb07_degradation.py::"
    "test_a_deeper_plain_net_trains_worse_its_residual_twin_does_not"
)
q(_t, "plain 5 layers: loss", "res_degradation", None, 0.15, test_seeds="0-3")
q(_t, "plain 20 layers: loss", "res_degradation", 0.1, None, test_seeds="0-3")
q(_t, "plain 20 / plain 5", "res_degradation", 3, None, test_seeds="0-3")
q(_t, "residual 20 layers: loss", "res_degradation", None, 0.15, test_seeds="0-3")
q(_t, "plain 20 / residual 20", "res_degradation", 3, None, test_seeds="0-3")
q(_t, "|residual 20 - plain 5|", "res_degradation", None, 0.1, test_seeds="0-3")


@group("res_blocks")
def _res_blocks(seed):
    from vanishing.experiments import residual as S

    rng = np.random.default_rng(seed)
    x, dout = rng.standard_normal((64, 32)), rng.standard_normal((64, 32))
    weights = S.branch_weights(50, 32, seed=seed)
    out = {}
    for identity in (True, False):
        h, caches = x, []
        for W1, b1, W2, b2 in weights:
            y, cache = S.block_forward(h, W1, b1, W2, b2)
            caches.append(cache)
            h = y if identity else y - h
        g, norms = dout, []
        for cache in reversed(caches):
            dx = S.block_backward(g, cache)[0]
            g = dx if identity else dx - g
            norms.append(np.linalg.norm(g))
        out[identity] = np.array(norms[::-1]) / np.linalg.norm(dout)
    return {
        "residual at the input": float(out[True][0]),
        "plain factor per block": float((out[False][0] / out[False][-1]) ** (1 / 49)),
    }


_t = "test_experiments_residual.py::test_stack_of_blocks_keeps_the_gradient_plain_stack_loses_it"
q(_t, "residual at the input", "res_blocks", 1.5, 5, test_seeds="0")
q(_t, "plain factor per block", "res_blocks", 0.12, 0.3, test_seeds="0")


@group("res_chain", 1)
def _res_chain(seed):
    from vanishing.experiments import residual as S

    rng = np.random.default_rng(seed)
    Js = S.random_jacobians(50, 32, rng=rng)
    g = rng.standard_normal(32)
    plain, resid = S.chain_norms(g, Js, False), S.chain_norms(g, Js, True)
    return {
        "plain factor per layer": (plain[0] / plain[-1]) ** (1 / 49),
        "residual |g_0| / |g_50|": resid[0] / np.linalg.norm(g),
    }


_t = F_S + "test_identity_path_keeps_a_jacobian_product_from_vanishing"
q(_t, "plain factor per layer", "res_chain", 0.15, 0.35, test_seeds="0")
q(_t, "residual |g_0| / |g_50|", "res_chain", 0.1, 100, log=True, test_seeds="0")

# ------------------------------------------------------------------------------------------
# tests/test_science_exploding.py (notebook 08)
# ------------------------------------------------------------------------------------------
F_E = "test_science_exploding.py::"


@group("expl_chain")
def _expl_chain(seed):
    from vanishing.experiments import exploding as E

    out = {}
    runs = E.recurrent_comparison((0.9, 1.1), n=32, T=50, seed=seed)
    T = np.arange(51)
    out["max rel. error of norms vs λ^t"] = max(
        float(np.max(np.abs(n / lam**T - 1))) for lam, n in runs.items()
    )
    out["‖W^50‖, λ = 0.9"] = runs[0.9][-1]
    out["‖W^50‖, λ = 1.1"] = runs[1.1][-1]
    rng = np.random.default_rng(seed)
    for lam in (0.9, 1.1):
        W = E.gaussian_with_radius(32, lam, rng)
        out[f"‖W‖₂, λ = {lam}"] = float(np.linalg.norm(W, 2))
        rate = E.growth_per_step(E.chain_jacobian_norms(W, 200), skip=50)
        out[f"|rate - λ|, λ = {lam}"] = abs(rate - lam)
    tanh = E.recurrent_comparison((0.9, 1.1), seed=seed, nonlinearity="tanh")
    out["tanh |rate - 0.9|"] = abs(E.growth_per_step(tanh[0.9]) - 0.9)
    out["tanh rate, λ = 1.1"] = E.growth_per_step(tanh[1.1])
    return out


_t = F_E + "test_linear_chain_follows_lambda_to_the_T"
q(_t, "max rel. error of norms vs λ^t", "expl_chain", None, 1e-9, log=True, test_seeds="0-2")
q(_t, "‖W^50‖, λ = 0.9", "expl_chain", None, 0.01, log=True, test_seeds="0-2")
q(_t, "‖W^50‖, λ = 1.1", "expl_chain", 100, None, log=True, test_seeds="0-2")
_t = F_E + "test_non_normal_matrix_grows_at_its_spectral_radius_not_its_norm"
for _lam in (0.9, 1.1):
    q(_t, f"‖W‖₂, λ = {_lam}", "expl_chain", 1.2, None, test_seeds="0-2")
    q(_t, f"|rate - λ|, λ = {_lam}", "expl_chain", None, 0.01, test_seeds="0-2")
_t = F_E + "test_tanh_chain_decays_like_linear_below_one_and_grows_slower_above"
q(_t, "tanh |rate - 0.9|", "expl_chain", None, 0.005, test_seeds="0-2")
q(_t, "tanh rate, λ = 1.1", "expl_chain", 1.01, 1.08, test_seeds="0-2")


@group("expl_train")
def _expl_train(seed):
    from vanishing.experiments import exploding as E

    plain, clipped = E.clipping_comparison(steps=300, seed=seed, telemetry=False).values()
    out = {
        "no clipping: nan step": float(plain.nan_step if plain.diverged else np.inf),
        "clipped: diverged": float(clipped.diverged),
        "clipped val acc": clipped.final_val_acc,
    }
    runs = E.lr_sweep(steps=300, seed=seed)
    out["lr 0.01 val acc"] = np.nan if runs[0.01].diverged else runs[0.01].final_val_acc
    out["lr 0.05 val acc"] = np.nan if runs[0.05].diverged else runs[0.05].final_val_acc
    out["lr 0.5 diverged"] = float(runs[0.5].diverged)
    h = E.train_run(E.DIVERGING_LR, steps=30, seed=seed, telemetry=True)
    g = E.total_grad_norm(h)
    out["diverging run: total grad norm growth"] = (
        (np.inf if not np.isfinite(g[-1]) else g[-1] / g[0]) if h.diverged else 0.0
    )
    return out


_t = F_E + "test_clipping_rescues_a_diverging_run"
q(_t, "no clipping: nan step", "expl_train", None, 50, test_seeds="0-4")
q(_t, "clipped: diverged", "expl_train", None, 0, exact=True, test_seeds="0-4")
q(_t, "clipped val acc", "expl_train", 0.75, None, test_seeds="0-4")
q(_t, "clipped val acc", "expl_train", 0.95, None, stat="median", n=5, test_seeds="0-4")
_t = F_E + "test_lr_sweep_small_rates_train_large_rate_diverges"
q(_t, "lr 0.01 val acc", "expl_train", 0.9, None, test_seeds="0")
q(_t, "lr 0.05 val acc", "expl_train", 0.9, None, test_seeds="0")
q(_t, "lr 0.5 diverged", "expl_train", 1, None, exact=True, test_seeds="0")
q(
    F_E + "test_total_grad_norm_of_a_diverging_run_explodes",
    "diverging run: total grad norm growth",
    "expl_train",
    1e3,
    None,
    log=True,
    test_seeds="0",
)


@group("expl_rnn", 16)
def _expl_rnn(seed):
    from vanishing.experiments import exploding as E

    norms = E.initial_gradient_norms(radii=(0.9, 2.0), lengths=[1, 30], seed=seed)
    r = E.rnn_clipping_comparison(seed=seed)
    return {
        "T=30 / T=1 gradient norm, radius 2": norms[2.0][1] / norms[2.0][0],
        "T=30 / T=1 gradient norm, radius 0.9": norms[0.9][1] / norms[0.9][0],
        "first gradient / clip threshold": norms[2.0][1] / E.RNN_CLIP,
        "clipped loss (last 50)": r[f"clipped at {E.RNN_CLIP:g}"].final_loss,
        "unclipped loss (last 50)": r["no clipping"].final_loss,
        "unclipped loss above ln 2": float(r["no clipping"].final_loss > np.log(2)),
        "radius 1, unclipped loss (last 50)": E.train_rnn(radius=1.0, seed=seed).final_loss,
    }


_t = F_E + "test_rnn_gradient_at_initialisation_grows_with_length_at_radius_2"
q(_t, "T=30 / T=1 gradient norm, radius 2", "expl_rnn", 20, None, log=True, test_seeds="0-3")
q(_t, "T=30 / T=1 gradient norm, radius 0.9", "expl_rnn", None, 1, log=True, test_seeds="0-3")
q(_t, "first gradient / clip threshold", "expl_rnn", 10, None, log=True, test_seeds="0-3")
_t = F_E + "test_clipping_rescues_the_exploding_rnn"
q(_t, "clipped loss (last 50)", "expl_rnn", None, 0.05, log=True, test_seeds="0-7")
q(_t, "unclipped loss (last 50)", "expl_rnn", 1.0, None, stat="median", n=8, log=True,
  test_seeds="0-7")  # fmt: skip
q(_t, "unclipped loss above ln 2", "expl_rnn", 1, None, stat="k/n", k=5, n=8,
  test_seeds="0-7")  # fmt: skip
_t = F_E + "test_the_rnn_trains_unclipped_when_its_gradient_does_not_explode"
q(_t, "radius 1, unclipped loss (last 50)", "expl_rnn", None, 0.05, log=True, test_seeds="0-3")

# ------------------------------------------------------------------------------------------
# tests/test_phenomenon.py, tests/test_train.py, tests/test_widgets.py
# ------------------------------------------------------------------------------------------
F_P, F_T, F_W = "test_phenomenon.py::", "test_train.py::", "test_widgets.py::"


def _weight_grad_norms(net, X, y):
    from vanishing import losses, nn

    _, dlogits = losses.softmax_cross_entropy(net(X), y)
    net.backward(dlogits)
    return np.array([np.linalg.norm(layer.grads["W"]) for layer in nn.linear_layers(net)])


@group("phen")
def _phen(seed):
    from vanishing import data, losses, nn, optim

    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((128, 64)), rng.integers(0, 10, 128)
    net = nn.mlp([64] * 20 + [10], "sigmoid", init="normal", gain=0.01, rng=rng)
    g = _weight_grad_norms(net, X, y)
    out = {
        "sigmoid first/last": g[0] / g[-1],
        "sigmoid min growth of log norm": float(np.diff(np.log(g[:-1])).min()),
    }
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((128, 64)), rng.integers(0, 10, 128)
    net = nn.mlp([64] * 20 + [10], "relu", init="he_normal", rng=rng)
    g = _weight_grad_norms(net, X, y)
    out["he relu min ratio to last"] = float((g / g[-1]).min())
    out["he relu max ratio to last"] = float((g / g[-1]).max())
    rng = np.random.default_rng(seed)
    X, y = data.two_spirals(400, rng=rng)
    net = nn.mlp([2, 64, 64, 2], "relu", rng=rng)
    opt = optim.Adam(net, lr=0.01)
    for _ in range(1500):
        idx = rng.choice(len(y), 128, replace=False)
        _, dlogits = losses.softmax_cross_entropy(net(X[idx]), y[idx])
        net.backward(dlogits)
        opt.step()
    out["spirals accuracy"] = float(np.mean(net(X).argmax(axis=1) == y))
    return out


q(
    F_P + "test_deep_sigmoid_with_small_weights_vanishes",
    "sigmoid first/last",
    "phen",
    None,
    1e-6,
    log=True,
    test_seeds="0",
)
q(
    F_P + "test_deep_sigmoid_with_small_weights_vanishes",
    "sigmoid min growth of log norm",
    "phen",
    0,
    None,
    test_seeds="0",
)
q(
    F_P + "test_deep_relu_with_he_keeps_gradients_within_factor_ten",
    "he relu min ratio to last",
    "phen",
    0.1,
    None,
    log=True,
    test_seeds="0-2",
)
q(
    F_P + "test_deep_relu_with_he_keeps_gradients_within_factor_ten",
    "he relu max ratio to last",
    "phen",
    None,
    10,
    log=True,
    test_seeds="0-2",
)
q(
    F_P + "test_three_layer_relu_net_learns_two_spirals",
    "spirals accuracy",
    "phen",
    0.95,
    None,
    test_seeds="0",
)


@group("train")
def _train(seed):
    from vanishing import data, nn
    from vanishing.train import fit

    X, y = data.two_spirals(500, rng=np.random.default_rng(seed))
    Xt, yt, Xv, yv = data.train_val_split(X, y, rng=np.random.default_rng(seed + 1))
    model = nn.mlp([2, 64, 64, 64, 2], activation="relu", rng=np.random.default_rng(seed))
    h = fit(
        model,
        Xt,
        yt,
        optimizer="adam",
        lr=0.01,
        steps=600,
        batch_size=64,
        rng=np.random.default_rng(seed),
        X_val=Xv,
        y_val=yv,
        progress=False,
    )
    out = {
        "fit: train acc": h.final_train_acc,
        "fit: val acc": h.final_val_acc,
        "fit: loss last 50 / first 50": h.loss[-50:].mean() / h.loss[:50].mean(),
    }
    model = nn.mlp(
        [2] + [32] * 10 + [2],
        activation="sigmoid",
        init="xavier_normal",
        rng=np.random.default_rng(seed + 3),
    )
    h = fit(
        model,
        Xt,
        yt,
        lr=0.1,
        steps=20,
        batch_size=64,
        rng=np.random.default_rng(seed + 3),
        progress=False,
    )
    out["sigmoid: first/last layer grad"] = h.grad_norm[0][0] / h.grad_norm[0][-1]
    out["sigmoid: min update ratio last/first"] = float(
        (h.update_ratio[:, -1] / h.update_ratio[:, 0]).min()
    )
    return out


q(F_T + "test_fit_learns_two_spirals", "fit: train acc", "train", 0.95, None, test_seeds="0")
q(F_T + "test_fit_learns_two_spirals", "fit: val acc", "train", 0.95, None, test_seeds="0")
q(
    F_T + "test_fit_learns_two_spirals",
    "fit: loss last 50 / first 50",
    "train",
    None,
    0.5,
    log=True,
    test_seeds="0",
)
q(
    F_T + "test_deep_sigmoid_net_has_vanishing_first_layer_gradients",
    "sigmoid: first/last layer grad",
    "train",
    None,
    1e-3,
    log=True,
    test_seeds="0",
)
q(
    F_T + "test_deep_sigmoid_net_has_vanishing_first_layer_gradients",
    "sigmoid: min update ratio last/first",
    "train",
    1,
    None,
    log=True,
    test_seeds="0",
)


@group("widgets")
def _widgets(seed):
    from vanishing.widgets import explore

    r = explore(20, 128, "sigmoid", "normal", gain=0.01, batch=64, rng=seed)
    he = explore(20, 128, "relu", "he_normal", gain=1.0, batch=64, rng=seed)
    return {
        "sigmoid first/last": r.grad_norms[0] / r.grad_norms[-1],
        "sigmoid min growth of log norm": float(np.diff(np.log(r.grad_norms[:-1])).min()),
        "he first/last hidden": he.grad_norms[0] / he.grad_norms[-2],
        "he act std 20/1": he.act_std[-1] / he.act_std[0],
    }


_t = F_W + "test_deep_sigmoid_with_small_weights_vanishes_and_he_relu_does_not"
q(_t, "sigmoid first/last", "widgets", None, 1e-20, log=True, test_seeds="0")
q(_t, "sigmoid min growth of log norm", "widgets", 0, None, test_seeds="0")
q(_t, "he first/last hidden", "widgets", 0.1, 10, log=True, test_seeds="0")
q(_t, "he act std 20/1", "widgets", 0.3, 3, log=True, test_seeds="0")

# ------------------------------------------------------------------------------------------
# tests/test_doctor.py
# ------------------------------------------------------------------------------------------
F_D = "test_doctor.py::"


def _headroom(report) -> float:
    """How far a healthy report is from its nearest alarm, as a factor (log10, decades) for the
    ratio checks and in fractions (x10, so 0.1 of a fraction counts as one) for saturated and
    dead units. Negative: an alarm."""
    from vanishing import doctor as D

    m = []
    g = np.asarray(report.grad_norm, dtype=np.float64)
    if len(g) >= 2 and g[-1] > 0:
        r = np.log10(g / g[-1])[:-1]
        m += [D.VANISHING_ORDERS - np.max(-r), D.EXPLODING_ORDERS - np.max(r)]
    if report.rel_grad is not None:
        m.append(np.log10(D.RELATIVE_GRAD_MAX / np.max(report.rel_grad)))
    s = np.asarray(report.act_std, dtype=np.float64)
    if len(s) >= 2:
        m += [
            np.log10(np.min(s[1:] / s[0]) / D.SIGNAL_DECAY),
            np.log10(D.SIGNAL_GROWTH / np.max(s[1:] / s[0])),
        ]
    for arr, thr in ((report.saturated, D.SATURATED), (report.dead, D.DEAD)):
        a = np.asarray(arr, dtype=np.float64)
        if np.any(np.isfinite(a)):
            m.append(10 * (thr - np.nanmax(a)))
    if report.update_ratio is not None:
        u = np.asarray(report.update_ratio, dtype=np.float64)
        u = u[np.isfinite(u)]
        batch = report.rel_grad is not None
        hi = D.UPDATE_HIGH * (D.ESTIMATE_SLACK_HIGH if batch else 1)
        lo = D.UPDATE_LOW / (D.ESTIMATE_SLACK_LOW if batch else 1)
        if u.size:
            m += [np.log10(hi / u.max()), np.log10(u.min() / lo)]
    return float(np.min(m))


def _batch(seed, n=256):
    from vanishing import data

    return data.two_spirals(n, rng=np.random.default_rng([seed, 7]))


HEALTHY = {
    "he relu, depth 3": dict(sizes=[2, 64, 64, 2]),
    "he relu, depth 20": dict(sizes=[2] + [64] * 20 + [2]),
    "he relu, depth 30, 64-d inputs": dict(sizes=[64] + [64] * 30 + [10]),
    "xavier tanh, depth 10": dict(
        sizes=[2] + [64] * 10 + [2], activation="tanh", init="xavier_normal"
    ),
    "bn sigmoid, depth 20": dict(
        sizes=[2] + [64] * 20 + [2], activation="sigmoid", init="xavier_normal", batchnorm=True
    ),
    "bn relu, depth 20": dict(sizes=[2] + [64] * 20 + [2], batchnorm=True),
    "residual bn relu, depth 30": dict(sizes=[2] + [64] * 30 + [2], residual=True, batchnorm=True),
    "residual relu, small blocks, depth 30": dict(
        sizes=[2] + [64] * 30 + [2], residual=True, gain=0.2
    ),
    "residual tanh, depth 20": dict(
        sizes=[2] + [64] * 20 + [2],
        activation="tanh",
        init="xavier_normal",
        gain=0.3,
        residual=True,
    ),
}


@group("doctor")
def _doctor(seed):
    from vanishing import doctor, nn, optim, train

    out = {}
    rng = np.random.default_rng(seed)
    net = nn.mlp([2] + [64] * 20 + [2], "sigmoid", init="normal", gain=0.01, rng=rng)
    rep = doctor.diagnose(net, *_batch(seed))
    f = rep["vanishing"] if "vanishing" in rep else None
    out["tiny sigmoid: codes == [vanishing]"] = float(rep.codes == ["vanishing"])
    out["tiny sigmoid: worst orders"] = f.numbers["worst_orders"] if f else np.nan
    out["tiny sigmoid: from layer"] = float(f.numbers["from_layer"]) if f else np.nan
    rng = np.random.default_rng(seed)
    net = nn.mlp([2] + [256] * 20 + [2], "relu", init="normal", gain=1.0, rng=rng)
    rep = doctor.diagnose(net, *_batch(seed))
    out["wide relu: primary is exploding"] = float(rep.primary.code == "exploding")
    out["wide relu: worst ‖dW‖/‖W‖"] = (
        rep["exploding"].numbers.get("worst", np.nan) if "exploding" in rep else np.nan
    )
    rng = np.random.default_rng(seed)
    net = nn.mlp([2] + [64] * 10 + [2], "tanh", init="normal", gain=1.0, rng=rng)
    rep = doctor.diagnose(net, *_batch(seed))
    f = rep["saturation"] if "saturation" in rep else None
    out["tanh: worst saturated"] = f.numbers["worst"] if f else 0.0
    out["tanh: saturated layers"] = float(len(f.layers)) if f else 0.0
    rng = np.random.default_rng(seed)
    net = nn.mlp([2] + [64] * 8 + [2], "relu", rng=rng)
    for layer in nn.linear_layers(net)[:-1]:
        layer.params["b"][:] = -5.0
    rep = doctor.diagnose(net, *_batch(seed))
    out["bias -5: dead worst"] = rep.primary.numbers.get("worst", np.nan)
    out["bias -5: dead layers"] = float(len(rep.primary.layers))
    for name, kw in HEALTHY.items():
        kw = dict(kw)
        rng = np.random.default_rng(seed)
        if kw["sizes"][0] == 64:
            X, y = rng.standard_normal((256, 64)), rng.integers(0, 10, 256)
        else:
            X, y = _batch(seed)
        rep = doctor.diagnose(nn.mlp(rng=rng, **kw), X, y, lr=0.1)
        out[f"healthy headroom: {name}"] = _headroom(rep) if rep.healthy else -1.0
    if seed == 0:  # the tests below use one seed and fixed streams
        X, y = _batch(0, 512)
        slow = train.fit(
            nn.mlp([2, 32, 32, 2], rng=np.random.default_rng(0)),
            X,
            y,
            lr=1e-5,
            steps=40,
            rng=np.random.default_rng(1),
            progress=False,
        )
        rep = doctor.diagnose(history=slow)
        out["lr 1e-5: codes == [update_ratio_low]"] = float(rep.codes == ["update_ratio_low"])
        out["lr 1e-5: worst update ratio"] = rep.primary.numbers["worst"]
        net = nn.mlp([2] + [64] * 6 + [2], rng=np.random.default_rng(0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hist = train.fit(
                net,
                X,
                y,
                optimizer=optim.SGD(net, lr=0.5, momentum=0.9),
                steps=100,
                rng=np.random.default_rng(1),
                progress=False,
            )
        rep = doctor.diagnose(net, X, y, history=hist)
        out["momentum 0.9, lr 0.5: nan step - doctor's step"] = (
            float(hist.nan_step - rep.primary.step) if hist.nan_step is not None else np.nan
        )
        out["momentum 0.9, lr 0.5: worst update ratio"] = (
            rep["update_ratio_high"].numbers["worst"] if "update_ratio_high" in rep else 0.0
        )
        net = nn.mlp([2] + [64] * 6 + [2], rng=np.random.default_rng(0))
        hist = train.fit(
            net,
            X,
            y,
            lr=0.1,
            steps=150,
            rng=np.random.default_rng(1),
            telemetry_every=5,
            progress=False,
        )
        rep = doctor.diagnose(net, X, y, history=hist)
        out["healthy history headroom"] = _headroom(rep) if rep.healthy else -1.0
    return out


_t = F_D + "test_deep_sigmoid_with_tiny_weights_vanishes_from_the_output_side"
q(_t, "tiny sigmoid: codes == [vanishing]", "doctor", 1, None, exact=True, test_seeds="0-2")
q(_t, "tiny sigmoid: worst orders", "doctor", None, -25, test_seeds="0-2")
q(_t, "tiny sigmoid: from layer", "doctor", 15, None, test_seeds="0-2")
_t = F_D + "test_wide_relu_with_unit_normal_weights_explodes"
q(_t, "wide relu: primary is exploding", "doctor", 1, None, exact=True, test_seeds="0-2")
q(_t, "wide relu: worst ‖dW‖/‖W‖", "doctor", 1e15, None, log=True, test_seeds="0-2")
_t = F_D + "test_tanh_with_huge_weights_saturates"
q(_t, "tanh: worst saturated", "doctor", 0.7, None, test_seeds="0-2")
q(_t, "tanh: saturated layers", "doctor", 8, None, test_seeds="0-2")
_t = F_D + "test_negative_bias_kills_relus"
q(_t, "bias -5: dead worst", "doctor", 1.0, None, exact=True, test_seeds="0-2")
q(_t, "bias -5: dead layers", "doctor", 7, None, test_seeds="0-2")
for _name in HEALTHY:
    q(
        F_D + "test_healthy_networks_get_a_clean_report",
        f"healthy headroom: {_name}",
        "doctor",
        0,
        None,
        test_seeds="0-3",
    )
q(
    F_D + "test_update_ratios_from_a_history",
    "lr 1e-5: codes == [update_ratio_low]",
    "doctor",
    1,
    None,
    exact=True,
    test_seeds="0",
)
q(
    F_D + "test_update_ratios_from_a_history",
    "lr 1e-5: worst update ratio",
    "doctor",
    None,
    1e-5,
    log=True,
    test_seeds="0",
)
q(
    F_D + "test_diverged_history_names_the_step",
    "momentum 0.9, lr 0.5: nan step - doctor's step",
    "doctor",
    0,
    None,
    exact=True,
    test_seeds="0",
)
q(
    F_D + "test_diverged_history_names_the_step",
    "momentum 0.9, lr 0.5: worst update ratio",
    "doctor",
    1,
    None,
    log=True,
    test_seeds="0",
)
q(
    F_D + "test_healthy_training_history_is_clean",
    "healthy history headroom",
    "doctor",
    0,
    None,
    test_seeds="0",
)


@group("doctor_more", 1)
def _doctor_more(seed):
    from vanishing import doctor, nn

    out = {}
    net = nn.mlp(
        [2] + [256] * 40 + [2],
        "relu",
        init="normal",
        gain=1.0,
        rng=np.random.default_rng(0),
        dtype=np.float32,
    )
    f = doctor.diagnose(net, *_batch(0)).primary
    out["float32: primary is nonfinite"] = float(f.code == "nonfinite")
    out["float32: overflowing Linear layer"] = (
        float(f.where.split("Linear layer ")[1].split(" ")[0]) if f.code == "nonfinite" else np.nan
    )
    net = nn.mlp([2] + [64] * 6 + [2], rng=np.random.default_rng(0))
    out["lr 500 flagged high"] = float(
        "update_ratio_high" in doctor.diagnose(net, *_batch(0), lr=500.0)
    )
    out["lr 1e-9 flagged low"] = float(
        "update_ratio_low" in doctor.diagnose(net, *_batch(0), lr=1e-9)
    )
    rep = doctor.diagnose(net, *_batch(0), lr=0.1)
    out["lr 0.1 headroom"] = _headroom(rep) if rep.healthy else -1.0
    rep = doctor.diagnose(
        nn.mlp([2] + [64] * 20 + [2], residual=True, rng=np.random.default_rng(0)), *_batch(0)
    )
    out["plain residual relu: primary is exploding"] = float(rep.primary.code == "exploding")
    return out


_t = F_D + "test_exploding_in_float32_overflows_and_is_located"
q(_t, "float32: primary is nonfinite", "doctor_more", 1, None, exact=True, test_seeds="0")
q(_t, "float32: overflowing Linear layer", "doctor_more", 30, 40, test_seeds="0")
_t = F_D + "test_a_large_lr_is_flagged_from_one_batch"
q(_t, "lr 500 flagged high", "doctor_more", 1, None, exact=True, test_seeds="0")
q(_t, "lr 1e-9 flagged low", "doctor_more", 1, None, exact=True, test_seeds="0")
q(_t, "lr 0.1 headroom", "doctor_more", 0, None, test_seeds="0")
q(
    F_D + "test_plain_residual_relu_stack_is_reported_exploding",
    "plain residual relu: primary is exploding",
    "doctor_more",
    1,
    None,
    exact=True,
    test_seeds="0",
)


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.abs(b)))


@group("telemetry", 1)
def _telemetry(seed):
    """The exactness checks of tests/test_telemetry.py and test_train.py's clipping test: the
    largest relative error against its rtol (same fixed streams as the tests)."""
    TT = _test_module("test_telemetry")

    from vanishing import losses, nn, optim, telemetry
    from vanishing.train import fit

    out = {}
    rng = np.random.default_rng(0)
    model = TT._tanh_net(rng)
    X, y = rng.standard_normal((7, 3)), rng.integers(0, 2, 7)
    expected, _ = TT._hand_grad_norms(model, X, y)
    out["grad norms vs hand backprop"] = _rel(telemetry.layer_gradient_norms(model, X, y), expected)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((64, 10))
    worst_huge, worst_tiny = 1.0, 0.0
    for act in ("sigmoid", "tanh"):
        huge = nn.mlp([10, 50, 2], activation=act, init="normal", gain=100.0, rng=rng)
        tiny = nn.mlp([10, 50, 2], activation=act, init="normal", gain=0.01, rng=rng)
        worst_huge = min(worst_huge, telemetry.activation_stats(huge, X).saturated[0])
        worst_tiny = max(worst_tiny, telemetry.activation_stats(tiny, X).saturated[0])
    out["saturated, gain 100"], out["saturated, gain 0.01"] = worst_huge, worst_tiny
    rng = np.random.default_rng(4)
    model = nn.mlp([3, 6, 6, 2], activation="tanh", init="xavier_normal", rng=rng)
    X, y = rng.standard_normal((10, 3)), rng.integers(0, 2, 10)
    tel, lr = telemetry.Telemetry(model), 0.05
    W, g = TT._one_step(model, optim.SGD(model, lr=lr), X, y, tel)
    exp = [lr * np.linalg.norm(gi) / np.linalg.norm(Wi) for gi, Wi in zip(g, W, strict=True)]
    out["SGD update ratio vs lr‖g‖/‖W‖"] = _rel(tel.arrays()["update_ratio"][0], exp)
    rng = np.random.default_rng(10)
    a = (0.5 + 1e-3 * rng.standard_normal((128, 256))).astype(np.float32)
    mu, sd = telemetry.mean_std(a)
    out["float32 mean_std: |mean error|"] = abs(mu - a.astype(np.float64).mean())
    out["float32 mean_std: sd rel. error"] = abs(sd / a.astype(np.float64).std() - 1)
    rng = np.random.default_rng(8)
    X, y = rng.standard_normal((32, 2)) * 10, rng.integers(0, 2, 32)
    model = nn.mlp([2, 16, 2], activation="relu", rng=rng)
    before = {k: v.copy() for k, v in model.params.items()}
    h = fit(
        model,
        X,
        y,
        optimizer=optim.SGD(model, lr=1.0),
        steps=1,
        batch_size=32,
        rng=rng,
        clip=1e-3,
        progress=False,
    )
    moved = np.sqrt(sum(np.sum((model.params[k] - v) ** 2) for k, v in before.items()))
    out["clip: raw grad norm"] = float(h.grad_norm[0].max())
    out["clip: |moved / 1e-3 - 1|"] = abs(moved / 1e-3 - 1)
    del losses
    return out


@group("exactness", 1)
def _exactness(seed):
    """The remaining rtol checks on fixed streams: largest relative error against the rtol."""
    TT = _test_module("test_telemetry")

    from vanishing import gradcheck, losses, nn, optim, telemetry
    from vanishing.experiments import exploding as E
    from vanishing.experiments import saturating

    out = {}
    rng = np.random.default_rng(0)
    Ws = saturating.random_chain(3, 4, rng=rng, widths=[3, 5, 4, 2])
    x, dout = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    worst = 0.0
    for activation in ("sigmoid", "tanh", "linear"):
        f, _ = saturating.activation_fn(activation)

        def loss(v, f=f):
            h = v
            for W in Ws:
                h = f(h @ W)
            return float(np.sum(h * dout))

        numeric = gradcheck.numerical_gradient(loss, x)
        norms = saturating.chain_gradient_norms(Ws, x, dout, activation)
        worst = max(worst, _rel(norms[0], np.linalg.norm(numeric)))
    out["chain gradient vs numerical"] = worst
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(16)
    worst = 0.0
    for lam in (0.9, 1.1):
        W = E.scaled_orthogonal(16, lam, rng)
        got = E.power_norms(W, x0, 30)
        worst = max(worst, _rel(got, np.linalg.norm(x0) * lam ** np.arange(31)))
    out["power norms vs |x0| λ^t"] = worst
    rng = np.random.default_rng(1)
    model = TT._tanh_net(rng)
    X, y = rng.standard_normal((9, 3)), rng.integers(0, 2, 9)
    expected, (h1, h2) = TT._hand_grad_norms(model, X, y)
    tel = telemetry.Telemetry(model)
    _, d = losses.softmax_cross_entropy(model(X), y)
    model.backward(d)
    tel.observe_backward(0)
    rec = tel.arrays()
    out["recorded grad norms vs hand"] = _rel(rec["grad_norm"][0], expected)
    out["recorded act mean vs hand"] = _rel(rec["act_mean"][0], [h1.mean(), h2.mean()])
    out["recorded act std vs hand"] = _rel(rec["act_std"][0], [h1.std(), h2.std()])
    rng = np.random.default_rng(5)
    model = nn.mlp([3, 6, 2], activation="relu", rng=rng)
    X, y = rng.standard_normal((10, 3)), rng.integers(0, 2, 10)
    tel, opt = telemetry.Telemetry(model), optim.Adam(model, lr=0.01)
    for step in range(3):
        W_before, _ = TT._one_step(model, opt, X, y, tel, step)
    W_after = [m.params["W"] for m in nn.linear_layers(model)]
    exp = [
        np.linalg.norm(a - b) / np.linalg.norm(b) for a, b in zip(W_after, W_before, strict=True)
    ]
    out["Adam update ratio vs applied change"] = _rel(tel.arrays()["update_ratio"][-1], exp)
    rng = np.random.default_rng(9)
    model = nn.mlp([3, 5, 2], activation="tanh", rng=rng)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 2, 6)
    got = telemetry.layer_gradient_norms(model, X, y, loss="mse")
    _, d = losses.mse(model(X), np.eye(2)[y])
    model.backward(d)
    out["mse grad norms vs direct"] = _rel(
        got, [np.linalg.norm(m.grads["W"]) for m in nn.linear_layers(model)]
    )
    from vanishing.functional import norm
    from vanishing.telemetry import mean_std

    worst_n = worst_s = 0.0
    for scale in (1e-30, 1e-20, 1.0, 1e20, 1e30):
        a64 = np.random.default_rng(0).standard_normal(4096) * scale
        a32 = a64.astype(np.float32)
        ref = a32.astype(np.float64)
        worst_n = max(worst_n, _rel(norm(a32), np.linalg.norm(ref)))
        worst_s = max(worst_s, _rel(mean_std(a32)[1], ref.std()))
    out["float32 extremes: norm rel. error"] = worst_n
    out["float32 extremes: std rel. error"] = worst_s
    return out


_t = F_C + "test_chain_gradient_norms_match_a_numerical_gradient"
q(_t, "chain gradient vs numerical", "exactness", None, 1e-6, log=True, test_seeds="0")
q(
    F_E + "test_power_norms_match_the_spectral_radius",
    "power norms vs |x0| λ^t",
    "exactness",
    None,
    1e-9,
    log=True,
    test_seeds="0",
)
_t = "test_telemetry.py::test_telemetry_records_the_same_gradient_norms_and_activation_stats"
q(_t, "recorded grad norms vs hand", "exactness", None, 1e-12, log=True, test_seeds="1")
q(_t, "recorded act mean vs hand", "exactness", None, 1e-12, log=True, test_seeds="1")
q(_t, "recorded act std vs hand", "exactness", None, 1e-10, log=True, test_seeds="1")
q(
    "test_telemetry.py::test_update_ratio_is_the_applied_change_for_adam",
    "Adam update ratio vs applied change",
    "exactness",
    None,
    1e-10,
    log=True,
    test_seeds="5",
)
q(
    "test_telemetry.py::test_layer_gradient_norms_with_mse_and_one_hot_targets",
    "mse grad norms vs direct",
    "exactness",
    None,
    1e-7,
    log=True,
    test_seeds="9",
)
_t = "test_telemetry.py::test_norm_and_std_of_float32_extremes_match_float64"
q(_t, "float32 extremes: norm rel. error", "exactness", None, 1e-5, log=True, test_seeds="0")
q(_t, "float32 extremes: std rel. error", "exactness", None, 1e-5, log=True, test_seeds="0")


_t = "test_telemetry.py::test_layer_gradient_norms_match_hand_backprop"
q(_t, "grad norms vs hand backprop", "telemetry", None, 1e-12, log=True, test_seeds="0")
_t = "test_telemetry.py::test_saturation_of_sigmoid_and_tanh_layers"
q(_t, "saturated, gain 100", "telemetry", 0.95, None, test_seeds="3")
q(_t, "saturated, gain 0.01", "telemetry", None, 0, exact=True, test_seeds="3")
q(
    "test_telemetry.py::test_update_ratio_equals_lr_grad_over_weight_for_plain_sgd",
    "SGD update ratio vs lr‖g‖/‖W‖",
    "telemetry",
    None,
    1e-12,
    log=True,
    test_seeds="4",
)
_t = "test_telemetry.py::test_mean_std_is_accurate_in_float32_for_saturated_sigmoid"
q(_t, "float32 mean_std: |mean error|", "telemetry", None, 1e-6, log=True, test_seeds="10")
q(_t, "float32 mean_std: sd rel. error", "telemetry", None, 1e-3, log=True, test_seeds="10")
_t = F_T + "test_clip_limits_the_update_to_lr_times_max_norm"
q(_t, "clip: raw grad norm", "telemetry", 1e-2, None, log=True, test_seeds="8")
q(_t, "clip: |moved / 1e-3 - 1|", "telemetry", None, 1e-9, log=True, test_seeds="8")


# ------------------------------------------------------------------------------------------
# the digits tests: tests/test_science_nb03_digits.py, nb05, nb06, nb07
# ------------------------------------------------------------------------------------------
F_D3, F_D5 = "test_science_nb03_digits.py::", "test_science_nb05_digits.py::"
F_D6, F_D7 = "test_science_nb06_digits.py::", "test_science_nb07_digits.py::"


@group("nb03_digits", 6)
def _nb03_digits(seed):
    from vanishing.experiments import slow_training as S

    runs = S.train_digits(steps=600, lr=0.1, seed=seed)
    acc = {label: float(np.mean(h.val_acc[-5:])) for label, h in runs.items()}
    loss = {label: float(np.mean(h.loss[-25:])) for label, h in runs.items()}
    h = S.train_by_hand(S.sigmoid_net_gradients, (8,), steps=2000, seed=seed)[
        "8 hidden layers"
    ].history
    at_100 = int(np.searchsorted(h.telemetry_steps, 100))
    return {
        "8 sigmoid layers: val acc (last 5)": acc["8 hidden layers, sigmoid"],
        "8 sigmoid layers: loss (last 25)": loss["8 hidden layers, sigmoid"],
        "1 sigmoid layer: val acc (last 5)": acc["1 hidden layer, sigmoid"],
        "8 ReLU + He layers: val acc (last 5)": acc["8 hidden layers, ReLU + He"],
        "h8 mean at step 100": float(h.act_mean[at_100, -1]),
        "h8 mean at the end": float(h.act_mean[-1, -1]),
        "h8 saturated at the end": float(h.saturated[-1, -1]),
        "h1-h5 min mean": float(h.act_mean[-1, :5].min()),
        "h1-h5 max mean": float(h.act_mean[-1, :5].max()),
        "h1-h7 max saturated": float(h.saturated[-1, :-1].max()),
    }


_t = F_D3 + "test_digits_eight_sigmoid_layers_stay_at_chance_one_layer_and_relu_he_train"
q(_t, "8 sigmoid layers: val acc (last 5)", "nb03_digits", None, 0.2, test_seeds="0-3")
q(_t, "8 sigmoid layers: loss (last 25)", "nb03_digits", 2.2, None, test_seeds="0-3")
q(_t, "1 sigmoid layer: val acc (last 5)", "nb03_digits", 0.85, None, test_seeds="0-3")
q(_t, "8 ReLU + He layers: val acc (last 5)", "nb03_digits", 0.85, None, test_seeds="0-3")
_t = F_D3 + "test_top_hidden_layer_of_the_8_layer_sigmoid_net_is_driven_to_0"
q(_t, "h8 mean at step 100", "nb03_digits", None, 0.2, test_seeds="0-3")
q(_t, "h8 mean at the end", "nb03_digits", None, 0.05, test_seeds="0-3")
q(_t, "h8 saturated at the end", "nb03_digits", 0.9, None, test_seeds="0-3")
q(_t, "h1-h5 min mean", "nb03_digits", 0.35, None, test_seeds="0-3")
q(_t, "h1-h5 max mean", "nb03_digits", None, 0.65, test_seeds="0-3")
q(_t, "h1-h7 max saturated", "nb03_digits", None, 0.05, test_seeds="0-3")


@group("nb05_digits", 6)
def _nb05_digits(seed):
    from vanishing.experiments import init_scaling as I
    from vanishing.experiments import protocol

    kw = dict(seed=seed, progress=False)
    xa = I.digits_deep_run("xavier_normal", "relu", **kw)
    he = I.digits_deep_run("he_normal", "relu", **kw)
    tanh = I.digits_deep_run("xavier_normal", "tanh", **kw)
    out = {
        "Xavier+ReLU train acc": xa.final_train_acc,
        "|Xavier+ReLU loss - ln 10| (last 50)": abs(float(np.mean(xa.loss[-50:])) - np.log(10)),
        "He+ReLU train acc": he.final_train_acc,
        "He+ReLU loss (last 50)": float(np.mean(he.loss[-50:])),
        "Xavier+tanh train acc": tanh.final_train_acc,
    }
    X = protocol.depth_data("moons", 600, seed)[0].astype(np.float32)
    for init in ("xavier_normal", "he_normal"):
        _, model = I.deep_relu_run(
            init, steps=300, seed=seed, progress=False, telemetry_every=10**9, return_model=True
        )
        p = I.decision_boundary_grid(model, X)[2]
        out[f"moons {init}: spread of p"] = float(p.max() - p.min())
    return out


_t = F_D5 + "test_digits_30_layers_xavier_relu_stalls_he_relu_and_xavier_tanh_train"
q(_t, "Xavier+ReLU train acc", "nb05_digits", None, 0.2, test_seeds="0-3")
q(_t, "|Xavier+ReLU loss - ln 10| (last 50)", "nb05_digits", None, 0.02, test_seeds="0-3")
q(_t, "He+ReLU train acc", "nb05_digits", 0.6, None, test_seeds="0-3")
q(_t, "He+ReLU loss (last 50)", "nb05_digits", None, 1.0, test_seeds="0-3")
q(_t, "Xavier+tanh train acc", "nb05_digits", 0.9, None, test_seeds="0-3")
_t = F_D5 + "test_moons_xavier_net_has_no_boundary_he_net_has_one"
q(_t, "moons xavier_normal: spread of p", "nb05_digits", None, 0.01, log=True, test_seeds="0-3")
q(_t, "moons he_normal: spread of p", "nb05_digits", 0.9, None, test_seeds="0-3")


@group("nb06_digits", 6)
def _nb06_digits(seed):
    from vanishing.experiments import batchnorm as B

    plain = B.digits_sigmoid_run(False, seed=seed, progress=False)
    bn = B.digits_sigmoid_run(True, seed=seed, progress=False)
    return {
        "no BN: best train acc": float(plain.train_acc.max()),
        "no BN: loss (last 50)": float(np.mean(plain.loss[-50:])),
        "BN: train acc": bn.final_train_acc,
        "BN: loss (last 50)": float(np.mean(bn.loss[-50:])),
    }


_t = F_D6 + "test_digits_deep_sigmoid_net_trains_only_with_batch_norm"
q(_t, "no BN: best train acc", "nb06_digits", None, 0.2, test_seeds="0-3")
q(_t, "no BN: loss (last 50)", "nb06_digits", 2.2, None, test_seeds="0-3")
q(_t, "BN: train acc", "nb06_digits", 0.85, None, test_seeds="0-3")
q(_t, "BN: loss (last 50)", "nb06_digits", None, 1.0, test_seeds="0-3")


@group("nb07_digits", 6)
def _nb07_digits(seed):
    from vanishing.experiments import residual as S

    kw = dict(steps=300, progress=False, telemetry_every=10**9, eval_every=30)
    p, r = S.digits_run("plain", seed=seed, **kw), S.digits_run("residual", seed=seed, **kw)
    return {
        "plain best train/val acc": max(float(p.train_acc.max()), float(np.nanmax(p.val_acc))),
        "plain loss (last 50)": float(np.mean(p.loss[-50:])),
        "residual train acc": r.final_train_acc,
        "residual val acc": r.final_val_acc,
    }


_t = F_D7 + "test_plain_50_layer_sigmoid_net_stays_at_chance_on_digits"
q(_t, "plain best train/val acc", "nb07_digits", None, 0.2, test_seeds="0-3")
q(_t, "plain loss (last 50)", "nb07_digits", 2.0, None, test_seeds="0-3")
_t = F_D7 + "test_residual_50_layer_sigmoid_net_learns_digits"
q(_t, "residual train acc", "nb07_digits", 0.95, None, test_seeds="0-3")
q(_t, "residual val acc", "nb07_digits", 0.90, None, test_seeds="0-3")


# ------------------------------------------------------------------------------------------
# worker and report
# ------------------------------------------------------------------------------------------
def worker(seeds: int, only: str) -> dict:
    import threadpoolctl

    warnings.simplefilter("ignore")
    arch = sorted(
        {
            i.get("architecture", "?")
            for i in threadpoolctl.threadpool_info()
            if i.get("internal_api") == "openblas"
        }
    )
    values: dict[str, dict[str, list]] = {}
    t0 = time.perf_counter()
    wanted = {x.group for x in QUANTITIES for o in only.split(",") if o in x.test or o in x.group}
    for name, (fn, max_seeds) in GROUPS.items():
        if name not in wanted:
            continue
        per = values.setdefault(name, {})
        for seed in range(min(seeds, max_seeds)):
            for k, v in fn(seed).items():
                per.setdefault(k, []).append(float(v))
        print(f"  {name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return {"arch": arch, "values": values, "seconds": time.perf_counter() - t0}


def _distance(v: np.ndarray, x: Q) -> np.ndarray:
    """Signed distance of each value from the nearest bound (positive: inside)."""
    d = np.full(v.shape, np.inf)
    with np.errstate(all="ignore"):
        if x.lo is not None:
            d = np.minimum(d, np.log10(v / x.lo) if x.log else v - x.lo)
        if x.hi is not None:
            d = np.minimum(d, np.log10(x.hi / v) if x.log else x.hi - v)
    return np.where(np.isnan(d), -np.inf, d)


def _fmt(v: float, log: bool) -> str:
    if not np.isfinite(v):
        return "inf" if v > 0 else ("-inf" if v < 0 else "nan")
    if log or (v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e4)):
        return f"{v:.2g}"
    return f"{v:.3g}" if abs(v) >= 1 else f"{v:.3f}"


def _threshold(x: Q) -> str:
    lo = "" if x.lo is None else f"{_fmt(x.lo, x.log)} ≤ "
    hi = "" if x.hi is None else f" ≤ {_fmt(x.hi, x.log)}"
    core = f"{lo}v{hi}"
    if x.stat == "median":
        return f"median of {x.n} seeds: {core}"
    if x.stat == "k/n":
        return f"{x.k} of {x.n} seeds: {core}"
    return core


def _margin(x: Q, results: dict) -> tuple[float, str]:
    worst = np.inf
    for res in results.values():
        v = np.asarray(res["values"][x.group][x.name], dtype=np.float64)
        if x.stat == "each":
            worst = min(worst, float(_distance(v, x).min()))
        elif x.stat == "median":
            windows = [v[i : i + x.n] for i in range(0, max(1, len(v) - x.n + 1))]
            worst = min(
                worst, min(float(_distance(np.array([np.median(w)]), x)[0]) for w in windows)
            )
        else:
            ok = _distance(v, x) >= 0
            windows = [ok[i : i + x.n] for i in range(0, max(1, len(ok) - x.n + 1))]
            worst = min(worst, min(int(w.sum()) - x.k for w in windows))
    unit = "seeds" if x.stat == "k/n" else ("decades" if x.log else "")
    if x.exact:
        return worst, "exact" if worst >= 0 else "fails"
    if x.stat == "k/n":
        return worst, f"{int(worst)} seed{'s' * (abs(worst) != 1)}"
    return worst, f"{_fmt(worst, False)} {unit}".strip()


def report(results: dict, seeds: int) -> str:
    kernels = list(results)
    lines = [
        "# Science-test margins over seeds × OpenBLAS kernels",
        "",
        "Written by `bench/kernel_margins.py` (one fresh process per kernel, "
        "`OPENBLAS_CORETYPE` set before numpy loads, one BLAS thread). Each quantity is what a "
        "`@pytest.mark.science` test asserts, computed by the same calls, for up to "
        f"{seeds} seeds (the test runs the seeds in its column). Margin: the smallest distance "
        "from the threshold over all measured seeds × kernels (`each`), of the median over any "
        "window of n consecutive seeds (`median`), or passing seeds minus k (`k of n`); "
        "decades for ratios on a log scale. Capstone (notebook 09): bench/CAPSTONE-MARGINS.md.",
        "",
        "Kernels that really ran (threadpoolctl): "
        + ", ".join(
            f"{k} → {'/'.join(r['arch'])} ({r['seconds']:.0f} s)" for k, r in results.items()
        )
        + ".",
    ]
    if any(k != "/".join(r["arch"]) for k, r in results.items()):
        lines += [
            "",
            "A kernel name that maps to another architecture (e.g. Zen → Haswell) "
            "means this OpenBLAS build has no separate kernels for it: its results "
            "equal the other's.",
        ]
    lines += [
        "",
        "| test | quantity | test seeds | threshold | "
        + " | ".join(f"{k} min–max" for k in kernels)
        + " | margin |",
        "|---" * (5 + len(kernels)) + "|",
    ]
    short_margin = []
    for x in QUANTITIES:
        if not all(x.group in r["values"] for r in results.values()):
            continue
        cells = []
        for r in results.values():
            v = np.asarray(r["values"][x.group][x.name], dtype=np.float64)
            cells.append(f"{_fmt(np.nanmin(v), x.log)}–{_fmt(np.nanmax(v), x.log)} ({len(v)})")
        m, mtxt = _margin(x, results)
        if m < 0:
            mtxt = f"**{mtxt} (fails)**"
            short_margin.append(x)
        test = x.test.split("::")[1].removeprefix("test_")
        lines.append(
            f"| {x.test.split('::')[0]}::{test} | {x.name} | {x.test_seeds} | "
            f"{_threshold(x)} | " + " | ".join(cells) + f" | {mtxt} |"
        )
    lines += [
        "",
        f"{len(short_margin)} quantities outside their threshold somewhere."
        if short_margin
        else "Every quantity is inside its threshold for every measured seed × kernel.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--kernels", default=",".join(KERNELS))
    ap.add_argument(
        "--only", default="", help="substrings (comma-separated) of test or group names"
    )
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--json", default="", help="also keep the raw values here")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--from-json", default="", help="only write the table from saved values")
    ap.add_argument("--merge", default="", help="add the groups measured now to these values")
    a = ap.parse_args()
    if a.worker:
        json.dump(worker(a.seeds, a.only), sys.stdout)
        return
    if a.from_json:
        results = json.loads(Path(a.from_json).read_text())
    else:
        kernels = a.kernels.split(",")
        results, pending = {}, list(kernels)
        running: dict[str, subprocess.Popen] = {}
        while pending or running:
            while pending and len(running) < a.jobs:
                k = pending.pop(0)
                env = dict(
                    os.environ,
                    OPENBLAS_CORETYPE=k,
                    OPENBLAS_NUM_THREADS="1",
                    OMP_NUM_THREADS="1",
                    MPLBACKEND="Agg",
                )
                print(f"{k}: started", file=sys.stderr, flush=True)
                running[k] = subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "--worker",
                        "--seeds",
                        str(a.seeds),
                        "--only",
                        a.only,
                    ],
                    env=env,
                    stdout=subprocess.PIPE,
                    text=True,
                    cwd=ROOT,
                )
            for k, p in list(running.items()):
                if p.poll() is not None:
                    out, _ = p.communicate()
                    if p.returncode:
                        sys.exit(f"{k}: worker failed ({p.returncode})")
                    results[k] = json.loads(out)
                    print(f"{k}: done in {results[k]['seconds']:.0f} s", file=sys.stderr)
                    del running[k]
            time.sleep(0.5)
        results = {k: results[k] for k in kernels}
        if a.merge:
            old = json.loads(Path(a.merge).read_text())
            for k, r in results.items():
                if k in old:
                    old[k]["values"].update(r["values"])
                    old[k]["seconds"] += r["seconds"]
                else:
                    old[k] = r
            results = old
        if a.json:
            Path(a.json).write_text(json.dumps(results))
    Path(a.out).write_text(report(results, a.seeds))
    print(f"wrote {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
