"""Registry-driven gradient checks: every activation, module and loss, in float64.

A module, activation or loss added to its registry is checked here with no further code.
Points are kept at least 0.05 away from kinks; the tolerance is the course's 1e-7.
"""

import importlib
import pkgutil

import numpy as np
import pytest

import vanishing
from vanishing import functional as F
from vanishing import gradcheck, losses, nn

TOL = 1e-7

# Modules registered outside nn (experiments.batchnorm.FunctionalBatchNorm) join nn.MODULES on
# import; tests/test_nn.py checks that every Module subclass of the package is registered.
for _info in pkgutil.walk_packages(vanishing.__path__, "vanishing."):
    importlib.import_module(_info.name)


def _points(rng, name, n=200):
    x = rng.uniform(-3, 3, n)
    for k in F.KINKS.get(name, ()):
        x = x[np.abs(x - k) > 0.05]
    return x


@pytest.mark.parametrize("name", sorted(F.ACTIVATIONS))
def test_activation_derivative(name):
    f, f_grad = F.ACTIVATIONS[name]
    x = _points(np.random.default_rng(1), name)
    report = gradcheck.check_elementwise(f, f_grad, x)
    assert report.max_error <= TOL, str(report)


@pytest.mark.parametrize("alpha", [0.01, 0.2, 1.5])
@pytest.mark.parametrize("name", ["leaky_relu", "elu"])
def test_activation_derivative_with_alpha(name, alpha):
    f, f_grad = F.ACTIVATIONS[name]
    x = _points(np.random.default_rng(2), name)
    report = gradcheck.check_elementwise(f, f_grad, x, alpha=alpha)
    assert report.max_error <= TOL, str(report)


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("name", sorted(nn.MODULES))
def test_module_backward(name, mode):
    rng = np.random.default_rng(3)
    module, x = nn.MODULES[name].example(rng, np.float64)
    module.set_mode(mode)
    report = gradcheck.check_module(module, x, rng=rng)
    names = {c.name for c in report.checks}
    assert names == {"x", *module.params}, "every parameter must be checked"
    assert report.max_error <= TOL, str(report)


def test_mlp_with_batchnorm_and_residual_backward():
    rng = np.random.default_rng(4)
    net = nn.mlp(
        [3, 4, 4, 4, 2], "gelu", init="xavier_normal", batchnorm=True, residual=True, rng=rng
    )
    report = gradcheck.check_module(net, rng.standard_normal((6, 3)), rng=rng)
    assert len(report.checks) == 1 + len(net.params)
    assert report.max_error <= TOL, str(report)


@pytest.mark.parametrize("name", sorted(losses.LOSSES))
def test_loss_gradient(name):
    rng = np.random.default_rng(5)
    pred = rng.standard_normal((7, 4)) * 3
    target = rng.integers(0, 4, 7) if name == "cross_entropy" else rng.standard_normal((7, 4))
    report = gradcheck.check_loss(losses.LOSSES[name], pred, target)
    assert report.max_error <= TOL, str(report)
