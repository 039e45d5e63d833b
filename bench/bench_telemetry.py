"""Cost of recording telemetry: one training step of a depth-20, width-256 ReLU mlp, float32,
batch 128, with telemetry on (every step) and off. Target: on/off ratio <= 1.25.

Run: ``.venv/bin/python bench/bench_telemetry.py``. Prints the median step time of each and
their ratio; on and off runs are interleaved so that machine noise hits both alike.
"""

from __future__ import annotations

import time

import numpy as np

from vanishing import losses, nn, optim
from vanishing.telemetry import Telemetry

DEPTH, WIDTH, BATCH, CLASSES = 20, 256, 128, 10
TARGET = 1.25


def make_step(model, opt, tel, x, y):
    def step(t):
        out = model(x)
        _, dout = losses.softmax_cross_entropy(out, y)
        model.backward(dout)
        tel.observe_backward(t)
        opt.step()
        tel.observe_update(opt)

    return step


def main(rounds: int = 15, per_round: int = 10) -> dict:
    rng = np.random.default_rng(0)
    model = nn.mlp([WIDTH] * (DEPTH + 1) + [CLASSES], activation="relu", rng=rng, dtype=np.float32)
    x = rng.standard_normal((BATCH, WIDTH)).astype(np.float32)
    y = rng.integers(0, CLASSES, BATCH)
    opt = optim.SGD(model, lr=1e-4)
    steps = {
        "off": make_step(model, opt, Telemetry(model, enabled=False), x, y),
        "on": make_step(model, opt, Telemetry(model, every=1), x, y),
    }
    for s in steps.values():  # warm up
        for t in range(3):
            s(t)
    times: dict[str, list[float]] = {"off": [], "on": []}
    for _ in range(rounds):
        for name, s in steps.items():
            t0 = time.perf_counter()
            for t in range(per_round):
                s(t)
            times[name].append((time.perf_counter() - t0) / per_round)
    off, on = np.median(times["off"]), np.median(times["on"])
    ratio = on / off
    print(f"mlp depth {DEPTH}, width {WIDTH}, batch {BATCH}, float32, ReLU; one SGD step:")
    print(f"  telemetry off: {off * 1e3:7.2f} ms/step")
    print(f"  telemetry on : {on * 1e3:7.2f} ms/step (every step)")
    verdict = "OK" if ratio <= TARGET else "SLOW"
    print(f"  on/off ratio : {ratio:.3f}  (target <= {TARGET})  {verdict}")
    return {"off_ms": off * 1e3, "on_ms": on * 1e3, "ratio": ratio}


if __name__ == "__main__":
    main()
