r"""The gradient doctor: what is wrong with a network's gradients, where, and how to fix it.

::

    from vanishing import doctor
    report = doctor.diagnose(model, X, y)            # one forward/backward pass on a batch
    report = doctor.diagnose(history=hist)           # what vanishing.train.fit recorded
    report = doctor.diagnose(model, X, y, lr=0.1)    # also estimate SGD update ratios
    report.healthy, report.codes, report.primary     # False, ['vanishing'], Finding(...)
    print(report)                                    # plain text; a table in a notebook

A :class:`Report` holds a list of :class:`Finding`\ s, root causes first. Each finding has a
``code`` from :data:`CODES`, a ``severity`` (``"critical"``: training will fail or is failing;
``"warning"``: training is impaired), the layers it concerns, the numbers behind it, the
likely cause and the fix taught in the course (with the notebook numbers). The statistics are
those of :mod:`vanishing.telemetry` (same definitions, same code).

Layers: Linear layers are numbered 1..L and activation layers 1..A, input side first;
``Finding.layers`` holds their dotted names in the model (``"0"``, ``"3.block.0"``).

Thresholds
----------
``g_l`` is the weight-gradient norm :math:`\|\partial L/\partial W_l\|_F` of Linear layer
``l``, ``g_L`` the last (output) layer's, and "orders" are :math:`\log_{10}` ratios.

==================== =========================================================================
code                 reported when (warning / critical)
==================== =========================================================================
``nonfinite``        any ``nan``/``inf`` in the input, a weight, an activation, the loss or a
                     gradient (always critical); from a History: ``nan_step`` set or a
                     non-finite recorded gradient norm. Names the first layer (and step).
``vanishing``        some layer's gradient is :math:`\ge 10^{3}` times smaller than the last
                     layer's, :math:`\log_{10}(g_l/g_L) \le -3` (critical :math:`\le -6`,
                     or exactly zero); or the forward signal dies: an activation layer's std
                     is :math:`\le 10^{-2}` times the first activation layer's (critical
                     :math:`\le 10^{-4}`).
``exploding``        some layer's gradient is :math:`\ge 10^{3}` times the last layer's
                     (critical :math:`10^{6}`); or :math:`g_l/\|W_l\|_F \ge 10^{3}` (so even
                     ``lr = 1e-3`` would move the weights by 100 %; critical
                     :math:`10^{4}`); or an activation layer's std is :math:`\ge 10^{3}`
                     times the first activation layer's (critical :math:`10^{5}`); from a
                     History also: the total gradient norm at some recorded step is
                     :math:`\ge 10^{3}` times its median over the records (critical
                     :math:`10^{6}`).
``saturation``       a sigmoid/tanh layer has :math:`\ge 30\%` of its outputs in the flat
                     tails (:data:`vanishing.telemetry.SATURATION_BOUNDS`; critical 70 %).
``dead_units``       a ReLU-family layer has :math:`\ge 70\%` of its units never positive on
                     the batch (critical 95 %). Use a batch of a few hundred examples: on
                     tiny batches units look dead by chance.
``update_ratio_high`` update-to-weight ratio :math:`\|\Delta W\|/\|W\|` above
                     :math:`10^{-1}`, i.e. 100 times the rule-of-thumb :math:`10^{-3}`
                     (critical above 1). From a History: each layer's median over the
                     recorded steps. From one batch with ``lr`` (or ``optimizer``): the first
                     SGD step's :math:`\eta\, g_l/\|W_l\|` (Adam: :math:`\eta\sqrt{n_W}/\|W\|`),
                     with a threshold a hundred times higher (above 10, critical above
                     100), because gradients at initialisation are much larger than during
                     training (residual and batch-norm nets reach :math:`\eta g/\|W\| \approx
                     3.5` at ``lr = 0.1`` and train well).
``update_ratio_low`` the same ratio below :math:`10^{-5}` (critical :math:`10^{-7}`); from
                     one batch below :math:`10^{-6}` (critical :math:`10^{-8}`).
==================== =========================================================================

How the thresholds were chosen (two-spirals batches of 256, 12 seeds each): healthy networks
— He-initialised ReLU MLPs of depth 3–30, sigmoid or ReLU with batch norm (depth 20–30),
residual ReLU with batch norm (depth 30) — stayed within :math:`\log_{10}(g_l/g_L) \in
[-2.0, 0.4]`, :math:`g_l/\|W_l\| \le 41`, at most 56 % dead units in a layer, no saturation,
and activation std within a factor 4 of the first layer's; trained with SGD (lr 0.01–1) or
Adam (lr 1e-3–1e-2) their median update ratios stayed in :math:`[5\cdot10^{-5}, 0.03]`.
Two caveats the numbers showed: plain residual ReLU stacks with He init (no batch norm) add
variance at every block, so their activations grow like :math:`2^{L/2}` and are rightly
reported as exploding; batch-norm stacks deeper than about 30 layers grow gradients towards
the input at initialisation (Yang et al. 2019) and come close to the exploding threshold.

A report lists findings in :data:`CODES` order, which runs from root causes to symptoms
(non-finite values, exploding, dead units, saturation, vanishing, update ratios), critical
before warning within a code; there is at most one finding per code (the most severe).
:attr:`Report.primary` is the first finding: the likeliest root cause, not necessarily the
loudest symptom (a network whose weights are far too large shows huge update ratios too).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import telemetry as T
from .nn import BatchNorm1d, Module, Residual

#: The fixed set of finding codes, from root causes to symptoms (the sort order of a report).
CODES: tuple[str, ...] = (
    "nonfinite",
    "exploding",
    "dead_units",
    "saturation",
    "vanishing",
    "update_ratio_high",
    "update_ratio_low",
)
SEVERITIES: tuple[str, ...] = ("critical", "warning")

# --- thresholds (see the module docstring) -----------------------------------------------
VANISHING_ORDERS = 3.0
VANISHING_CRITICAL_ORDERS = 6.0
EXPLODING_ORDERS = 3.0
EXPLODING_CRITICAL_ORDERS = 6.0
RELATIVE_GRAD_MAX = 1e3
RELATIVE_GRAD_CRITICAL = 1e4
SIGNAL_DECAY = 1e-2
SIGNAL_DECAY_CRITICAL = 1e-4
SIGNAL_GROWTH = 1e3
SIGNAL_GROWTH_CRITICAL = 1e5
TRAINING_GROWTH = 1e3
TRAINING_GROWTH_CRITICAL = 1e6
SATURATED = 0.3
SATURATED_CRITICAL = 0.7
DEAD = 0.7
DEAD_CRITICAL = 0.95
UPDATE_REFERENCE = 1e-3
UPDATE_HIGH, UPDATE_HIGH_CRITICAL = 1e-1, 1.0
UPDATE_LOW, UPDATE_LOW_CRITICAL = 1e-5, 1e-7
#: One-batch estimates use thresholds this many times wider (high side, low side).
ESTIMATE_SLACK_HIGH = 100.0
ESTIMATE_SLACK_LOW = 10.0

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

_SEVERITY_RANK = {"critical": 0, "warning": 1}
_TITLES = {
    "nonfinite": "non-finite values (nan/inf)",
    "exploding": "exploding gradients",
    "dead_units": "dead units",
    "saturation": "saturated units",
    "vanishing": "vanishing gradients",
    "update_ratio_high": "updates too large",
    "update_ratio_low": "updates too small",
}


# ------------------------------------------------------------------------------------------
# Findings and the report
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """One problem: what (``code``), how bad, where, the numbers, the likely cause and the fix.

    Attributes
    ----------
    code : str
        One of :data:`CODES`.
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

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code!r}; valid codes: {CODES}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")

    @property
    def title(self) -> str:
        return _TITLES[self.code]

    def __str__(self) -> str:
        see = f" (notebooks {', '.join(self.notebooks)})" if self.notebooks else ""
        return (
            f"[{self.severity.upper()}] {self.code}: {self.summary}\n"
            f"    cause: {self.cause}\n    fix:   {self.fix}{see}"
        )


@dataclass
class Report:
    """The doctor's report: :attr:`findings` (root causes first) and the per-layer numbers.

    Attributes
    ----------
    findings : list of Finding
    source : str
        What was examined (``"one batch of 256 examples (train mode)"``, ``"a History ..."``).
    linear_names, act_names, act_kinds : list of str
    grad_norm : ndarray of shape (L,)
        :math:`\\|\\partial L/\\partial W_l\\|_F` (batch) or its median over recorded steps.
    rel_grad : ndarray of shape (L,) or None
        :math:`g_l / \\|W_l\\|_F` (batch only).
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

    # --- text ----------------------------------------------------------------------------
    def _headline(self) -> str:
        if self.healthy:
            return "HEALTHY: no gradient problem found."
        n_crit = sum(f.severity == "critical" for f in self.findings)
        parts = [f"{len(self.findings)} problem{'s' * (len(self.findings) != 1)} found"]
        if n_crit:
            parts.append(f"{n_crit} critical")
        return f"NOT HEALTHY: {', '.join(parts)}."

    def layer_table(self) -> list[list[str]]:
        """Rows of the per-layer table (header first), as strings."""
        rows = [
            [
                "layer",
                "name",
                "kind",
                "grad norm",
                "vs last (orders)",
                "grad/weight",
                "update ratio",
                "act std",
                "saturated",
                "dead",
            ]
        ]
        L = len(self.linear_names)
        gl = self.grad_norm[-1] if L else np.nan
        for i, name in enumerate(self.linear_names):
            g = self.grad_norm[i]
            rows.append(
                [
                    f"Linear {i + 1}",
                    name or "(model)",
                    "linear",
                    _num(g),
                    _orders(g, gl) if i < L - 1 else "",
                    _num(self.rel_grad[i]) if self.rel_grad is not None else "",
                    _num(self.update_ratio[i]) if self.update_ratio is not None else "",
                    "",
                    "",
                    "",
                ]
            )
        for j, name in enumerate(self.act_names):
            rows.append(
                [
                    f"act {j + 1}",
                    name,
                    self.act_kinds[j],
                    "",
                    "",
                    "",
                    "",
                    _num(self.act_std[j]),
                    _pct(self.saturated[j]),
                    _pct(self.dead[j]),
                ]
            )
        return rows

    def to_text(self, layers: bool = True) -> str:
        """Plain-text report; ``layers=False`` leaves out the per-layer table."""
        lines = [
            "Gradient doctor report",
            "=" * 22,
            f"Examined: {self.source}",
            self._headline(),
            "",
        ]
        for i, f in enumerate(self.findings, 1):
            lines.append(f"{i}. {f}")
            lines.append("")
        if layers and (self.linear_names or self.act_names):
            rows = self._merged_rows()
            widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
            lines.append("Per-layer numbers (input side first):")
            for r in rows:
                lines.append(
                    "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                )
        return "\n".join(lines).rstrip() + "\n"

    def _merged_rows(self) -> list[list[str]]:
        """Linear and activation rows interleaved in forward order, empty columns dropped."""
        rows = self.layer_table()
        head, body = rows[0], rows[1:]
        L = len(self.linear_names)
        lin, act = body[:L], body[L:]
        merged = []
        for i in range(max(len(lin), len(act))):
            if i < len(lin):
                merged.append(lin[i])
            if i < len(act):
                merged.append(act[i])
        keep = [k for k in range(len(head)) if k < 3 or any(r[k] for r in merged)]
        return [[r[k] for k in keep] for r in [head, *merged]]

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"Report(healthy={self.healthy}, codes={self.codes})"

    # --- HTML ------------------------------------------------------------------------------
    def _repr_html_(self) -> str:
        esc = html.escape
        colour = {"critical": "#D55E00", "warning": "#E69F00"}  # Okabe-Ito, with text labels
        worst = "critical" if any(f.severity == "critical" for f in self.findings) else "warning"
        head_colour = "#009E73" if self.healthy else colour[worst]
        out = [
            "<div style='font-family:sans-serif'>",
            f"<p><b style='color:{head_colour}'>{esc(self._headline())}</b> "
            f"<span style='color:#555'>Examined: {esc(self.source)}</span></p>",
        ]
        if self.findings:
            out.append(
                "<table style='border-collapse:collapse;text-align:left'>"
                "<thead><tr><th>severity</th><th>problem</th><th>where</th>"
                "<th>what the numbers say</th><th>likely cause</th><th>fix</th>"
                "</tr></thead><tbody>"
            )
            for f in self.findings:
                see = f" <i>(notebooks {esc(', '.join(f.notebooks))})</i>" if f.notebooks else ""
                out.append(
                    "<tr style='border-top:1px solid #ccc;vertical-align:top'>"
                    f"<td style='color:{colour[f.severity]}'><b>{f.severity}</b></td>"
                    f"<td><b>{esc(f.title)}</b><br><code>{f.code}</code></td>"
                    f"<td>{esc(f.where)}</td><td>{esc(f.summary)}</td>"
                    f"<td>{esc(f.cause)}</td><td>{esc(f.fix)}{see}</td></tr>"
                )
            out.append("</tbody></table>")
        rows = self._merged_rows() if (self.linear_names or self.act_names) else []
        if rows:
            out.append(
                "<details><summary>per-layer numbers</summary>"
                "<table style='font-size:85%'><thead><tr>"
            )
            out.extend(f"<th>{esc(c)}</th>" for c in rows[0])
            out.append("</tr></thead><tbody>")
            for r in rows[1:]:
                out.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>")
            out.append("</tbody></table></details>")
        out.append("</div>")
        return "".join(out)


def _num(v) -> str:
    if v is None:
        return ""
    v = float(v)
    if not np.isfinite(v):
        return str(v)
    return f"{v:.3g}" if 1e-3 <= abs(v) < 1e4 or v == 0 else f"{v:.2e}"


def _pct(v) -> str:
    return "" if v is None or not np.isfinite(v) else f"{100 * float(v):.0f}%"


def _orders(g: float, ref: float) -> str:
    with np.errstate(all="ignore"):
        r = np.log10(g / ref) if ref > 0 else np.nan
    return f"{r:+.1f}" if np.isfinite(r) else ("-inf" if g == 0 and ref > 0 else "")


def _span(idx: list[int], what: str, total: int) -> str:
    """``"Linear layers 1-4 of 20"`` for 0-based ``idx``."""
    idx = sorted(i + 1 for i in idx)
    if not idx:
        return ""
    groups, start, prev = [], idx[0], idx[0]
    for i in idx[1:] + [None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        groups.append(f"{start}" if start == prev else f"{start}-{prev}")
        if i is not None:
            start = prev = i
    noun = what + ("s" if len(idx) > 1 else "")
    return f"{noun} {', '.join(groups)} of {total}"


# ------------------------------------------------------------------------------------------
# Context: what the model is made of (for tailoring the cause)
# ------------------------------------------------------------------------------------------
@dataclass
class _Context:
    kinds: set = field(default_factory=set)
    depth: int = 0
    batchnorm: bool = False
    residual: bool = False
    weight_scale: float = float("nan")  # median over Linear layers of std(W) * sqrt(fan_in)
    lr: float | None = None
    dtype: str = ""


def _context(model: Module | None, kinds, n_linear: int, lr) -> _Context:
    ctx = _Context(kinds=set(kinds), depth=n_linear, lr=lr)
    if model is None:
        return ctx
    mods = list(model.modules())
    ctx.batchnorm = any(isinstance(m, BatchNorm1d) for m in mods)
    ctx.residual = any(isinstance(m, Residual) for m in mods)
    scales = []
    with np.errstate(all="ignore"):
        for _, m in T.linear_layers(model):
            W = m.params["W"]
            ctx.dtype = str(W.dtype)
            scales.append(float(np.std(W)) * math.sqrt(W.shape[0]))
    if scales:
        ctx.weight_scale = float(np.median(scales))
    return ctx


def _scale_text(ctx: _Context) -> str:
    return (
        f"std(W)·√fan_in = {ctx.weight_scale:.3g} (Xavier ≈ 1 for tanh, He ≈ 1.41 for ReLU)"
        if np.isfinite(ctx.weight_scale)
        else ""
    )


def _join(parts: list[str]) -> str:
    return "; ".join(p for p in parts if p)


# ------------------------------------------------------------------------------------------
# Causes and fixes, tailored to the context
# ------------------------------------------------------------------------------------------
def _vanishing_advice(ctx: _Context, zero: bool) -> tuple[str, str, tuple[str, ...]]:
    cause, fix, nbs = [], [], []
    if zero:
        cause.append(
            "no gradient at all passes some layer: its units are all dead or "
            "saturated, so everything below it is frozen"
        )
    if ctx.kinds & {"sigmoid", "tanh"}:
        bound = "1/4" if "sigmoid" in ctx.kinds else "1"
        kinds = "/".join(sorted(ctx.kinds & {"sigmoid", "tanh"}))
        cause.append(
            f"each {kinds} layer multiplies the backward signal by f'(z) ≤ {bound}, "
            "so the gradient shrinks geometrically with depth"
        )
        fix.append("use ReLU or a variant (04)")
        nbs += ["01", "04"]
    if np.isfinite(ctx.weight_scale) and ctx.weight_scale < 0.5:
        cause.append(
            f"the weights are too small: {_scale_text(ctx)}, so every layer "
            "shrinks signals on the way forward and gradients on the way back"
        )
        fix.append("initialise with He (ReLU) or Xavier (tanh) (05)")
        nbs += ["02", "05"]
    elif not (ctx.kinds & {"sigmoid", "tanh"}):
        fix.append("check the initial scale: He init for ReLU (05)")
        nbs.append("05")
    if not ctx.batchnorm:
        fix.append("add batch norm after each Linear (06)")
        nbs.append("06")
    if not ctx.residual and ctx.depth >= 8:
        cause.append(f"a plain stack of {ctx.depth} layers has no shortcut for the gradient")
        fix.append("add residual connections (07)")
        nbs.append("07")
    if not cause:
        cause.append("the product of per-layer Jacobians shrinks with depth")
    return _join(cause), _join(fix), tuple(sorted(set(nbs)))


def _exploding_advice(ctx: _Context, lr_high: bool) -> tuple[str, str, tuple[str, ...]]:
    cause, fix, nbs = [], [], ["08"]
    if np.isfinite(ctx.weight_scale) and ctx.weight_scale > 2.0:
        cause.append(
            f"the weights are too large: {_scale_text(ctx)}, so every layer "
            "multiplies signals and gradients by more than 1"
        )
        fix.append("initialise with He (ReLU) or Xavier (tanh) (05)")
        nbs += ["02", "05"]
    if lr_high:
        cause.append(
            f"the learning rate{f' ({ctx.lr:g})' if ctx.lr else ''} is too large: "
            "each step grows the weights, which grows the next gradient"
        )
        fix.append("lower the learning rate about tenfold (03)")
        nbs.append("03")
    if ctx.residual and not ctx.batchnorm:
        cause.append("residual blocks add their output's variance at every block")
        fix.append("add batch norm in the blocks or scale their initial weights down (06, 07)")
        nbs += ["06", "07"]
    if ctx.batchnorm and not cause:
        cause.append(
            "deep batch-norm stacks grow gradients towards the input at "
            "initialisation (Yang et al. 2019)"
        )
    if not cause:
        cause.append(
            "the per-layer Jacobians have norms above 1 and their product grows "
            "with depth (or with training steps)"
        )
    fix.append("clip the gradient's global norm (08)")
    return _join(cause), _join(fix), tuple(sorted(set(nbs)))


def _nonfinite_advice(ctx: _Context) -> tuple[str, str, tuple[str, ...]]:
    dtype = f"the {ctx.dtype}" if ctx.dtype else "the floating-point"
    cause = [f"values overflowed {dtype} range: exploding activations or gradients"]
    if np.isfinite(ctx.weight_scale) and ctx.weight_scale > 2.0:
        cause.append(f"the weights are far too large ({_scale_text(ctx)})")
    if ctx.lr is not None:
        cause.append(f"or the learning rate ({ctx.lr:g}) made the weights diverge")
    fix = (
        "lower the learning rate (03), clip the gradient's global norm (08), use He/Xavier "
        "initialisation (05); check that the inputs hold no nan"
    )
    return _join(cause), fix, ("02", "05", "08")


# ------------------------------------------------------------------------------------------
# The checks, on plain arrays (shared by the batch and History paths)
# ------------------------------------------------------------------------------------------
def _orders_vs_last(g: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.log10(g / g[-1]) if len(g) and g[-1] > 0 else np.full(len(g), np.nan)


def _depth_findings(
    g: np.ndarray, names: list[str], ctx: _Context, step=None, lr_high: bool = False
) -> list[Finding]:
    """Vanishing / exploding from the gradient norm profile over depth."""
    out = []
    L = len(g)
    if L < 2 or not np.all(np.isfinite(g)) or g[-1] <= 0:
        return out
    r = _orders_vs_last(g)[:-1]
    low = [i for i in range(L - 1) if g[i] == 0 or r[i] <= -VANISHING_ORDERS]
    if low:
        zero = bool(np.any(g[:-1] == 0))
        worst = float(np.nanmin(np.where(g[:-1] > 0, r, np.nan))) if not zero else -np.inf
        sev = "critical" if zero or worst <= -VANISHING_CRITICAL_ORDERS else "warning"
        first = max(low) + 1  # counted from the output side, where it starts
        worst_txt = "exactly zero" if zero else f"10^{worst:.1f} times the last layer's"
        cause, fix, nbs = _vanishing_advice(ctx, zero)
        out.append(
            Finding(
                "vanishing",
                sev,
                _span(low, "Linear layer", L),
                tuple(names[i] for i in low),
                f"gradients vanish from Linear layer {first} down to the input: "
                f"{len(low)} of {L} layers get a gradient ≥ 10^{VANISHING_ORDERS:g} times smaller "
                f"than the last layer's; the smallest is {worst_txt}",
                cause,
                fix,
                nbs,
                {
                    "orders_vs_last": [float(x) for x in r],
                    "worst_orders": worst,
                    "from_layer": first,
                },
                step,
            )
        )
    high = [i for i in range(L - 1) if r[i] >= EXPLODING_ORDERS]
    if high:
        worst = float(np.nanmax(r))
        sev = "critical" if worst >= EXPLODING_CRITICAL_ORDERS else "warning"
        cause, fix, nbs = _exploding_advice(ctx, lr_high)
        out.append(
            Finding(
                "exploding",
                sev,
                _span(high, "Linear layer", L),
                tuple(names[i] for i in high),
                f"gradients grow towards the input: Linear layer {min(high) + 1} gets "
                f"10^{r[min(high)]:.1f} times the last layer's gradient (largest 10^{worst:.1f})",
                cause,
                fix,
                nbs,
                {"orders_vs_last": [float(x) for x in r], "worst_orders": worst},
                step,
            )
        )
    return out


def _relative_findings(rel: np.ndarray, names: list[str], ctx: _Context) -> list[Finding]:
    big = [i for i, v in enumerate(rel) if np.isfinite(v) and v >= RELATIVE_GRAD_MAX]
    if not big:
        return []
    worst = float(np.max(rel[big]))
    sev = "critical" if worst >= RELATIVE_GRAD_CRITICAL else "warning"
    cause, fix, nbs = _exploding_advice(ctx, False)
    return [
        Finding(
            "exploding",
            sev,
            _span(big, "Linear layer", len(rel)),
            tuple(names[i] for i in big),
            f"gradients are huge compared with the weights from Linear layer {big[0] + 1}: "
            f"‖dW‖/‖W‖ up to {worst:.3g} (≥ {RELATIVE_GRAD_MAX:g}: even lr = 1e-3 would change "
            "the weights by more than 100 % in one step)",
            cause,
            fix,
            nbs,
            {"grad_over_weight": [float(x) for x in rel], "worst": worst},
        )
    ]


def _signal_findings(
    std: np.ndarray, names: list[str], kinds: list[str], ctx: _Context, step=None
) -> list[Finding]:
    """Forward signal dying out or blowing up with depth (activation std vs the first)."""
    A = len(std)
    if A < 2 or not np.all(np.isfinite(std)) or std[0] <= 0:
        return []
    ratio = std / std[0]
    out = []
    small = [j for j in range(1, A) if ratio[j] <= SIGNAL_DECAY]
    if small:
        worst = float(ratio[small].min())
        sev = "critical" if worst <= SIGNAL_DECAY_CRITICAL else "warning"
        cause, fix, nbs = _vanishing_advice(ctx, worst == 0)
        out.append(
            Finding(
                "vanishing",
                sev,
                _span(small, "activation layer", A),
                tuple(names[j] for j in small),
                f"the forward signal dies out: from activation layer {small[0] + 1} on, the "
                f"activations' std is ≤ {SIGNAL_DECAY:g} times the first layer's "
                f"(smallest {worst:.2e}); the output barely depends on the input, so the "
                "gradients carry little information",
                cause,
                fix,
                nbs,
                {"std_ratio": [float(x) for x in ratio], "worst": worst},
                step,
            )
        )
    big = [j for j in range(1, A) if ratio[j] >= SIGNAL_GROWTH]
    if big:
        worst = float(ratio[big].max())
        sev = "critical" if worst >= SIGNAL_GROWTH_CRITICAL else "warning"
        cause, fix, nbs = _exploding_advice(ctx, False)
        out.append(
            Finding(
                "exploding",
                sev,
                _span(big, "activation layer", A),
                tuple(names[j] for j in big),
                f"activations explode with depth: from activation layer {big[0] + 1} on their std "
                f"is ≥ {SIGNAL_GROWTH:g} times the first layer's (largest {worst:.2e})",
                cause,
                fix,
                nbs,
                {"std_ratio": [float(x) for x in ratio], "worst": worst},
                step,
            )
        )
    return out


def _saturation_findings(sat: np.ndarray, names, kinds, ctx: _Context, step=None):
    idx = [j for j, v in enumerate(sat) if np.isfinite(v) and v >= SATURATED]
    if not idx:
        return []
    worst = float(np.max(sat[idx]))
    sev = "critical" if worst >= SATURATED_CRITICAL else "warning"
    cause = [
        "the pre-activations are too large, so most units sit in the flat tails of "
        f"{'/'.join(sorted({kinds[j] for j in idx}))} where f'(z) ≈ 0"
    ]
    if np.isfinite(ctx.weight_scale) and ctx.weight_scale > 2.0:
        cause.append(f"the weights are too large: {_scale_text(ctx)}")
    fix = ["initialise with Xavier (05)"]
    if not ctx.batchnorm:
        fix.append("add batch norm before each activation (06)")
    fix.append("or use ReLU (04); normalise the inputs")
    return [
        Finding(
            "saturation",
            sev,
            _span(idx, "activation layer", len(sat)),
            tuple(names[j] for j in idx),
            f"{len(idx)} of {len(sat)} activation layers are saturated: up to {100 * worst:.0f} % "
            f"of outputs in the flat tails (threshold {100 * SATURATED:.0f} %)",
            _join(cause),
            _join(fix),
            ("01", "02", "05", "06"),
            {"saturated": [float(x) for x in sat], "worst": worst},
            step,
        )
    ]


def _dead_findings(dead: np.ndarray, names, ctx: _Context, step=None):
    idx = [j for j, v in enumerate(dead) if np.isfinite(v) and v >= DEAD]
    if not idx:
        return []
    worst = float(np.max(dead[idx]))
    sev = "critical" if worst >= DEAD_CRITICAL else "warning"
    cause = (
        "ReLU units whose pre-activation is negative for every input output 0 and get no "
        "gradient, so they never recover: typically large negative biases, weights "
        "knocked over by a too-large learning-rate step, or a bad initial scale"
    )
    fix = (
        "re-initialise with zero biases (He initialisation, 04-05); batch norm before the "
        "activation (06); a smaller learning rate if the units died while training (03); "
        "LeakyReLU or ELU only with a slope that lets gradient through (04: the default "
        "alpha = 0.01 revives a dead layer slowly)"
    )
    return [
        Finding(
            "dead_units",
            sev,
            _span(idx, "activation layer", len(dead)),
            tuple(names[j] for j in idx),
            f"{len(idx)} of {len(dead)} activation layers are mostly dead: up to "
            f"{100 * worst:.0f} % of units never fire on this batch (threshold "
            f"{100 * DEAD:.0f} %)",
            cause,
            fix,
            ("03", "04", "05", "06"),
            {"dead": [float(x) for x in dead], "worst": worst},
            step,
        )
    ]


def _update_findings(ratio: np.ndarray, names, ctx: _Context, *, estimate: bool):
    up, down = (ESTIMATE_SLACK_HIGH, ESTIMATE_SLACK_LOW) if estimate else (1.0, 1.0)
    hi, hi_c = UPDATE_HIGH * up, UPDATE_HIGH_CRITICAL * up
    lo, lo_c = UPDATE_LOW / down, UPDATE_LOW_CRITICAL / down
    how = "estimated for the first SGD step" if estimate else "median over the recorded steps"
    lr = f" (lr = {ctx.lr:g})" if ctx.lr else ""
    out = []
    L = len(ratio)
    high = [i for i, v in enumerate(ratio) if np.isfinite(v) and v > hi]
    if high:
        worst = float(np.max(ratio[high]))
        out.append(
            Finding(
                "update_ratio_high",
                "critical" if worst > hi_c else "warning",
                _span(high, "Linear layer", L),
                tuple(names[i] for i in high),
                f"updates are too large{lr}: ‖ΔW‖/‖W‖ up to {worst:.3g} ({how}), against the rule "
                f"of thumb {UPDATE_REFERENCE:g} (threshold {hi:g})",
                "the learning rate is too large for these layers: each step rewrites a large "
                "part of the weights, training jumps around or diverges",
                "lower the learning rate (about tenfold) or clip the gradient norm (03, 08)",
                ("03", "08"),
                {"update_ratio": [float(x) for x in ratio], "worst": worst},
            )
        )
    low = [i for i, v in enumerate(ratio) if np.isfinite(v) and v < lo]
    if low:
        worst = float(np.min(ratio[low]))
        out.append(
            Finding(
                "update_ratio_low",
                "critical" if worst < lo_c else "warning",
                _span(low, "Linear layer", L),
                tuple(names[i] for i in low),
                f"updates are too small{lr}: ‖ΔW‖/‖W‖ down to {worst:.3g} ({how}), against the "
                f"rule of thumb {UPDATE_REFERENCE:g} (threshold {lo:g}); these layers barely learn",
                "the learning rate is too small, or the gradient reaching these layers vanishes",
                "raise the learning rate; if only the early layers are affected, fix the "
                "vanishing gradient first (03, 04-07)",
                ("03",),
                {"update_ratio": [float(x) for x in ratio], "worst": worst},
            )
        )
    return out


# ------------------------------------------------------------------------------------------
# Examining a model on a batch
# ------------------------------------------------------------------------------------------
def _first_nonfinite_module(model: Module) -> tuple[str, Module] | None:
    """The first leaf module (forward order) whose output holds nan/inf."""
    for name, m in T.named_modules(model):
        if any(True for _ in m.children()):
            continue
        out = m.output
        if out is not None and not np.all(np.isfinite(out)):
            return name, m
    return None


def _layer_label(model: Module, name: str) -> str:
    for i, (n, _) in enumerate(T.linear_layers(model)):
        if n == name:
            return f"Linear layer {i + 1} ('{name}')"
    for j, (n, m) in enumerate(T.activation_layers(model)):
        if n == name:
            return f"activation layer {j + 1} ({m.name}, '{name}')"
    return f"layer '{name}'"


def _nonfinite_batch(model: Module, X, loss_value, ctx) -> list[Finding]:
    cause, fix, nbs = _nonfinite_advice(ctx)
    if not np.all(np.isfinite(X)):
        return [
            Finding(
                "nonfinite",
                "critical",
                "the input batch",
                ("input",),
                "the input X itself holds nan or inf",
                "bad data",
                "clean or normalise the inputs",
                (),
                {},
                None,
            )
        ]
    bad_w = [
        (n, m)
        for n, m in T.linear_layers(model)
        if not all(np.all(np.isfinite(p)) for p in m.params.values())
    ]
    if bad_w:
        n, _ = bad_w[0]
        return [
            Finding(
                "nonfinite",
                "critical",
                _layer_label(model, n),
                tuple(n for n, _ in bad_w),
                f"the weights themselves hold nan/inf, first in "
                f"{_layer_label(model, n)} ({len(bad_w)} layers affected): "
                "training has already diverged",
                cause,
                fix,
                nbs,
                {"layers_with_bad_weights": len(bad_w)},
                None,
            )
        ]
    hit = _first_nonfinite_module(model)
    if hit is not None:
        n, _ = hit
        return [
            Finding(
                "nonfinite",
                "critical",
                _layer_label(model, n),
                (n,),
                f"the forward pass overflows: the first nan/inf appears in the output "
                f"of {_layer_label(model, n)}",
                cause,
                fix,
                nbs,
                {},
                None,
            )
        ]
    if not np.isfinite(loss_value):
        return [
            Finding(
                "nonfinite",
                "critical",
                "the loss",
                ("loss",),
                f"the loss is {loss_value} although every activation is finite",
                cause,
                fix,
                nbs,
                {},
                None,
            )
        ]
    lin = T.linear_layers(model)
    bad_g = [i for i, (_, m) in enumerate(lin) if not np.all(np.isfinite(m.grads["W"]))]
    if bad_g:
        last = max(bad_g)
        return [
            Finding(
                "nonfinite",
                "critical",
                _span(bad_g, "Linear layer", len(lin)),
                tuple(lin[i][0] for i in bad_g),
                f"the backward pass overflows: gradients hold nan/inf from Linear "
                f"layer {last + 1} (where backprop meets it first) down to the input",
                cause,
                fix,
                nbs,
                {},
                None,
            )
        ]
    return []


def _f64(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _examine_batch(model: Module, X, y, loss: str, lr, optimizer):
    X = np.asarray(X)
    lin = T.linear_layers(model)
    acts = T.activation_layers(model)
    lin_names = [n for n, _ in lin]
    act_names = [n for n, _ in acts]
    kinds = [m.name for _, m in acts]
    if optimizer is not None and lr is None:
        lr = float(optimizer.lr)
    ctx = _context(model, kinds, len(lin), lr)
    with np.errstate(all="ignore"):
        try:
            loss_value = float(T.forward_backward(model, X, y, loss))
        except FloatingPointError:
            loss_value = float("nan")
        # float64 copies: float32 sums of squares overflow long before the values do
        g = np.array([T._norm(_f64(m.grads["W"])) for _, m in lin])
        w = np.array([T._norm(_f64(m.params["W"])) for _, m in lin])
        rel = np.where(w > 0, g / np.where(w > 0, w, 1), np.inf)
        outs = [m.output for _, m in acts]
        std = np.array([T.mean_std(_f64(o))[1] for o in outs])
        sat = np.array([T.saturated_fraction(o, k) for o, k in zip(outs, kinds, strict=True)])
        dead = np.array([T.dead_fraction(o, k) for o, k in zip(outs, kinds, strict=True)])
        upd = None
        if lr is not None:
            if optimizer is not None and type(optimizer).__name__ == "Adam":
                sizes = np.array([np.sqrt(m.params["W"].size) for _, m in lin])
                upd = lr * sizes / np.where(w > 0, w, np.nan)
            else:
                upd = lr * rel
    findings = _nonfinite_batch(model, X, loss_value, ctx)
    if not findings:
        lr_high = upd is not None and bool(np.nanmax(upd) > UPDATE_HIGH * ESTIMATE_SLACK_HIGH)
        findings += _depth_findings(g, lin_names, ctx, lr_high=lr_high)
        findings += _relative_findings(rel, lin_names, ctx)
        findings += _signal_findings(std, act_names, kinds, ctx)
        findings += _saturation_findings(sat, act_names, kinds, ctx)
        findings += _dead_findings(dead, act_names, ctx)
        if upd is not None:
            findings += _update_findings(upd, lin_names, ctx, estimate=True)
    mode = model.mode
    report = Report(
        findings=findings,
        source=f"one batch of {len(X)} examples ({mode} mode), {len(lin)} Linear and "
        f"{len(acts)} activation layers" + (f", lr = {lr:g}" if lr is not None else ""),
        linear_names=lin_names,
        act_names=act_names,
        act_kinds=kinds,
        grad_norm=g,
        rel_grad=rel,
        update_ratio=upd,
        act_std=std,
        saturated=sat,
        dead=dead,
        loss=loss_value,
    )
    return report, ctx


# ------------------------------------------------------------------------------------------
# Examining a History
# ------------------------------------------------------------------------------------------
def _nanmedian(a: np.ndarray, axis=0) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.size == 0:
        return np.full(a.shape[1] if a.ndim == 2 else 0, np.nan)
    with np.errstate(all="ignore"):
        out = np.full(a.shape[1], np.nan)
        for k in range(a.shape[1]):
            col = a[:, k][np.isfinite(a[:, k])]
            if col.size:
                out[k] = np.median(col)
        return out


def _examine_history(h, ctx: _Context) -> tuple[list[Finding], dict[str, Any]]:
    names = list(h.linear_names)
    act_names, kinds = list(h.act_names), list(h.act_kinds)
    steps = np.asarray(h.telemetry_steps)
    G = np.asarray(h.grad_norm, dtype=np.float64)
    findings: list[Finding] = []
    cause, fix, nbs = _nonfinite_advice(ctx)
    # non-finite values
    bad_rows = [r for r in range(len(G)) if not np.all(np.isfinite(G[r]))]
    if h.nan_step is not None or bad_rows:
        if bad_rows:
            r = bad_rows[0]
            cols = [i for i in range(G.shape[1]) if not np.isfinite(G[r, i])]
            step = int(steps[r])
            where = _span(cols, "Linear layer", G.shape[1])
            summary = f"gradients became nan/inf at step {step} in {where}" + (
                f"; the loss became {h.loss[h.nan_step]} at step {h.nan_step}"
                if h.nan_step is not None
                else ""
            )
            layers = tuple(names[i] for i in cols)
        else:
            step = int(h.nan_step)
            A = np.asarray(h.act_mean)
            last = A[-1] if len(A) else np.empty(0)
            where = "the loss"
            summary = f"the loss became {h.loss[h.nan_step]} at step {step} and training stopped"
            layers = ("loss",)
            if len(last) and not np.all(np.isfinite(last)):
                j = int(np.argmax(~np.isfinite(last)))
                where = f"activation layer {j + 1} ({kinds[j]})"
                summary += f"; the last record already had nan/inf activations from {where}"
                layers = (act_names[j],)
            elif len(G) >= 2:
                ratio = G[-1] / G[0] if np.all(G[0] > 0) else None
                if ratio is not None and np.all(np.isfinite(ratio)) and np.max(ratio) > 10:
                    summary += (
                        f"; by the last recorded step (step {int(steps[-1])}) the "
                        f"gradient norms had grown up to {np.max(ratio):.3g}-fold"
                    )
        findings.append(
            Finding(
                "nonfinite",
                "critical",
                where,
                layers,
                summary,
                cause,
                fix,
                nbs,
                {"nan_step": h.nan_step},
                step,
            )
        )
    ratio_med = _nanmedian(h.update_ratio) if np.size(h.update_ratio) else None
    lr_high = ratio_med is not None and bool(np.nanmax(ratio_med, initial=0) > UPDATE_HIGH)
    if len(G):
        # exploding during training: total gradient norm against the first record
        with np.errstate(all="ignore"):
            total = np.sqrt(np.sum(np.square(G), axis=1))
            fin = total[np.isfinite(total)]
            ref = float(np.median(fin)) if fin.size else np.nan
            growth = total / ref if ref > 0 else np.full(len(total), np.nan)
        over = np.flatnonzero(np.isfinite(growth) & (growth >= TRAINING_GROWTH))
        if over.size:
            worst = float(np.nanmax(growth[np.isfinite(growth)]))
            c, f, n = _exploding_advice(ctx, lr_high)
            findings.append(
                Finding(
                    "exploding",
                    "critical" if worst >= TRAINING_GROWTH_CRITICAL else "warning",
                    "all Linear layers (total norm)",
                    tuple(names),
                    f"the total gradient norm reached {growth[over[0]]:.3g} times its median "
                    f"over training at step {int(steps[over[0]])} (up to {worst:.3g} times)",
                    c,
                    f,
                    n,
                    {"growth": worst},
                    int(steps[over[0]]),
                )
            )
        finite_rows = [r for r in range(len(G)) if np.all(np.isfinite(G[r]))]
        if finite_rows:
            g = _nanmedian(G[finite_rows])
            findings += _depth_findings(g, names, ctx, step=None, lr_high=lr_high)
    if np.size(h.act_std):
        findings += _signal_findings(
            np.asarray(h.act_std)[0],
            act_names,
            kinds,
            ctx,
            step=int(steps[0]) if len(steps) else None,
        )
        findings += _saturation_findings(_nanmedian(h.saturated), act_names, kinds, ctx)
        last_dead = np.asarray(h.dead)[-1]
        findings += _dead_findings(
            last_dead, act_names, ctx, step=int(steps[-1]) if len(steps) else None
        )
    if ratio_med is not None:
        findings += _update_findings(ratio_med, names, ctx, estimate=False)
    numbers = {
        "grad_norm": _nanmedian(G) if len(G) else np.empty(0),
        "update_ratio": ratio_med,
        "act_std": np.asarray(h.act_std)[0] if np.size(h.act_std) else np.empty(0),
        "saturated": _nanmedian(h.saturated) if np.size(h.saturated) else np.empty(0),
        "dead": np.asarray(h.dead)[-1] if np.size(h.dead) else np.empty(0),
    }
    return findings, numbers


# ------------------------------------------------------------------------------------------
# The entry point
# ------------------------------------------------------------------------------------------
def _sort(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (CODES.index(f.code), _SEVERITY_RANK[f.severity]))


def _merge(first: list[Finding], second: list[Finding]) -> list[Finding]:
    """``first`` plus the findings of ``second`` whose code ``first`` does not have."""
    have = {f.code for f in first}
    return first + [f for f in second if f.code not in have]


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per code: the most severe (the first, on ties)."""
    best: dict[str, Finding] = {}
    for f in findings:
        if f.code not in best or _SEVERITY_RANK[f.severity] < _SEVERITY_RANK[best[f.code].severity]:
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
        gradients in ``model.grads`` are overwritten).
    X : ndarray of shape (N, D)
        A batch of inputs; a few hundred examples make the dead-unit fractions meaningful.
    y : ndarray of shape (N,)
        Integer labels (or targets with ``loss="mse"``).
    history : vanishing.train.History, optional
        What :func:`vanishing.train.fit` recorded (with ``telemetry=True``): adds divergence
        (``nan_step``), gradient growth during training and measured update ratios.
    lr : float, optional
        Learning rate of plain SGD, to estimate update ratios from one batch.
    optimizer : Optimizer, optional
        Instead of ``lr``: its ``lr`` (and for Adam its per-entry step) is used.
    loss : {"cross_entropy", "mse"}

    Returns
    -------
    Report
        ``report.healthy`` is ``True`` when nothing crossed a threshold (module docstring).
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

    batch_report = ctx = None
    if model is not None:
        batch_report, ctx = _examine_batch(model, X, y, loss, lr, optimizer)
        if lr is None and optimizer is None:
            ctx.lr = lr_ctx
    if history is None:
        batch_report.findings = _sort(_dedupe(batch_report.findings))
        return batch_report

    if ctx is None:
        kinds = list(history.act_kinds)
        ctx = _context(None, kinds, len(history.linear_names), lr_ctx)
    h_findings, numbers = _examine_history(history, ctx)
    h_findings = _dedupe(h_findings)
    n_rec = len(history.telemetry_steps)
    h_source = (
        f"a training History of {history.steps} steps ({n_rec} telemetry records"
        + (f", lr = {history.lr:g}" if np.isfinite(history.lr) else "")
        + ")"
    )
    if batch_report is None:
        return Report(
            findings=_sort(h_findings),
            source=h_source,
            linear_names=list(history.linear_names),
            act_names=list(history.act_names),
            act_kinds=list(history.act_kinds),
            grad_norm=numbers["grad_norm"],
            rel_grad=None,
            update_ratio=numbers["update_ratio"],
            act_std=numbers["act_std"],
            saturated=numbers["saturated"],
            dead=numbers["dead"],
        )
    # both: the History speaks for what happened during training (steps, measured ratios),
    # the batch for the network as it is now
    merged = _merge(h_findings, _dedupe(batch_report.findings))
    batch_report.findings = _sort(merged)
    batch_report.source = f"{batch_report.source}; and {h_source}"
    if numbers["update_ratio"] is not None:
        batch_report.update_ratio = numbers["update_ratio"]
    return batch_report
