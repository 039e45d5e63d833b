"""The chain's weight gradients (notebooks 01 and 02): centred differences, shapes, and the
depth profile the notebooks plot (a geometric decay for the sigmoid, flat for a mis-scaled
linear or ReLU stack, Glorot & Bengio 2010, §4.2.1)."""

import numpy as np
import pytest

from vanishing import gradcheck
from vanishing.experiments import saturating, weight_scale


def _loss(Ws, x, dout, activation):
    f, _ = saturating.activation_fn(activation)
    h = x
    for W in Ws:
        h = f(h @ W)
    return float(np.sum(h * dout))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "linear", "relu"])
def test_weight_gradients_match_centred_differences(activation):
    rng = np.random.default_rng(1)
    Ws = saturating.random_chain(3, 4, rng=rng, widths=[3, 5, 4, 2])
    x, dout = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    got = saturating.chain_weight_gradients(Ws, x, dout, activation)
    assert [g.shape for g in got] == [W.shape for W in Ws]
    for l, W in enumerate(Ws):

        def f(V, l=l):
            return _loss(Ws[:l] + [V] + Ws[l + 1 :], x, dout, activation)

        report = gradcheck.check_gradient(f, got[l], W.copy())
        assert report.ok(), (activation, l, report.worst.max_error)
    norms = saturating.chain_weight_gradient_norms(Ws, x, dout, activation)
    assert norms.dtype == np.float64 and norms.shape == (3,)
    np.testing.assert_allclose(norms, [np.linalg.norm(g) for g in got], rtol=1e-12)


def test_inputs_unchanged_and_float32_kept():
    rng = np.random.default_rng(2)
    Ws = saturating.random_chain(4, 8, rng=rng, dtype=np.float32)
    x = rng.standard_normal((5, 8)).astype(np.float32)
    dout = np.ones((5, 8), np.float32)
    copies = [W.copy() for W in Ws], x.copy(), dout.copy()
    got = saturating.chain_weight_gradients(Ws, x, dout, "tanh")
    assert all(g.dtype == np.float32 for g in got)
    for a, b in zip(Ws, copies[0], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(x, copies[1])
    np.testing.assert_array_equal(dout, copies[2])


@pytest.mark.parametrize("seed", range(3))
def test_sigmoid_weight_gradients_shrink_geometrically(seed):
    rng = np.random.default_rng(seed)
    Ws = saturating.random_chain(20, 64, rng=rng)
    x, dout = rng.standard_normal((32, 64)), np.ones((32, 64))
    w = saturating.chain_weight_gradient_norms(Ws, x, dout, "sigmoid")
    # about 1/4 per layer, as ||∂L/∂h||: the inputs h_(l-1) of a sigmoid layer stay near 1/2
    assert 0.15 < saturating.factor_per_layer(w) < 0.3


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("activation", "scale"), [("relu", 1.0), ("linear", 0.7), ("linear", 1.3)])
def test_mis_scaled_stack_weight_gradients_are_flat(seed, activation, scale):
    rng = np.random.default_rng(seed)
    Ws = saturating.random_chain(30, 256, scale=scale, rng=rng)
    x, dout = rng.standard_normal((128, 256)), rng.standard_normal((128, 256))
    w = saturating.chain_weight_gradient_norms(Ws, x, dout, activation)
    dz = weight_scale.layer_statistics(Ws, x, dout, activation)["grad_std"]
    # ∂L/∂z changes by more than 100x from the last layer to the first ...
    assert max(dz[0] / dz[-1], dz[-1] / dz[0]) > 100
    # ... while every weight gradient stays within a factor 2 of the median
    assert np.all(np.abs(np.log2(w / np.median(w))) < 1)
