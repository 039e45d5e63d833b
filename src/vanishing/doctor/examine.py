"""Examining a model on one batch, and a training History (measurements, then the checks)."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from .. import telemetry as T
from ..functional import norm
from ..nn import BatchNorm1d, Module, Residual
from . import checks as K
from . import curriculum as C
from .render import span
from .report import Finding
from .rules import CHECKS, EARLY_FRACTION, SCALE_MOVED, SCALE_TARGET, TRIAL_STEPS


def _f64(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def nanmedian(a: np.ndarray, axis=0) -> np.ndarray:
    """Column medians over the finite entries (``nan`` for a column with none)."""
    a = np.asarray(a, dtype=np.float64)
    if a.size == 0:
        return np.full(a.shape[1] if a.ndim == 2 else 0, np.nan)
    out = np.full(a.shape[1], np.nan)
    for k in range(a.shape[1]):
        col = a[:, k][np.isfinite(a[:, k])]
        if col.size:
            out[k] = np.median(col)
    return out


# --- the context: what the model is made of ------------------------------------------------
def _plain_hidden(model: Module) -> list[Module]:
    """Hidden-to-hidden Linear layers (not the first, not the last) of a plain stack."""
    lin = [m for _, m in T.named_linear_layers(model)]
    return lin[1:-1]


def context(model: Module | None, kinds, n_linear: int, lr, optimizer=None) -> C.Context:
    ctx = C.Context(kinds=set(kinds), depth=n_linear, lr=lr)
    if optimizer is not None:
        ctx.optimizer = type(optimizer).__name__.lower()
    if model is None:
        return ctx
    mods = list(model.modules())
    ctx.batchnorm = any(isinstance(m, BatchNorm1d) for m in mods)
    ctx.residual = any(isinstance(m, Residual) for m in mods)
    lin = [m for _, m in T.named_linear_layers(model)]
    scales = []
    with np.errstate(all="ignore"):
        for m in lin:
            W = m.params["W"]
            ctx.dtype = str(W.dtype)
            scales.append(float(np.std(_f64(W))) * math.sqrt(W.shape[0]))
        biases = [float(np.median(_f64(m.params["b"]))) for m in lin[:-1]]
    if scales:
        ctx.weight_scale = float(np.median(scales[1:-1] if len(scales) > 2 else scales))
    ctx.hidden_bias = min(biases, default=0.0)
    target = SCALE_TARGET.get(ctx.activation, math.sqrt(2))
    if not (ctx.batchnorm or ctx.residual) and len(scales) > 2:
        hidden = [s for s in scales[1:-1] if s > 0 and np.isfinite(s)]
        ctx.scale_orders = float(sum(math.log10(s / target) for s in hidden))
    return ctx


def _symmetric_layers(model: Module) -> tuple[list[int], bool]:
    """Hidden Linear layers whose units all share the same weights and bias."""
    lin = [m for _, m in T.named_linear_layers(model)][:-1]
    out, zero = [], True
    for i, m in enumerate(lin):
        W, b = m.params["W"], m.params["b"]
        if W.shape[1] > 1 and np.all(W == W[:, :1]) and np.all(b == b[0]):
            out.append(i)
            zero = zero and not np.any(W)
    return out, zero and bool(out)


# --- non-finite values on a batch ----------------------------------------------------------
def _layer_label(model: Module, name: str) -> str:
    for i, (n, _) in enumerate(T.named_linear_layers(model)):
        if n == name:
            return f"Linear layer {i + 1} ('{name}')"
    for j, (n, m) in enumerate(T.activation_layers(model)):
        if n == name:
            return f"activation layer {j + 1} ({m.name}, '{name}')"
    return f"layer '{name}'"


def _nonfinite_batch(model: Module, X, loss_value, ctx) -> list[Finding]:
    advice = C.nonfinite_advice(ctx)

    def one(where, layers, summary, adv=advice):
        return K.make("nonfinite", None, 1.0, where, layers, summary, adv, {}, severity="critical")

    if not np.all(np.isfinite(X)):
        bad = ("bad data", "clean or normalise the inputs", (), {"normalise_inputs": True})
        return [one("the input batch", ["input"], "the input X itself holds nan or inf", bad)]
    lin = T.named_linear_layers(model)
    bad_w = [n for n, m in lin if not all(np.all(np.isfinite(p)) for p in m.params.values())]
    if bad_w:
        return [one(_layer_label(model, bad_w[0]), bad_w,
                    f"the weights themselves hold nan/inf, first in "
                    f"{_layer_label(model, bad_w[0])} ({len(bad_w)} layers affected): training "
                    "has already diverged")]  # fmt: skip
    for n, m in model.named_modules():
        if not any(True for _ in m.children()) and m.output is not None:
            if not np.all(np.isfinite(m.output)):
                return [one(_layer_label(model, n), [n],
                            "the forward pass overflows: the first nan/inf appears in the "
                            f"output of {_layer_label(model, n)}")]  # fmt: skip
    if not np.isfinite(loss_value):
        return [one("the loss", ["loss"], f"the loss is {loss_value} although every activation "
                    "is finite")]  # fmt: skip
    bad_g = [i for i, (_, m) in enumerate(lin) if not np.all(np.isfinite(m.grads["W"]))]
    if bad_g:
        where = span(bad_g, "Linear layer", len(lin))
        summary = (
            f"the backward pass overflows: gradients hold nan/inf from Linear layer "
            f"{max(bad_g) + 1} (where backprop meets it first) down to the input"
        )
        return [one(where, [lin[i][0] for i in bad_g], summary)]
    return []


# --- one batch -----------------------------------------------------------------------------
def _trial_steps(model: Module, X, y, loss: str, lr: float, optimizer, k: int = TRIAL_STEPS):
    """The batch losses over ``k`` steps of a fresh copy of the optimiser on a copy of the
    model (full batch, the same batch every step); stops at the first non-finite loss."""
    from .. import optim

    twin = copy.deepcopy(model)
    if optimizer is not None and type(optimizer).__name__ == "Adam":
        opt = optim.Adam(twin, lr=lr, betas=optimizer.betas, eps=optimizer.eps)
    else:
        opt = optim.SGD(twin, lr=lr)
    out = []
    with np.errstate(all="ignore"):
        for _ in range(k + 1):
            try:
                value = float(T.forward_backward(twin, X, y, loss))
            except (FloatingPointError, ValueError):
                value = float("nan")
            out.append(value)
            if not np.isfinite(value):
                break
            opt.step()
    return out


def weights_moved(h) -> bool:
    """Whether training, as a History recorded it, can have moved the weights' scale: the
    median update ratio summed over the steps reaches :data:`~.rules.SCALE_MOVED` (a run
    that diverged, or recorded no update ratios, counts as moved)."""
    U = np.asarray(h.update_ratio, dtype=np.float64)
    if h.nan_step is not None or U.size == 0 or not np.all(np.isfinite(U)):
        return True
    return float(np.mean(np.median(U, axis=1))) * max(int(h.steps), 1) >= SCALE_MOVED


def initial_scale_from_history(h, ctx: C.Context) -> bool:
    """Read the initial weight scale of a trained plain ReLU-family stack from the History's
    first record (the network before its first step): with He's scale every layer keeps the
    activations' std, so ``log10`` of the last activation layer's std over the first's is
    the scale orders :math:`\\sum_l \\log_{10}(s_l/s^*)` of the hidden-to-hidden layers. Sets
    ``ctx.scale_orders``, marks the scale as the initial one and returns True when it could."""
    if ctx.batchnorm or ctx.residual or not ctx.kinds or not np.size(h.act_std):
        return False
    if any(SCALE_TARGET.get(k, 0.0) != SCALE_TARGET["relu"] for k in ctx.kinds):
        return False  # saturating units squash the std: it does not follow the scale
    std0 = np.asarray(h.act_std, dtype=np.float64)[0]
    if len(std0) < 3 or not (np.all(np.isfinite(std0)) and np.all(std0 > 0)):
        return False
    ctx.scale_orders = float(np.log10(std0[-1] / std0[0]))
    ctx.weight_scale = float("nan")  # the weights as examined are not the initial ones
    ctx.trained = False
    return True


def explained_by_scale(findings: list[Finding], ctx: C.Context) -> list[Finding]:
    """Drop the symptoms of initial weights far too small (``ctx.too_small``): the signal
    dies out before the deep layers, so their ReLUs are switched by the biases alone and
    die as training nudges the biases, and every update is as tiny as the gradient. The
    weight scale is the finding (unless large negative biases kill the units themselves)."""
    if not ctx.too_small:
        return findings
    drop = {"update_ratio_low"} | ({"dead_units"} if ctx.hidden_bias >= -0.5 else set())
    return [f for f in findings if f.code not in drop]


def explained(findings: list[Finding]) -> list[Finding]:
    """Drop the symptoms that a root cause on the same report explains."""
    codes = {f.code for f in findings}
    dead = any(f.code == "dead_units" and f.severity == "critical" for f in findings)
    inputs = "input_scale" in codes
    exploding = "exploding" in codes
    vanishing = "vanishing" in codes
    out = []
    for f in findings:
        if f.code == "vanishing" and dead:
            continue  # no gradient passes a dead layer: the dead units are the finding
        if inputs and ("std_ratio" in f.numbers or "grad_over_weight" in f.numbers):
            continue  # ratios to the first layer and gradients vs weights scale with X
        if f.code == "update_ratio_high" and "losses" in f.numbers and (inputs or exploding):
            continue  # huge gradients diverge at any usual step size: fix them first
        ratio = np.asarray(f.numbers.get("update_ratio", [np.nan]), dtype=np.float64)
        if f.code == "update_ratio_low" and dead and np.all(ratio == 0):
            continue  # exactly 0 is no gradient at all (a dead layer), at any step size
        if (
            f.code == "update_ratio_low"
            and vanishing
            and ratio[-1] > CHECKS["update_ratio_low"].warn
        ):
            continue  # the step size is right where the gradient arrives: it vanishes below
        out.append(f)
    return out


def examine_batch(model: Module, X, y, loss: str, lr, optimizer, trained=False):
    X = np.asarray(X)
    lin = T.named_linear_layers(model)
    acts = T.activation_layers(model)
    lin_names = [n for n, _ in lin]
    act_names = [n for n, _ in acts]
    kinds = [m.name for _, m in acts]
    if optimizer is not None and lr is None:
        lr = float(optimizer.lr)
    ctx = context(model, kinds, len(lin), lr, optimizer)
    ctx.trained = trained
    with np.errstate(all="ignore"):
        try:
            loss_value = float(T.forward_backward(model, X, y, loss))
        except FloatingPointError:
            loss_value = float("nan")
        # float64 copies: float32 sums of squares overflow long before the values do
        g = np.array([norm(_f64(m.grads["W"])) for _, m in lin])
        w = np.array([norm(_f64(m.params["W"])) for _, m in lin])
        rel = np.where(w > 0, g / np.where(w > 0, w, 1), np.inf)
        outs = [m.output for _, m in acts]
        std = np.array([T.mean_std(_f64(o))[1] for o in outs])
        sat = np.array([T.saturated_fraction(o, k) for o, k in zip(outs, kinds, strict=True)])
        dead = np.array([T.dead_fraction(o, k) for o, k in zip(outs, kinds, strict=True)])
        rms = float(np.sqrt(np.mean(np.square(_f64(X))))) if X.size else float("nan")
        upd = None
        if lr is not None:
            if optimizer is not None and type(optimizer).__name__ == "Adam":
                sizes = np.array([np.sqrt(m.params["W"].size) for _, m in lin])
                upd = lr * sizes / np.where(w > 0, w, np.nan)
            else:
                upd = lr * rel
    findings = _nonfinite_batch(model, X, loss_value, ctx)
    if not findings:
        findings += K.input_findings(rms, ctx)
        sym, zero = _symmetric_layers(model)
        findings += K.symmetry_findings(sym, zero, lin_names, len(lin), ctx)
        out_zero = len(lin) > 0 and not np.any(lin[-1][1].params["W"])
        if not sym and not out_zero:
            # a zero output layer (a common choice) sends no gradient back at step 0: the
            # profile over depth says nothing until it has moved
            lr_high = upd is not None and bool(
                np.nanmax(upd) > K.CHECKS["update_estimate_high"].warn
            )
            findings += K.depth_findings(g, lin_names, ctx, lr_high=lr_high)
            findings += K.relative_findings(rel, lin_names, ctx)
        if not sym:
            findings += K.signal_findings(std, act_names, kinds, ctx)
            findings += K.saturation_findings(sat, act_names, kinds, ctx)
            findings += K.dead_findings(dead, act_names, ctx)
            if not trained:  # a trained model's scale is not its initial scale
                findings += K.init_scale_findings(ctx, lin_names[1:-1])
        if upd is not None and not out_zero:
            findings += K.update_findings(upd, lin_names, ctx, estimate=True)
        if lr is not None and np.isfinite(loss_value):
            trial = _trial_steps(model, X, y, loss, lr, optimizer)
            usual = 1e-3 if ctx.optimizer == "adam" else 0.1
            # the loss standing still is the step size's fault only if the usual step size
            # moves it (a dead or symmetric net stands still at any step size)
            reference = _trial_steps(model, X, y, loss, usual, optimizer) if lr < usual else None
            findings += K.step_findings(trial, ctx, reference)
        findings = explained(explained_by_scale(findings, ctx))
    report_kw: dict[str, Any] = dict(
        source=f"one batch of {len(X)} examples ({model.mode} mode), {len(lin)} Linear and "
        f"{len(acts)} activation layers" + (f", lr = {lr:g}" if lr is not None else ""),
        linear_names=lin_names, act_names=act_names, act_kinds=kinds, grad_norm=g,
        rel_grad=rel, update_ratio=upd, act_std=std, saturated=sat, dead=dead, loss=loss_value,
    )  # fmt: skip
    return findings, report_kw, ctx


# --- a History -----------------------------------------------------------------------------
def _history_nonfinite(h, names, kinds, act_names, steps, G, ctx) -> list[Finding]:
    bad_rows = [r for r in range(len(G)) if not np.all(np.isfinite(G[r]))]
    if h.nan_step is None and not bad_rows:
        return []
    if bad_rows:
        r = bad_rows[0]
        cols = [i for i in range(G.shape[1]) if not np.isfinite(G[r, i])]
        step = int(steps[r])
        where = span(cols, "Linear layer", G.shape[1])
        summary = f"gradients became nan/inf at step {step} in {where}" + (
            f"; the loss became {h.loss[h.nan_step]} at step {h.nan_step}"
            if h.nan_step is not None
            else ""
        )
        layers = [names[i] for i in cols]
    else:
        step = int(h.nan_step)
        A = np.asarray(h.act_mean)
        last = A[-1] if len(A) else np.empty(0)
        where, layers = "the loss", ["loss"]
        summary = f"the loss became {h.loss[h.nan_step]} at step {step} and training stopped"
        if len(last) and not np.all(np.isfinite(last)):
            j = int(np.argmax(~np.isfinite(last)))
            where = f"activation layer {j + 1} ({kinds[j]})"
            summary += f"; the last record already had nan/inf activations from {where}"
            layers = [act_names[j]]
        elif len(G) >= 2 and np.all(G[0] > 0):
            ratio = G[-1] / G[0]
            if np.all(np.isfinite(ratio)) and np.max(ratio) > 10:
                summary += (
                    f"; by the last recorded step (step {int(steps[-1])}) the gradient norms "
                    f"had grown up to {np.max(ratio):.3g}-fold"
                )
    advice = C.nonfinite_advice(ctx, diverged=True)
    return [K.make("nonfinite", None, 1.0, where, layers, summary, advice,
                   {"nan_step": h.nan_step}, step, severity="critical")]  # fmt: skip


def examine_history(h, ctx: C.Context) -> tuple[list[Finding], dict[str, Any]]:
    names = list(h.linear_names)
    act_names, kinds = list(h.act_names), list(h.act_kinds)
    steps = np.asarray(h.telemetry_steps)
    G = np.asarray(h.grad_norm, dtype=np.float64)
    findings = _history_nonfinite(h, names, kinds, act_names, steps, G, ctx)
    U = np.asarray(h.update_ratio, dtype=np.float64)
    early = max(1, math.ceil(len(U) * EARLY_FRACTION))
    ratio_med = nanmedian(U[:early]) if U.size else None
    lr_high = ratio_med is not None and bool(
        np.nanmax(ratio_med, initial=0) > K.CHECKS["update_ratio_high"].warn
    )
    if len(G):
        # exploding during training: the total gradient norm against the larger of its first
        # finite record and its median (a converged run's gradients rightly shrink by decades;
        # a net that starts with vanished gradients rightly grows them from its first record)
        with np.errstate(all="ignore"):
            total = np.sqrt(np.sum(np.square(G), axis=1))
            fin = total[np.isfinite(total) & (total > 0)]
            ref = max(fin[0], float(np.median(fin))) if fin.size else np.nan
            growth = total / ref if fin.size else np.full(len(total), np.nan)
        over = K.fired("training_growth", growth)
        if over:
            worst = float(np.nanmax(growth[np.isfinite(growth)]))
            findings.append(K.make(
                "exploding", "training_growth", worst, "all Linear layers (total norm)", names,
                f"the total gradient norm reached {growth[over[0]]:.3g} times its early level "
                f"at step {int(steps[over[0]])} (up to {worst:.3g} times)",
                C.exploding_advice(ctx, lr_high), {"growth": worst}, int(steps[over[0]]),
            ))  # fmt: skip
        finite_rows = [r for r in range(len(G)) if np.all(np.isfinite(G[r]))]
        if finite_rows:
            findings += K.depth_findings(nanmedian(G[finite_rows]), names, ctx, lr_high=lr_high)
    if np.size(h.act_std):
        first_step = int(steps[0]) if len(steps) else None
        findings += K.signal_findings(np.asarray(h.act_std)[0], act_names, kinds, ctx, first_step)
        findings += K.saturation_findings(nanmedian(h.saturated), act_names, kinds, ctx)
        dead = np.asarray(h.dead)
        change = dead[-1] - dead[0] if len(dead) > 1 else np.empty(0)
        change = change[np.isfinite(change)]  # a layer with no units recorded is nan
        grew = bool(change.size) and bool(change.max() > 0.3)
        last = int(steps[-1]) if len(steps) else None
        findings += K.dead_findings(dead[-1], act_names, ctx, last, during_training=grew)
    if ratio_med is not None:
        findings += K.update_findings(ratio_med, names, ctx, estimate=False)
    numbers = {
        "grad_norm": nanmedian(G) if len(G) else np.empty(0),
        "update_ratio": ratio_med,
        "act_std": np.asarray(h.act_std)[0] if np.size(h.act_std) else np.empty(0),
        "saturated": nanmedian(h.saturated) if np.size(h.saturated) else np.empty(0),
        "dead": np.asarray(h.dead)[-1] if np.size(h.dead) else np.empty(0),
    }
    return findings, numbers
