"""Activations against closed-form values and an independent GELU reference."""

import math
import warnings

import numpy as np
import pytest

from vanishing import functional as F


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_no_overflow_or_warning(dtype):
    x = np.array([-1e4, -1e3, -100, -20, 0, 20, 100, 1e3, 1e4], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            s, g = F.sigmoid(x), F.sigmoid_grad(x)
    assert s.dtype == dtype and g.dtype == dtype
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(g))
    assert s[0] == 0 and s[-1] == 1 and s[4] == 0.5
    assert np.all(np.diff(s) >= 0)


def test_closed_form_values():
    assert F.sigmoid(0.0) == 0.5
    assert F.sigmoid_grad(0.0) == 0.25
    assert F.tanh_grad(0.0) == 1.0
    assert F.sigmoid(2.0) == pytest.approx(1 / (1 + math.exp(-2)), rel=1e-15)
    assert F.tanh(0.5) == pytest.approx(math.tanh(0.5), rel=1e-15)
    assert F.relu_grad(0.0) == 0.0 and F.relu(-3.0) == 0.0 and F.relu(3.0) == 3.0
    assert F.leaky_relu(-2.0) == pytest.approx(-0.02)
    assert F.leaky_relu_grad(-2.0, alpha=0.3) == pytest.approx(0.3)
    assert F.elu(-1.0) == pytest.approx(math.exp(-1) - 1)
    assert F.elu_grad(-1.0, alpha=2.0) == pytest.approx(2 * math.exp(-1))
    assert F.gelu(0.0) == 0.0 and F.gelu_grad(0.0) == 0.5


def test_sigmoid_derivative_bound():
    x = np.linspace(-10, 10, 10001)
    g = F.sigmoid_grad(x)
    assert g.max() == 0.25 and np.all(g <= 0.25)


def test_gelu_close_to_exact_erf_form():
    x = np.linspace(-5, 5, 201)
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x])
    np.testing.assert_allclose(F.gelu(x), exact, atol=1e-3)  # tanh approximation error


@pytest.mark.parametrize("name", sorted(F.ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_and_shape_preserved(name, dtype):
    f, f_grad = F.get(name)
    x = np.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
    for out in (f(x), f_grad(x)):
        assert out.dtype == dtype and out.shape == (3, 4)


def test_integers_become_float64():
    assert F.relu(np.array([1, -2])).dtype == np.float64


@pytest.mark.parametrize("name", sorted(F.ACTIVATIONS))
def test_large_inputs_finite_without_warnings(name):
    f, f_grad = F.get(name)
    x = np.array([-1e4, -50.0, 50.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.all(np.isfinite(f(x)) | (np.abs(x) > 1e3))
        assert np.all(np.isfinite(f_grad(x)))


def test_unknown_activation_lists_names():
    with pytest.raises(ValueError, match="unknown activation 'swish'.*gelu.*relu.*sigmoid"):
        F.get("swish")


def test_non_numeric_input():
    with pytest.raises(TypeError, match="x must be an array of numbers"):
        F.sigmoid(np.array(["a"]))


def test_norm_matches_the_definition_in_float64():
    a = np.random.default_rng(0).standard_normal((7, 5))
    assert F.norm(a) == pytest.approx(math.sqrt(float((a * a).sum())), rel=1e-14)
    assert F.norm(np.array([3, 4])) == 5.0  # integers are read as float64
    assert F.norm(np.zeros((0, 3))) == 0.0


@pytest.mark.parametrize("scale", [1e-25, 1e25])
def test_norm_survives_float32_squares_that_under_or_overflow(scale):
    a = np.full((10, 10), scale, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = F.norm(a)
    assert got == pytest.approx(10 * float(np.float32(scale)), rel=1e-6)


def test_norm_passes_inf_and_nan_through():
    assert F.norm(np.array([1.0, np.inf])) == np.inf
    assert math.isnan(F.norm(np.array([1.0, np.nan])))
