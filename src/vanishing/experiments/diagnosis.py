r"""Notebook 09: what a diagnosis of a patient (:mod:`.capstone`) must hold, and its rules.

A **diagnosis** is a dict: ``"cause"`` (one of :data:`CAUSES`) and the evidence that cause
needs (:data:`EVIDENCE`), measured on the patient as :data:`EVIDENCE_RULES` says.
:func:`check_diagnosis` checks its form; :func:`rule_holds` whether its own evidence meets
the cause's rule (:data:`RULES`, thresholds below).

:func:`forward_states` (and :func:`mlp_scores`, :func:`model_states`) give the forward
quantities of a plain perceptron, from which the learner's own backward pass measures the
gradient evidence.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from .. import nn

__all__ = [
    "SLOPE_FROM_OUTPUT",
    "forward_states",
    "mlp_scores",
    "model_states",
    "CAUSES",
    "EVIDENCE",
    "EVIDENCE_RULES",
    "GRAD_ORDERS_MIN",
    "SCALE_LOW",
    "SCALE_HIGH",
    "DEAD_MIN",
    "UPDATE_RATIO_LOW",
    "SATURATING",
    "RULES",
    "check_diagnosis",
    "rule_holds",
]

#: The causes a diagnosis may name (not every one has a patient).
CAUSES: tuple[str, ...] = (
    "saturating_activation",
    "weights_too_small",
    "weights_too_large",
    "learning_rate_too_high",
    "learning_rate_too_low",
    "dead_relus",
)

#: The evidence each cause needs, besides ``"cause"`` (keys of the diagnosis dict).
EVIDENCE: dict[str, tuple[str, ...]] = {
    "saturating_activation": ("activation", "grad_orders", "weight_scale"),
    "weights_too_small": ("weight_scale",),
    "weights_too_large": ("weight_scale", "nan_step"),
    "learning_rate_too_high": ("weight_scale", "nan_step"),
    "learning_rate_too_low": ("weight_scale", "update_ratio"),
    "dead_relus": ("dead_layer", "dead_fraction"),
}

#: How each piece of evidence is measured and how closely it must agree with the patient.
#: ``tol`` is absolute for grad_orders / dead_fraction, relative for weight_scale /
#: update_ratio; ints and names must be exact.
EVIDENCE_RULES: dict[str, dict[str, Any]] = {
    "activation": {
        "type": str,
        "tol": None,
        "how": "the name of the hidden layers' activation, as nn.ACTIVATION_MODULES spells it",
    },
    "grad_orders": {
        "type": float,
        # measured (patient A, every kernel): the first record 6.171, a fresh batch of 64, 256
        # or 480 training examples 6.101-6.262, so +-0.3 admits any batch; the rule's
        # threshold (3) is 3 orders away. Identical to 1e-14 across kernels.
        "tol": 0.3,
        "how": "log10(|dL/dW| of the last Linear layer / |dL/dW| of the first) at step 0 "
        "(the first record of the History), Frobenius norms; inf when the first is 0",
    },
    "weight_scale": {
        "type": float,
        # measured: median vs mean over layers, ddof 0/1, root-mean-square, the pooled std,
        # with or without the first layer: within 0.8 % of each other for every patient
        # (bench/CAPSTONE-MARGINS.md); the rule's thresholds are >= 30 % away.
        "tol": 0.05,
        "how": "median over the hidden-to-hidden Linear layers (2 to 10, fan_in 32) of "
        "std(W) * sqrt(fan_in), "
        "for the model as admitted (before training)",
    },
    "nan_step": {
        "type": int,
        "tol": None,
        "how": "History.nan_step of a full run (STEPS steps): the first step whose loss is "
        "not finite (None if there is none)",
    },
    "dead_layer": {
        "type": int,
        "tol": None,
        "how": "the first activation layer (1 = input side) in which at least 90 % of the "
        "units never fire on the batch of step 0 (History.dead, first record)",
    },
    "dead_fraction": {
        "type": float,
        "tol": 0.05,
        "how": "the dead fraction of that layer at step 0",
    },
    "update_ratio": {
        "type": float,
        "tol": 0.1,
        "how": "median over the Linear layers of History.update_ratio at step 0",
    },
}

#: Thresholds of the rules in :func:`rule_holds`.
GRAD_ORDERS_MIN = 3.0  # gradients vanish: the first layer gets 1000x less than the last
SCALE_LOW, SCALE_HIGH = 0.7, 2.8  # half and twice He's sqrt(2)
DEAD_MIN = 0.9
#: 1000x below the rule of thumb 1e-3; an update of exactly 0 stays 0 at any learning rate
UPDATE_RATIO_LOW = 1e-6
SATURATING = ("sigmoid", "tanh")

#: The rule each cause's evidence must meet, in words (the notebook prints them).
RULES: dict[str, str] = {
    "saturating_activation": f"activation is 'sigmoid' or 'tanh', grad_orders >= "
    f"{GRAD_ORDERS_MIN:g} and {SCALE_LOW} <= weight_scale <= {SCALE_HIGH}",
    "weights_too_small": f"weight_scale < {SCALE_LOW}",
    "weights_too_large": f"weight_scale > {SCALE_HIGH}",
    "learning_rate_too_high": f"nan_step is an int and {SCALE_LOW} <= weight_scale <= {SCALE_HIGH}",
    "learning_rate_too_low": f"0 < update_ratio < {UPDATE_RATIO_LOW:g} and {SCALE_LOW} <= "
    f"weight_scale <= {SCALE_HIGH}",
    "dead_relus": f"dead_fraction >= {DEAD_MIN}",
}


def check_diagnosis(diagnosis: Any) -> list[str]:
    """What is wrong with the *form* of a diagnosis (empty when it is well formed): a dict
    with ``"cause"`` in :data:`CAUSES` and exactly the evidence keys that cause needs, each
    of its type (an int or ``None`` for ``nan_step``)."""
    if not isinstance(diagnosis, dict):
        return [f"a diagnosis is a dict with 'cause' and evidence, got {type(diagnosis).__name__}"]
    cause = diagnosis.get("cause")
    if cause not in CAUSES:
        return [f"'cause' must be one of {', '.join(CAUSES)}; got {cause!r}"]
    need = set(EVIDENCE[cause])
    have = set(diagnosis) - {"cause"}
    problems = []
    if need - have:
        problems.append(
            f"{cause!r} needs the evidence {', '.join(sorted(need))}; missing "
            f"{', '.join(sorted(need - have))}"
        )
    if have - need:
        problems.append(
            f"{cause!r} takes only the evidence {', '.join(sorted(need))}; remove "
            f"{', '.join(sorted(have - need))}"
        )
    for key in sorted(need & have):
        v, want = diagnosis[key], EVIDENCE_RULES[key]["type"]
        if key == "nan_step" and v is None:
            continue
        if want is str:
            ok = isinstance(v, str)
        elif want is int:
            ok = isinstance(v, (int, np.integer)) and not isinstance(v, bool)
        else:
            ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        if not ok:
            problems.append(f"{key!r} must be {want.__name__}, got {v!r}")
    return problems


def rule_holds(diagnosis: dict[str, Any]) -> bool:
    """Whether a well-formed diagnosis's own evidence meets the rule of its cause
    (:data:`RULES`)."""
    d, cause = diagnosis, diagnosis["cause"]
    if cause == "saturating_activation":
        return (
            d["activation"] in SATURATING
            and d["grad_orders"] >= GRAD_ORDERS_MIN
            and SCALE_LOW <= d["weight_scale"] <= SCALE_HIGH
        )
    if cause == "weights_too_small":
        return d["weight_scale"] < SCALE_LOW
    if cause == "weights_too_large":
        return d["weight_scale"] > SCALE_HIGH
    if cause == "learning_rate_too_high":
        return d["nan_step"] is not None and SCALE_LOW <= d["weight_scale"] <= SCALE_HIGH
    if cause == "learning_rate_too_low":
        return (
            0 < d["update_ratio"] < UPDATE_RATIO_LOW
            and SCALE_LOW <= d["weight_scale"] <= SCALE_HIGH
        )
    if cause == "dead_relus":
        return d["dead_fraction"] >= DEAD_MIN
    raise ValueError(f"unknown cause {cause!r}")


# ------------------------------------------------------------------------------------------
# The forward quantities of a plain perceptron, for the learner's own backward pass
# ------------------------------------------------------------------------------------------
#: The activations whose slope can be read off their output h (``layer_gradients``).
SLOPE_FROM_OUTPUT: tuple[str, ...] = ("relu", "sigmoid", "tanh")


def mlp_scores(Ws, bs, X, activation: str) -> np.ndarray:
    r"""Scores of the plain perceptron with weights ``Ws`` and biases ``bs``:
    :math:`h_0 = X`, :math:`h_l = \phi(h_{l-1} W_l + b_l)` for :math:`l < L` and the scores
    :math:`s = h_{L-1} W_L + b_L` (no activation after the last layer), shape ``(N, n_L)``.
    ``activation`` is a name of :mod:`vanishing.functional` (``"relu"``, ``"sigmoid"``, ...)."""
    return forward_states(Ws, bs, X, activation)["scores"]


def forward_states(Ws, bs, X, activation: str) -> dict[str, Any]:
    r"""The forward quantities of the plain perceptron of :func:`mlp_scores`, as plain data:
    ``{"Ws": [...], "bs": [...], "hs": [...], "scores": s, "activation": name}`` where
    ``hs[l]`` is the input of Linear layer ``l`` (``hs[0]`` is ``X``, ``hs[l]`` =
    :math:`\phi(h_{l-1} W_l + b_l)`), one per weight matrix. Arrays keep their dtype."""
    Ws, bs = [np.asarray(W) for W in Ws], [np.asarray(b) for b in bs]
    if len(Ws) != len(bs) or not Ws:
        raise ValueError(
            f"forward_states: Ws and bs must be non-empty lists of the same length, got "
            f"{len(Ws)} and {len(bs)}"
        )
    f = F.get(activation)[0]
    h = np.asarray(X)
    hs = []
    for l, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        if h.ndim != 2 or W.ndim != 2 or h.shape[1] != W.shape[0] or b.shape != (W.shape[1],):
            raise ValueError(
                f"forward_states: layer {l}: input {h.shape}, W {W.shape} and b {b.shape} "
                "do not fit (input (N, n_in), W (n_in, n_out), b (n_out,))"
            )
        hs.append(h)
        z = h @ W + b
        h = f(z) if l < len(Ws) - 1 else z
    return {"Ws": Ws, "bs": bs, "hs": hs, "scores": h, "activation": activation}


def model_states(model: nn.Module, X) -> dict[str, Any]:
    """:func:`forward_states` of a plain ``vanishing.nn`` perceptron (Linear layers with one
    activation between them, no batch norm or residual blocks), e.g. a patient's model."""
    linear = nn.linear_layers(model)
    acts = {m.name for m in model.modules() if isinstance(m, nn.Activation)}
    others = [
        type(m).__name__
        for m in model.modules()
        if not isinstance(m, (nn.Linear, nn.Activation, nn.Sequential))
    ]
    if len(acts) != 1 or others:
        raise ValueError(
            "model_states: model must be Linear layers with one activation between them; got "
            f"activations {sorted(acts)} and other modules {others}"
        )
    (act,) = acts
    Ws = [layer.params["W"].copy() for layer in linear]
    bs = [layer.params["b"].copy() for layer in linear]
    return forward_states(Ws, bs, X, act)
