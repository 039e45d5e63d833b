"""Notebook 03: the deep sigmoid net's failure on the 8×8 digits and its top-layer saturation.

Ranges measured over seeds 0–5 × the 4 OpenBLAS kernels (Haswell, SkylakeX, Sandybridge, Zen;
``OPENBLAS_CORETYPE`` set per run, one BLAS thread); the results agreed to 4 digits across the
kernels. The margin is the distance from the threshold to the nearest measured value.
"""

import numpy as np
import pytest

from vanishing.experiments import slow_training as S

pytestmark = pytest.mark.science


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_digits_eight_sigmoid_layers_stay_at_chance_one_layer_and_relu_he_train(seed):
    runs = S.train_digits(steps=600, lr=0.1, seed=seed)  # notebook 03's digits cell
    acc = {label: float(np.mean(h.val_acc[-5:])) for label, h in runs.items()}
    loss = {label: float(np.mean(h.loss[-25:])) for label, h in runs.items()}
    # chance is 0.1: measured 0.090–0.098; margin 0.10
    assert acc["8 hidden layers, sigmoid"] <= 0.2, acc
    # the loss of guessing, log 10 = 2.303: measured 2.306–2.312; margin 0.106
    assert loss["8 hidden layers, sigmoid"] >= 2.2, loss
    # measured 0.940–0.952; margin 0.090
    assert acc["1 hidden layer, sigmoid"] >= 0.85, acc
    # measured 0.926–0.953; margin 0.076
    assert acc["8 hidden layers, ReLU + He"] >= 0.85, acc


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_top_hidden_layer_of_the_8_layer_sigmoid_net_is_driven_to_0(seed):
    """Glorot & Bengio (2010, Fig. 2) on notebook 03's moons run (2000 steps, lr 1)."""
    h = S.train_by_hand(S.sigmoid_net_gradients, (8,), steps=2000, seed=seed)[
        "8 hidden layers"
    ].history
    at_100 = int(np.searchsorted(h.telemetry_steps, 100))
    # mean output of h8 at step 100: measured 0.084–0.116 (from 0.48–0.53 at step 0); margin 0.084
    assert h.act_mean[at_100, -1] <= 0.2
    # at step 1995: measured 0.019–0.022; margin 0.028
    assert h.act_mean[-1, -1] <= 0.05
    # saturated (below 0.03 or above 0.97) at the end: measured 1.000; margin 0.10
    assert h.saturated[-1, -1] >= 0.9
    # layers 1–5 stay near 0.5: measured 0.419–0.539; margin 0.069
    assert np.all((h.act_mean[-1, :5] >= 0.35) & (h.act_mean[-1, :5] <= 0.65))
    # and h1–h7 do not saturate: measured 0.000; margin 0.05
    assert h.saturated[-1, :-1].max() <= 0.05
