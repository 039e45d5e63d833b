"""Initialisers against their variance formulas, with stated statistical bounds.

For n i.i.d. draws with variance s² and kurtosis k, the sample variance has standard error
s²·sqrt((k - 1)/n) (k = 3 normal, 1.8 uniform) and the sample mean s/sqrt(n). Each check
allows 6 standard errors: a false failure has probability below 2e-9 per check.
"""

import numpy as np
import pytest

from vanishing import init

Z = 6.0
SHAPES = [(64, 64), (256, 32), (20, 500), (1000, 10)]
GAINS = [1.0, 0.5, 2.0]
KURTOSIS = {
    "xavier_uniform": 1.8,
    "he_uniform": 1.8,
    "xavier_normal": 3.0,
    "he_normal": 3.0,
    "normal": 3.0,
}


def expected_variance(name, shape, gain):
    fan_in, fan_out = shape
    return {
        "xavier_uniform": 2 / (fan_in + fan_out),
        "xavier_normal": 2 / (fan_in + fan_out),
        "he_uniform": 2 / fan_in,
        "he_normal": 2 / fan_in,
        "normal": 1.0,
    }[name] * gain**2


@pytest.mark.parametrize("gain", GAINS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(KURTOSIS))
def test_mean_and_variance_within_bound(name, shape, gain):
    rng = np.random.default_rng(hash((name, shape, gain)) % 2**32)
    W = init.get(name)(shape, gain=gain, rng=rng)
    assert W.shape == shape and W.dtype == np.float64
    n, var = W.size, expected_variance(name, shape, gain)
    assert var == pytest.approx(init.variance(name, shape, gain))
    assert abs(W.mean()) <= Z * np.sqrt(var / n)
    se = var * np.sqrt((KURTOSIS[name] - 1) / n)
    assert abs(W.var() - var) <= Z * se, (W.var(), var, se)


@pytest.mark.parametrize("name", ["xavier_uniform", "he_uniform"])
def test_uniform_bounds(name):
    shape, gain = (100, 50), 1.5
    W = init.get(name)(shape, gain=gain, rng=np.random.default_rng(0))
    a = np.sqrt(3 * expected_variance(name, shape, gain))
    assert np.abs(W).max() <= a
    assert np.abs(W).max() > 0.99 * a  # 5000 draws reach the edge


def test_fan_in_and_fan_out_are_not_swapped():
    W = init.he_normal((1000, 10), rng=np.random.default_rng(1))
    assert W.var() == pytest.approx(2 / 1000, rel=0.1)  # 2/fan_out would be 100x larger


@pytest.mark.parametrize("name", sorted(init.INITIALISERS))
def test_every_initialiser_takes_shape_gain_rng_dtype_in_that_order(name):
    f = init.get(name)
    by_position = f((6, 4), 0.5, np.random.default_rng(3), np.float32)
    by_keyword = f((6, 4), gain=0.5, rng=np.random.default_rng(3), dtype=np.float32)
    assert by_position.dtype == np.float32
    np.testing.assert_array_equal(by_position, by_keyword)


def test_normal_std_is_keyword_only_and_multiplies_gain():
    a = init.normal((5, 5), 0.5, np.random.default_rng(4))
    b = init.normal((5, 5), rng=np.random.default_rng(4), std=0.5)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError):
        init.normal((5, 5), 1.0, None, np.float64, 0.5)  # std positionally is refused


def test_normal_std_and_zeros():
    W = init.normal((300, 300), std=0.01, rng=np.random.default_rng(2))
    assert W.std() == pytest.approx(0.01, rel=Z * np.sqrt(2 / W.size))
    assert not init.zeros((3, 4)).any()
    assert init.zeros((5,)).shape == (5,)


@pytest.mark.parametrize("gain", [1.0, 0.7, 3.0])
@pytest.mark.parametrize("shape", [(50, 50), (80, 30), (30, 80)])
def test_orthogonal(shape, gain):
    W = init.orthogonal(shape, gain=gain, rng=np.random.default_rng(3))
    gram = W.T @ W if shape[0] >= shape[1] else W @ W.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(shape)), atol=1e-12)


def test_same_rng_same_draw_and_dtype():
    a = init.he_normal((4, 5), rng=np.random.default_rng(7), dtype=np.float32)
    b = init.he_normal((4, 5), rng=np.random.default_rng(7), dtype=np.float32)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, b)


def test_get_lists_valid_names():
    with pytest.raises(
        ValueError, match="unknown initialiser 'kaiming'.*he_normal.*xavier_uniform"
    ):
        init.get("kaiming")


@pytest.mark.parametrize(
    "bad, match",
    [
        ((3,), "fan_in, fan_out"),
        ((0, 3), "positive"),
        ("ab", "fan_in, fan_out"),
        ((3.5, 2), "fan_in"),
    ],
)
def test_bad_shape(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        init.xavier_normal(bad)


def test_bad_gain_and_rng():
    with pytest.raises(ValueError, match="gain"):
        init.he_normal((3, 3), gain=float("nan"))
    with pytest.raises(ValueError, match="gain"):
        init.he_normal((3, 3), gain=-1)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        init.he_normal((3, 3), rng="seed")
