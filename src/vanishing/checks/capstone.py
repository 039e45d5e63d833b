"""Checks of notebook 09's answers (the capstone's diagnoses and fixes), one call per test.

The visible checks look at an answer alone: its form and whether its evidence meets the rule
of the cause it names. The hidden checks measure the evidence on the patient and compare; the
expected cause is an argument, written in the hidden part of the test cell, never stored here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import grading, nn
from ..experiments import capstone

__all__ = ["assert_cured", "assert_diagnosis", "assert_diagnosis_form", "measured_evidence"]


def _check_patient(patient: Any) -> str:
    if patient not in capstone.PATIENTS:
        raise ValueError(f"patient must be one of {sorted(capstone.PATIENTS)}, got {patient!r}")
    return patient


def assert_diagnosis_form(exercise: str, diagnosis: Any) -> None:
    """The visible test of a diagnosis: its form, then the rule of the cause it names."""
    problems = capstone.check_diagnosis(diagnosis)
    grading.assert_true(exercise, not problems, "; ".join(problems))
    grading.assert_true(
        exercise,
        capstone.rule_holds(diagnosis),
        f"your evidence does not meet the rule for {diagnosis['cause']!r}: "
        f"{capstone.RULES[diagnosis['cause']]} (you gave {diagnosis})",
    )


def measured_evidence(patient: str, *, train_steps: int) -> dict[str, Any]:
    """Every kind of evidence, measured on ``patient`` as admitted and on its History from
    step 0 after ``train_steps`` steps of training (``nan_step`` needs the full run)."""
    p = capstone.admit(_check_patient(patient))
    W = [layer.params["W"] for layer in nn.linear_layers(p.model)]
    scale = float(np.median([np.std(w) * np.sqrt(w.shape[0]) for w in W[1:-1]]))  # untrained
    act = [m.name for m in p.model.modules() if isinstance(m, nn.Activation)][0]
    h = p.train(steps=train_steps, progress=False)
    g0, dead0 = h.grad_norm[0], h.dead[0]
    first = [j for j, v in enumerate(dead0) if v >= capstone.DEAD_MIN]
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "activation": act,
            "grad_orders": float(np.log10(g0[-1] / g0[0])),
            "weight_scale": scale,
            "nan_step": h.nan_step,
            "dead_layer": first[0] + 1 if first else None,
            "dead_fraction": float(dead0[first[0]]) if first else None,
            "update_ratio": float(np.median(h.update_ratio[0])),
        }


def _matches(key: str, got: Any, want: Any) -> bool:
    tol = capstone.EVIDENCE_RULES[key]["tol"]
    if want is None or tol is None or got is None:
        return bool(got == want)
    if not np.isfinite(want):
        return bool(np.isnan(want) and np.isnan(got) or got == want)
    if key in ("weight_scale", "update_ratio"):
        return bool(abs(got - want) <= tol * abs(want))
    return bool(abs(got - want) <= tol)


def assert_diagnosis(exercise: str, diagnosis: dict[str, Any], patient: str, cause: str) -> None:
    """The full test of a diagnosis of ``patient`` whose form has passed
    :func:`assert_diagnosis_form`: each piece of evidence its cause needs must match the
    patient's, then the cause must be ``cause`` (given by the hidden test)."""
    steps = capstone.STEPS if "nan_step" in diagnosis else 1
    measured = measured_evidence(patient, train_steps=steps)
    for key in capstone.EVIDENCE[diagnosis["cause"]]:
        tol = capstone.EVIDENCE_RULES[key]["tol"]
        grading.assert_true(
            exercise,
            _matches(key, diagnosis[key], measured[key]),
            f"{key} = {diagnosis[key]!r} does not match patient {patient}: "
            f"{capstone.EVIDENCE_RULES[key]['how']}"
            + (f" (tolerance {tol:g})" if tol else " (must be exact)"),
        )
    grading.assert_true(
        exercise,
        diagnosis["cause"] == cause,
        f"your evidence matches patient {patient} but does not single out "
        f"{diagnosis['cause']!r}: weigh it against the other causes' rules",
    )


def assert_cured(exercise: str, patient: str, fix: Any, *, hidden: bool = False) -> capstone.Trial:
    """Retrain ``patient`` with ``fix`` on the visible seeds (``hidden=False``, the result is
    printed) or on the seeds of the full test; it must cure enough of them."""
    _check_patient(patient)
    if hidden:
        result = grading.call(exercise, capstone.trial, patient, fix, seeds=capstone.HIDDEN_SEEDS)
        grading.assert_true(exercise, result.passed, str(result) + " (the seeds of the full test)")
        return result
    grading.call(exercise, capstone.check_fix, fix)
    result = grading.call(exercise, capstone.trial, patient, fix, seeds=capstone.VISIBLE_SEEDS)
    print(result)
    grading.assert_true(exercise, result.passed, str(result))
    return result
