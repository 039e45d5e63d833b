"""The checker itself: it must agree with closed forms and fail on planted mistakes."""

import numpy as np
import pytest

from vanishing import functional as F
from vanishing import gradcheck, nn


def test_numerical_gradient_matches_closed_form_and_restores_x():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    before = x.copy()
    A = rng.standard_normal((4, 4))
    # f(x) = sum(sin(x) * (x @ A)); grad = cos(x) * (x @ A) + sin(x) @ A.T
    g = gradcheck.numerical_gradient(lambda v: np.sum(np.sin(v) * (v @ A)), x)
    exact = np.cos(x) * (x @ A) + np.sin(x) @ A.T
    assert gradcheck.rel_error(g, exact) < 1e-8
    np.testing.assert_array_equal(x, before)


def test_rel_error_values():
    a = np.array([1.0, -2.0, 0.0])
    assert gradcheck.rel_error(a, a) == 0.0
    assert gradcheck.rel_error(a, -a) == pytest.approx(1.0)
    assert gradcheck.rel_error([0.0], [1e-12]) == pytest.approx(1e-4)  # floor 1e-8 applies
    assert gradcheck.rel_error([1.0], [1.0 + 2e-6]) == pytest.approx(1e-6, rel=1e-3)
    assert gradcheck.rel_error([np.nan], [1.0]) == np.inf
    with pytest.raises(ValueError, match="shape"):
        gradcheck.rel_error(np.ones(2), np.ones(3))


def test_numerical_gradient_rejects_bad_input():
    with pytest.raises(TypeError, match="x must be a floating-point ndarray"):
        gradcheck.numerical_gradient(np.sum, [1.0, 2.0])
    with pytest.raises(ValueError, match="scalar"):
        gradcheck.numerical_gradient(lambda v: v * 2, np.ones(3))


def test_fails_on_planted_wrong_derivative():
    x = np.linspace(-3, 3, 50)
    report = gradcheck.check_elementwise(F.sigmoid, F.sigmoid, x)  # σ instead of σ(1-σ)
    assert not report.ok()
    assert report.max_error > 0.5
    assert "FAIL" in str(report)


def test_fails_on_gradient_off_by_factor_two():
    x = np.linspace(-3, 3, 50)
    report = gradcheck.check_elementwise(F.tanh, lambda v: 2 * F.tanh_grad(v), x)
    assert report.max_error == pytest.approx(1 / 3, rel=1e-6)  # |2g-g|/(2g+g)
    with pytest.raises(AssertionError, match="tanh"):
        report.assert_ok()


class _HalfGradLinear(nn.Linear):
    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["b"] = self.grads["b"] / 2
        return dx


class _TransposedLinear(nn.Linear):
    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["W"] = self.grads["W"].T.copy()  # same shape only for a square layer
        return dx


def test_fails_on_transposed_weight_gradient_and_names_it():
    rng = np.random.default_rng(1)
    layer = _TransposedLinear(4, 4, rng=rng)
    report = gradcheck.check_module(layer, rng.standard_normal((5, 4)), rng=rng)
    assert not report.ok()
    assert report.worst.name == "W"
    assert report["x"].max_error < 1e-7 and report["b"].max_error < 1e-7
    assert "W" in str(report) and "FAIL" in str(report)


def test_fails_on_halved_bias_gradient():
    rng = np.random.default_rng(2)
    layer = _HalfGradLinear(3, 2, rng=rng)
    report = gradcheck.check_module(layer, rng.standard_normal((5, 3)), rng=rng)
    assert report.worst.name == "b"
    assert report["b"].max_error == pytest.approx(1 / 3, rel=1e-5)


def test_fails_on_batchnorm_without_mean_term():
    class _NoMeanTermBN(nn.BatchNorm1d):
        def backward(self, dout):
            super().backward(dout)
            xhat, inv_std, _ = self._cache
            return dout * self.params["gamma"] * inv_std  # treats μ, σ as constants

    rng = np.random.default_rng(3)
    bn, x = _NoMeanTermBN.example(rng)
    report = gradcheck.check_module(bn, x, rng=rng)
    assert report.worst.name == "x" and report.max_error > 1e-3


def test_check_module_restores_running_statistics():
    rng = np.random.default_rng(4)
    bn, x = nn.BatchNorm1d.example(rng)
    before = bn.running_mean.copy(), bn.running_var.copy()
    gradcheck.check_module(bn, x, rng=rng)
    np.testing.assert_array_equal(bn.running_mean, before[0])
    np.testing.assert_array_equal(bn.running_var, before[1])


def test_report_lists_every_array_and_worst_entry():
    rng = np.random.default_rng(5)
    layer = nn.Linear(3, 2, rng=rng)
    report = gradcheck.check_module(layer, rng.standard_normal((4, 3)), rng=rng)
    text = str(report)
    for name in ("x", "W", "b", "PASS", "analytic", "numerical"):
        assert name in text


def _two_layer(params, x, y):
    """Loss and hand-written gradients of a tanh net with softmax cross-entropy (plain data)."""
    from vanishing import losses

    h = x @ params["W1"] + params["b1"]
    a = np.tanh(h)
    loss, ds = losses.softmax_cross_entropy(a @ params["W2"] + params["b2"], y)
    dh = (ds @ params["W2"].T) * (1 - a**2)
    grads = {"W1": x.T @ dh, "b1": dh.sum(0), "W2": a.T @ ds, "b2": ds.sum(0)}
    return loss, grads


def _two_layer_example(seed=6):
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.standard_normal((3, 4)),
        "b1": rng.standard_normal(4),
        "W2": rng.standard_normal((4, 2)),
        "b2": rng.standard_normal(2),
    }
    return params, rng.standard_normal((5, 3)), rng.integers(0, 2, 5)


def test_check_params_passes_a_correct_dict_of_gradients_and_leaves_params_alone():
    params, x, y = _two_layer_example()
    before = {k: v.copy() for k, v in params.items()}
    _, grads = _two_layer(params, x, y)
    report = gradcheck.check_params(lambda p: _two_layer(p, x, y)[0], params, grads)
    assert report.ok(), str(report)
    assert [c.name for c in report.checks] == ["W1", "b1", "W2", "b2"]
    for k, v in before.items():
        np.testing.assert_array_equal(params[k], v)


def test_check_params_names_the_wrong_array_and_scale():
    params, x, y = _two_layer_example()
    _, grads = _two_layer(params, x, y)
    grads = {**grads, "W2": grads["W2"] / len(x)}  # divided by N twice
    report = gradcheck.check_params(lambda p: _two_layer(p, x, y)[0], params, grads)
    assert not report.ok() and report.worst.name == "W2"
    assert report["W2"].max_error == pytest.approx((5 - 1) / (5 + 1), rel=1e-5)
    assert all(report[k].max_error < 1e-7 for k in ("W1", "b1", "b2"))
    assert "W2" in str(report) and "FAIL" in str(report)


def test_check_params_compares_vanished_entries_on_the_noise_scale():
    # a correct gradient whose entries sit below the finite differences' rounding noise:
    # rel_error with the plain floor fails, the report (noise floor) passes; a wrong one fails
    W = np.array([[3e-9, -2e-9], [1e-9, 4e-9]])
    A = np.array([[1.0, 2.0], [-1.0, 0.5]])
    f = lambda p: 1.0 + np.sum(A * p["W"]) * 1e-9 + np.sum(p["W"] ** 2)  # noqa: E731
    exact = {"W": A * 1e-9 + 2 * W}
    numerical = gradcheck.numerical_gradient(lambda v: f({"W": v}), W.copy())
    assert gradcheck.rel_error(exact["W"], numerical) > 1e-7
    assert gradcheck.check_params(f, {"W": W}, exact).ok()
    assert not gradcheck.check_params(f, {"W": W}, {"W": exact["W"] + 1e-6}).ok()


def test_check_params_wants_every_gradient():
    params, x, y = _two_layer_example()
    _, grads = _two_layer(params, x, y)
    del grads["b1"]
    with pytest.raises(KeyError, match="b1"):
        gradcheck.check_params(lambda p: _two_layer(p, x, y)[0], params, grads)
