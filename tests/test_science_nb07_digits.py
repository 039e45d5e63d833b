"""Notebook 07, section 6: a skip connection around every sigmoid → linear pair rescues a
50-layer sigmoid network on real data, the 8×8 handwritten digits (Alpaydin & Kaynak 1998).

Thresholds measured with the same calls over seeds 0–5 × the OpenBLAS kernels Haswell,
SkylakeX, Sandybridge and Zen (one fresh process per kernel, ``OPENBLAS_CORETYPE`` set before
numpy loads, one BLAS thread); the margin is the smallest distance from the threshold.
"""

import numpy as np
import pytest

from vanishing.experiments import residual as S

pytestmark = pytest.mark.science

KW = dict(steps=300, progress=False, telemetry_every=10**9, eval_every=30)


@pytest.fixture(scope="module")
def digit_runs():
    return [
        (S.digits_run("plain", seed=s, **KW), S.digits_run("residual", seed=s, **KW))
        for s in range(4)
    ]


@pytest.mark.slow
def test_plain_50_layer_sigmoid_net_stays_at_chance_on_digits(digit_runs):
    # chance is 0.10; the best training or validation accuracy at any evaluation,
    # measured 0.104–0.120 over seeds 0–5 × 4 kernels; margin 0.080
    best = np.array([max(p.train_acc.max(), np.nanmax(p.val_acc)) for p, _ in digit_runs])
    assert np.all(best <= 0.2), best
    # the loss stays near ln 10 = 2.30: 2.31–2.32 over the last 50 steps; margin 0.31
    late = np.array([np.mean(p.loss[-50:]) for p, _ in digit_runs])
    assert np.all(late >= 2.0), late


@pytest.mark.slow
def test_residual_50_layer_sigmoid_net_learns_digits(digit_runs):
    train_acc = np.array([r.final_train_acc for _, r in digit_runs])
    val_acc = np.array([r.final_val_acc for _, r in digit_runs])
    # final training accuracy 0.986–0.999 over seeds 0–5 × 4 kernels; margin 0.036
    assert np.all(train_acc >= 0.95), train_acc
    # final validation accuracy (449 held-out images) 0.951–0.967; margin 0.051
    assert np.all(val_acc >= 0.90), val_acc
