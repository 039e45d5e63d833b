"""Notebook 05, section 7: He et al. (2015), Fig. 2 at laptop scale. At 22 ReLU layers both
Xavier and He initialisation converge, and He starts reducing the loss earlier.

The same call as the notebook's cell (``init_scaling.deep_relu_run`` with ``depth=22``, 300
steps). Thresholds measured over seeds 0–5 × the OpenBLAS kernels Haswell, SkylakeX,
Sandybridge and Zen (one fresh process per kernel, ``OPENBLAS_CORETYPE`` set before numpy
loads, one BLAS thread); the margin is the smallest distance from the threshold.
"""

import numpy as np
import pytest

from vanishing.experiments import init_scaling as I

pytestmark = pytest.mark.science


@pytest.fixture(scope="module")
def runs():
    return [
        {
            init: I.deep_relu_run(
                init, depth=22, steps=300, seed=seed, progress=False, telemetry_every=10**9
            )
            for init in ("xavier_normal", "he_normal")
        }
        for seed in range(4)
    ]


@pytest.mark.slow
def test_both_initialisations_converge_at_22_layers(runs):
    xavier = np.array([r["xavier_normal"].final_train_acc for r in runs])
    he = np.array([r["he_normal"].final_train_acc for r in runs])
    # final training accuracy, seeds 0–5 × 4 kernels: Xavier 0.862–1.00 (margin 0.062),
    # He 0.933–1.00 (margin 0.033); chance is 0.5
    assert np.all(xavier >= 0.8), xavier
    assert np.all(he >= 0.9), he


@pytest.mark.slow
def test_he_starts_reducing_the_loss_earlier(runs):
    early = {i: np.array([np.mean(r[i].loss[:50]) for r in runs]) for i in runs[0]}
    # mean loss of the first 50 steps: Xavier 0.6915–0.6932, still at ln 2 = 0.693
    # (margin 0.041); He 0.242–0.331 (margin 0.12)
    assert np.all(early["xavier_normal"] >= 0.65), early
    assert np.all(early["he_normal"] <= 0.45), early
    # and He ends lower in every run: last-50-step loss ratio Xavier / He 1.3–761
    late = {i: np.array([np.mean(r[i].loss[-50:]) for r in runs]) for i in runs[0]}
    assert np.all(late["xavier_normal"] > late["he_normal"]), late
