r"""The gradient doctor: what is wrong with a network's gradients, where, and how to fix it.

::

    from vanishing import doctor
    report = doctor.diagnose(model, X, y)            # one forward/backward pass on a batch
    report = doctor.diagnose(history=hist)           # what vanishing.train.fit recorded
    report = doctor.diagnose(model, X, y, lr=0.1)    # also judge the step size
    report.healthy, report.codes, report.primary     # False, ['vanishing'], Finding(...)
    report.primary.remedy                            # {'activation': 'relu', ...}
    print(report)                                    # plain text; a table in a notebook

A :class:`Report` holds a list of :class:`Finding`\ s, root causes first. Each finding has a
``code`` from :data:`CODES`, a ``severity`` (``"critical"``: training will fail or is failing;
``"warning"``: training is impaired), the layers it concerns, the numbers behind it, the
likely cause, the fix taught in the course (with the notebook numbers) and that fix as
settings (``remedy``). The statistics are those of :mod:`vanishing.telemetry`.

The package, one idea per module:

- :mod:`~vanishing.doctor.rules`: the table of checks (code, thresholds, direction) and of
  findings (title, notebooks), in report order: ``nonfinite``, ``input_scale``, ``symmetry``,
  ``exploding``, ``dead_units``, ``saturation``, ``vanishing``, ``init_scale``,
  ``update_ratio_high``, ``update_ratio_low``; ``print(doctor.rules_table())`` lists them;
- :mod:`~vanishing.doctor.curriculum`: causes, fixes, remedies and the notebook numbers;
- :mod:`~vanishing.doctor.checks`: the checks on arrays; :mod:`~vanishing.doctor.examine`:
  the measurements on a batch and on a History; :mod:`~vanishing.doctor.report` and
  :mod:`~vanishing.doctor.render`: the data model and its text/HTML.

Layers: Linear layers are numbered 1..L and activation layers 1..A, input side first;
``Finding.layers`` holds their dotted names in the model (``"0"``, ``"3.block.0"``).

What a batch adds to the arrays: the input scale (root mean square of ``X``); identical units
(a hidden layer whose units share weights and bias, e.g. all zero); the weight scale against
the activation's (He: :math:`\sqrt2` for the ReLU family, Xavier: 1 for tanh/sigmoid), over the
hidden layers of a plain stack; with ``lr`` or ``optimizer``, eight trial steps on a copy of
the model and the batch (the loss must neither stay far above where it started nor stand
still where the usual step size moves it) and, for Adam, its first step's size (about ``lr``
per weight). An all-zero output layer is a common choice and sends no gradient back before
its first step, so the depth profile is not judged then. From a History, growth is measured
against the larger of the first record and the median, and update ratios over the first third
of the records (a converged run rightly takes tiny steps). With a model and its History, the
model's weight scale is judged as the initial one when training barely moved the weights
(:data:`~.rules.SCALE_MOVED`); otherwise, for a plain ReLU-family stack, the initial scale is
read from the History's first record (the activations' std at step 0). Weights far too small
explain dead deep layers and tiny updates: the report names the scale, not its symptoms.

How the thresholds were chosen: on two-spirals batches of 256 over 12 seeds, healthy networks
(He ReLU depth 3–30, sigmoid/ReLU with batch norm, residual with batch norm) stayed within
:math:`\log_{10}(g_l/g_L) \in [-2.0, 0.4]`, :math:`g_l/\|W_l\| \le 41`, at most 56 % dead
units, no saturation, activation std within a factor 4 of the first layer's, and median
update ratios in :math:`[5\cdot10^{-5}, 0.03]`. The labelled battery in
``tests/doctor_battery`` measures precision and recall per finding and tries every first
remedy. Plain residual ReLU stacks with He init (no batch norm) add variance at every block,
so their activations grow like :math:`2^{L/2}` and are rightly reported as exploding.
"""

from __future__ import annotations

import numpy as np

from ..nn import Module
from . import checks, rules
from .curriculum import NOTEBOOKS
from .examine import (
    context,
    examine_batch,
    examine_history,
    explained,
    explained_by_scale,
    initial_scale_from_history,
    nanmedian,
    weights_moved,
)
from .report import Finding, Report
from .rules import *  # noqa: F403  (the threshold names)
from .rules import CHECKS, CODES, SEVERITIES, SEVERITY_RANK

__all__ = ["CODES", "SEVERITIES", "NOTEBOOKS", "CHECKS", "Finding", "Report", "diagnose",
           "rules_table", "nanmedian"]  # fmt: skip


def rules_table() -> str:
    """The checks as a plain-text table: code, check, warning and critical thresholds."""
    rows = [("code", "check", "warn", "critical", "bad when", "notebooks")]
    for c in CHECKS.values():
        nbs = ", ".join(rules.FINDINGS[c.code].notebooks)
        rows.append((c.code, c.name, f"{c.warn:g}", f"{c.critical:g}", c.direction, nbs))
    w = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    return "\n".join("  ".join(x.ljust(n) for x, n in zip(r, w, strict=True)) for r in rows)


def _sort(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (CODES.index(f.code), SEVERITY_RANK[f.severity]))


def _merge(first: list[Finding], second: list[Finding]) -> list[Finding]:
    """``first`` plus the findings of ``second`` whose code ``first`` does not have."""
    have = {f.code for f in first}
    return first + [f for f in second if f.code not in have]


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per code: the most severe (the first, on ties)."""
    best: dict[str, Finding] = {}
    for f in findings:
        if f.code not in best or SEVERITY_RANK[f.severity] < SEVERITY_RANK[best[f.code].severity]:
            best[f.code] = f
    return list(best.values())


def diagnose(
    model: Module | None = None,
    X=None,
    y=None,
    *,
    history=None,
    lr: float | None = None,
    optimizer=None,
    loss: str = "cross_entropy",
) -> Report:
    """Examine a network (on one batch) and/or a training History; return a :class:`Report`.

    Parameters
    ----------
    model : Module, optional
        A :mod:`vanishing.nn` model. With ``X`` and ``y`` it gets one forward and backward
        pass in its current mode (BatchNorm running statistics are left as they were; the
        gradients in ``model.grads`` are overwritten; the trial step runs on a copy).
    X : ndarray of shape (N, D)
        A batch of inputs; a few hundred examples make the dead-unit fractions meaningful.
    y : ndarray of shape (N,)
        Integer labels (or targets with ``loss="mse"``).
    history : vanishing.train.History, optional
        What :func:`vanishing.train.fit` recorded (with ``telemetry=True``): adds divergence
        (``nan_step``), gradient growth during training and measured update ratios.
    lr : float, optional
        Learning rate of plain SGD: estimates update ratios and takes one trial step.
    optimizer : Optimizer, optional
        Instead of ``lr``: its ``lr`` (and for Adam its per-entry step) is used.
    loss : {"cross_entropy", "mse"}

    Returns
    -------
    Report
        ``report.healthy`` is ``True`` when nothing crossed a threshold (:mod:`.rules`).
    """
    if model is None and history is None:
        raise ValueError("diagnose needs a model with a batch (X, y), a History, or both")
    if model is not None:
        if not isinstance(model, Module):
            raise TypeError(f"model must be a vanishing.nn.Module, got {type(model).__name__}")
        if X is None or y is None:
            raise ValueError("diagnose(model, X, y): give a batch X and its labels y")
    if history is not None and not hasattr(history, "grad_norm"):
        raise TypeError(f"history must be a vanishing.train.History, got {type(history).__name__}")
    if history is not None and lr is None and optimizer is None:
        h_lr = float(getattr(history, "lr", float("nan")))
        lr_ctx = h_lr if np.isfinite(h_lr) else None
    else:
        lr_ctx = lr if lr is not None else (float(optimizer.lr) if optimizer is not None else None)

    batch = ctx = None
    if model is not None:
        b_findings, report_kw, ctx = examine_batch(
            model, X, y, loss, lr, optimizer, trained=history is not None and weights_moved(history)
        )
        if lr is None and optimizer is None:
            ctx.lr = lr_ctx
        batch = Report(findings=_dedupe(b_findings), **report_kw)
    if history is None:
        batch.findings = _sort(batch.findings)
        return batch

    if ctx is None:
        ctx = context(None, list(history.act_kinds), len(history.linear_names), lr_ctx)
    from_first = model is not None and ctx.trained and initial_scale_from_history(history, ctx)
    h_findings, numbers = examine_history(history, ctx)
    if from_first:
        h_findings += checks.init_scale_findings(ctx, list(history.linear_names)[1:-1])
    h_findings = _dedupe(h_findings)
    n_rec = len(history.telemetry_steps)
    h_source = (
        f"a training History of {history.steps} steps ({n_rec} telemetry records"
        + (f", lr = {history.lr:g}" if np.isfinite(history.lr) else "")
        + ")"
    )
    if batch is None:
        return Report(
            findings=_sort(h_findings),
            source=h_source,
            linear_names=list(history.linear_names),
            act_names=list(history.act_names),
            act_kinds=list(history.act_kinds),
            grad_norm=numbers["grad_norm"],
            update_ratio=numbers["update_ratio"],
            act_std=numbers["act_std"],
            saturated=numbers["saturated"],
            dead=numbers["dead"],
        )
    # both: the History speaks for what happened during training (steps, measured ratios),
    # the batch for the network as it is now
    batch.findings = _sort(explained(explained_by_scale(_merge(h_findings, batch.findings), ctx)))
    batch.source = f"{batch.source}; and {h_source}"
    if numbers["update_ratio"] is not None:
        batch.update_ratio = numbers["update_ratio"]
    return batch
