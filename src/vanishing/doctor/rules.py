r"""The doctor's rules as data: one table of checks, one table of findings.

:data:`CHECKS` has one row per measured quantity: the finding code it raises, its warning and
critical thresholds and the direction in which values are bad. :data:`FINDINGS` has one row
per code: its title and the curriculum notebooks that teach the cause and the fix (keys of
:data:`vanishing.doctor.curriculum.NOTEBOOKS`). The check functions in
:mod:`vanishing.doctor.checks` read their thresholds from here only, and a finding's severity is
always :meth:`Check.severity` of its worst value. Report order is the order of
:data:`FINDINGS`: root causes before the symptoms they explain, except that ``init_scale``
follows the ``exploding``/``vanishing`` symptom it explains.

Notation: ``g_l`` is the weight-gradient norm :math:`\|\partial L/\partial W_l\|_F` of Linear
layer ``l`` (``g_L`` the output layer's); "orders" are :math:`\log_{10}` ratios;
:math:`s_l = \mathrm{std}(W_l)\sqrt{\mathit{fan\_in}}` is a layer's weight scale and
:math:`s^*` the scale that keeps the signal's variance for the activation (He et al. 2015:
:math:`\sqrt 2` for the ReLU family; Glorot & Bengio 2010: 1 for tanh, and the course uses
Xavier for sigmoid too).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """One measured quantity: ``code`` fires past ``warn``; ``critical`` past ``critical``."""

    code: str
    name: str
    warn: float
    critical: float
    direction: str  # "above": large values are bad; "below": small values are bad
    measure: str

    def fires(self, value: float) -> bool:
        return value >= self.warn if self.direction == "above" else value <= self.warn

    def severity(self, value: float) -> str:
        hit = value >= self.critical if self.direction == "above" else value <= self.critical
        return "critical" if hit else "warning"


@dataclass(frozen=True)
class FindingKind:
    code: str
    title: str
    notebooks: tuple[str, ...]


_FINDINGS = (
    FindingKind("nonfinite", "non-finite values (nan/inf)", ("02", "05", "08")),
    FindingKind("input_scale", "unnormalised inputs", ("02", "06")),
    FindingKind("symmetry", "symmetric (identical) units", ("02", "05")),
    FindingKind("exploding", "exploding gradients", ("02", "05", "08")),
    FindingKind("dead_units", "dead units", ("03", "04", "05", "06")),
    FindingKind("saturation", "saturated units", ("01", "02", "05", "06")),
    FindingKind("vanishing", "vanishing gradients", ("01", "04", "05", "06", "07")),
    FindingKind("init_scale", "weight scale wrong for the activation", ("02", "05")),
    FindingKind("update_ratio_high", "updates too large", ("03", "08")),
    FindingKind("update_ratio_low", "updates too small", ("03",)),
)
#: Every kind of finding by code, in report order.
FINDINGS: dict[str, FindingKind] = {k.code: k for k in _FINDINGS}
#: The fixed set of finding codes, in report order.
CODES: tuple[str, ...] = tuple(FINDINGS)
SEVERITIES: tuple[str, ...] = ("critical", "warning")
SEVERITY_RANK = {"critical": 0, "warning": 1}

_CHECKS = (
    Check("input_scale", "input_rms_high", 20.0, 200.0, "above",
          "root mean square of the input batch X (standardised inputs: 1)"),
    Check("input_scale", "input_rms_low", 0.02, 2e-3, "below", "the same, too small"),
    Check("exploding", "grad_orders_high", 3.0, 6.0, "above", "max_l log10(g_l / g_L)"),
    Check("exploding", "grad_over_weight", 1e3, 1e4, "above",
          "g_l / ||W_l||_F: even lr = 1e-3 would move the weights by 100 %"),
    Check("exploding", "signal_growth", 1e3, 1e5, "above",
          "an activation layer's std / the first activation layer's"),
    Check("exploding", "training_growth", 1e3, 1e6, "above",
          "History: total gradient norm / max(its first finite record, its median)"),
    Check("dead_units", "dead", 0.7, 0.95, "above",
          "fraction of a ReLU-family layer's units never positive on the batch"),
    Check("saturation", "saturated", 0.3, 0.7, "above",
          "fraction of a sigmoid/tanh layer's outputs in the flat tails"),
    Check("vanishing", "grad_orders_low", -3.0, -6.0, "below", "min_l log10(g_l / g_L)"),
    Check("vanishing", "signal_decay", 1e-2, 1e-4, "below",
          "an activation layer's std / the first activation layer's"),
    Check("init_scale", "scale_orders", 2.0, 4.0, "above",
          "|log10 prod_l (s_l / s*)| over the hidden-to-hidden layers of a plain stack"),
    Check("update_ratio_high", "update_ratio_high", 1e-1, 1.0, "above",
          "History: median ||dW||/||W|| over the first third of the records"),
    Check("update_ratio_high", "update_estimate_high", 10.0, 100.0, "above",
          "one batch: lr g_l/||W_l|| (SGD) or lr sqrt(n_W)/||W_l|| (Adam)"),
    Check("update_ratio_high", "adam_step", 0.1, 1.0, "above",
          "one batch, Adam: its first step moves every weight by about lr, so "
          "||dW||/||W|| = lr sqrt(n_W)/||W_l||"),
    Check("update_ratio_high", "step_loss_rise", 20.0, 1e3, "above",
          "one batch, trial steps: median loss of the second half / the first (nan: critical)"),
    Check("update_ratio_low", "update_ratio_low", 1e-5, 1e-7, "below",
          "History: median ||dW||/||W|| over the first third of the records"),
    Check("update_ratio_low", "update_estimate_low", 1e-6, 1e-8, "below",
          "one batch: the estimate above (reported in the per-layer table)"),
    Check("update_ratio_low", "step_loss_change", 1e-4, 1e-6, "below",
          "one batch, trial steps: largest |loss change| / the first loss, when the usual "
          "step size (SGD 0.1, Adam 1e-3) moves it by more"),
)  # fmt: skip
#: Every check by name.
CHECKS: dict[str, Check] = {c.name: c for c in _CHECKS}

#: Trial steps taken on a copy of the model when the learning rate is known.
TRIAL_STEPS = 8
#: The rule-of-thumb update-to-weight ratio (Karpathy).
UPDATE_REFERENCE = 1e-3
#: History: the fraction of the first records whose update ratios are judged (a converged run
#: rightly takes tiny steps at the end).
EARLY_FRACTION = 1 / 3
#: History: training may have changed the weight scale when the summed median update ratio
#: (sum over the steps of the median over Linear layers of ||dW||/||W||) reaches this; below
#: it the weights as examined are still the initial weights within 10 %, so their scale is
#: judged as the initial scale (a net whose gradients vanished from the start barely moves).
SCALE_MOVED = 0.1
#: The weight scale that keeps the variance of the signal, by activation.
SCALE_TARGET: dict[str, float] = {
    "relu": 2**0.5,
    "leaky_relu": 2**0.5,
    "elu": 2**0.5,
    "gelu": 2**0.5,
    "tanh": 1.0,
    "sigmoid": 1.0,
}
#: The initialiser whose scale is :data:`SCALE_TARGET`, by activation.
INIT_FOR: dict[str, str] = {k: "xavier_normal" if v == 1.0 else "he_normal"
                            for k, v in SCALE_TARGET.items()}  # fmt: skip

# Compatible names for the thresholds (older code and tests quote them).
VANISHING_ORDERS = -CHECKS["grad_orders_low"].warn
VANISHING_CRITICAL_ORDERS = -CHECKS["grad_orders_low"].critical
EXPLODING_ORDERS = CHECKS["grad_orders_high"].warn
EXPLODING_CRITICAL_ORDERS = CHECKS["grad_orders_high"].critical
RELATIVE_GRAD_MAX = CHECKS["grad_over_weight"].warn
RELATIVE_GRAD_CRITICAL = CHECKS["grad_over_weight"].critical
SIGNAL_DECAY, SIGNAL_DECAY_CRITICAL = CHECKS["signal_decay"].warn, CHECKS["signal_decay"].critical
SIGNAL_GROWTH = CHECKS["signal_growth"].warn
SIGNAL_GROWTH_CRITICAL = CHECKS["signal_growth"].critical
TRAINING_GROWTH = CHECKS["training_growth"].warn
TRAINING_GROWTH_CRITICAL = CHECKS["training_growth"].critical
SATURATED, SATURATED_CRITICAL = CHECKS["saturated"].warn, CHECKS["saturated"].critical
DEAD, DEAD_CRITICAL = CHECKS["dead"].warn, CHECKS["dead"].critical
UPDATE_HIGH = CHECKS["update_ratio_high"].warn
UPDATE_HIGH_CRITICAL = CHECKS["update_ratio_high"].critical
UPDATE_LOW = CHECKS["update_ratio_low"].warn
UPDATE_LOW_CRITICAL = CHECKS["update_ratio_low"].critical
ESTIMATE_SLACK_HIGH = CHECKS["update_estimate_high"].warn / UPDATE_HIGH
ESTIMATE_SLACK_LOW = UPDATE_LOW / CHECKS["update_estimate_low"].warn
