"""The phenomenon the course is about, asserted with numbers."""

import numpy as np
import pytest

from vanishing import data, losses, nn, optim

pytestmark = pytest.mark.science


def _weight_grad_norms(net, X, y):
    out = net(X)
    _, dlogits = losses.softmax_cross_entropy(out, y)
    net.backward(dlogits)
    return np.array([np.linalg.norm(layer.grads["W"]) for layer in nn.linear_layers(net)])


def test_deep_sigmoid_with_small_weights_vanishes():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((128, 64))
    y = rng.integers(0, 10, 128)
    net = nn.mlp([64] * 20 + [10], "sigmoid", init="normal", gain=0.01, rng=rng)
    norms = _weight_grad_norms(net, X, y)
    assert len(norms) == 20
    # measured 7.6e-33–1.7e-32 over seeds 0–7 × 4 OpenBLAS kernels (bench/KERNEL-MARGINS.md);
    # margin 26 decades
    assert norms[0] < 1e-6 * norms[-1]
    # strictly growing towards the output: smallest step of log norm 2.6–3.3; margin 2.6
    assert np.all(np.diff(np.log(norms[:-1])) > 0)


def test_deep_relu_with_he_keeps_gradients_within_factor_ten():
    # Ratio to the last layer measured 0.25–2.2 over seeds 0–7 × 4 kernels; margin 0.40 decades
    # (0.18–2.4 over 30 seeds).
    for seed in range(3):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((128, 64))
        y = rng.integers(0, 10, 128)
        net = nn.mlp([64] * 20 + [10], "relu", init="he_normal", rng=rng)
        norms = _weight_grad_norms(net, X, y)
        ratio = norms / norms[-1]
        assert np.all((ratio > 0.1) & (ratio < 10)), ratio


def test_three_layer_relu_net_learns_two_spirals():
    rng = np.random.default_rng(0)
    X, y = data.two_spirals(400, rng=rng)
    net = nn.mlp([2, 64, 64, 2], "relu", rng=rng)
    opt = optim.Adam(net, lr=0.01)
    for _ in range(1500):
        idx = rng.choice(len(y), 128, replace=False)
        _, dlogits = losses.softmax_cross_entropy(net(X[idx]), y[idx])
        net.backward(dlogits)
        opt.step()
    accuracy = np.mean(net(X).argmax(axis=1) == y)
    # measured 1.00 over seeds 0–7 × 4 kernels; margin 0.05
    assert accuracy >= 0.95
