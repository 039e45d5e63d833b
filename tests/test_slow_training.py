"""vanishing.experiments.slow_training: notebook 03's network on plain arrays, trained with a
given gradient function."""

import numpy as np
import pytest

from vanishing import gradcheck, nn
from vanishing.experiments import protocol
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
    X, y = protocol.depth_data("moons", 600, 0)[:2]
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
    """Same data, weights and batches as S.train_depths: with the course's gradients the
    runs agree to rounding, and the telemetry is the same."""
    mine = S.train_by_hand(S.sigmoid_net_gradients, (1, 4), steps=60, record_every=5)
    ref = S.train_depths((1, 4), steps=60, telemetry_every=5, progress=False)
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


def test_hidden_activations_match_the_nn_modules():
    model, Ws, bs = S.net_params(3, seed=2)
    X = protocol.depth_data("moons", 600, 0)[0][:20]
    from vanishing import telemetry

    want = list(telemetry.activations(model, X).values())
    got = S.hidden_activations(Ws, bs, X)
    assert len(got) == 3
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_train_by_hand_records_activation_statistics_of_the_hidden_layers():
    runs = S.train_by_hand(S.sigmoid_net_gradients, (3,), steps=12, record_every=5)
    h = runs["3 hidden layers"].history
    assert h.act_names == ["h1", "h2", "h3"] and h.act_kinds == ["sigmoid"] * 3
    assert h.act_mean.shape == h.saturated.shape == h.act_std.shape == (3, 3)
    assert np.all(np.isnan(h.dead))
    # step 0 is recorded before the first update: the statistics of the initial network on
    # the training set, computed here with the nn modules and the sigmoid's bounds
    model, _, _ = S.net_params(3)
    X = protocol.depth_data("moons", 600, 0)[0]
    from vanishing import telemetry

    acts = list(telemetry.activations(model, X).values())
    np.testing.assert_allclose(h.act_mean[0], [a.mean() for a in acts], rtol=1e-12)
    np.testing.assert_allclose(h.act_std[0], [a.std() for a in acts], rtol=1e-10)
    want_sat = [np.mean((a < 0.03) | (a > 0.97)) for a in acts]
    np.testing.assert_allclose(h.saturated[0], want_sat, rtol=0, atol=1e-15)
    assert np.all((h.saturated >= 0) & (h.saturated <= 1))


def test_digits_data_splits_the_whole_set():
    X_tr, y_tr, X_val, y_val = S.digits_data(seed=1)
    assert X_tr.shape == (1348, 64) and X_val.shape == (449, 64)
    assert y_tr.dtype == np.int64 and set(np.unique(y_val)) == set(range(10))
    again = S.digits_data(seed=1)
    np.testing.assert_array_equal(again[0], X_tr)
    assert not np.array_equal(S.digits_data(seed=2)[0], X_tr)


def test_train_digits_protocol_and_errors():
    runs = S.train_digits(
        [("a", 1, "sigmoid", "xavier_normal"), ("b", 2, "relu", "he_normal")],
        steps=30,
        eval_every=10,
    )
    assert list(runs) == ["a", "b"]
    for h in runs.values():
        assert h.loss.shape == (30,) and np.all(np.isfinite(h.loss))
        np.testing.assert_array_equal(h.eval_steps, [9, 19, 29])
        assert np.all((h.val_acc >= 0) & (h.val_acc <= 1))
    # 10 classes, weights drawn with the seed [seed, depth]: the first loss is that of the
    # initial network on the first batch, about log 10 for small initial logits
    assert 1.5 < runs["a"].loss[0] < 3.5
    for bad, match in [({"steps": 0}, "steps"), ({"lr": 0.0}, "lr")]:
        with pytest.raises(ValueError, match=match):
            S.train_digits(steps=bad.get("steps", 5), lr=bad.get("lr", 0.1))


# ------------------------------------------------------------------------------------------
# The two figures notebook 03 draws with new plots helpers
# ------------------------------------------------------------------------------------------
def test_decision_boundary_colours_the_predicted_class():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from vanishing import plots

    X = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    y = np.array([0, 1, 1])
    fig = plots.decision_boundary(lambda P: (P[:, 0] > 0).astype(int), X, y, resolution=11)
    ax = fig.axes[0]
    mesh = ax.collections[0]
    classes = np.asarray(mesh.get_array()).reshape(11, 11)
    # the grid spans [-1.5, 1.5] in x_1: left half class 0, right half class 1
    assert np.all(classes[:, :5] == 0) and np.all(classes[:, 6:] == 1)
    assert ax.get_title() and ax.get_xlabel() == "$x_1$" and ax.get_ylabel() == "$x_2$"
    assert len(ax.collections) == 3  # the regions and one scatter per class
    plt.close(fig)
    with pytest.raises(ValueError, match="X must have shape"):
        plots.decision_boundary(lambda P: P[:, 0], np.zeros((3, 3)), y)
    with pytest.raises(ValueError, match="one class per point"):
        plots.decision_boundary(lambda P: np.zeros(3), X, y, resolution=4)
    plt.close("all")


def test_plot_activation_over_training_one_line_per_layer_legend_below():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from vanishing import plots

    h = S.train_by_hand(S.sigmoid_net_gradients, (3,), steps=11, record_every=5)[
        "3 hidden layers"
    ].history
    fig = plots.plot_activation_over_training(h, field="saturated")
    ax = fig.axes[0]
    assert len(ax.lines) == 3
    np.testing.assert_array_equal(ax.lines[2].get_xdata(), h.telemetry_steps)
    np.testing.assert_array_equal(ax.lines[2].get_ydata(), h.saturated[:, 2])
    assert ax.get_title() and ax.get_xlabel() == "training step" and ax.get_ylabel()
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["h1", "h2", "h3"]
    fig.canvas.draw()
    box = legend.get_window_extent()
    assert box.y1 <= ax.get_window_extent().y0  # below the axes, never over a line
    plt.close(fig)
    fig = plots.plot_activation_over_training(h, legend=False)
    assert fig.axes[0].get_legend() is None
    with pytest.raises(ValueError, match="field"):
        plots.plot_activation_over_training(h, field="loss")
    plt.close("all")
