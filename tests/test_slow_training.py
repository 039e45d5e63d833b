"""vanishing.experiments.slow_training: notebook 03's network on plain arrays, trained with a
given gradient function."""

import numpy as np

from vanishing import gradcheck, nn
from vanishing.experiments import causes
from vanishing.experiments import slow_training as S


def _net(sizes, seed):
    rng = np.random.default_rng(seed)
    Ws = [rng.standard_normal((a, b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    bs = [0.5 * rng.standard_normal(b) for b in sizes[1:]]
    return Ws, bs


def _check_against_differences(Ws, bs, x, y):
    dWs, dbs = S.sigmoid_net_gradients(Ws, bs, x, y)
    for l in range(len(Ws)):
        num = gradcheck.numerical_gradient(
            lambda W, l=l: S.sigmoid_net_loss(Ws[:l] + [W] + Ws[l + 1 :], bs, x, y), Ws[l]
        )
        assert gradcheck.rel_error(dWs[l], num) < 1e-7
        num = gradcheck.numerical_gradient(
            lambda b, l=l: S.sigmoid_net_loss(Ws, bs[:l] + [b] + bs[l + 1 :], x, y), bs[l]
        )
        assert gradcheck.rel_error(dbs[l], num) < 1e-7


def test_gradients_match_centred_differences():
    for sizes, N in [([3, 2], 4), ([2, 5, 3], 1), ([2, 4, 4, 3], 6)]:
        Ws, bs = _net(sizes, N)
        rng = np.random.default_rng(N)
        _check_against_differences(
            Ws, bs, rng.standard_normal((N, sizes[0])), rng.integers(0, sizes[-1], N)
        )


def test_gradients_match_the_nn_modules():
    model, Ws, bs = S.net_params(4, seed=3)
    X, y = causes.depth_data("moons", 600, 0)[:2]
    from vanishing import losses

    _, d = losses.softmax_cross_entropy(model(X[:32]), y[:32])
    model.backward(d)
    dWs, dbs = S.sigmoid_net_gradients(Ws, bs, X[:32], y[:32])
    for m, dW, db in zip(nn.linear_layers(model), dWs, dbs, strict=True):
        np.testing.assert_allclose(dW, m.grads["W"], rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(db, m.grads["b"], rtol=1e-10, atol=1e-15)
    assert (
        S.sigmoid_net_loss(Ws, bs, X[:32], y[:32])
        == losses.softmax_cross_entropy(model(X[:32]), y[:32])[0]
    )


def test_update_ratios():
    Ws = [np.array([[3.0, 0.0], [0.0, 4.0]]), np.array([[1.0], [2.0], [2.0]])]
    dWs = [np.array([[1.0, 2.0], [2.0, 4.0]]), np.array([[0.0], [3.0], [4.0]])]
    np.testing.assert_allclose(S.update_ratios(Ws, dWs, 0.01), [0.01, 0.05 / 3], rtol=1e-14)


def test_train_by_hand_reproduces_train_depths():
    """Same data, weights and batches as causes.train_depths: with the course's gradients the
    runs agree to rounding, and the telemetry is the same."""
    mine = S.train_by_hand(S.sigmoid_net_gradients, (1, 4), steps=60, record_every=5)
    ref = causes.train_depths((1, 4), steps=60, telemetry_every=5, progress=False)
    for label in ref:
        a, b = mine[label].history, ref[label].history
        np.testing.assert_allclose(a.loss, b.loss, rtol=1e-12)
        np.testing.assert_array_equal(a.eval_steps, b.eval_steps)
        np.testing.assert_allclose(a.val_acc, b.val_acc)
        np.testing.assert_array_equal(a.telemetry_steps, b.telemetry_steps)
        np.testing.assert_allclose(a.grad_norm, b.grad_norm, rtol=1e-10)
        np.testing.assert_allclose(a.update_ratio, b.update_ratio, rtol=1e-10)
        np.testing.assert_allclose(mine[label].rel_change, ref[label].rel_change, rtol=1e-10)
        for m1, m2 in zip(
            nn.linear_layers(mine[label].model), nn.linear_layers(ref[label].model), strict=True
        ):
            np.testing.assert_allclose(m1.params["W"], m2.params["W"], rtol=1e-10)


def test_train_by_hand_uses_the_given_functions():
    calls = []

    def grads(Ws, bs, x, y):
        calls.append(len(x))
        return S.sigmoid_net_gradients(Ws, bs, x, y)

    runs = S.train_by_hand(grads, (2,), steps=10, record_every=5, ratios=lambda W, d, lr: [7.0] * 3)
    h = runs["2 hidden layers"].history
    assert len(calls) == 10
    np.testing.assert_array_equal(h.update_ratio, np.full((2, 3), 7.0))
    assert h.linear_names == ["W1", "W2", "W3"]
