"""Margins of the capstone's thresholds (notebook 09), measured over seeds x OpenBLAS kernels.

For every patient: the validation accuracy after ``capstone.STEPS`` steps of the untreated
patient, of the reference fix, of the valid alternatives and of the named wrong fixes, on
seeds 0-9; and the spread of the graded evidence between valid ways of measuring it. Each
kernel runs in a fresh process with ``OPENBLAS_CORETYPE`` set before numpy loads (checked
with threadpoolctl).

    .venv/bin/python bench/capstone_margins.py --jobs 2 --out /tmp/margins  # all four kernels
    .venv/bin/python bench/capstone_margins.py --kernels Haswell --seeds 3

The table goes into bench/CAPSTONE-MARGINS.md; the thresholds in
``vanishing.experiments.capstone`` quote it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

KERNELS = ("Haswell", "SkylakeX", "Sandybridge", "Zen")

#: {patient: {"reference": fix, "alternatives": {...}, "wrong": {...}}}
FIXES = {
    "A": {
        "reference": {"activation": "relu", "init": "he_normal"},
        "alternatives": {
            "leaky_he": {"activation": "leaky_relu", "init": "he_normal"},
            "elu_he": {"activation": "elu", "init": "he_normal"},
            "gelu_he": {"activation": "gelu", "init": "he_normal"},
            "batchnorm": {"batchnorm": True},
            "relu_keeps_xavier": {"activation": "relu"},
        },
        "wrong": {
            "sigmoid_he": {"init": "he_normal"},
            "lr_1": {"lr": 1.0},
            "clip_1": {"clip": 1.0},
            "residual": {"residual": True},
        },
    },
    "B": {
        "reference": {"init": "he_normal"},
        "alternatives": {
            "normal_0.25": {"init": "normal", "gain": 0.25},
            "he_uniform": {"init": "he_uniform"},
            "batchnorm": {"batchnorm": True},
        },
        "wrong": {
            "xavier": {"init": "xavier_normal"},
            "lr_0.01": {"lr": 0.01},
            "tanh": {"activation": "tanh"},
            "lr_0.001_clip": {"lr": 0.001, "clip": 1.0},
            "clip_1": {"clip": 1.0},
        },
    },
    "C": {
        "reference": {"lr": 0.1},
        "alternatives": {
            "lr_0.05": {"lr": 0.05},
            "lr_0.2": {"lr": 0.2},
            "adam": {"optimizer": "adam", "lr": 0.003},
            "batchnorm": {"batchnorm": True},
        },
        "wrong": {
            "xavier": {"init": "xavier_normal"},
            "clip_1": {"clip": 1.0},
            "lr_1": {"lr": 1.0},
            "he_again": {"init": "he_normal"},
            "lr_0.001": {"lr": 0.001},
        },
    },
    "D": {
        "reference": {"bias": 0.0},
        "alternatives": {
            "bias_0.01": {"bias": 0.01},
            "bias_0.1": {"bias": 0.1},
            "batchnorm": {"batchnorm": True},
            "bias_he": {"bias": 0.0, "init": "he_normal"},
        },
        "wrong": {
            "leaky_default": {"activation": "leaky_relu"},
            "leaky_0.1": {"activation": "leaky_relu", "alpha": 0.1},
            "elu": {"activation": "elu"},
            "he_again": {"init": "he_normal"},
            "lr_1": {"lr": 1.0},
        },
    },
    "E": {
        "reference": {"init": "he_normal"},
        "alternatives": {
            "he_gain_1": {"init": "he_normal", "gain": 1.0},
            "normal_0.25": {"init": "normal", "gain": 0.25},
            "he_uniform": {"init": "he_uniform"},
            "batchnorm": {"batchnorm": True},
        },
        "wrong": {
            "leaky": {"activation": "leaky_relu"},
            "lr_1": {"lr": 1.0},
            "normal_1": {"init": "normal", "gain": 1.0},
            "he_gain_0.05": {"init": "he_normal", "gain": 0.05},
            "xavier": {"init": "xavier_normal"},
            "adam": {"optimizer": "adam", "lr": 0.01},
        },
    },
}


def measure(seeds: int) -> dict:
    """Run in the child: every fix on every seed, and the evidence spreads."""
    import numpy as np
    import threadpoolctl

    from vanishing import nn, telemetry
    from vanishing.experiments import capstone as C

    info = [i.get("architecture") for i in threadpoolctl.threadpool_info()]
    out: dict = {"kernel": info, "acc": {}, "evidence": {}, "seconds": {}}
    for name, group in FIXES.items():
        fixes = {"untreated": {}, "reference": group["reference"]}
        fixes |= {f"alt:{k}": v for k, v in group["alternatives"].items()}
        fixes |= {f"wrong:{k}": v for k, v in group["wrong"].items()}
        for label, fix in fixes.items():
            t = time.perf_counter()
            tr = C.trial(name, fix, seeds=range(seeds), k=0)
            out["acc"][f"{name}/{label}"] = [None if not np.isfinite(a) else a for a in tr.accuracy]
            out["seconds"][f"{name}/{label}"] = (time.perf_counter() - t) / seeds
        # evidence: the graded way and other valid ways
        p = C.admit(name)
        L = nn.linear_layers(p.model)
        W = [lay.params["W"] for lay in L]
        scales = [float(np.std(w) * np.sqrt(w.shape[0])) for w in W]
        rms = [float(np.sqrt(np.mean(w**2) * w.shape[0])) for w in W]
        scales1 = [float(np.std(w, ddof=1) * np.sqrt(w.shape[0])) for w in W]
        ev = {  # graded: median over the hidden-to-hidden layers 2..L-1
            "weight_scale": float(np.median(scales[1:-1])),
            "weight_scale_mean": float(np.mean(scales[1:-1])),
            "weight_scale_rms": float(np.median(rms[1:-1])),
            "weight_scale_ddof1": float(np.median(scales1[1:-1])),
            "weight_scale_pooled": float(
                np.std(np.concatenate([w.ravel() for w in W[1:-1]])) * np.sqrt(32)
            ),
            "weight_scale_with_first": float(np.median(scales[:-1])),
        }
        h = p.train(progress=False)
        G = h.grad_norm[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            ev["grad_orders"] = float(np.log10(G[-1] / G[0]))
            for n in (64, 256, 480):
                q = C.admit(name)
                g = telemetry.layer_gradient_norms(q.model, q.X[:n], q.y[:n])
                ev[f"grad_orders_batch{n}"] = float(np.log10(g[-1] / g[0]))
        ev["nan_step"] = h.nan_step
        dead = h.dead[0]
        ev["dead_layer"] = next((i + 1 for i, v in enumerate(dead) if v >= 0.9), None)
        ev["dead_fraction"] = (
            None if ev["dead_layer"] is None else float(dead[ev["dead_layer"] - 1])
        )
        q = C.admit(name)
        acts = telemetry.activations(q.model, q.X)
        full = [telemetry.dead_fraction(a, "relu") for k, a in acts.items()]
        ev["dead_fraction_all_data"] = (
            None
            if ev["dead_layer"] is None
            else float(full[ev["dead_layer"] - 1])
            if len(full) >= ev["dead_layer"]
            else None
        )
        ev["update_ratio"] = float(np.median(h.update_ratio[0]))
        ev = {
            k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in ev.items()
        }
        out["evidence"][name] = ev
    return out


def child(kernel: str, seeds: int) -> dict:
    env = dict(os.environ, OPENBLAS_CORETYPE=kernel, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    code = (
        f"import json, runpy; m = runpy.run_path({os.path.abspath(__file__)!r}); "
        f"print(json.dumps(m['measure']({seeds})))"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def fmt(v) -> str:
    return "nan" if v is None else f"{v:.3f}"


def table(results: dict[str, dict], target: float, k: int, n: int) -> str:
    lines = []
    kernels = list(results)
    lines.append(
        "| patient / fix | "
        + " | ".join(f"{kk} min-max (cured of 0-4, 5-9)" for kk in kernels)
        + " |"
    )
    lines.append("|---|" + "---|" * len(kernels))
    labels = list(next(iter(results.values()))["acc"])
    for label in labels:
        cells = []
        for kk in kernels:
            accs = results[kk]["acc"][label]
            vals = [a for a in accs if a is not None]
            cur = [a is not None and a >= target for a in accs]
            lo = fmt(min(vals)) if vals else "-"
            hi = fmt(max(vals)) if vals else "-"
            div = sum(a is None for a in accs)
            blocks = f"{sum(cur[:n])}/{len(cur[:n])}, {sum(cur[n : 2 * n])}/{len(cur[n : 2 * n])}"
            cells.append(f"{lo}-{hi}" + (f" ({div} nan)" if div else "") + f" ({blocks})")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Evidence (patient seed 0) per kernel:")
    lines.append("")
    for kk in kernels:
        lines.append(f"- {kk} (threadpoolctl: {results[kk]['kernel']}):")
        for name, ev in results[kk]["evidence"].items():
            lines.append(
                f"  - {name}: "
                + ", ".join(f"{a}={fmt(b) if isinstance(b, float) else b}" for a, b in ev.items())
            )
    lines.append("")
    sec = next(iter(results.values()))["seconds"]
    lines.append(f"Mean seconds per treated run (first kernel): {sum(sec.values()) / len(sec):.2f}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernels", nargs="*", default=list(KERNELS))
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=1, help="kernels measured at once")
    ap.add_argument("--out", help="folder for one JSON file per kernel (reused when present)")
    args = ap.parse_args()
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    from vanishing.experiments import capstone as C

    out = Path(args.out) if args.out else None

    def one(kk: str) -> dict:
        path = out / f"{kk}.json" if out else None
        if path and path.exists():
            return json.loads(path.read_text())
        t = time.perf_counter()
        res = child(kk, args.seeds)
        print(f"{kk}: {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
        if path:
            out.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(res, indent=1))
        return res

    with ThreadPoolExecutor(args.jobs) as pool:
        results = dict(zip(args.kernels, pool.map(one, args.kernels), strict=True))
    print(table(results, C.TARGET_ACC, C.K_SEEDS, C.N_SEEDS))


if __name__ == "__main__":
    main()
