"""``make bench``: run every benchmark, print one table and write it to ``bench/RESULTS.md``.

Every figure is set against a reference measured in the same run (these machines are shared
and noisy, so absolute times alone mean little); each row states its target and whether it
is met. Options: ``--quick`` skips the notebook runs and the scaling grid.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

# siblings in bench/ (sys.path[0] when this script runs)
import bench_budgets
import bench_explorer
import bench_telemetry
import bench_train_step
import notebooks
import scaling

HERE = Path(__file__).resolve().parent

ROWS: list[tuple[str, str, str, str, bool | None]] = []


def row(what: str, measured: str, reference: str, target: str, met: bool | None) -> None:
    ROWS.append((what, measured, reference, target, met))
    flag = {True: "met", False: "MISSED", None: "-"}[met]
    print(f"  {what:<58} {measured:<26} {target:<14} {flag}", flush=True)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    return (
        f"{cpu}; {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"numpy {np.__version__}; OPENBLAS_NUM_THREADS={threads}; load average {load}"
    )


def quiet(fn, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args, **kwargs)


def bench_training() -> None:
    r = quiet(bench_train_step.measure)
    row(
        "training step mlp d20 w256 N128 f32 vs hand-written numpy",
        f"{r['ms_vanishing']:.2f} ms / {r['ms_handwritten']:.2f} ms = {r['ratio']:.2f}x",
        "hand-written loop",
        "<= 1.15x",
        r["ratio"] <= 1.15,
    )
    row(
        "training step arithmetic rate vs float32 matmul rate",
        f"{r['gflops']:.0f} / {r['matmul_gflops']:.0f} GFLOP/s = {100 * r['rate_fraction']:.0f}%",
        "same GEMMs alone",
        ">= 60%",
        r["rate_fraction"] >= 0.60,
    )
    t = quiet(bench_telemetry.main)
    row(
        "telemetry recording on vs off (same step)",
        f"{t['on_ms']:.2f} / {t['off_ms']:.2f} ms = {t['ratio']:.2f}x",
        "telemetry off",
        "<= 1.25x",
        t["ratio"] <= 1.25,
    )


def bench_explorer_rows() -> None:
    e = quiet(bench_explorer.main)
    row(
        "explorer compute, 50 layers x w256 x N128 (median)",
        f"{e['explore_ms']:.1f} ms ({e['explore_ms'] / e['gemm_ms']:.1f}x its GEMMs)",
        "its GEMMs alone",
        "<= 50 ms",
        e["explore_ms"] <= 50,
    )
    row(
        "explorer redraw (figure to PNG), for information",
        f"{e['redraw_ms']:.0f} ms ({e['redraw_ms'] / e['explore_ms']:.1f}x compute)",
        "explorer compute",
        "say it",
        None,
    )


def bench_budget_rows() -> None:
    s = quiet(bench_budgets.measure_scan)
    row(
        "static scan: 2,000 x? + 2,000 !ls lines vs as many plain lines (once 187 s)",
        f"{s['ipython_s']:.3f} s / {s['plain_s']:.3f} s = {s['ratio']:.2f}x",
        "plain cells, same run",
        "<= 3x",
        s["ratio"] <= 3,
    )
    f = quiet(bench_budgets.measure_feedback)
    row(
        "feedback markdown: 96,000 [ and ] and a <script> vs as many letters",
        f"{f['hostile_s']:.3f} s / {f['plain_s']:.3f} s = {f['ratio']:.1f}x",
        "plain answer, same run",
        "<= 30x",
        f["ratio"] <= 30,
    )
    t = quiet(bench_budgets.measure_treat)
    row(
        "capstone.treat (a fix test runs it 10 times) vs one plain fit of the same net",
        f"{t['treat_s']:.2f} s / {t['fit_s']:.2f} s = {t['ratio']:.2f}x",
        "fit_split, same run",
        "<= 1.5x",
        t["ratio"] <= 1.5,
    )
    c = quiet(bench_budgets.measure_collect)
    row(
        "collect: LMS zip with three compression bombs vs an honest zip of the same names",
        f"{c['bombs_s']:.3f} s / {c['honest_s']:.3f} s = {c['ratio']:.1f}x",
        "honest zip, same run",
        "<= 12x",  # reading every bomb to the end: ~34x
        c["ratio"] <= 12,
    )


def bench_notebooks() -> None:
    for autograde in (False, True):
        r = notebooks.measure(autograde=autograde)
        limit = 10 if autograde else 20
        mode = "under autograding" if autograde else "top to bottom"
        for nb in r["notebooks"]:
            ok = nb["seconds"] <= limit and (autograde or nb["peak_mb"] <= 600)
            row(
                f"{nb['notebook']} {mode}",
                f"{nb['seconds']:.1f} s, {nb['peak_mb']:.0f} MB "
                f"({nb['ratio_to_empty']:.1f}x empty)",
                "empty notebook",
                f"<= {limit} s" + ("" if autograde else ", 600 MB"),
                ok,
            )
        total_limit = 60 if autograde else 120
        row(
            f"whole course {mode}",
            f"{r['total_seconds']:.1f} s ({r['total_seconds'] / r['empty_seconds']:.1f}x empty)",
            f"empty notebook {r['empty_seconds']:.1f} s",
            f"<= {total_limit} s",
            r["total_seconds"] <= total_limit,
        )


def bench_grading_rows() -> None:
    try:
        import bench_grading
    except ImportError:
        row("grading: serial vs --jobs 2", "not measured (bench_grading missing)", "-", "-", None)
        return
    runs = [quiet(bench_grading.measure) for _ in range(3)]  # a noisy figure: median of 3
    runs.sort(key=lambda r: r["speedup"])
    g = runs[1]
    spread = "; runs " + ", ".join(f"{r['speedup']:.2f}" for r in runs)
    row(
        "grading: s per student-notebook, plain nbgrader serial vs --jobs 2 (median of 3)",
        f"{g['serial_s_per_notebook']:.2f} s / {g['parallel_s_per_notebook']:.2f} s = "
        f"{g['speedup']:.2f}x" + (" (sandboxed)" if g["sandboxed"] else " (no sandbox)") + spread,
        "plain nbgrader serial, same run",
        ">= 1.7x",
        g["speedup"] >= 1.7,
    )
    split = sorted(runs, key=lambda r: r["split_cost"])
    row(
        "grading: tests in a second kernel (grader/split.py) vs in the student's, "
        "--jobs 2 sandboxed, median of 3",
        f"{split[1]['parallel_s_per_notebook']:.2f} s / "
        f"{split[1]['one_kernel_s_per_notebook']:.2f} s = {split[1]['split_cost']:.2f}x; runs "
        + ", ".join(f"{r['split_cost']:.2f}" for r in split),
        "the same batch in one kernel, same run",
        "<= 1.3x",
        split[1]["split_cost"] <= 1.3,
    )
    nos = sorted(r["no_sandbox_speedup"] for r in runs)[1]
    row(
        "grading: the same, --jobs 2 --no-sandbox (what the sandbox costs), median",
        f"{nos:.2f}x",
        "plain nbgrader serial, same run",
        "for information",
        None,
    )


def bench_cluster_rows() -> None:
    import bench_cluster

    r = quiet(bench_cluster.measure)
    if "skipped" in r:
        row("grading: 3 Slurm shards vs one machine", f"not measured ({r['skipped']})", "-",
            "-", None)  # fmt: skip
        return
    row(
        "grading: 3 Slurm array tasks vs one machine (--jobs = cores), same cores (nb/s); "
        "per-shard overhead",
        f"{r['array_nb_per_s']:.2f} / {r['single_nb_per_s']:.2f} nb/s = {r['ratio']:.2f}x; "
        f"overhead {r['overhead_per_shard_s']:.1f} core-s per shard "
        f"({r['idle_shard_s']:.1f} with nothing to grade)",
        "one machine, same run",
        "~1x (for information)",
        None,
    )


def bench_scaling() -> None:
    rows = quiet(scaling.main)
    by = {(r["depth"], r["width"]): r for r in rows}
    # linear in depth: time per flop at depth 100 vs depth 10, per width
    worst = max(by[(100, w)]["ns_per_mflop"] / by[(10, w)]["ns_per_mflop"] for w in scaling.WIDTHS)
    row(
        "scaling: time per flop, depth 100 vs depth 10 (worst width)",
        f"{worst:.2f}x",
        "depth 10",
        "<= 1.5x",
        worst <= 1.5,
    )
    w = by[(50, 1024)]["ns_per_mflop"] / by[(50, 256)]["ns_per_mflop"]
    row(
        "scaling: time per flop, width 1024 vs width 256 (depth 50)",
        f"{w:.2f}x",
        "width 256",
        "<= 1.5x",
        w <= 1.5,
    )


def write(path: Path, header: str, seconds: float) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {header}",
        "",
        f"Made by `make bench` in {seconds:.0f} s. Each figure is set against a reference "
        "measured in the same run. Scaling plot: [scaling.png](scaling.png).",
        "",
        "| benchmark | measured | reference | target | met |",
        "|---|---|---|---|---|",
    ]
    for what, measured, ref, target, met in ROWS:
        flag = {True: "met", False: "**missed**", None: "-"}[met]
        lines.append(f"| {what} | {measured} | {ref} | {target} | {flag} |")
    path.write_text("\n".join(lines) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip notebooks and the scaling grid")
    args = ap.parse_args()
    header = machine()
    print(f"machine: {header}")
    t0 = time.perf_counter()
    bench_training()
    bench_explorer_rows()
    bench_budget_rows()
    if not args.quick:
        bench_notebooks()
        bench_grading_rows()
        bench_cluster_rows()
        bench_scaling()
    write(HERE / "RESULTS.md", header, time.perf_counter() - t0)
    missed = [r for r in ROWS if r[4] is False]
    print(f"{len(ROWS)} rows, {len(missed)} missed; table written to bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
