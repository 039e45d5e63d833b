"""Notebook 06, section 5: batch norm rescues a deep sigmoid net on real data.

The 8×8 handwritten digits (Alpaydin & Kaynak 1998), 8 hidden sigmoid layers of 32, plain SGD
(``batchnorm.digits_sigmoid_run``, the course's own batch norm). Ranges in the comments:
measured over seeds 0–5 × the OpenBLAS kernels Haswell, SkylakeX, Sandybridge and Zen
(``OPENBLAS_CORETYPE``, one BLAS thread); the margin is the smallest distance from the
threshold.
"""

import numpy as np
import pytest

from vanishing.experiments import batchnorm as B

pytestmark = pytest.mark.science


@pytest.mark.parametrize("seed", range(4))
def test_digits_deep_sigmoid_net_trains_only_with_batch_norm(seed):
    plain = B.digits_sigmoid_run(False, seed=seed, progress=False)
    bn = B.digits_sigmoid_run(True, seed=seed, progress=False)
    # without batch norm at chance (10 classes) at every evaluation: best training accuracy
    # 0.103–0.111; margin 0.089
    assert plain.train_acc.max() <= 0.2
    # mean loss of the last 50 steps 2.307–2.311 (ln 10 = 2.303); margin 0.107
    assert np.mean(plain.loss[-50:]) > 2.2
    # with batch norm: final training accuracy 0.955–0.973; margin 0.105
    assert bn.final_train_acc >= 0.85
    # mean loss of the last 50 steps 0.507–0.576; margin 0.424
    assert np.mean(bn.loss[-50:]) < 1.0
