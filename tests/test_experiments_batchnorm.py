"""vanishing.experiments.batchnorm: notebook 06's experiments run on functions given to them
(the learner's batch norm), and give the course's numbers when those functions are right."""

import numpy as np
import pytest

from vanishing import gradcheck, nn
from vanishing.experiments import batchnorm as B


def forward(x, gamma, beta, running_mean, running_var, mode="train", momentum=0.1, eps=1e-5):
    """Notebook 06's batchnorm_forward, written out independently of the package."""
    if mode == "train":
        n = x.shape[0]
        mean, var = x.mean(axis=0), x.var(axis=0)
        new = (
            (1 - momentum) * running_mean + momentum * mean,
            (1 - momentum) * running_var + momentum * var * n / (n - 1),
        )
    else:
        mean, var, new = running_mean, running_var, (running_mean, running_var)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta, new[0], new[1], None


def backward(dout, x, gamma, eps=1e-5):
    """Notebook 06's batchnorm_backward, through the graph node by node."""
    n = x.shape[0]
    mean = x.mean(axis=0)
    centred = x - mean
    var = (centred**2).mean(axis=0)
    inv_std = (var + eps) ** -0.5
    xhat = centred * inv_std
    dxhat = dout * gamma
    dcentred = dxhat * inv_std
    dvar = -0.5 * (var + eps) ** -1.5 * (dxhat * centred).sum(axis=0)
    dcentred = dcentred + 2 * centred * dvar / n
    dx = dcentred - dcentred.sum(axis=0) / n
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def test_net_with_functions_swaps_every_batch_norm_and_keeps_the_weights():
    plain = B.deep_sigmoid_net(True, depth=3, seed=1)
    mine = B.deep_sigmoid_net(True, depth=3, seed=1, forward=forward, backward=backward)
    kinds = [type(m).__name__ for m in mine.layers]
    assert kinds.count("FunctionalBatchNorm") == 3 and "BatchNorm1d" not in kinds
    for a, b in zip(plain.layers, mine.layers, strict=True):
        for k in a.params:
            np.testing.assert_array_equal(a.params[k], b.params[k])
    # without functions: the course's own layers, as before
    assert [type(m) for m in B.deep_sigmoid_net(True, depth=3).layers].count(nn.BatchNorm1d) == 3


@pytest.mark.parametrize("which", ["both", "forward", "backward"])
def test_run_on_the_functions_matches_the_course_layer(which):
    kw = {"forward": forward, "backward": backward}
    if which != "both":
        kw = {which: kw[which]}
    common = dict(steps=10, seed=0, progress=False, telemetry_every=5)
    ref = B.deep_sigmoid_run(True, **common)
    got = B.deep_sigmoid_run(True, **common, **kw)
    # 10 steps of SGD from the same weights: only rounding differs (about 1e-12 after 10
    # steps; training is chaotic, the difference grows tenfold every few steps)
    np.testing.assert_allclose(got.loss, ref.loss, rtol=1e-9)
    np.testing.assert_allclose(got.train_acc, ref.train_acc)


def test_lr_sweep_passes_the_functions_on():
    lrs = [0.1, 1.0]
    ref = B.lr_sweep(lrs, True, steps=8, last=4)
    got = B.lr_sweep(lrs, True, steps=8, last=4, forward=forward, backward=backward)
    np.testing.assert_allclose(got, ref, rtol=1e-9)


def test_functional_batch_norm_passes_a_gradient_check():
    rng = np.random.default_rng(3)
    bn = B.FunctionalBatchNorm(4, forward, backward, eps=1e-3)
    bn.params["gamma"][:] = rng.uniform(0.5, 2, 4)
    bn.params["beta"][:] = rng.standard_normal(4)
    x = rng.standard_normal((7, 4)) * 2 + 1
    assert gradcheck.check_module(bn, x).ok()


def test_eval_mode_uses_the_forward_function_and_keeps_the_buffers():
    rng = np.random.default_rng(4)
    bn = B.FunctionalBatchNorm(3, forward, backward)
    x = rng.standard_normal((5, 3))
    bn(x)
    mean, var = bn.running_mean.copy(), bn.running_var.copy()
    np.testing.assert_allclose(mean, 0.1 * x.mean(axis=0))
    bn.eval()
    y = bn(x[:1])
    np.testing.assert_allclose(y, (x[:1] - mean) / np.sqrt(var + 1e-5))
    np.testing.assert_array_equal(bn.running_mean, mean)
    # a backward pass after an eval-mode forward is the course's (a fixed affine map)
    np.testing.assert_allclose(bn.backward(np.ones((1, 3))), np.ones((1, 3)) / np.sqrt(var + 1e-5))


def test_functions_get_copies_and_cannot_change_the_layer_behind_its_back():
    def meddling_forward(x, gamma, beta, running_mean, running_var, *rest):
        out = forward(x, gamma, beta, running_mean, running_var, *rest)
        for a in (x, gamma, beta, running_mean, running_var):
            a[...] = 99.0
        return out

    def meddling_backward(dout, x, gamma, eps):
        out = backward(dout, x, gamma, eps)
        for a in (dout, x, gamma):
            a[...] = 99.0
        return out

    bn = B.FunctionalBatchNorm(2, meddling_forward, meddling_backward)
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    dout = np.array([[1.0, 0.0], [0.0, 1.0]])
    bn(x)
    bn.backward(dout)
    np.testing.assert_array_equal(x, [[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_array_equal(dout, [[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(bn.params["gamma"], [1.0, 1.0])
    np.testing.assert_allclose(bn.running_mean, [0.2, 0.35])


def test_digits_sigmoid_net_shapes_and_batch_norm_count():
    model = B.digits_sigmoid_net(True, depth=3, seed=2)
    assert [type(m) for m in model.layers].count(nn.BatchNorm1d) == 3
    assert model(np.zeros((4, 64))).shape == (4, 10)


def test_digits_sigmoid_run_on_the_functions_matches_the_course_layer():
    kw = dict(steps=20, depth=3, seed=1, progress=False)
    ref = B.digits_sigmoid_run(True, **kw)
    mine = B.digits_sigmoid_run(True, forward=forward, backward=backward, **kw)
    np.testing.assert_allclose(mine.loss, ref.loss, rtol=1e-9)
    assert 1.5 < ref.loss[0] < 3.5  # about ln 10 at the start
    with pytest.raises(ValueError, match="steps"):
        B.digits_sigmoid_run(False, steps=0)


def test_decision_boundary_of_a_batch_norm_net_uses_eval_mode():
    h, model = B.deep_sigmoid_run(True, steps=5, depth=2, progress=False, return_model=True)
    X = np.random.default_rng(0).standard_normal((5, 2))
    _, _, p = B.decision_boundary_grid(model, X, n=4)
    model.eval()
    grid = np.column_stack(
        [
            np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, 4)[[0, 3]],
            np.full(2, X[:, 1].min() - 0.5),
        ]
    )
    logits = model(grid)
    np.testing.assert_allclose(
        p[0, [0, 3]], 1 / (1 + np.exp(logits[:, 0] - logits[:, 1])), rtol=1e-12
    )
    assert len(h.loss) == 5
