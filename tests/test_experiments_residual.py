"""vanishing.experiments.residual: the ReLU residual block of notebook 07 and its weights."""

import numpy as np
import pytest

from vanishing import gradcheck, nn
from vanishing.experiments import residual as S


def _block(D, H, rng, dtype=np.float64):
    x, W1, b1, W2, b2 = (rng.standard_normal(s) for s in [(5, D), (D, H), (H,), (H, D), (D,)])
    return tuple(v.astype(dtype) for v in (x, W1, b1, W2, b2))


@pytest.mark.parametrize(("D", "H"), [(3, 3), (4, 2), (2, 6)])
def test_block_forward_matches_the_package_modules(D, H):
    rng = np.random.default_rng(D * 10 + H)
    x, W1, b1, W2, b2 = _block(D, H, rng)
    first, second = nn.Linear(D, H, rng=0), nn.Linear(H, D, rng=0)
    for layer, W, b in ((first, W1, b1), (second, W2, b2)):
        layer.params["W"][...] = W
        layer.params["b"][...] = b
    net = nn.Residual(nn.Sequential(first, nn.ReLU(), second))
    y, cache = S.block_forward(x, W1, b1, W2, b2)
    np.testing.assert_allclose(y, net(x), rtol=1e-13, atol=1e-13)
    assert len(cache) == 5 and cache[0] is x and cache[1] is W1 and cache[2] is W2
    np.testing.assert_array_equal(cache[3], x @ W1 + b1)
    np.testing.assert_array_equal(cache[4], np.maximum(x @ W1 + b1, 0))
    dout = rng.standard_normal(y.shape)
    dx, dW1, db1, dW2, db2 = S.block_backward(dout, cache)
    np.testing.assert_allclose(dx, net.backward(dout), rtol=1e-12, atol=1e-13)
    grads = net.grads
    for got, name in (
        (dW1, "block.0.W"),
        (db1, "block.0.b"),
        (dW2, "block.2.W"),
        (db2, "block.2.b"),
    ):
        np.testing.assert_allclose(got, grads[name], rtol=1e-12, atol=1e-13)


def test_block_backward_against_centred_differences():
    rng = np.random.default_rng(5)
    x, W1, b1, W2, b2 = _block(4, 3, rng)
    assert np.min(np.abs(x @ W1 + b1)) > 1e-3
    dout = rng.standard_normal((5, 4))
    grads = S.block_backward(dout, S.block_forward(x, W1, b1, W2, b2)[1])
    point = [x, W1, b1, W2, b2]
    for k, got in enumerate(grads):
        f = lambda v, k=k: np.sum(dout * S.block_forward(*point[:k], v, *point[k + 1 :])[0])
        report = gradcheck.check_gradient(f, got, point[k].copy())
        assert report.ok(), (k, report.max_error)


def test_block_keeps_float32_and_relu_slope_at_zero_is_zero():
    x = np.array([[1.0, -1.0]], np.float32)
    W1 = np.array([[1.0], [1.0]], np.float32)  # z = 0 exactly
    b1 = np.zeros(1, np.float32)
    W2 = np.array([[2.0, 3.0]], np.float32)
    b2 = np.zeros(2, np.float32)
    y, cache = S.block_forward(x, W1, b1, W2, b2)
    assert y.dtype == np.float32 and all(c.dtype == np.float32 for c in cache)
    grads = S.block_backward(np.ones((1, 2), np.float32), cache)
    assert all(g.dtype == np.float32 for g in grads)
    np.testing.assert_array_equal(grads[0], np.ones((1, 2)))  # only the identity path
    np.testing.assert_array_equal(grads[1], np.zeros((2, 1)))


def test_block_forward_names_shapes_that_do_not_fit():
    with pytest.raises(ValueError, match="block_forward"):
        S.block_forward(np.ones((2, 3)), np.ones((3, 4)), np.ones(4), np.ones((4, 2)), np.ones(3))


def test_branch_weights_shapes_scale_and_seed():
    w = S.branch_weights(50, 32, seed=1)
    assert len(w) == 50
    W1, b1, W2, b2 = w[0]
    assert W1.shape == (32, 32) and W2.shape == (32, 32) and not b1.any() and not b2.any()
    v1 = np.mean([np.var(W1) for W1, _, _, _ in w])
    v2 = np.mean([np.var(W2) for _, _, W2, _ in w])
    assert abs(v1 * 32 / 2 - 1) < 0.05  # He: 2 / fan_in
    assert abs(v2 * 32 * 50 / 2 - 1) < 0.05  # He times 1/sqrt(depth), squared
    same = S.branch_weights(50, 32, seed=1)
    assert all(
        np.array_equal(a, b)
        for t, u in zip(w, same, strict=True)
        for a, b in zip(t, u, strict=True)
    )
    W1, _, W2, _ = S.branch_weights(3, 4, hidden=6, branch_scale=2.0, seed=0)[0]
    assert W1.shape == (4, 6) and W2.shape == (6, 4)


def test_stack_of_blocks_keeps_the_gradient_plain_stack_loses_it():
    """The notebook's section 4 with the package's block: residual ~ (1 + 2/L)^(L/2) = e,
    plain ~ sqrt(2/L) = 0.2 per block (measured 2.60-2.75 and 0.188-0.200 over seeds 0-3)."""
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((64, 32)), rng.standard_normal((64, 32))
    weights = S.branch_weights(50, 32, seed=0)
    out = {}
    for identity in (True, False):
        h, caches = x, []
        for W1, b1, W2, b2 in weights:
            y, cache = S.block_forward(h, W1, b1, W2, b2)
            caches.append(cache)
            h = y if identity else y - h
        g, norms = dout, []
        for cache in reversed(caches):
            dx = S.block_backward(g, cache)[0]
            g = dx if identity else dx - g
            norms.append(np.linalg.norm(g))
        out[identity] = np.array(norms[::-1]) / np.linalg.norm(dout)
    assert 1.5 < out[True][0] < 5
    per_block = (out[False][0] / out[False][-1]) ** (1 / 49)
    assert 0.12 < per_block < 0.3
