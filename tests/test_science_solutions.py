"""Notebooks 04–07: each paper claim the notebooks reproduce, asserted on the code they show.

Margins were chosen from runs over several seeds; the observed ranges are in the comments.
"""

import numpy as np
import pytest

import vanishing.init as vinit
from vanishing.experiments import batchnorm as B
from vanishing.experiments import init_scaling as I
from vanishing.experiments import relu as R
from vanishing.experiments import residual as S


# ------------------------------------------------------------------------------------------
# 04: ReLU and its variants
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(3))
def test_sigmoid_gradients_vanish_through_20_layers_relu_family_does_not(seed):
    flow = R.gradient_flow_by_activation(depth=20, width=64, seed=seed)
    ratio = {name: g[0] / g[-2] for name, g in flow.items()}  # first / last hidden layer
    # sigmoid: 1.5e-12 at seed 0 (the factor ~1/4 per layer); ReLU family 0.14–0.41
    assert ratio["sigmoid"] < 1e-9
    for name in ("relu", "leaky_relu", "elu", "gelu"):
        assert 0.03 < ratio[name] < 30, (name, ratio[name])


@pytest.mark.parametrize("seed", range(2))
def test_notebook_03_network_trains_with_relu_not_with_sigmoid(seed):
    runs = R.train_activations(
        ("sigmoid", "relu"), steps=500, lr=0.1, seed=seed, progress=False, telemetry_every=10**9
    )
    # seed 0, 1000 steps: sigmoid 0.53, relu 0.99 validation accuracy
    assert runs["sigmoid"].final_val_acc <= 0.6
    assert runs["relu"].final_val_acc >= 0.95


def test_dead_fraction_grows_with_the_bias_shift_and_with_depth():
    dead = R.dead_fraction_by_shift([0.0, 0.5, 1.0, 2.0, 3.0], depth=8, width=64, seed=0)
    assert np.all(np.diff(dead, axis=0) >= 0)  # more shift, more dead units, layer by layer
    assert dead[0].max() < 0.4 and dead[-1, 0] > 0.6 and np.all(dead[-1, 1:] == 1.0)


@pytest.mark.parametrize("seed", range(3))
def test_dead_relu_units_never_recover_leaky_ones_do(seed):
    relu = R.dying_relu_run("relu", shift=4.0, seed=seed)
    leaky = R.dying_relu_run("leaky_relu", shift=4.0, alpha=0.1, seed=seed)
    # most first-layer units start inactive (0.91–1.0 over seeds 0–2)
    assert relu["inactive_before"] >= 0.8 and leaky["inactive_before"] >= 0.8
    # a dead ReLU unit gets exactly zero gradient: every one of them is still dead
    assert relu["stayed_inactive"] == 1.0
    # with slope 0.1 some come back (0.86–0.91 still inactive) and the net trains (0.98–1.0)
    assert leaky["stayed_inactive"] < 1.0
    assert leaky["final_train_acc"] >= 0.95


def test_dead_fraction_definitions():
    h = np.array([[0.0, 0.0, -0.1], [0.0, 1.0, -0.2]])
    assert R.dead_fraction(h) == pytest.approx(1 / 3)  # negative (leaky) outputs are not dead
    assert R.inactive_fraction(h) == pytest.approx(2 / 3)


# ------------------------------------------------------------------------------------------
# 05: Xavier and He initialisation (He et al. 2015, Fig. 3)
# ------------------------------------------------------------------------------------------
def test_activation_std_flat_with_matched_pairs_drifts_with_mismatched():
    std = {
        (i, a): I.activation_std_by_depth(i, a, depth=50, width=128, n=256, seed=0)
        for i in ("he_normal", "xavier_normal")
        for a in ("relu", "tanh")
    }
    he_relu, xa_relu = std["he_normal", "relu"], std["xavier_normal", "relu"]
    # He + ReLU: flat (0.8–1.1 at width 256)
    assert 0.5 < he_relu[-1] / he_relu[0] < 2
    # Xavier + ReLU: 1/sqrt(2) per layer, predicted 2^-(l-1)/2; within a factor 3 at layer 30
    assert 1 / 3 < xa_relu[29] / (xa_relu[0] * 2.0 ** (-29 / 2)) < 3
    # Xavier + tanh drifts down slowly (0.63 -> 0.11 at width 256), not geometrically
    xa_tanh = std["xavier_normal", "tanh"]
    assert 0.05 < xa_tanh[-1] < xa_tanh[0]
    assert np.all(np.diff(xa_tanh) < 0.02)
    # He + tanh settles around 0.55
    assert 0.4 < std["he_normal", "tanh"][-1] < 0.7


def test_xavier_gradients_at_init_are_tiny_so_clipping_never_acts():
    gx = I.initial_gradient_norms("xavier_normal")
    gh = I.initial_gradient_norms("he_normal")
    # global norms 4.2e-5 and 5.3 at seed 0
    assert np.sqrt(np.sum(gx**2)) < 1e-3 < I.DEEP_RELU["clip"]
    assert np.all(gh / gx > 1e3)


@pytest.mark.parametrize("seed", range(2))
def test_he_2015_fig3_30_layer_relu_he_trains_xavier_stalls(seed):
    # Over 16 seeds, 300 steps: Xavier 0.50–0.53, He 0.99–1.00 training accuracy.
    he = I.deep_relu_run("he_normal", steps=300, seed=seed, progress=False, telemetry_every=10**9)
    xa = I.deep_relu_run(
        "xavier_normal", steps=300, seed=seed, progress=False, telemetry_every=10**9
    )
    assert he.final_train_acc >= 0.95
    assert xa.final_train_acc <= 0.56
    assert abs(np.mean(xa.loss[-50:]) - np.log(2)) < 0.01  # stuck at chance


def test_with_adam_the_xavier_network_trains_too():
    # The notebook says so: the stall is a property of plain SGD (observed 1.00 at seeds 0, 1).
    xa = I.deep_relu_run(
        "xavier_normal",
        steps=300,
        seed=0,
        optimizer="adam",
        lr=1e-3,
        clip=None,
        progress=False,
        telemetry_every=10**9,
    )
    assert xa.final_train_acc >= 0.95


@pytest.mark.parametrize("seed", range(20))
def test_check_initialiser_passes_the_package_initialisers(seed):
    I.check_initialiser(
        "xavier_uniform",
        vinit.xavier_uniform,
        (400, 100),
        variance=2 / 500,
        distribution="uniform",
        seed=seed,
    )
    I.check_initialiser(
        "he_normal", vinit.he_normal, (400, 100), variance=2 / 400, distribution="normal", seed=seed
    )


def _global_rng_init(shape, rng):
    return np.random.normal(0, np.sqrt(2 / shape[0]), shape)  # noqa: NPY002 (the mistake)


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (
            lambda s, rng: vinit.he_normal((s[1], s[0]), rng=rng).T,  # variance 2 / fan_out
            "Hint: use fan_in",
        ),  # fan-out variance
        (lambda s, rng: vinit.he_uniform(s, rng=rng), "kurtosis"),  # right variance, uniform
        (lambda s, rng: vinit.he_normal((s[1], s[0]), rng=rng), "transposed"),
        (_global_rng_init, "draw every number from the `rng`"),
        (lambda s, rng: vinit.he_normal(s, rng=rng) + 0.01, "mean"),
    ],
)
def test_check_initialiser_catches_the_usual_mistakes(fn, message):
    with pytest.raises(AssertionError, match=message):
        I.check_initialiser(
            "he_normal",
            fn,
            (400, 100),
            variance=2 / 400,
            distribution="normal",
            mistakes=[(2 / 100, "use fan_in")],
        )


def test_check_initialiser_catches_a_normal_draw_for_a_uniform_one():
    with pytest.raises(AssertionError, match="outside"):
        I.check_initialiser(
            "xavier_uniform",
            vinit.xavier_normal,
            (400, 100),
            variance=2 / 500,
            distribution="uniform",
        )


# ------------------------------------------------------------------------------------------
# 06: batch normalisation (Ioffe & Szegedy 2015)
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(3))
def test_batch_norm_rescues_notebook_03_sigmoid_network(seed):
    # Over 6 seeds, 500 steps at lr 0.1: no BN 0.49–0.52, BN 0.95–1.00 training accuracy.
    plain = B.deep_sigmoid_run(False, steps=500, seed=seed, progress=False, telemetry_every=10**9)
    bn = B.deep_sigmoid_run(True, steps=500, seed=seed, progress=False, telemetry_every=10**9)
    assert plain.final_train_acc <= 0.6
    assert bn.final_train_acc >= 0.9


@pytest.mark.parametrize("seed", range(2))
def test_batch_norm_widens_the_range_of_learning_rates_that_train(seed):
    lrs = [0.01, 0.1, 1.0, 3.0]
    # seeds 0–2: with BN 0.17–0.43 for lr 0.01–3; without BN never below 0.693 (chance)
    assert np.all(B.lr_sweep(lrs, True, seed=seed) < 0.5)
    assert np.all(B.lr_sweep(lrs, False, seed=seed) > 0.65)


# ------------------------------------------------------------------------------------------
# 07: residual connections (He et al. 2016)
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(2))
def test_residual_50_layer_keeps_the_gradient_plain_loses_it(seed):
    plain = S.gradient_norms_at_init("plain", seed=seed)
    resid = S.gradient_norms_at_init("residual", seed=seed)
    # first / last hidden layer: plain 3e-32, residual 5e-2 at seed 0
    assert plain[0] / plain[-2] < 1e-25
    assert resid[0] / resid[-2] > 1e-2


@pytest.mark.parametrize("seed", range(2))
def test_residual_50_layer_sigmoid_net_trains_plain_does_not(seed):
    # Over 6 seeds, 300 steps: plain 0.48–0.51, residual 0.99–1.00 training accuracy.
    plain = S.train_run("plain", steps=300, seed=seed, progress=False, telemetry_every=10**9)
    resid = S.train_run("residual", steps=300, seed=seed, progress=False, telemetry_every=10**9)
    assert plain.final_train_acc <= 0.6
    assert resid.final_train_acc >= 0.95


def test_identity_path_keeps_a_jacobian_product_from_vanishing():
    rng = np.random.default_rng(0)
    Js = S.random_jacobians(50, 32, rng=rng)
    g = rng.standard_normal(32)
    plain, resid = S.chain_norms(g, Js, False), S.chain_norms(g, Js, True)
    # plain: about 1/4 per layer (8.9e-31 / 6.2 at the input); residual: 17.9 / 6.2
    per_layer = (plain[0] / plain[-1]) ** (1 / 49)
    assert 0.15 < per_layer < 0.35
    assert 0.1 < resid[0] / np.linalg.norm(g) < 100
