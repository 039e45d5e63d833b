"""Notebook 08, asserted on the code it shows: λ^T, divergence, clipping (09: test_science_capstone.py)."""

import numpy as np
import pytest

from vanishing.experiments import exploding as E

# The ranges in the comments are measured by bench/kernel_margins.py (bench/KERNEL-MARGINS.md)
# over seeds × 4 OpenBLAS kernels (Haswell, SkylakeX, Sandybridge, Zen); the margin is the
# smallest distance from the threshold (decades for ratios on a log scale).
pytestmark = pytest.mark.science


# ------------------------------------------------------------------------------------------
# 08: repeated multiplication and the recurrent chain (Pascanu et al. 2013, section 2)
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(3))
def test_linear_chain_follows_lambda_to_the_T(seed):
    runs = E.recurrent_comparison((0.9, 1.1), n=32, T=50, seed=seed)
    T = np.arange(51)
    for lam, norms in runs.items():
        # W = λQ with Q orthogonal: ‖W^t‖₂ = λ^t exactly, up to rounding: relative error
        # measured 1e-15–7.8e-15 over seeds 0–7 × 4 kernels; margin 5.1 decades
        np.testing.assert_allclose(norms, lam**T, rtol=1e-9)
    # 0.9^50 = 0.0052 (margin 0.29 decades) and 1.1^50 = 117 (margin 0.07 decades), exactly
    assert runs[0.9][-1] < 0.01 and runs[1.1][-1] > 100


@pytest.mark.parametrize("seed", range(3))
def test_non_normal_matrix_grows_at_its_spectral_radius_not_its_norm(seed):
    rng = np.random.default_rng(seed)
    for lam in (0.9, 1.1):
        W = E.gaussian_with_radius(32, lam, rng)
        # the largest singular value is far above λ: measured 1.31–1.64 (λ = 0.9) and
        # 1.74–2.27 (λ = 1.1) over seeds 0–7 × 4 kernels; margin 0.11
        assert np.linalg.norm(W, 2) > 1.2
        rate = E.growth_per_step(E.chain_jacobian_norms(W, 200), skip=50)
        # Gelfand's formula: |rate - λ| measured <= 0.001 over seeds 0–7 × 4 kernels; margin
        # 0.009
        assert rate == pytest.approx(lam, abs=0.01)


@pytest.mark.parametrize("seed", range(3))
def test_tanh_chain_decays_like_linear_below_one_and_grows_slower_above(seed):
    runs = E.recurrent_comparison((0.9, 1.1), seed=seed, nonlinearity="tanh")
    # saturation takes off part of the growth, but λ > 1 still explodes. Measured over seeds
    # 0–7 × 4 kernels: |rate - 0.9| <= 0.00047 (margin 0.0045) for λ = 0.9
    assert E.growth_per_step(runs[0.9]) == pytest.approx(0.9, abs=0.005)
    # 1.04–1.05 for λ = 1.1; margin 0.028
    assert 1.01 < E.growth_per_step(runs[1.1]) < 1.08


def test_power_norms_match_the_spectral_radius():
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(16)
    for lam in (0.9, 1.1):
        W = E.scaled_orthogonal(16, lam, rng)
        got = E.power_norms(W, x0, 30)
        # relative error measured <= 3.4e-15 × 4 kernels; margin 5.5 decades
        np.testing.assert_allclose(got, np.linalg.norm(x0) * lam ** np.arange(31), rtol=1e-9)


# ------------------------------------------------------------------------------------------
# 08: a large learning rate diverges; clipping rescues it
# ------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_clipping_rescues_a_diverging_run():
    runs = [E.clipping_comparison(steps=300, seed=seed, telemetry=False) for seed in range(5)]
    for plain, clipped in (r.values() for r in runs):
        # nan at step 6–10 over seeds 0–7 × 4 kernels (margin 40 steps); clipped: never
        assert plain.diverged and plain.nan_step < 50
        assert not clipped.diverged
    acc = np.array([list(r.values())[1].final_val_acc for r in runs])
    # measured 0.983–1.00 over seeds 0–7 × 4 kernels (margin 0.23); median over any 5
    # consecutive seeds: margin 0.042
    assert np.all(acc >= 0.75) and np.median(acc) >= 0.95, acc


@pytest.mark.slow
def test_lr_sweep_small_rates_train_large_rate_diverges():
    runs = E.lr_sweep(steps=300, seed=0)
    # lr 0.01 and 0.05: 0.992–1.00 over seeds 0–7 × 4 kernels (margin 0.092); lr 0.5 diverges
    # for every seed and kernel
    assert not runs[0.01].diverged and runs[0.01].final_val_acc >= 0.9
    assert not runs[0.05].diverged and runs[0.05].final_val_acc >= 0.9
    assert runs[0.5].diverged


def test_total_grad_norm_of_a_diverging_run_explodes():
    h = E.train_run(E.DIVERGING_LR, steps=30, seed=0, telemetry=True)
    g = E.total_grad_norm(h)
    # the total gradient norm grows >= 1e73-fold (or overflows) before the loss turns nan,
    # seeds 0–7 × 4 kernels; margin 70 decades
    assert h.diverged and (not np.isfinite(g[-1]) or g[-1] > 1e3 * g[0])
