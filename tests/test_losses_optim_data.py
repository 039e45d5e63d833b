"""Losses, optimisers and data sets against closed forms."""

import numpy as np
import pytest

from vanishing import data, losses, nn, optim


def test_cross_entropy_closed_forms():
    loss, d = losses.softmax_cross_entropy(np.zeros((4, 5)), np.array([0, 1, 2, 3]))
    assert loss == pytest.approx(np.log(5))
    np.testing.assert_allclose(d.sum(axis=1), 0, atol=1e-15)
    np.testing.assert_allclose(d[0], (np.full(5, 0.2) - np.eye(5)[0]) / 4)


def test_cross_entropy_stable_for_huge_logits():
    logits = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]])
    with np.errstate(all="raise"):
        loss, d = losses.softmax_cross_entropy(logits, np.array([0, 2]))
    assert loss == pytest.approx(5e3)  # row 1 costs 0, row 2 costs 1e4 - 0: mean 5e3
    assert np.all(np.isfinite(d))
    logits32 = logits.astype(np.float32)
    assert losses.softmax_cross_entropy(logits32, np.array([0, 2]))[1].dtype == np.float32


def test_cross_entropy_bad_labels():
    with pytest.raises(ValueError, match=r"labels in \[0, 2\]"):
        losses.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"y has shape \(3,\), expected \(2,\)"):
        losses.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(TypeError, match="integer class labels"):
        losses.softmax_cross_entropy(np.zeros((2, 3)), np.array([0.5, 1.0]))


def test_mse_closed_form():
    loss, d = losses.mse(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]))
    assert loss == pytest.approx(2.5)
    np.testing.assert_allclose(d, [[1.0, 2.0]])
    with pytest.raises(ValueError, match="shape"):
        losses.mse(np.ones(3), np.ones(4))


def _model_with_grads(rng):
    net = nn.mlp([3, 4, 2], rng=rng)
    net(rng.standard_normal((5, 3)))
    net.backward(rng.standard_normal((5, 2)))
    return net


def test_loss_names_are_case_insensitive_and_unknown_ones_listed():
    assert losses.get("MSE") is losses.mse
    assert losses.get("Cross_Entropy") is losses.softmax_cross_entropy
    with pytest.raises(ValueError, match="cross_entropy"):
        losses.get("hinge")


def test_as_targets_shapes_what_each_loss_takes():
    out = np.zeros((3, 4), np.float32)
    y = np.array([0, 3, 1])
    onehot = losses.as_targets(y, out, "mse")
    np.testing.assert_array_equal(onehot, np.eye(4, dtype=np.float32)[y])
    assert onehot.dtype == np.float32
    col = losses.as_targets(np.array([0.5, 1.0, 2.0]), np.zeros((3, 1)), "mse")
    assert col.shape == (3, 1)
    np.testing.assert_array_equal(losses.as_targets(y, out, "cross_entropy"), y)


def test_sgd_step_and_recorded_update():
    rng = np.random.default_rng(0)
    net = _model_with_grads(rng)
    before = {k: v.copy() for k, v in net.params.items()}
    grads = {k: v.copy() for k, v in net.grads.items()}
    opt = optim.SGD(net, lr=0.1)
    opt.step()
    for k in before:
        np.testing.assert_allclose(net.params[k], before[k] - 0.1 * grads[k])
        np.testing.assert_allclose(opt.updates[k], -0.1 * grads[k])


def test_sgd_momentum_accumulates():
    rng = np.random.default_rng(1)
    net = _model_with_grads(rng)
    g = net.grads["0.W"].copy()
    w0 = net.params["0.W"].copy()
    opt = optim.SGD(net, lr=0.1, momentum=0.9)
    opt.step()
    opt.step()  # same gradient twice: v1 = -lr g, v2 = 0.9 v1 - lr g
    np.testing.assert_allclose(net.params["0.W"], w0 - 0.1 * g - (0.9 * 0.1 + 0.1) * g)


def test_adam_first_step_is_lr_times_sign():
    rng = np.random.default_rng(2)
    net = _model_with_grads(rng)
    g = net.grads["0.W"].copy()
    w0 = net.params["0.W"].copy()
    optim.Adam(net, lr=0.01, eps=1e-12).step()
    np.testing.assert_allclose(net.params["0.W"], w0 - 0.01 * np.sign(g), rtol=1e-6)


def test_clip_grad_norm():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[0.0, 4.0]])}
    total = optim.clip_grad_norm(grads, 1.0)
    assert total == pytest.approx(5.0)
    assert optim.global_norm(grads) == pytest.approx(1.0)
    np.testing.assert_allclose(grads["a"], [0.6, 0.0])
    small = [np.array([0.1, 0.2])]
    optim.clip_grad_norm(small, 1.0)
    np.testing.assert_array_equal(small[0], [0.1, 0.2])  # under the threshold: untouched


def test_clip_grad_norm_on_module_scales_layer_grads():
    rng = np.random.default_rng(3)
    net = _model_with_grads(rng)
    optim.clip_grad_norm(net, 1e-3)
    assert optim.global_norm(net) == pytest.approx(1e-3)
    assert np.linalg.norm(net.layers[0].grads["W"]) <= 1e-3


def test_optimiser_argument_errors():
    net = nn.mlp([2, 2], rng=0)
    with pytest.raises(ValueError, match="lr must be > 0"):
        optim.SGD(net, lr=0)
    with pytest.raises(ValueError, match="lr must be finite"):
        optim.SGD(net, lr=float("nan"))
    with pytest.raises(TypeError, match="vanishing.nn.Module"):
        optim.SGD([1, 2], lr=0.1)
    with pytest.raises(ValueError, match="max_norm"):
        optim.clip_grad_norm(net, -1)


@pytest.mark.parametrize("name", sorted(data.DATASETS))
def test_datasets_shapes_balance_and_determinism(name):
    X, y = data.load(name, n=301, rng=np.random.default_rng(0))
    X2, y2 = data.load(name, n=301, rng=np.random.default_rng(0))
    assert X.shape == (301, 2) and y.shape == (301,) and y.dtype == np.int64
    assert abs(int(np.sum(y == 0)) - int(np.sum(y == 1))) <= 1
    np.testing.assert_array_equal(X, X2)
    assert 0.3 < X.std() < 3


def test_two_spirals_not_linearly_separable():
    X, y = data.two_spirals(400, rng=np.random.default_rng(1))
    A = np.c_[X, np.ones(len(X))]
    w, *_ = np.linalg.lstsq(A, 2.0 * y - 1, rcond=None)
    assert np.mean((A @ w > 0) == y) < 0.75


def test_batches_and_split():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    seen = np.concatenate([yb for _, yb in data.batches(X, y, 3, rng=np.random.default_rng(0))])
    assert sorted(seen) == list(range(10))
    Xt, yt, Xv, yv = data.train_val_split(X, y, 0.3, rng=np.random.default_rng(0))
    assert len(yv) == 3 and len(yt) == 7 and not set(yt) & set(yv)
    with pytest.raises(ValueError, match="unknown data set 'mnist'"):
        data.load("mnist")


def test_digits_are_the_shipped_uci_set():
    # the published class counts of the UCI test part (Alpaydin & Kaynak 1998): 1,797 images
    X, y = data.digits(scale=False, flatten=False)
    assert X.shape == (1797, 8, 8) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert X.min() == 0 and X.max() == 16 and np.all(X == np.round(X))
    # the first image is a 0, as in every copy of the set
    assert y[0] == 0 and X[0, 0].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]
    Z, y2 = data.digits()
    assert Z.shape == (1797, 64) and np.array_equal(y, y2)
    kept = Z.std(axis=0) > 0
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0)[kept], 1, rtol=1e-12)
    assert np.all(Z[:, ~kept] == 0) and (~kept).sum() == 3  # three corner pixels are always 0
    X3, y3 = data.digits(3, dtype=np.float32)
    assert X3.dtype == np.float32 and set(y3) == {0, 1, 2} and len(y3) == 178 + 182 + 177
    with pytest.raises(ValueError, match="n_classes must be an int from 2 to 10"):
        data.digits(11)


def test_digits_ship_in_the_wheel_with_their_licence():
    from importlib import resources

    root = resources.files("vanishing").joinpath("datasets")
    assert root.joinpath("digits.npz").is_file()
    text = root.joinpath("DIGITS.md").read_text()
    assert "CC BY 4.0" in text and "10.24432/C50P49" in text and "Alpaydin" in text
