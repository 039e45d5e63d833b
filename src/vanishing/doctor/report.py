r"""The doctor's data model: a :class:`Finding` per problem, a :class:`Report` per examination.

Rendering lives in :mod:`vanishing.doctor.render`; the rules in :mod:`vanishing.doctor.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import render
from .rules import CODES, FINDINGS, SEVERITIES


@dataclass(frozen=True)
class Finding:
    """One problem: what (``code``), how bad, where, the numbers, the likely cause and the fix.

    Attributes
    ----------
    code : str
        One of :data:`~vanishing.doctor.rules.CODES`.
    severity : {"critical", "warning"}
    where : str
        Human-readable location, e.g. ``"Linear layers 1-14 of 20"``.
    layers : tuple of str
        Dotted names of the layers concerned, input side first.
    summary : str
        One sentence: what is wrong, where and by how much.
    cause, fix : str
        The likely cause and the remedy taught in the course.
    notebooks : tuple of str
        Notebook numbers where the cause and the fix are taught (``"05"``).
    numbers : dict
        The measurements behind the finding (names documented per code in the summary).
    step : int or None
        Training step at which it was first seen (History only).
    remedy : dict or None
        The first fix as settings to change (``{"init": "he_normal", "gain": 1.0}``,
        ``{"lr": 0.01}``, ``{"bias": 0.0}``, ``{"normalise_inputs": True}``, ...).
    """

    code: str
    severity: str
    where: str
    layers: tuple[str, ...]
    summary: str
    cause: str
    fix: str
    notebooks: tuple[str, ...] = ()
    numbers: dict = field(default_factory=dict)
    step: int | None = None
    remedy: dict | None = None

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code!r}; valid codes: {CODES}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")

    @property
    def title(self) -> str:
        return FINDINGS[self.code].title

    def __str__(self) -> str:
        see = f" (notebooks {', '.join(self.notebooks)})" if self.notebooks else ""
        return (
            f"[{self.severity.upper()}] {self.code}: {self.summary}\n"
            f"    cause: {self.cause}\n    fix:   {self.fix}{see}"
        )


@dataclass
class Report:
    r"""The doctor's report: :attr:`findings` (root causes first) and the per-layer numbers.

    Attributes
    ----------
    findings : list of Finding
    source : str
        What was examined (``"one batch of 256 examples (train mode)"``, ``"a History ..."``).
    linear_names, act_names, act_kinds : list of str
    grad_norm : ndarray of shape (L,)
        :math:`\|\partial L/\partial W_l\|_F` (batch) or its median over recorded steps.
    rel_grad : ndarray of shape (L,) or None
        :math:`g_l / \|W_l\|_F` (batch only).
    update_ratio : ndarray of shape (L,) or None
        Measured (History, median) or estimated (batch with ``lr``) update-to-weight ratios.
    act_std, saturated, dead : ndarray of shape (A,)
    loss : float
        The loss on the batch (``nan`` from a History alone).
    """

    findings: list[Finding]
    source: str = ""
    linear_names: list[str] = field(default_factory=list)
    act_names: list[str] = field(default_factory=list)
    act_kinds: list[str] = field(default_factory=list)
    grad_norm: np.ndarray = field(default_factory=lambda: np.empty(0))
    rel_grad: np.ndarray | None = None
    update_ratio: np.ndarray | None = None
    act_std: np.ndarray = field(default_factory=lambda: np.empty(0))
    saturated: np.ndarray = field(default_factory=lambda: np.empty(0))
    dead: np.ndarray = field(default_factory=lambda: np.empty(0))
    loss: float = float("nan")

    @property
    def healthy(self) -> bool:
        """No findings at all."""
        return not self.findings

    @property
    def codes(self) -> list[str]:
        """The codes of the findings, in report order (no duplicates)."""
        return list(dict.fromkeys(f.code for f in self.findings))

    @property
    def primary(self) -> Finding | None:
        """The first finding (the likeliest root cause), or ``None`` when healthy."""
        return self.findings[0] if self.findings else None

    def __contains__(self, code: str) -> bool:
        return code in self.codes

    def __getitem__(self, code: str) -> Finding:
        for f in self.findings:
            if f.code == code:
                return f
        raise KeyError(f"no {code!r} finding in this report (codes: {self.codes})")

    def _headline(self) -> str:
        return render.headline(self)

    def layer_table(self) -> list[list[str]]:
        """Rows of the per-layer table (header first), as strings."""
        return render.layer_table(self)

    def to_text(self, layers: bool = True) -> str:
        """Plain-text report; ``layers=False`` leaves out the per-layer table."""
        return render.to_text(self, layers)

    def _merged_rows(self) -> list[list[str]]:
        return render.merged_rows(self)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"Report(healthy={self.healthy}, codes={self.codes})"

    def _repr_html_(self) -> str:
        return render.to_html(self)
