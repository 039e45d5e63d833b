"""vanishing.experiments.residual: the ReLU residual block of notebook 07, its weights, and the
plain and residual sigmoid networks of its sections 5 and 6."""

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


@pytest.mark.science
def test_stack_of_blocks_keeps_the_gradient_plain_stack_loses_it():
    """The notebook's section 4 with the package's block: residual ~ (1 + 2/L)^(L/2) = e,
    plain ~ sqrt(2/L) = 0.2 per block. Measured over seeds 0-7 × 4 OpenBLAS kernels: residual
    2.53-3.07 (margin 1.0 below, 1.9 above), plain 0.187-0.201 per block (margin 0.067)."""
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


def test_deep_net_plain_is_the_sigmoid_mlp_residual_wraps_sigmoid_linear_pairs():
    """Same weights for both kinds; the plain net computes the usual sigmoid MLP, the residual
    net h_l = h_{l-1} + sigmoid(h_{l-1}) W_l + b_l (checked by hand on a 3-layer net)."""
    plain = S.deep_net("plain", depth=3, width=4, n_in=2, n_out=3, seed=5)
    resid = S.deep_net("residual", depth=3, width=4, n_in=2, n_out=3, seed=5)
    Wp = [m.params["W"] for m in nn.linear_layers(plain)]
    Wr = [m.params["W"] for m in nn.linear_layers(resid)]
    assert [w.shape for w in Wp] == [(2, 4), (4, 4), (4, 4), (4, 3)]
    assert all(np.array_equal(a, b) for a, b in zip(Wp, Wr, strict=True))
    x = np.random.default_rng(0).standard_normal((5, 2))
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    bs = [m.params["b"] for m in nn.linear_layers(plain)]
    h_p = h_r = x @ Wp[0] + bs[0]
    for W, b in zip(Wp[1:3], bs[1:3], strict=True):
        h_p = sig(h_p) @ W + b
        h_r = h_r + sig(h_r) @ W + b
    np.testing.assert_allclose(plain(x), sig(h_p) @ Wp[3] + bs[3], rtol=1e-12)
    np.testing.assert_allclose(resid(x), sig(h_r) @ Wp[3] + bs[3], rtol=1e-12)
    assert sum(isinstance(m, nn.Residual) for m in resid.layers) == 2
    assert not any(isinstance(m, nn.Residual) for m in plain.layers)


def test_deep_net_and_train_model_name_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        S.deep_net("dense")
    with pytest.raises(ValueError, match="depth"):
        S.deep_net("plain", depth=0)
    with pytest.raises(ValueError, match="dataset"):
        S.train_model("plain", dataset="mnist", steps=1, progress=False)


def test_dataset_split_sizes_and_digits_run_records_a_history():
    X_tr, y_tr, X_val, y_val = S.dataset_split("digits", seed=0)
    assert X_tr.shape == (1348, 64) and X_val.shape == (449, 64)
    assert set(np.unique(np.concatenate([y_tr, y_val]))) == set(range(10))
    X_tr, _, X_val, _ = S.dataset_split("moons", seed=0)
    assert X_tr.shape == (450, 2) and X_val.shape == (150, 2)
    model, h = S.train_model("residual", dataset="digits", depth=3, steps=5, progress=False)
    assert model(np.zeros((1, 64))).shape == (1, 10)
    assert len(h.loss) == 5 and np.all(np.isfinite(h.loss))
    h2 = S.digits_run("residual", depth=3, steps=5, progress=False)
    np.testing.assert_array_equal(h.loss, h2.loss)  # same seed: same weights and batches
