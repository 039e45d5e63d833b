"""How the cost of a training step and of the explorer's compute grows with depth and width.

Times the ``vanishing`` training step (float32, ReLU, batch 128) on a grid of depths
10, 25, 50, 100 and widths 64, 256, 1024 and divides each time by the step's flop count:
if the cost scales as the arithmetic does (linear in depth, quadratic in width) the time per
flop is flat along depth and falls or stays flat along width (small matrices use the machine
less well). Writes ``bench/scaling.png`` and returns the table.

Run: ``.venv/bin/python bench/scaling.py``.
"""

from __future__ import annotations

import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from bench_train_step import package, step_flops  # noqa: E402

DEPTHS = (10, 25, 50, 100)
WIDTHS = (64, 256, 1024)
BATCH = 128
OUT = Path(__file__).with_name("scaling.png")


def _median(fn, budget_s=0.6, min_runs=3) -> float:
    fn()
    times, start = [], time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < budget_s:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= 50:
            break
    return float(np.median(times))


def explorer_fn(depth, width):
    """The explorer's compute, if vanishing.widgets provides ``explore``; else None."""
    try:
        from vanishing.widgets import explore
    except ImportError:
        return None
    return lambda: explore(
        depth=depth,
        width=width,
        activation="relu",
        init="he_normal",
        gain=1.0,
        batch=BATCH,
        rng=np.random.default_rng(0),
    )


def measure() -> list[dict]:
    rows = []
    for width in WIDTHS:
        for depth in DEPTHS:
            sizes = [width] * (depth + 1) + [10]
            step = package(sizes, BATCH, np.random.default_rng(0))
            t = _median(step)
            fl = step_flops(sizes, BATCH)
            row = {
                "depth": depth,
                "width": width,
                "step_ms": 1e3 * t,
                "ns_per_mflop": t / fl * 1e15,
            }
            ex = explorer_fn(depth, width)
            if ex is not None:
                row["explore_ms"] = 1e3 * _median(ex, budget_s=0.3)
            rows.append(row)
    return rows


def plot(rows: list[dict]) -> Path:
    colors = ["#0072B2", "#E69F00", "#009E73"]  # Okabe–Ito
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for c, width in zip(colors, WIDTHS, strict=True):
        sub = [r for r in rows if r["width"] == width]
        d = [r["depth"] for r in sub]
        axes[0].plot(d, [r["step_ms"] for r in sub], "o-", color=c, label=f"width {width}")
        axes[1].plot(
            d, [1e6 / r["ns_per_mflop"] for r in sub], "o-", color=c, label=f"width {width}"
        )
        if "explore_ms" in sub[0]:
            axes[0].plot(
                d,
                [r["explore_ms"] for r in sub],
                "s--",
                color=c,
                alpha=0.7,
                label=f"explorer, new weights, width {width}",
            )
    axes[0].set(
        xscale="log",
        yscale="log",
        xlabel="depth (layers)",
        ylabel="time (ms)",
        title="Training step and explorer time vs depth",
    )
    axes[1].set(
        xscale="log",
        xlabel="depth (layers)",
        ylabel="arithmetic rate of a training step (GFLOP/s)",
        title="Rate vs depth: flat = cost grows as the arithmetic",
    )
    axes[1].set_ylim(bottom=0)
    for ax in axes:
        ax.legend(fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
    fig.savefig(OUT, dpi=110)
    plt.close(fig)
    return OUT


def main() -> list[dict]:
    rows = measure()
    for r in rows:
        extra = f"  explorer {r['explore_ms']:7.1f} ms" if "explore_ms" in r else ""
        print(
            f"depth {r['depth']:>3} width {r['width']:>4}: step {r['step_ms']:8.2f} ms "
            f"({r['ns_per_mflop']:.2f} ns/MFLOP){extra}"
        )
    print(f"plot: {plot(rows)}")
    return rows


if __name__ == "__main__":
    main()
