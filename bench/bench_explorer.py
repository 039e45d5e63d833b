"""Speed of the gradient-flow explorer: the pure computation ``explore`` for 50 layers of
width 256 on a batch of 128 (float32; target: median <= 50 ms) and the cost of a redraw.

Cases timed (medians):
* ``explore`` on a cached seed (what a slider move costs: depth, activation, gain);
* ``explore`` after a gain change (weights rescaled in place);
* ``explore`` with fresh weights from a Generator (a new seed or initialiser, cold);
* a redraw of the explorer figure rendered to PNG (the non-ipympl path), and a full update.

Run: ``.venv/bin/python bench/bench_explorer.py``. Set ``OPENBLAS_NUM_THREADS=1`` to mimic a
one-CPU Binder/JupyterHub pod.
"""

from __future__ import annotations

import os
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from vanishing.widgets import GradientFlowExplorer, explore  # noqa: E402

DEPTH, WIDTH, BATCH, TARGET_MS = 50, 256, 128, 50.0


def median_ms(fn, n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e3)


def gemm_reference_ms(n: int) -> float:
    """The explorer's arithmetic alone: a forward and a backward GEMM per layer, float32."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, WIDTH)).astype(np.float32)
    W = rng.standard_normal((WIDTH, WIDTH)).astype(np.float32) / 16

    def gemms():
        for _ in range(DEPTH):
            x @ W
            x @ W.T

    return median_ms(gemms, n)


def main(n: int = 21) -> dict:
    args = dict(depth=DEPTH, width=WIDTH, activation="sigmoid", init="xavier_normal", batch=BATCH)
    explore(gain=1.0, rng=0, **args)  # draw and cache the weights of seed 0
    warm = median_ms(lambda: explore(gain=1.0, rng=0, **args), n)
    gains = iter(np.geomspace(0.1, 10, 10 * n))
    regain = median_ms(lambda: explore(gain=float(next(gains)), rng=0, **args), n)
    cold = median_ms(lambda: explore(gain=1.0, rng=np.random.default_rng(1), **args), 5)
    ex = GradientFlowExplorer(depth=DEPTH, width=WIDTH, batch=BATCH)
    redraw = median_ms(ex.redraw, 7)
    update = median_ms(ex.update, 7)
    print(
        f"explore: {DEPTH} layers x width {WIDTH}, batch {BATCH}, float32 "
        f"(OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')})"
    )
    print(
        f"  cached seed, same gain : {warm:7.1f} ms  (target <= {TARGET_MS:g} ms) "
        f"{'OK' if warm <= TARGET_MS else 'SLOW'}"
    )
    print(f"  cached seed, new gain  : {regain:7.1f} ms")
    print(f"  fresh weights (cold)   : {cold:7.1f} ms")
    print(f"redraw (figure -> PNG)   : {redraw:7.1f} ms")
    print(f"full update (both)       : {update:7.1f} ms")
    gemm = gemm_reference_ms(n)
    print(f"reference: its GEMMs alone {gemm:7.1f} ms; explore / GEMMs = {warm / gemm:.2f}")
    return {
        "explore_ms": warm,
        "regain_ms": regain,
        "cold_ms": cold,
        "redraw_ms": redraw,
        "update_ms": update,
        "gemm_ms": gemm,
    }


if __name__ == "__main__":
    main()
