"""vanishing.experiments.relu: the deep stack of one ReLU-family activation on plain arrays."""

import numpy as np
import pytest

from vanishing import gradcheck
from vanishing.experiments import relu as R


def _loss(Ws, bs, x, dout, act, alpha):
    return float(np.sum(dout * R.deep_forward(Ws, bs, x, act, alpha)))


@pytest.mark.parametrize("act", R.FAMILY)
def test_deep_backward_matches_centred_differences(act):
    rng = np.random.default_rng(3)
    sizes = [3, 4, 4, 2]
    Ws = [rng.standard_normal((a, b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    bs = [0.5 * rng.standard_normal(b) for b in sizes[1:]]
    x, dout = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    dx, dWs, dbs = R.deep_backward(Ws, bs, x, dout, act, 0.2)
    num = gradcheck.numerical_gradient(lambda v: _loss(Ws, bs, v, dout, act, 0.2), x)
    assert gradcheck.rel_error(dx, num) < 1e-7
    for l in range(3):
        num = gradcheck.numerical_gradient(
            lambda W, l=l: _loss(Ws[:l] + [W] + Ws[l + 1 :], bs, x, dout, act, 0.2), Ws[l]
        )
        assert gradcheck.rel_error(dWs[l], num) < 1e-7
        num = gradcheck.numerical_gradient(
            lambda b, l=l: _loss(Ws, bs[:l] + [b] + bs[l + 1 :], x, dout, act, 0.2), bs[l]
        )
        assert gradcheck.rel_error(dbs[l], num) < 1e-7


def test_a_dead_layer_passes_exactly_zero():
    rng = np.random.default_rng(4)
    Ws = [rng.standard_normal((2, 4)), rng.standard_normal((4, 3))]
    bs = [np.full(4, -100.0), np.zeros(3)]
    dx, dWs, dbs = R.deep_backward(Ws, bs, rng.standard_normal((5, 2)), np.ones((5, 3)))
    assert not dx.any() and not dWs[0].any() and not dbs[0].any() and not dWs[1].any()


def test_gradient_flow_with_the_reference_is_the_course_experiment():
    mine = R.gradient_flow_with(R.deep_backward, depth=6, width=16, n=64)
    ref = R.gradient_flow_by_activation(R.FAMILY, depth=6, width=16, n=64)
    for act in R.FAMILY:
        np.testing.assert_allclose(mine[act], ref[act], rtol=1e-10)


def test_hidden_params_are_copies_of_all_but_the_output_layer():
    model = R.shifted_net("relu", 1.0, depth=3, width=8)
    Ws, bs = R.hidden_params(model)
    assert [W.shape for W in Ws] == [(2, 8), (8, 8), (8, 8)]
    assert all(np.all(b == -1.0) for b in bs)
    Ws[0][...] = 0
    assert np.any(model.layers[0].params["W"] != 0)
