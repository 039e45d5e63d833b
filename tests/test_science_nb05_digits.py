"""Notebook 05, section 8: the initialisation decides whether a 30-layer net trains on real data.

The 8×8 handwritten digits (Alpaydin & Kaynak 1998), 30 hidden layers of 64, plain SGD
(``init_scaling.digits_deep_run``). Ranges in the comments: measured over seeds 0–5 × the
OpenBLAS kernels Haswell, SkylakeX, Sandybridge and Zen (``OPENBLAS_CORETYPE``, one BLAS
thread); the margin is the smallest distance from the threshold.
"""

import numpy as np
import pytest

from vanishing.experiments import init_scaling as I
from vanishing.experiments import protocol

pytestmark = pytest.mark.science


@pytest.mark.parametrize("seed", range(4))
def test_digits_30_layers_xavier_relu_stalls_he_relu_and_xavier_tanh_train(seed):
    kw = dict(seed=seed, progress=False)
    xa = I.digits_deep_run("xavier_normal", "relu", **kw)
    he = I.digits_deep_run("he_normal", "relu", **kw)
    tanh = I.digits_deep_run("xavier_normal", "tanh", **kw)
    # Xavier + ReLU at chance (10 classes): final training accuracy 0.104–0.111; margin 0.089
    assert xa.final_train_acc <= 0.2
    # its loss at ln 10: |mean of the last 50 - ln 10| ≤ 0.001 (2.302–2.303); margin 0.019
    assert abs(np.mean(xa.loss[-50:]) - np.log(10)) < 0.02
    # He + ReLU trains: final training accuracy 0.737–0.936; margin 0.137
    assert he.final_train_acc >= 0.6
    # mean loss of the last 50 steps 0.363–0.688; margin 0.312
    assert np.mean(he.loss[-50:]) < 1.0
    # Xavier + tanh, the matched pair: final training accuracy 0.981–0.999; margin 0.081
    assert tanh.final_train_acc >= 0.9


@pytest.mark.parametrize("seed", range(4))
def test_moons_xavier_net_has_no_boundary_he_net_has_one(seed):
    # The decision-boundary figure of section 7: the Xavier network's predicted probability
    # barely varies over the plane (spread 1.3e-8–1.1e-4 over seeds 0–3 × 4 kernels, below the 0.1 at which the
    # notebook draws a boundary; threshold 0.01, margin 2.0 decades); the He network's spans the
    # whole range (1.000 to 8 digits; margin 0.10).
    X = protocol.depth_data("moons", 600, seed)[0].astype(np.float32)
    spread = {}
    for init in ("xavier_normal", "he_normal"):
        _, model = I.deep_relu_run(
            init, steps=300, seed=seed, progress=False, telemetry_every=10**9, return_model=True
        )
        p = I.decision_boundary_grid(model, X)[2]
        spread[init] = p.max() - p.min()
    assert spread["xavier_normal"] < 0.01
    assert spread["he_normal"] > 0.9
