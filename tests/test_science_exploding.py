"""Notebook 08, asserted on the code it shows: λ^T, divergence, clipping (09: test_science_capstone.py)."""

import numpy as np
import pytest

from vanishing.experiments import exploding as E


# ------------------------------------------------------------------------------------------
# 08: repeated multiplication and the recurrent chain (Pascanu et al. 2013, section 2)
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(3))
def test_linear_chain_follows_lambda_to_the_T(seed):
    runs = E.recurrent_comparison((0.9, 1.1), n=32, T=50, seed=seed)
    T = np.arange(51)
    for lam, norms in runs.items():
        # W = λQ with Q orthogonal: ‖W^t‖₂ = λ^t exactly, up to rounding
        np.testing.assert_allclose(norms, lam**T, rtol=1e-9)
    assert runs[0.9][-1] < 0.01 and runs[1.1][-1] > 100


@pytest.mark.parametrize("seed", range(3))
def test_non_normal_matrix_grows_at_its_spectral_radius_not_its_norm(seed):
    rng = np.random.default_rng(seed)
    for lam in (0.9, 1.1):
        W = E.gaussian_with_radius(32, lam, rng)
        assert np.linalg.norm(W, 2) > 1.4  # the largest singular value is far above λ
        rate = E.growth_per_step(E.chain_jacobian_norms(W, 200), skip=50)
        # observed 0.8996-0.9003 and 1.0996-1.1000 (3 seeds): Gelfand's formula
        assert rate == pytest.approx(lam, abs=0.01)


@pytest.mark.parametrize("seed", range(3))
def test_tanh_chain_decays_like_linear_below_one_and_grows_slower_above(seed):
    runs = E.recurrent_comparison((0.9, 1.1), seed=seed, nonlinearity="tanh")
    # observed: 0.8996-0.8997 per step for λ = 0.9; 1.039-1.041 for λ = 1.1 (saturation
    # takes off part of the growth, but λ > 1 still explodes)
    assert E.growth_per_step(runs[0.9]) == pytest.approx(0.9, abs=0.005)
    assert 1.01 < E.growth_per_step(runs[1.1]) < 1.08


def test_power_norms_match_the_spectral_radius():
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(16)
    for lam in (0.9, 1.1):
        W = E.scaled_orthogonal(16, lam, rng)
        got = E.power_norms(W, x0, 30)
        np.testing.assert_allclose(got, np.linalg.norm(x0) * lam ** np.arange(31), rtol=1e-9)


# ------------------------------------------------------------------------------------------
# 08: a large learning rate diverges; clipping rescues it
# ------------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
def test_clipping_rescues_a_diverging_run(seed):
    runs = E.clipping_comparison(steps=300, seed=seed, telemetry=False)
    plain, clipped = runs.values()
    # observed: nan at step 7-8 without clipping; val acc 0.99-1.0 with clip 0.5 (3 seeds)
    assert plain.diverged and plain.nan_step < 50
    assert not clipped.diverged
    assert clipped.final_val_acc >= 0.9


@pytest.mark.slow
def test_lr_sweep_small_rates_train_large_rate_diverges():
    runs = E.lr_sweep(steps=300, seed=0)
    assert not runs[0.01].diverged and runs[0.01].final_val_acc >= 0.9
    assert not runs[0.05].diverged and runs[0.05].final_val_acc >= 0.9
    assert runs[0.5].diverged


def test_total_grad_norm_of_a_diverging_run_explodes():
    h = E.train_run(E.DIVERGING_LR, steps=30, seed=0, telemetry=True)
    g = E.total_grad_norm(h)
    # observed: the total gradient norm grows > 1e6-fold before the loss turns nan
    assert h.diverged and (not np.isfinite(g[-1]) or g[-1] > 1e3 * g[0])
