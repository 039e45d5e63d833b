"""Notebook 03, section 5: a larger learning rate does not rescue the 8-layer sigmoid net.

The notebook's widget asks whether it does; the follow-up cell answers with these runs
(``slow_training.train_by_hand`` with the course's gradients, 1000 steps). Thresholds measured
with the same calls over seeds 0–3 × the OpenBLAS kernels Haswell, SkylakeX, Sandybridge and Zen
(one fresh process per kernel, ``OPENBLAS_CORETYPE`` set before numpy loads, one BLAS thread);
the margin is the smallest distance from the threshold.
"""

import pytest

from vanishing.experiments import slow_training as T

pytestmark = pytest.mark.science


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_a_larger_learning_rate_does_not_rescue_the_8_layer_sigmoid_net(seed):
    for lr in (3.0, 10.0, 30.0):
        ((_, run),) = T.train_by_hand(
            T.sigmoid_net_gradients, (8,), steps=1000, lr=lr, seed=seed
        ).items()
        h = run.history
        # the net still predicts one class: final validation accuracy 0.507–0.533 over
        # seeds 0–3 × lr 3, 10, 30 × 4 kernels (the same on every kernel); margin 0.067
        assert h.final_val_acc <= 0.6, (lr, h.final_val_acc)
        # final training accuracy 0.489–0.498; margin 0.10
        assert h.final_train_acc <= 0.6, (lr, h.final_train_acc)
