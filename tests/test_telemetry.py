"""Telemetry against independent numbers: hand-written backprop, planted dead units,
saturated layers, and the SGD/Adam update-to-weight ratio recomputed from the weights.

The tests marked science are measured by bench/kernel_margins.py under 4 OpenBLAS kernels
(Haswell, SkylakeX, Sandybridge, Zen; bench/KERNEL-MARGINS.md): the largest relative error
against each rtol is in the comments."""

from __future__ import annotations

import numpy as np
import pytest

from vanishing import losses, nn, optim, telemetry
from vanishing.telemetry import (
    Telemetry,
    activation_stats,
    activations,
    dead_fraction,
    layer_gradient_norms,
    saturated_fraction,
)


def _tanh_net(rng):
    return nn.Sequential(
        nn.Linear(3, 5, rng=rng),
        nn.Tanh(),
        nn.Linear(5, 4, rng=rng),
        nn.Tanh(),
        nn.Linear(4, 2, rng=rng),
    )


def _hand_grad_norms(model, X, y):
    """Backprop written out with numpy only, for Linear -> tanh -> Linear -> tanh -> Linear."""
    W1, b1 = model[0].params["W"], model[0].params["b"]
    W2, b2 = model[2].params["W"], model[2].params["b"]
    W3, b3 = model[4].params["W"], model[4].params["b"]
    h1 = np.tanh(X @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    z = h2 @ W3 + b3
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    dz = p.copy()
    dz[np.arange(len(y)), y] -= 1
    dz /= len(y)
    dW3 = h2.T @ dz
    da2 = (dz @ W3.T) * (1 - h2**2)
    dW2 = h1.T @ da2
    da1 = (da2 @ W2.T) * (1 - h1**2)
    dW1 = X.T @ da1
    return np.array([np.sqrt((g**2).sum()) for g in (dW1, dW2, dW3)]), (h1, h2)


@pytest.mark.science
def test_layer_gradient_norms_match_hand_backprop():
    rng = np.random.default_rng(0)
    model = _tanh_net(rng)
    X, y = rng.standard_normal((7, 3)), rng.integers(0, 2, 7)
    expected, _ = _hand_grad_norms(model, X, y)
    # measured <= 1.7e-16 × 4 kernels; margin 3.8 decades
    np.testing.assert_allclose(layer_gradient_norms(model, X, y), expected, rtol=1e-12)


@pytest.mark.science
def test_telemetry_records_the_same_gradient_norms_and_activation_stats():
    rng = np.random.default_rng(1)
    model = _tanh_net(rng)
    X, y = rng.standard_normal((9, 3)), rng.integers(0, 2, 9)
    expected, (h1, h2) = _hand_grad_norms(model, X, y)
    tel = Telemetry(model)
    _, dout = losses.softmax_cross_entropy(model(X), y)
    model.backward(dout)
    tel.observe_backward(0)
    rec = tel.arrays()
    # measured <= 1.5e-16 (norms) and 0 (mean, std) × 4 kernels; margin 3.8 decades
    np.testing.assert_allclose(rec["grad_norm"][0], expected, rtol=1e-12)
    np.testing.assert_allclose(rec["act_mean"][0], [h1.mean(), h2.mean()], rtol=1e-12)
    np.testing.assert_allclose(rec["act_std"][0], [h1.std(), h2.std()], rtol=1e-10)
    assert tel.linear_names == ["0", "2", "4"] and tel.act_names == ["1", "3"]
    assert np.all(np.isnan(rec["dead"])), "dead units are not defined for tanh"


def test_dead_fraction_of_relu_layer_with_planted_minus_infinity_bias():
    rng = np.random.default_rng(2)
    model = nn.mlp([4, 8, 8, 3], activation="relu", rng=rng)
    X = rng.standard_normal((16, 4))
    model[2].params["b"][:] = -np.inf  # second hidden Linear: every unit is dead
    model[0].params["b"][:3] = -np.inf  # first hidden Linear: 3 of 8 units dead
    stats = activation_stats(model, X)
    np.testing.assert_array_equal(stats.dead, [3 / 8, 1.0])
    assert np.all(np.isnan(stats.saturated)), "saturation is not defined for ReLU"


@pytest.mark.science
def test_saturation_of_sigmoid_and_tanh_layers():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((64, 10))
    for act in ("sigmoid", "tanh"):
        huge = nn.mlp([10, 50, 2], activation=act, init="normal", gain=100.0, rng=rng)
        tiny = nn.mlp([10, 50, 2], activation=act, init="normal", gain=0.01, rng=rng)
        # measured 0.989 × 4 kernels (both activations); margin 0.039
        assert activation_stats(huge, X).saturated[0] > 0.95, act
        assert activation_stats(tiny, X).saturated[0] == 0.0, act


def test_saturated_and_dead_fraction_on_known_arrays():
    y = np.array([[0.01, 0.5, 0.98, 0.97], [0.02, 0.04, 0.5, 0.5]])
    assert saturated_fraction(y, "sigmoid") == 3 / 8  # 0.01, 0.98, 0.02 (0.97 is not > 0.97)
    assert saturated_fraction(np.array([-0.99, 0.0, 0.98, 0.5]), "tanh") == 0.5
    assert np.isnan(saturated_fraction(y, "relu"))
    r = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    assert dead_fraction(r, "relu") == 1 / 3
    assert np.isnan(dead_fraction(r, "sigmoid"))


def _one_step(model, opt, X, y, tel, step=0):
    _, dout = losses.softmax_cross_entropy(model(X), y)
    model.backward(dout)
    tel.observe_backward(step)
    W_before = [m.params["W"].copy() for m in nn.linear_layers(model)]
    g = [m.grads["W"].copy() for m in nn.linear_layers(model)]
    opt.step()
    tel.observe_update(opt)
    return W_before, g


@pytest.mark.science
def test_update_ratio_equals_lr_grad_over_weight_for_plain_sgd():
    rng = np.random.default_rng(4)
    model = nn.mlp([3, 6, 6, 2], activation="tanh", init="xavier_normal", rng=rng)
    X, y = rng.standard_normal((10, 3)), rng.integers(0, 2, 10)
    tel, lr = Telemetry(model), 0.05
    W, g = _one_step(model, optim.SGD(model, lr=lr), X, y, tel)
    expected = [lr * np.linalg.norm(gi) / np.linalg.norm(Wi) for gi, Wi in zip(g, W, strict=True)]
    # measured <= 3.2e-16 × 4 kernels; margin 3.5 decades
    np.testing.assert_allclose(tel.arrays()["update_ratio"][0], expected, rtol=1e-12)


@pytest.mark.science
def test_update_ratio_is_the_applied_change_for_adam():
    rng = np.random.default_rng(5)
    model = nn.mlp([3, 6, 2], activation="relu", rng=rng)
    X, y = rng.standard_normal((10, 3)), rng.integers(0, 2, 10)
    tel, opt = Telemetry(model), optim.Adam(model, lr=0.01)
    for step in range(3):
        W_before, _ = _one_step(model, opt, X, y, tel, step)
    W_after = [m.params["W"] for m in nn.linear_layers(model)]
    expected = [
        np.linalg.norm(a - b) / np.linalg.norm(b) for a, b in zip(W_after, W_before, strict=True)
    ]
    # measured 9.8e-16 × 4 kernels; margin 5.0 decades
    np.testing.assert_allclose(tel.arrays()["update_ratio"][-1], expected, rtol=1e-10)
    # Adam's first step moves every weight by about lr: ratio ~ lr * sqrt(n) / ||W||, not lr*||g||
    assert tel.arrays()["update_ratio"].shape == (3, 2)


def test_every_and_disabled():
    rng = np.random.default_rng(6)
    model = nn.mlp([3, 4, 2], rng=rng)
    X, y = rng.standard_normal((5, 3)), rng.integers(0, 2, 5)
    opt = optim.SGD(model, lr=0.1)
    strided, off = Telemetry(model, every=3), Telemetry(model, enabled=False)
    for t in range(7):
        for tel in (strided, off):
            _one_step(model, opt, X, y, tel, t)
    assert strided.arrays()["steps"].tolist() == [0, 3, 6]
    assert strided.arrays()["grad_norm"].shape == (3, 2)
    rec = off.arrays()
    assert len(off) == 0 and rec["grad_norm"].shape == (0, 2) and rec["act_mean"].shape == (0, 1)
    with pytest.raises(ValueError, match="every"):
        Telemetry(model, every=0)


def test_names_follow_the_parameter_names_of_residual_and_batchnorm_nets():
    rng = np.random.default_rng(7)
    model = nn.mlp([4, 8, 8, 8, 2], activation="relu", batchnorm=True, residual=True, rng=rng)
    tel = Telemetry(model)
    assert [f"{n}.W" for n in tel.linear_names] == [k for k in model.params if k.endswith(".W")]
    assert len(tel.act_names) == 3


def test_one_shot_measurements_leave_batchnorm_statistics_alone():
    rng = np.random.default_rng(8)
    model = nn.mlp([4, 8, 2], activation="relu", batchnorm=True, rng=rng)
    bn = next(m for m in model.modules() if isinstance(m, nn.BatchNorm1d))
    X, y = rng.standard_normal((32, 4)) + 3.0, rng.integers(0, 2, 32)
    layer_gradient_norms(model, X, y)
    activations(model, X)
    np.testing.assert_array_equal(bn.running_mean, 0.0)
    np.testing.assert_array_equal(bn.running_var, 1.0)


@pytest.mark.science
def test_layer_gradient_norms_with_mse_and_one_hot_targets():
    rng = np.random.default_rng(9)
    model = nn.mlp([3, 5, 2], activation="tanh", rng=rng)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 2, 6)
    got = layer_gradient_norms(model, X, y, loss="mse")
    out = model(X)
    _, dout = losses.mse(out, np.eye(2)[y])
    model.backward(dout)
    # measured 0 × 4 kernels (default rtol 1e-7)
    np.testing.assert_allclose(got, [np.linalg.norm(m.grads["W"]) for m in nn.linear_layers(model)])


@pytest.mark.science
def test_mean_std_is_accurate_in_float32_for_saturated_sigmoid():
    rng = np.random.default_rng(10)
    y = (0.5 + 1e-3 * rng.standard_normal((128, 256))).astype(np.float32)
    mu, sd = telemetry.mean_std(y)
    # measured: mean error 0, std relative error 8.5e-9–4.8e-8 × 4 kernels; margin 4.3 decades
    assert abs(mu - y.astype(np.float64).mean()) < 1e-6
    assert abs(sd / y.astype(np.float64).std() - 1) < 1e-3


@pytest.mark.science
@pytest.mark.parametrize("scale", [1e-30, 1e-20, 1.0, 1e20, 1e30])
def test_norm_and_std_of_float32_extremes_match_float64(scale):
    import warnings

    from vanishing.functional import norm as _norm
    from vanishing.telemetry import mean_std

    rng = np.random.default_rng(0)
    a64 = rng.standard_normal(4096) * scale
    a32 = a64.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        n32, (m32, s32) = _norm(a32), mean_std(a32)
    ref = a32.astype(np.float64)
    # relative errors over the five scales × 4 kernels: norm 2.1e-9, std <= 4.4e-8; margin 2.4
    # decades
    assert n32 == pytest.approx(np.linalg.norm(ref), rel=1e-5)
    assert s32 == pytest.approx(ref.std(), rel=1e-5)
    assert m32 == pytest.approx(ref.mean(), rel=1e-4, abs=1e-6 * scale)
