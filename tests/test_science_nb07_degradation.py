"""Notebook 07, section 7: the degradation of He, Zhang, Ren & Sun (2016, Fig. 1) at laptop
scale on the 8×8 digits. A plain 20-layer tanh net reaches a higher *training* loss than a
5-layer one; the residual 20-layer net reaches the 5-layer net's.

The same call as the notebook's cell (``residual.degradation_losses``). Thresholds measured
over seeds 0–5 × the OpenBLAS kernels Haswell, SkylakeX, Sandybridge and Zen (one fresh process
per kernel, ``OPENBLAS_CORETYPE`` set before numpy loads, one BLAS thread); the margin is the
smallest distance from the threshold.
"""

import numpy as np
import pytest

from vanishing.experiments import residual as S


@pytest.fixture(scope="module")
def losses():
    runs = [S.degradation_losses(seed=seed) for seed in range(4)]
    return {label: np.array([r[label]["final_loss"] for r in runs]) for label in runs[0]}


@pytest.mark.science
@pytest.mark.slow
def test_a_deeper_plain_net_trains_worse_its_residual_twin_does_not(losses):
    shallow, deep = losses["plain, 5 layers"], losses["plain, 20 layers"]
    residual = losses["residual, 20 layers"]
    # mean training loss of the last 50 steps, seeds 0–5 × 4 kernels:
    # plain 5 layers 0.029–0.073 (margin 0.077)
    assert np.all(shallow <= 0.15), shallow
    # plain 20 layers 0.200–0.604 (margin 0.10), 5.6–16× the 5-layer net's (margin 1.9×)
    assert np.all(deep >= 0.1), deep
    assert np.all(deep >= 3 * shallow), (deep, shallow)
    # residual 20 layers 0.020–0.066 (margin 0.084); the plain 20-layer net's is 5.4–22× it
    # (margin 1.8×); residual minus plain 5 layers −0.040 to +0.033 (margin 0.060)
    assert np.all(residual <= 0.15), residual
    assert np.all(deep >= 3 * residual), (deep, residual)
    assert np.all(np.abs(residual - shallow) <= 0.1), (residual, shallow)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"depths": (5,)}, "depths"), ({"depths": (5, 0)}, "depths"), ({"window": 0}, "window")],
)
def test_degradation_losses_names_a_bad_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        S.degradation_losses(**kwargs)
