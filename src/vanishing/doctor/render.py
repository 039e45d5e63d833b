"""Rendering a :class:`~vanishing.doctor.report.Report`: plain text and HTML (no rules here)."""

from __future__ import annotations

import html

import numpy as np


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


def span(idx: list[int], what: str, total: int) -> str:
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


def headline(report) -> str:
    if report.healthy:
        return "HEALTHY: no gradient problem found."
    n_crit = sum(f.severity == "critical" for f in report.findings)
    parts = [f"{len(report.findings)} problem{'s' * (len(report.findings) != 1)} found"]
    if n_crit:
        parts.append(f"{n_crit} critical")
    return f"NOT HEALTHY: {', '.join(parts)}."


def layer_table(report) -> list[list[str]]:
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
    L = len(report.linear_names)
    gl = report.grad_norm[-1] if L else np.nan
    for i, name in enumerate(report.linear_names):
        g = report.grad_norm[i]
        rows.append(
            [
                f"Linear {i + 1}",
                name or "(model)",
                "linear",
                _num(g),
                _orders(g, gl) if i < L - 1 else "",
                _num(report.rel_grad[i]) if report.rel_grad is not None else "",
                _num(report.update_ratio[i]) if report.update_ratio is not None else "",
                "",
                "",
                "",
            ]
        )
    for j, name in enumerate(report.act_names):
        rows.append(
            [
                f"act {j + 1}",
                name,
                report.act_kinds[j],
                "",
                "",
                "",
                "",
                _num(report.act_std[j]),
                _pct(report.saturated[j]),
                _pct(report.dead[j]),
            ]
        )
    return rows


def to_text(report, layers: bool = True) -> str:
    """Plain-text report; ``layers=False`` leaves out the per-layer table."""
    lines = [
        "Gradient doctor report",
        "=" * 22,
        f"Examined: {report.source}",
        headline(report),
        "",
    ]
    for i, f in enumerate(report.findings, 1):
        lines.append(f"{i}. {f}")
        lines.append("")
    if layers and (report.linear_names or report.act_names):
        rows = merged_rows(report)
        widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
        lines.append("Per-layer numbers (input side first):")
        for r in rows:
            lines.append(
                "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            )
    return "\n".join(lines).rstrip() + "\n"


def merged_rows(report) -> list[list[str]]:
    """Linear and activation rows interleaved in forward order, empty columns dropped."""
    rows = layer_table(report)
    head, body = rows[0], rows[1:]
    L = len(report.linear_names)
    lin, act = body[:L], body[L:]
    merged = []
    for i in range(max(len(lin), len(act))):
        if i < len(lin):
            merged.append(lin[i])
        if i < len(act):
            merged.append(act[i])
    keep = [k for k in range(len(head)) if k < 3 or any(r[k] for r in merged)]
    return [[r[k] for k in keep] for r in [head, *merged]]


def to_html(report) -> str:
    esc = html.escape
    colour = {"critical": "#D55E00", "warning": "#E69F00"}  # Okabe-Ito, with text labels
    worst = "critical" if any(f.severity == "critical" for f in report.findings) else "warning"
    head_colour = "#009E73" if report.healthy else colour[worst]
    out = [
        "<div style='font-family:sans-serif'>",
        f"<p><b style='color:{head_colour}'>{esc(headline(report))}</b> "
        f"<span style='color:#555'>Examined: {esc(report.source)}</span></p>",
    ]
    if report.findings:
        out.append(
            "<table style='border-collapse:collapse;text-align:left'>"
            "<thead><tr><th>severity</th><th>problem</th><th>where</th>"
            "<th>what the numbers say</th><th>likely cause</th><th>fix</th>"
            "</tr></thead><tbody>"
        )
        for f in report.findings:
            see = f" <i>(notebooks {esc(', '.join(f.notebooks))})</i>" if f.notebooks else ""
            out.append(
                "<tr style='border-top:1px solid #ccc;vertical-align:top'>"
                f"<td style='color:{colour[f.severity]}'><b>{f.severity}</b></td>"
                f"<td><b>{esc(f.title)}</b><br><code>{f.code}</code></td>"
                f"<td>{esc(f.where)}</td><td>{esc(f.summary)}</td>"
                f"<td>{esc(f.cause)}</td><td>{esc(f.fix)}{see}</td></tr>"
            )
        out.append("</tbody></table>")
    rows = merged_rows(report) if (report.linear_names or report.act_names) else []
    if rows:
        out.append(
            "<details><summary>per-layer numbers</summary><table style='font-size:85%'><thead><tr>"
        )
        out.extend(f"<th>{esc(c)}</th>" for c in rows[0])
        out.append("</tr></thead><tbody>")
        for r in rows[1:]:
            out.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>")
        out.append("</tbody></table></details>")
    out.append("</div>")
    return "".join(out)
