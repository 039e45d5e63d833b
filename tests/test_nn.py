"""Modules: batch norm conventions, dtypes, modes and error messages."""

import gc
import importlib
import pkgutil

import numpy as np
import pytest

import vanishing
from vanishing import nn


def test_linear_forward_is_affine_map():
    rng = np.random.default_rng(0)
    layer = nn.Linear(3, 2, rng=rng)
    x = rng.standard_normal((4, 3))
    layer.params["b"][:] = [1.0, -1.0]
    np.testing.assert_allclose(layer(x), x @ layer.params["W"] + [1.0, -1.0])
    assert layer.params["W"].shape == (3, 2) and layer.params["b"].shape == (2,)


def test_batchnorm_training_normalises_with_biased_variance():
    rng = np.random.default_rng(1)
    bn = nn.BatchNorm1d(3, eps=0.0 + 1e-12)
    x = rng.standard_normal((8, 3)) * [1.0, 5.0, 0.1] + [2.0, -3.0, 0.5]
    y = bn(x)
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=0), 1, rtol=1e-9)  # np.var is the biased one


def test_batchnorm_running_statistics_convention():
    rng = np.random.default_rng(2)
    bn = nn.BatchNorm1d(4, momentum=0.1)
    rm, rv = np.zeros(4), np.ones(4)
    for _ in range(5):
        x = rng.standard_normal((10, 4)) * 3 + 1
        bn(x)
        rm = 0.9 * rm + 0.1 * x.mean(axis=0)
        rv = 0.9 * rv + 0.1 * x.var(axis=0, ddof=1)  # unbiased, as PyTorch
    np.testing.assert_allclose(bn.running_mean, rm, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, rv, rtol=1e-12)


def test_batchnorm_eval_uses_running_statistics_and_does_not_update():
    bn = nn.BatchNorm1d(2, eps=1e-5)
    bn.running_mean[:] = [1.0, -1.0]
    bn.running_var[:] = [4.0, 0.25]
    bn.params["gamma"][:] = [2.0, 1.0]
    bn.params["beta"][:] = [0.5, 0.0]
    bn.eval()
    x = np.array([[3.0, 0.0], [1.0, -1.0]])
    expected = (x - [1.0, -1.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5) * [2.0, 1.0] + [0.5, 0]
    np.testing.assert_allclose(bn(x), expected)
    np.testing.assert_array_equal(bn.running_mean, [1.0, -1.0])
    assert bn(x[:1]).shape == (1, 2)  # a single example is fine in eval mode
    assert bn.mode == "eval"


def test_batchnorm_train_and_eval_differ():
    rng = np.random.default_rng(3)
    bn = nn.BatchNorm1d(3)
    x = rng.standard_normal((16, 3)) * 4 + 2
    y_train = bn(x)
    y_eval = bn.eval()(x)
    assert not np.allclose(y_train, y_eval)


def test_batchnorm_batch_of_one_in_training_raises():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\).*at least 2.*\(1, 3\)"):
        bn(np.ones((1, 3)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_flows_through_whole_mlp(dtype):
    rng = np.random.default_rng(4)
    net = nn.mlp([5, 8, 8, 8, 3], "elu", batchnorm=True, residual=True, rng=rng, dtype=dtype)
    assert any(isinstance(m, nn.Residual) for m in net.modules())
    x = rng.standard_normal((6, 5)).astype(dtype)
    for layer in net.layers:
        x = layer(x)
        assert x.dtype == dtype, layer
    dx = net.backward(np.ones_like(x))
    assert dx.dtype == dtype
    for name, g in net.grads.items():
        assert g.dtype == dtype, name
    for name, p in net.params.items():
        assert p.dtype == dtype, name


def test_shape_mismatch_names_layer_and_both_shapes():
    net = nn.mlp([4, 6, 2], rng=0)
    with pytest.raises(ValueError, match=r"Linear\(4→6\).*\(3, 5\).*\(N, 4\)"):
        net(np.ones((3, 5)))
    bn = nn.BatchNorm1d(6)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(6\).*\(3, 4\).*\(N, 6\)"):
        bn(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"Residual.*\(2, 4\).*\(2, 3\)"):
        nn.Residual(nn.Linear(4, 3, rng=0))(np.ones((2, 4)))


def test_backward_shape_mismatch():
    layer = nn.Linear(3, 2, rng=0)
    layer(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"Linear\(3→2\).*dout.*\(4, 3\)"):
        layer.backward(np.ones((4, 3)))


def test_unknown_names_list_valid_ones():
    with pytest.raises(ValueError, match="unknown activation 'swish'.*relu.*sigmoid"):
        nn.mlp([2, 3, 2], activation="swish")
    with pytest.raises(ValueError, match="unknown initialiser 'glorot'.*he_normal"):
        nn.mlp([2, 3, 2], init="glorot")
    with pytest.raises(ValueError, match="unknown initialiser"):
        nn.Linear(2, 3, init="bogus")


def test_mode_switching():
    net = nn.mlp([2, 3, 2], batchnorm=True, rng=0)
    net.eval()
    assert all(not m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="mode must be 'train' or 'eval'"):
        net.set_mode("test")


def test_container_params_are_the_layer_arrays():
    net = nn.mlp([2, 3, 2], rng=0)
    net.params["0.W"][0, 0] = 42.0
    assert net.layers[0].params["W"][0, 0] == 42.0
    assert net.num_params() == 2 * 3 + 3 + 3 * 2 + 2


def test_mlp_structure():
    net = nn.mlp([2, 4, 4, 3], "tanh", batchnorm=True, residual=True, rng=0)
    kinds = [type(m).__name__ for m in net.layers]
    assert kinds == ["Linear", "BatchNorm1d", "Tanh", "Residual", "Linear"]
    assert len(nn.linear_layers(net)) == 3


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="n_in must be a positive int"):
        nn.Linear(0, 3)
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        nn.Linear(2, 3, dtype=np.int32)
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm1d(3, momentum=2)
    with pytest.raises(TypeError, match="item 1 is int"):
        nn.Sequential(nn.ReLU(), 3)


# ------------------------------------------------------------------------------------------
# What every module records, and the registry the gradient-check test walks
# ------------------------------------------------------------------------------------------
#: Bases that are not layers of their own: never instantiated as such, not registered.
ABSTRACT = {nn.Module, nn.Activation, nn._Container}


def import_every_submodule() -> None:
    """Import all of ``vanishing`` so that every Module subclass in the package exists."""
    for info in pkgutil.walk_packages(vanishing.__path__, "vanishing."):
        importlib.import_module(info.name)


def unregistered_modules() -> list[type]:
    """Concrete subclasses of ``nn.Module`` (at any depth) defined in the package and missing
    from ``nn.MODULES``. Subclasses defined by tests (deliberately broken layers that
    tests/test_gradcheck.py checks the checker with) are not the package's."""
    found, todo = [], list(nn.Module.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        in_package = cls.__module__.split(".")[0] == "vanishing"
        if in_package and cls not in ABSTRACT and nn.MODULES.get(cls.__name__) is not cls:
            found.append(cls)
    return found


def test_every_module_subclass_is_registered():
    import_every_submodule()
    missing = unregistered_modules()
    assert not missing, f"register these (nn.register) so the gradient test checks them: {missing}"


import_every_submodule()  # so that the parametrisation below sees every registered module


def test_the_registry_check_reports_an_unregistered_subclass():
    class Doubler(nn.Module):
        __module__ = "vanishing.experiments.doubling"  # as if a package module defined it

        def forward(self, x):
            return 2 * x

        def backward(self, dout):
            return 2 * dout

    try:
        assert unregistered_modules() == [Doubler]
        y = Doubler().forward(np.ones((2, 3)))
        assert y.sum() == 12
    finally:
        del Doubler
        gc.collect()  # the subclass list holds weak references: the class is gone for good
    assert unregistered_modules() == []


@pytest.mark.parametrize("name", sorted(nn.MODULES))
def test_forward_called_directly_records_input_and_output(name):
    module, x = nn.MODULES[name].example(np.random.default_rng(0), np.float64)
    y = module.forward(x)
    assert module.input is x and module.output is y
    for _, m in module.named_modules():  # a container's layers record their own pass
        assert m.output is not None, m


def test_a_subclass_forward_calling_super_records_its_own_result():
    class Halved(nn.Tanh):
        def forward(self, x):
            return super().forward(x) / 2

    try:
        m = Halved()
        x = np.array([[0.5, -1.0]])
        y = m(x)
        assert m.input is x and m.output is y
        np.testing.assert_array_equal(y, np.tanh(x) / 2)
    finally:
        del Halved, m
        gc.collect()


def test_named_modules_gives_dotted_paths_depth_first():
    rng = np.random.default_rng(0)
    net = nn.Sequential(nn.Linear(2, 2, rng=rng), nn.Residual(nn.Sequential(nn.Tanh())))
    assert [n for n, _ in net.named_modules()] == ["", "0", "1", "1.block", "1.block.0"]
    assert [n for n, _ in net.named_modules("net")][:2] == ["net", "net.0"]
