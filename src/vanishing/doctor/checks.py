"""The checks, on plain arrays (shared by the batch and History paths).

Every function returns a list of :class:`~vanishing.doctor.report.Finding`; thresholds come from
:data:`vanishing.doctor.rules.CHECKS` only, advice from :mod:`vanishing.doctor.curriculum`.
"""

from __future__ import annotations

import numpy as np

from . import curriculum as C
from .render import span
from .report import Finding
from .rules import CHECKS, UPDATE_REFERENCE


def make(code: str, check: str | None, worst: float, where, layers, summary, advice,
         numbers, step=None, severity: str | None = None) -> Finding:  # fmt: skip
    """A finding whose severity is its check's verdict on ``worst``."""
    cause, fix, nbs, remedy = advice
    sev = severity or CHECKS[check].severity(worst)
    return Finding(code, sev, where, tuple(layers), summary, cause, fix, nbs, numbers, step, remedy)


def fired(check: str, values) -> list[int]:
    c = CHECKS[check]
    return [i for i, v in enumerate(values) if np.isfinite(v) and c.fires(v)]


def depth_findings(g, names, ctx: C.Context, step=None, lr_high=False) -> list[Finding]:
    """Vanishing / exploding from the gradient-norm profile over depth (vs the last layer)."""
    L = len(g)
    if L < 2 or not np.all(np.isfinite(g)) or g[-1] <= 0:
        return []
    with np.errstate(all="ignore"):
        r = np.log10(g / g[-1])[:-1]
    out = []
    low = [i for i in range(L - 1) if g[i] == 0 or CHECKS["grad_orders_low"].fires(r[i])]
    if low:
        zero = bool(np.any(g[:-1] == 0))
        worst = float(np.nanmin(np.where(g[:-1] > 0, r, np.nan))) if not zero else -np.inf
        first = max(low) + 1  # counted from the output side, where it starts
        worst_txt = "exactly zero" if zero else f"10^{worst:.1f} times the last layer's"
        out.append(make(
            "vanishing", "grad_orders_low", worst, span(low, "Linear layer", L),
            [names[i] for i in low],
            f"gradients vanish from Linear layer {first} down to the input: {len(low)} of {L} "
            f"layers get a gradient ≥ 10^{-CHECKS['grad_orders_low'].warn:g} times smaller than "
            f"the last layer's; the smallest is {worst_txt}",
            C.vanishing_advice(ctx, zero),
            {"orders_vs_last": [float(x) for x in r], "worst_orders": worst, "from_layer": first},
            step,
        ))  # fmt: skip
    high = fired("grad_orders_high", r)
    if high:
        worst = float(np.nanmax(r))
        out.append(make(
            "exploding", "grad_orders_high", worst, span(high, "Linear layer", L),
            [names[i] for i in high],
            f"gradients grow towards the input: Linear layer {min(high) + 1} gets "
            f"10^{r[min(high)]:.1f} times the last layer's gradient (largest 10^{worst:.1f})",
            C.exploding_advice(ctx, lr_high),
            {"orders_vs_last": [float(x) for x in r], "worst_orders": worst}, step,
        ))  # fmt: skip
    return out


def relative_findings(rel, names, ctx: C.Context) -> list[Finding]:
    big = fired("grad_over_weight", rel)
    if not big:
        return []
    worst = float(np.max(rel[big]))
    return [make(
        "exploding", "grad_over_weight", worst, span(big, "Linear layer", len(rel)),
        [names[i] for i in big],
        f"gradients are huge compared with the weights from Linear layer {big[0] + 1}: "
        f"‖dW‖/‖W‖ up to {worst:.3g} (≥ {CHECKS['grad_over_weight'].warn:g}: even lr = 1e-3 "
        "would change the weights by more than 100 % in one step)",
        C.exploding_advice(ctx, False),
        {"grad_over_weight": [float(x) for x in rel], "worst": worst},
    )]  # fmt: skip


def signal_findings(std, names, kinds, ctx: C.Context, step=None) -> list[Finding]:
    """Forward signal dying out or blowing up with depth (activation std vs the first)."""
    A = len(std)
    if A < 2 or not np.all(np.isfinite(std)) or std[0] <= 0:
        return []
    ratio = std / std[0]
    out = []
    small = [j for j in fired("signal_decay", ratio) if j > 0]
    if small:
        worst = float(ratio[small].min())
        out.append(make(
            "vanishing", "signal_decay", worst, span(small, "activation layer", A),
            [names[j] for j in small],
            f"the forward signal dies out: from activation layer {small[0] + 1} on, the "
            f"activations' std is ≤ {CHECKS['signal_decay'].warn:g} times the first layer's "
            f"(smallest {worst:.2e}); the output barely depends on the input, so the "
            "gradients carry little information",
            C.vanishing_advice(ctx, worst == 0),
            {"std_ratio": [float(x) for x in ratio], "worst": worst}, step,
        ))  # fmt: skip
    big = [j for j in fired("signal_growth", ratio) if j > 0]
    if big:
        worst = float(ratio[big].max())
        out.append(make(
            "exploding", "signal_growth", worst, span(big, "activation layer", A),
            [names[j] for j in big],
            f"activations explode with depth: from activation layer {big[0] + 1} on their std "
            f"is ≥ {CHECKS['signal_growth'].warn:g} times the first layer's (largest {worst:.2e})",
            C.exploding_advice(ctx, False),
            {"std_ratio": [float(x) for x in ratio], "worst": worst}, step,
        ))  # fmt: skip
    return out


def saturation_findings(sat, names, kinds, ctx: C.Context, step=None) -> list[Finding]:
    idx = fired("saturated", sat)
    if not idx:
        return []
    worst = float(np.max(sat[idx]))
    which = "/".join(sorted({kinds[j] for j in idx}))
    return [make(
        "saturation", "saturated", worst, span(idx, "activation layer", len(sat)),
        [names[j] for j in idx],
        f"{len(idx)} of {len(sat)} activation layers are saturated: up to {100 * worst:.0f} % "
        f"of outputs in the flat tails (threshold {100 * CHECKS['saturated'].warn:.0f} %)",
        C.saturation_advice(ctx, which),
        {"saturated": [float(x) for x in sat], "worst": worst}, step,
    )]  # fmt: skip


def dead_findings(dead, names, ctx: C.Context, step=None, during_training=False):
    idx = fired("dead", dead)
    if not idx:
        return []
    worst = float(np.max(dead[idx]))
    return [make(
        "dead_units", "dead", worst, span(idx, "activation layer", len(dead)),
        [names[j] for j in idx],
        f"{len(idx)} of {len(dead)} activation layers are mostly dead: up to "
        f"{100 * worst:.0f} % of units never fire on this batch (threshold "
        f"{100 * CHECKS['dead'].warn:.0f} %)",
        C.dead_advice(ctx, during_training),
        {"dead": [float(x) for x in dead], "worst": worst}, step,
    )]  # fmt: skip


def update_findings(ratio, names, ctx: C.Context, *, estimate: bool) -> list[Finding]:
    hi_check = "update_estimate_high" if estimate else "update_ratio_high"
    lo_check = "update_estimate_low" if estimate else "update_ratio_low"
    how = "estimated for the first step" if estimate else "median over the early records"
    lr = f" (lr = {ctx.lr:g})" if ctx.lr else ""
    out = []
    L = len(ratio)
    if estimate and ctx.optimizer == "adam":
        hi_check = "adam_step"  # Adam's first step is about lr per weight: no slack needed
    high = fired(hi_check, ratio) if not estimate or hi_check == "adam_step" else []
    if high:
        worst = float(np.max(ratio[high]))
        out.append(make(
            "update_ratio_high", hi_check, worst, span(high, "Linear layer", L),
            [names[i] for i in high],
            f"updates are too large{lr}: ‖ΔW‖/‖W‖ up to {worst:.3g} ({how}), against the rule "
            f"of thumb {UPDATE_REFERENCE:g} (threshold {CHECKS[hi_check].warn:g})",
            C.update_high_advice(ctx),
            {"update_ratio": [float(x) for x in ratio], "worst": worst},
        ))  # fmt: skip
    low = fired(lo_check, ratio)
    # too small in most layers: the step size; a few low layers are the vanishing
    # gradient's symptom, reported as such
    if estimate:
        low = []  # on one batch the trial steps measure it (step_findings)
    if low and CHECKS[lo_check].fires(float(np.nanmedian(ratio))):
        worst = float(np.min(ratio[low]))
        out.append(make(
            "update_ratio_low", lo_check, worst, span(low, "Linear layer", L),
            [names[i] for i in low],
            f"updates are too small{lr}: ‖ΔW‖/‖W‖ down to {worst:.3g} ({how}), against the "
            f"rule of thumb {UPDATE_REFERENCE:g} (threshold {CHECKS[lo_check].warn:g}); these "
            "layers barely learn",
            C.update_low_advice(ctx),
            {"update_ratio": [float(x) for x in ratio], "worst": worst},
        ))  # fmt: skip
    return out


def step_findings(losses: list[float], ctx: C.Context, reference=None) -> list[Finding]:
    """Trial steps on one batch: the median loss of the second half against the first loss
    (a good step size may overshoot once, but it comes back down and stays down)."""
    before = losses[0]
    half = losses[1 + len(losses) // 2 :] or losses[1:]
    after = float(np.median(half)) if half and all(np.isfinite(losses)) else float("nan")
    rise = after / before if np.isfinite(after) and before > 0 else np.inf
    if not CHECKS["step_loss_rise"].fires(rise):
        return _still(losses, ctx, reference)
    lr = f" (lr = {ctx.lr:g}, {ctx.optimizer})" if ctx.lr else ""
    k = len(losses) - 1
    txt = (f"turns non-finite at step {k}" if not np.isfinite(rise)
           else f"stays ≥ {rise:.3g} times its first value")  # fmt: skip
    return [make(
        "update_ratio_high", "step_loss_rise", float(rise), "all Linear layers", ["step"],
        f"the steps are too long{lr}: over {k} trial steps on this batch its loss {txt} "
        f"(from {before:.3g}; threshold ×{CHECKS['step_loss_rise'].warn:g})",
        C.update_high_advice(ctx),
        {"losses": [float(v) for v in losses], "worst": float(rise)},
    )]  # fmt: skip


def _change(losses: list[float]) -> float:
    before = losses[0]
    return max(abs(v - before) for v in losses[1:]) / before if before > 0 else np.nan


def _still(losses: list[float], ctx: C.Context, reference=None) -> list[Finding]:
    """Trial steps that do not move the loss, where the usual step size (the ``reference``
    trial) does: the steps are too short."""
    change = _change(losses)
    if reference is None or not (np.isfinite(change) and CHECKS["step_loss_change"].fires(change)):
        return []
    moved = _change(reference)
    if not (np.isfinite(moved) and not CHECKS["step_loss_change"].fires(moved)):
        return []
    lr = f" (lr = {ctx.lr:g}, {ctx.optimizer})" if ctx.lr else ""
    return [make(
        "update_ratio_low", "step_loss_change", float(change), "all Linear layers", ["step"],
        f"the steps are too short{lr}: over {len(losses) - 1} trial steps on this batch the "
        f"loss changes by {change:.2g} of its value (threshold "
        f"{CHECKS['step_loss_change'].warn:g}), where the usual step size changes it by "
        f"{moved:.2g}",
        C.update_low_advice(ctx),
        {"losses": [float(v) for v in losses], "worst": float(change), "usual": float(moved)},
    )]  # fmt: skip


def input_findings(rms: float, ctx: C.Context) -> list[Finding]:
    for check in ("input_rms_high", "input_rms_low"):
        if np.isfinite(rms) and CHECKS[check].fires(rms):
            return [make(
                "input_scale", check, rms, "the input batch", ["input"],
                f"the inputs are not standardised: their root mean square is {rms:.3g} "
                f"(threshold {CHECKS[check].warn:g}; standardised inputs have 1)",
                C.input_advice(ctx, rms), {"input_rms": rms, "worst": rms},
            )]  # fmt: skip
    return []


def symmetry_findings(sym: list[int], zero: bool, names, n_linear, ctx) -> list[Finding]:
    if not sym:
        return []
    return [make(
        "symmetry", None, 1.0, span(sym, "Linear layer", n_linear), [names[i] for i in sym],
        f"the units of {span(sym, 'Linear layer', n_linear)} are identical: every unit of "
        f"a layer has the same weights and bias{' (all zero)' if zero else ''}",
        C.symmetry_advice(ctx, zero), {"layers": [i + 1 for i in sym]}, severity="critical",
    )]  # fmt: skip


def init_scale_findings(ctx: C.Context, names_used) -> list[Finding]:
    if not CHECKS["scale_orders"].fires(abs(ctx.scale_orders)):
        return []
    worst = abs(ctx.scale_orders)
    way = "shrink" if ctx.scale_orders < 0 else "grow"
    return [make(
        "init_scale", "scale_orders", worst, "hidden-to-hidden Linear layers", names_used,
        f"the initial weights {way} the signal by 10^{worst:.1f} over the plain stack: "
        + (
            f"std(W)·√fan_in = {ctx.weight_scale:.3g} against {ctx.target_scale:.3g} for "
            if np.isfinite(ctx.weight_scale)
            else "read from the activations' std at the first record of the History, for "
        )
        + f"{ctx.activation} (threshold 10^{CHECKS['scale_orders'].warn:g})",
        C.init_scale_advice(ctx),
        {"scale_orders": ctx.scale_orders, "weight_scale": ctx.weight_scale, "worst": worst},
    )]  # fmt: skip
