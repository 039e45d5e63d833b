"""The science of notebooks 01-03 (causes and consequences), asserted on the code they show.

Every experiment comes from the modules the notebooks call: :mod:`vanishing.experiments.saturating`
(01), :mod:`~vanishing.experiments.weight_scale` (02) and :mod:`~vanishing.experiments.slow_training`
(03).
The ranges in the comments are measured by bench/kernel_margins.py (table in
bench/KERNEL-MARGINS.md) over seeds × 4 OpenBLAS kernels (Haswell, SkylakeX, Sandybridge, Zen);
the margin is the smallest distance from the threshold (decades for ratios on a log scale).
"""

import numpy as np
import pytest

from vanishing import gradcheck, init
from vanishing.experiments import saturating, slow_training, weight_scale

pytestmark = pytest.mark.science

SEEDS = range(5)


# ------------------------------------------------------------------------------------------
# 01 · saturating activations
# ------------------------------------------------------------------------------------------
def test_chain_gradient_norms_match_a_numerical_gradient():
    # L = sum(h_L * dout), so dout is ∂L/∂h_L and entry 0 is the norm of ∂L/∂x.
    rng = np.random.default_rng(0)
    Ws = saturating.random_chain(3, 4, rng=rng, widths=[3, 5, 4, 2])
    x, dout = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    for activation in ("sigmoid", "tanh", "linear"):
        f, _ = saturating.activation_fn(activation)

        def loss(v, f=f):
            h = v
            for W in Ws:
                h = f(h @ W)
            return float(np.sum(h * dout))

        numeric = gradcheck.numerical_gradient(loss, x)
        norms = saturating.chain_gradient_norms(Ws, x, dout, activation)
        assert norms.shape == (3,)
        # relative error measured 2.3e-10–8e-10 × 4 kernels; margin 3.1 decades
        assert norms[0] == pytest.approx(np.linalg.norm(numeric), rel=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_sigmoid_chain_loses_about_a_factor_four_per_layer(seed):
    # Width 64, 20 layers, N(0, 1/n) weights: σ' <= 1/4, and ||W^T g|| ≈ ||g|| at this scale.
    norms = saturating.gradient_norms_by_activation(("sigmoid", "tanh", "linear"), seed=seed)
    sigmoid = saturating.factor_per_layer(norms["sigmoid"])
    # measured 0.221–0.245 over seeds 0–7 × 4 kernels; margin 0.015
    assert 0.2 < sigmoid < 0.26
    # measured 0.883–0.977 over seeds 0–7 × 4 kernels; margin 0.033
    assert saturating.factor_per_layer(norms["tanh"]) > 0.85
    # measured 0.942–1.05 over seeds 0–7 × 4 kernels; margin 0.042
    assert saturating.factor_per_layer(norms["linear"]) > 0.9
    # geometric: 19 layers of about 1/4 make twelve orders of magnitude
    # measured 3.9e-13–1.8e-12 over seeds 0–7 × 4 kernels; margin 1.7 decades
    assert norms["sigmoid"][0] / norms["sigmoid"][-1] < 1e-10


@pytest.mark.parametrize("scale", [0.5, 1.0, 3.0, 8.0])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_every_layer_respects_the_derivative_bound(scale, activation):
    # ||∂L/∂h_{l-1}|| <= max|f'| * ||W_l||_2 * ||∂L/∂h_l||, for every layer and any weights
    for seed in range(3):
        rng = np.random.default_rng(seed)
        Ws = saturating.random_chain(15, 32, scale=scale, rng=rng)
        x, dout = rng.standard_normal((16, 32)), rng.standard_normal((16, 32))
        norms = saturating.chain_gradient_norms(Ws, x, dout, activation)
        ratios = norms / np.append(norms[1:], np.linalg.norm(dout))
        bounds = saturating.chain_layer_bounds(Ws, activation)
        # a theorem (rounding aside): max ratio / bound measured 0.554–0.597 over seeds 0–2 ×
        # 4 kernels × these scales; margin 0.40
        assert np.all(ratios <= bounds * (1 + 1e-12)), (ratios / bounds).max()


# ------------------------------------------------------------------------------------------
# 02 · weight initialisation
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("activation, lo, hi", [("linear", 28, 34), ("relu", 32, 39)])
def test_standard_normal_weights_overflow_float32_within_forty_layers(activation, lo, hi):
    # Width 256: one layer multiplies the std by 16 (ReLU: by 16/√2 after the first), and
    # float32 ends at 3.4e38 ≈ 16^32. First inf/nan layer measured 32 (linear), 36 (ReLU) for
    # every seed 0–7 × 4 kernels; margin 2 (linear) and 3 (ReLU) layers.
    for seed in SEEDS:
        run = weight_scale.propagate(
            40, 256, 1.0, activation=activation, rng=np.random.default_rng(seed)
        )
        assert run.first_nonfinite is not None and lo <= run.first_nonfinite <= hi
        assert weight_scale.first_nonfinite_layer(run.z_std) == run.first_nonfinite
        assert np.all(np.isfinite(run.z_std[: run.first_nonfinite - 1]))
    # the same weights in float64 survive the 40 layers (overflow would come near layer 256)
    run = weight_scale.propagate(
        40, 256, 1.0, activation=activation, rng=np.random.default_rng(0), dtype=np.float64
    )
    assert run.first_nonfinite is None


@pytest.mark.parametrize("seed", SEEDS)
def test_lecun_scale_keeps_a_linear_stack_within_a_factor_two(seed):
    # sigma_w = 1/√n: std of z_l over 50 layers measured 0.764–1.18 over seeds 0–7 × 4
    # kernels; margin 0.26
    run = weight_scale.propagate(50, 256, 1 / 16, rng=np.random.default_rng(seed))
    assert np.all((run.z_std > 0.5) & (run.z_std < 2.0)), run.z_std


@pytest.mark.parametrize("seed", SEEDS)
def test_half_lecun_scale_shrinks_by_one_half_per_layer(seed):
    # sigma_w = 0.5/√n: z_std / 0.5^l over 50 layers measured 0.764–1.18 over seeds 0–7 × 4
    # kernels; margin 0.064 (a factor 0.45 per layer instead of 0.5 would end at 0.005)
    run = weight_scale.propagate(
        50, 256, 0.5 / 16, rng=np.random.default_rng(seed), dtype=np.float64
    )
    ratio = run.z_std / 0.5 ** np.arange(1, 51)
    assert np.all((ratio > 0.7) & (ratio < 1.43)), ratio


@pytest.mark.parametrize("seed", SEEDS)
def test_relu_needs_he_scale(seed):
    # He (sqrt(2/n)) keeps a 50-layer ReLU stack near √2·std_x (finite width makes the
    # log-std a random walk, so a factor 4): z_std measured 0.52–2.6 over seeds 0–7 × 4
    # kernels; margin 0.17 decades (low side).
    rng = np.random.default_rng(seed)
    he = weight_scale.propagate(50, 256, np.sqrt(2 / 256), activation="relu", rng=rng)
    assert np.all((he.z_std > np.sqrt(2) / 4) & (he.z_std < 4 * np.sqrt(2))), he.z_std
    # LeCun (1/√n) loses 1/√2 per layer: predicted 2^(-49/2) ≈ 4.3e-8 after 50 layers,
    # measured 1.5e-8–5.2e-8 over seeds 0–7 × 4 kernels; margin 0.48 decades
    lecun = weight_scale.propagate(50, 256, 1 / 16, activation="relu", rng=rng)
    assert 5e-9 < lecun.z_std[-1] < 2e-7


@pytest.mark.parametrize("seed", range(3))
def test_glorot_standard_init_shrinks_activations_and_gradients_with_depth(seed):
    # Glorot & Bengio (2010), Figs. 6-7: tanh, 10 layers of width 256. Measured over seeds
    # 0–7 × 4 kernels: standard U[±1/√n]: act std layer 10 / layer 1 0.0063–0.0066 (margin
    # 0.66 decades), grad std layer 1 / layer 10 0.0052–0.0055 (0.74 decades); Xavier:
    # 0.357–0.374 (margin 0.16) and 0.280–0.298 (0.13); |act mean| <= 0.007 (0.043).
    rng = np.random.default_rng(seed)
    x, dout = rng.standard_normal((128, 256)), rng.standard_normal((128, 256))
    stats = {}
    for name, fn in [("standard", weight_scale.standard_uniform), ("xavier", init.xavier_uniform)]:
        Ws = [fn((256, 256), rng=rng) for _ in range(10)]
        stats[name] = weight_scale.layer_statistics(Ws, x, dout, "tanh")
    std, xav = stats["standard"], stats["xavier"]
    assert std["act_std"][-1] / std["act_std"][0] < 0.03
    assert std["grad_std"][0] / std["grad_std"][-1] < 0.03
    assert xav["act_std"][-1] / xav["act_std"][0] > 0.2
    assert xav["grad_std"][0] / xav["grad_std"][-1] > 0.15
    assert np.all(np.abs(xav["act_mean"]) < 0.05)  # tanh keeps the activations centred


# ------------------------------------------------------------------------------------------
# 03 · consequences: a deep sigmoid net barely moves its first layers and ends worse
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def depth_runs():
    """The notebook's experiment (1, 4, 8 hidden layers, 2000 steps) for three seeds."""
    return {
        seed: slow_training.train_depths((1, 4, 8), seed=seed, progress=False) for seed in range(3)
    }


def _first_step_below(loss, threshold, window=25):
    avg = np.convolve(loss, np.ones(window) / window, mode="valid")
    below = np.flatnonzero(avg < threshold)
    return int(below[0]) + window - 1 if below.size else None


@pytest.mark.slow
def test_deep_sigmoid_first_layer_barely_moves(depth_runs):
    # Measured over seeds 0–5 × 4 kernels (bench/KERNEL-MARGINS.md).
    for runs in depth_runs.values():
        deep = runs["8 hidden layers"]
        # first/last relative weight change 3e-4–8e-4; margin 1.1 decades
        assert deep.rel_change[0] < 1e-2 * deep.rel_change[-1]
        ratio = np.nanmedian(deep.history.update_ratio, axis=0)
        # median update ratio, first layer 6.1e-8–2.2e-7 (margin 1.65 decades), last layer
        # 0.0097–0.015 (margin 0.99 decades)
        assert ratio[0] < 1e-5 < 1e-3 < ratio[-1]
        # growing towards the output: smallest step of log ratio 0.92–1.15; margin 0.92
        assert np.all(np.diff(np.log(ratio[:-1]))[1:] > 0)
        # every layer of the shallow net moves by a large fraction of its size: 1.68–5.62;
        # margin 1.2
        assert np.all(runs["1 hidden layer"].rel_change > 0.5)


@pytest.mark.slow
def test_deep_sigmoid_net_learns_slowly_and_ends_worse(depth_runs):
    # Measured over seeds 0–5 × 4 kernels (loss: 25-step average; accuracy: mean of the last
    # 5 evaluations).
    for runs in depth_runs.values():
        shallow, middle, deep = (runs[k].history for k in runs)
        t_shallow, t_middle = (
            _first_step_below(shallow.loss, 0.3),
            _first_step_below(middle.loss, 0.3),
        )
        # 1 hidden layer: loss < 0.3 at step 30–65; margin 35 steps
        assert t_shallow is not None and t_shallow < 100
        # 4 hidden layers: 12.8–47.8 times later; margin 7.8
        assert t_middle is None or t_middle > 5 * t_shallow
        # 8 hidden layers: never, for every seed and kernel
        assert _first_step_below(deep.loss, 0.3) is None
        gap = shallow.val_acc[-5:].mean() - deep.val_acc[-5:].mean()
        # 0.347–0.516; margin 0.097
        assert gap > 0.25
        # 0.484–0.499; margin 0.10
        assert deep.val_acc[-5:].mean() < 0.6
