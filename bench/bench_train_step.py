"""A training step of ``vanishing.nn.mlp`` against a minimal hand-written numpy loop.

Depth 20, width 256, batch 128, float32, ReLU: forward, softmax cross-entropy, backward and a
plain SGD update, the same maths in both. Two figures, each a ratio measured in one run:

* step time of ``vanishing`` / step time of the hand-written loop (target <= 1.15);
* arithmetic rate of the ``vanishing`` step / the machine's float32 matrix-multiply rate on
  the same GEMM shapes, measured just before (target >= 0.60).

Steps are interleaved (A, B, A, B, ...) and medians taken, so load on the shared machine
hits both alike. Run: ``.venv/bin/python bench/bench_train_step.py [--width W --depth L]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from vanishing import losses, nn, optim

TARGET_RATIO, TARGET_RATE = 1.15, 0.60


def step_flops(sizes: list[int], batch: int) -> float:
    """Forward xW, backward x^T dout and dout W^T: three GEMMs of 2*N*n_in*n_out flops each."""
    return float(sum(6 * batch * a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True)))


def handwritten(sizes, batch, rng, lr=1e-4):
    """The reference: plain numpy, no classes, no checks."""
    Ws = [
        (rng.standard_normal((a, b)) * np.sqrt(2 / a)).astype(np.float32)
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    bs = [np.zeros(b, np.float32) for b in sizes[1:]]
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    rows = np.arange(batch)

    def step():
        hs, zs = [x], []
        for i, (W, b) in enumerate(zip(Ws, bs, strict=True)):
            z = hs[-1] @ W + b
            zs.append(z)
            hs.append(np.maximum(z, 0) if i < len(Ws) - 1 else z)
        z = hs[-1] - hs[-1].max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        p[rows, y] -= 1
        d = p / batch
        for i in range(len(Ws) - 1, -1, -1):
            if i < len(Ws) - 1:
                d = d * (zs[i] > 0)
            dW, db = hs[i].T @ d, d.sum(axis=0)
            d = d @ Ws[i].T
            Ws[i] -= lr * dW
            bs[i] -= lr * db

    return step


def package(sizes, batch, rng, lr=1e-4):
    net = nn.mlp(sizes, "relu", rng=rng, dtype=np.float32)
    opt = optim.SGD(net, lr=lr)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)

    def step():
        _, dlogits = losses.softmax_cross_entropy(net(x), y)
        net.backward(dlogits)
        opt.step()

    return step


def gemms_only(sizes, batch, rng):
    """The step's own GEMMs and nothing else: the machine's limit for this problem."""
    mats = [
        (
            rng.standard_normal((batch, a)).astype(np.float32),
            rng.standard_normal((a, b)).astype(np.float32),
            rng.standard_normal((batch, b)).astype(np.float32),
        )
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]

    def step():
        for x, W, d in mats:
            x @ W
            x.T @ d
            d @ W.T

    return step


def median_times(fns: dict, rounds: int) -> dict[str, float]:
    for f in fns.values():
        for _ in range(3):
            f()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            t0 = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t0)
    return {k: float(np.median(v)) for k, v in times.items()}


def measure(depth=20, width=256, batch=128, classes=10, rounds=30, seed=0) -> dict:
    rng = np.random.default_rng(seed)
    sizes = [width] * (depth + 1) + [classes]
    t = median_times(
        {
            "handwritten": handwritten(sizes, batch, rng),
            "vanishing": package(sizes, batch, rng),
            "gemms": gemms_only(sizes, batch, rng),
        },
        rounds,
    )
    rate = step_flops(sizes, batch) / t["gemms"] / 1e9
    gflops = step_flops(sizes, batch) / t["vanishing"] / 1e9
    return {
        "depth": depth,
        "width": width,
        "batch": batch,
        "ms_handwritten": 1e3 * t["handwritten"],
        "ms_vanishing": 1e3 * t["vanishing"],
        "ratio": t["vanishing"] / t["handwritten"],
        "gflops": gflops,
        "matmul_gflops": rate,
        "rate_fraction": gflops / rate,
    }


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--depth", type=int, default=20)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--batch", type=int, default=128)
    args = ap.parse_args()
    r = measure(args.depth, args.width, args.batch)
    print(
        f"training step d={r['depth']} w={r['width']} N={r['batch']} float32: "
        f"vanishing {r['ms_vanishing']:.2f} ms, hand-written {r['ms_handwritten']:.2f} ms, "
        f"ratio {r['ratio']:.3f} (target <= {TARGET_RATIO})"
    )
    print(
        f"  {r['gflops']:.1f} GFLOP/s vs matmul {r['matmul_gflops']:.1f} GFLOP/s: "
        f"{100 * r['rate_fraction']:.0f}% (target >= {100 * TARGET_RATE:.0f}%)"
    )
    return r


if __name__ == "__main__":
    main()
