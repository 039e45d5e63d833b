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
        # Gelfand's formula: |rate - λ| measured <= 0.0012 over seeds 0–7 × 4 kernels; margin
        # 0.0088
        assert rate == pytest.approx(lam, abs=0.01)


@pytest.mark.parametrize("seed", range(3))
def test_tanh_chain_decays_like_linear_below_one_and_grows_slower_above(seed):
    runs = E.recurrent_comparison((0.9, 1.1), seed=seed, nonlinearity="tanh")
    # saturation takes off part of the growth, but λ > 1 still explodes. Measured over seeds
    # 0–7 × 4 kernels: |rate - 0.9| <= 0.00047 (margin 0.0045) for λ = 0.9
    assert E.growth_per_step(runs[0.9]) == pytest.approx(0.9, abs=0.005)
    # 1.038–1.051 for λ = 1.1; margin 0.028
    assert 1.01 < E.growth_per_step(runs[1.1]) < 1.08


def test_power_norms_match_the_spectral_radius():
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(16)
    for lam in (0.9, 1.1):
        W = E.scaled_orthogonal(16, lam, rng)
        got = E.power_norms(W, x0, 30)
        # relative error measured <= 3.4e-15 × 4 kernels; margin 5.5 decades
        np.testing.assert_allclose(got, np.linalg.norm(x0) * lam ** np.arange(31), rtol=1e-9)


def test_nilpotent_shift_has_radius_zero_yet_its_powers_grow_until_they_vanish():
    W = E.scaled_shift(20, 1.5)
    assert np.all(np.linalg.eigvals(W) == 0)  # triangular with a zero diagonal
    norms = E.product_norms(W, 25)
    # (cS)^t moves entries t places down with weight c^t: ‖(cS)^t‖₂ = c^t for t < n, exact in
    # floating point (powers of 1.5 up to 1.5^19 have few enough bits), and (cS)^n = 0
    np.testing.assert_array_equal(norms[:20], 1.5 ** np.arange(20))
    np.testing.assert_array_equal(norms[20:], 0.0)
    with pytest.raises(ValueError, match="scaled_shift: n must be a positive integer"):
        E.scaled_shift(0, 1.5)


def test_slopes_between_the_factors_make_a_radius_zero_matrix_explode():
    # W = 1.5 [[1, 1], [-1, -1]]: W² = 0 (ρ = 0), ‖W‖₂ = 3. With slopes d = (1, 0.1) every
    # step multiplies by diag(d) W = 1.5 [[1, 1], [-0.1, -0.1]], of rank 1 with eigenvalue
    # 1.5 · 0.9 = 1.35: its t-th power is 1.35^(t-1) diag(d) W, of norm 1.35^(t-1) ‖diag(d) W‖₂
    W = 1.5 * np.array([[1.0, 1.0], [-1.0, -1.0]])
    linear = E.product_norms(W, 3)
    # the SVD's rounding: relative error 1.5e-16 (one kernel); the zeros are exact
    np.testing.assert_allclose(linear[:2], [1.0, 3.0], rtol=1e-12)
    np.testing.assert_array_equal(linear[2:], 0.0)
    got = E.product_norms(W, 30, slopes=[1.0, 0.1])
    first = 1.5 * np.sqrt(2.0 * 1.01)  # ‖diag(d) W‖₂ = ‖(1, 0.1)‖ ‖(1.5, 1.5)‖
    t = np.arange(1, 31)
    np.testing.assert_allclose(got[1:], first * 1.35 ** (t - 1), rtol=1e-12)
    # below the bound (γ ‖W‖₂)^t = 3^t that Pascanu et al.'s condition rests on (γ = 1 here)
    assert np.all(got <= 3.0 ** np.arange(31))
    with pytest.raises(ValueError, match="product_norms: slopes must have shape"):
        E.product_norms(W, 3, slopes=[1.0])
    with pytest.raises(ValueError, match="product_norms: W must be a square matrix"):
        E.product_norms(np.ones((2, 3)), 3)


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


def test_a_diverging_run_stops_without_a_warning_and_fit_warns_by_default():
    import warnings

    from vanishing import nn
    from vanishing.train import fit

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        h = E.train_run(E.DIVERGING_LR, steps=30, seed=0, telemetry=False)
    assert h.diverged and h.nan_step is not None
    X, y, _, _ = E.spirals(0)
    model = nn.mlp([2, 8, 3], "relu", rng=np.random.default_rng(0))
    with pytest.warns(RuntimeWarning, match="training stopped"):
        fit(model, X, y, lr=1e30, steps=20, rng=np.random.default_rng(1), progress=False)
    with pytest.raises(TypeError, match="warn_on_nan"):
        fit(model, X, y, steps=1, progress=False, warn_on_nan="no")


# ------------------------------------------------------------------------------------------
# 08: the tanh RNN, backpropagation through time, and clipping an exploding RNN
# ------------------------------------------------------------------------------------------
def _random_rnn(seed, N, H, D, T):
    rng = np.random.default_rng(seed)
    W_rec, W_in = 0.9 * rng.standard_normal((H, H)), rng.standard_normal((H, D))
    b, h0 = 0.3 * rng.standard_normal(H), rng.standard_normal((N, H))
    xs, dhs = rng.standard_normal((T, N, D)), rng.standard_normal((T, N, H))
    return W_rec, W_in, b, h0, xs, dhs


def test_rnn_forward_is_the_recurrence_and_checks_shapes():
    W_rec, W_in, b, h0, xs, _ = _random_rnn(0, 2, 3, 4, 5)
    hs = E.rnn_forward(W_rec, W_in, b, h0, xs)
    assert hs.shape == (6, 2, 3) and hs.dtype == np.float64
    np.testing.assert_array_equal(hs[0], h0)
    for t in range(1, 6):  # one sequence at a time, in the column convention of the notebook
        for n in range(2):
            want = np.tanh(W_rec @ hs[t - 1, n] + W_in @ xs[t - 1, n] + b)
            np.testing.assert_allclose(hs[t, n], want, rtol=1e-13, atol=1e-15)
    with pytest.raises(ValueError, match="rnn_forward: shapes do not fit"):
        E.rnn_forward(W_rec, W_in.T, b, h0, xs)
    with pytest.raises(ValueError, match="rnn_forward: shapes do not fit"):
        E.rnn_forward(W_rec, W_in, b, h0[0], xs)


def test_rnn_backward_and_jacobians_on_the_notebooks_hand_worked_case():
    # notebook 08, exercises 2 and 3: T = 2, one unit, W_rec = 2, h = 1, 0.5, -0.5
    hs = np.array([1.0, 0.5, -0.5]).reshape(3, 1, 1)
    got = E.rnn_backward(
        np.array([1.0, 2.0]).reshape(2, 1, 1), np.array([1.0, 2.0]).reshape(2, 1, 1), hs,
        np.array([[2.0]]),
    )  # fmt: skip
    for g, want in zip(got, (3.75, 6.0, 4.5, 6.0), strict=True):
        assert g.size == 1 and g.item() == want
    J = E.rnn_jacobians(hs[:, 0], np.array([[2.0]]))
    np.testing.assert_array_equal(J.ravel(), [1.0, 1.5, 2.25])


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 3, 2, 4), (3, 4, 1, 6), (1, 5, 3, 2)])
def test_rnn_backward_matches_centred_differences(shape):
    from vanishing import grading

    N, H, D, T = shape
    W_rec, W_in, b, h0, xs, dhs = _random_rnn(sum(shape), N, H, D, T)
    hs = E.rnn_forward(W_rec, W_in, b, h0, xs)
    dW_rec, dW_in, db, dh0 = E.rnn_backward(dhs, xs, hs, W_rec)

    def loss(W_rec=W_rec, W_in=W_in, b=b, h0=h0):
        return np.sum(dhs * E.rnn_forward(W_rec, W_in, b, h0, xs)[1:])

    grading.assert_gradient("rnn", dW_rec, lambda v: loss(W_rec=v), W_rec.copy())
    grading.assert_gradient("rnn", dW_in, lambda v: loss(W_in=v), W_in.copy())
    grading.assert_gradient("rnn", db, lambda v: loss(b=v), b.copy())
    grading.assert_gradient("rnn", dh0, lambda v: loss(h0=v), h0.copy())


def test_the_gradient_check_catches_a_backward_without_the_tanh_slope():
    from vanishing import grading

    W_rec, W_in, b, h0, xs, dhs = _random_rnn(5, 2, 3, 2, 3)
    hs = E.rnn_forward(W_rec, W_in, b, h0, xs)
    # test the tester: dW_rec of a backward that forgets the slope 1 - h_t² (the usual mistake)
    dW = np.zeros_like(W_rec)
    g = np.zeros_like(h0)
    for t in range(3, 0, -1):
        da = dhs[t - 1] + g
        dW += da.T @ hs[t - 1]
        g = da @ W_rec
    with pytest.raises(AssertionError, match="does not match centred differences"):
        grading.assert_gradient(
            "rnn", dW, lambda v: np.sum(dhs * E.rnn_forward(v, W_in, b, h0, xs)[1:]), W_rec.copy()
        )


@pytest.mark.parametrize("H, T", [(1, 3), (3, 4), (4, 0)])
def test_rnn_jacobians_match_centred_differences(H, T):
    from vanishing import grading

    W_rec, W_in, b, h0, xs, _ = _random_rnn(H + 10 * T, 1, H, 2, T)
    hs = E.rnn_forward(W_rec, W_in, b, h0, xs)[:, 0]
    J = E.rnn_jacobians(hs, W_rec)
    assert J.shape == (T + 1, H, H)
    np.testing.assert_array_equal(J[0], np.eye(H))
    for t in range(1, T + 1):
        for i in range(H):
            grading.assert_gradient(
                "rnn",
                J[t, i],
                lambda v, t=t, i=i: E.rnn_forward(W_rec, W_in, b, v[None, :], xs)[t, 0, i],
                h0[0].copy(),
            )


def test_rnn_jacobians_of_the_input_free_chain_are_the_chain_of_section_2():
    # the notebook plots spectral norms of (the learner's) rnn_jacobians on chain_states:
    # the same numbers as the course's chain_jacobian_norms on the same matrix and h0
    rng = np.random.default_rng(0)
    Q = E.scaled_orthogonal(32, 1.0, rng)
    h0 = 0.1 * rng.standard_normal(32)
    want = E.recurrent_comparison((0.9, 1.1), n=32, T=50, seed=0, nonlinearity="tanh")
    for lam in (0.9, 1.1):
        got = E.spectral_norms(E.rnn_jacobians(E.chain_states(lam * Q, 50, h0), lam * Q))
        # the same products in the same order: relative error measured ≤ 1e-14 (one kernel)
        np.testing.assert_allclose(got, want[lam], rtol=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_rnn_gradient_at_initialisation_grows_with_length_at_radius_2(seed):
    norms = E.initial_gradient_norms(radii=(0.9, 2.0), lengths=[1, 30], seed=seed)
    # gradient norm at T = 30 over T = 1, measured on seeds 0–7 × 4 kernels: 71–324 at
    # radius 2 (threshold 20, margin 3.5×) and 0.20–0.57 at radius 0.9 (threshold 1, margin 1.75×)
    assert norms[2.0][1] / norms[2.0][0] > 20
    assert norms[0.9][1] / norms[0.9][0] < 1
    # the first gradient of the clipping demonstration: 40–158 (seeds 0–7 × 4 kernels), that is
    # 80–316 times the clip threshold 0.5 (threshold 10×, margin 8×)
    assert norms[2.0][1] > 10 * E.RNN_CLIP


def test_train_rnn_calls_the_given_backward_and_clip():
    calls = {"backward": 0, "clip": 0}

    def backward(*args):
        calls["backward"] += 1
        return E.rnn_backward(*args)

    def clip_fn(grads, c):
        calls["clip"] += 1
        out = [np.array(g, copy=True) for g in grads]
        total = float(np.sqrt(sum(np.sum(g * g) for g in out)))
        return ([g * (c / total) for g in out] if total > c else out), total

    mine = E.train_rnn(backward, clip_fn, clip=1.0, steps=12, seed=3)
    ref = E.train_rnn(clip=1.0, steps=12, seed=3)
    assert calls == {"backward": 12, "clip": 12}
    np.testing.assert_allclose(mine.loss, ref.loss, rtol=1e-10)
    np.testing.assert_allclose(mine.grad_norm, ref.grad_norm, rtol=1e-10)


@pytest.mark.slow
def test_clipping_rescues_the_exploding_rnn():
    runs = [E.rnn_clipping_comparison(seed=seed) for seed in range(8)]
    plain = np.array([r["no clipping"].final_loss for r in runs])
    clipped = np.array([r[f"clipped at {E.RNN_CLIP:g}"].final_loss for r in runs])
    # mean loss over the last 50 of 150 steps. Clipped at 0.5: at most 0.0023 over seeds 0–15
    # × 4 kernels (threshold 0.05, margin 20×)
    assert np.all(clipped < 0.05), clipped
    # Without clipping the run is chaotic: which seeds find their way back below chance
    # depends on the kernel's rounding (Sandybridge: seeds 2 and 7 end at 0.54 and 0.15), so
    # the claims are on the batch of seeds. The median over seeds 0–7 is 3.47–3.67 over the
    # 4 kernels (threshold 1, margin 3.5×), and 6–8 of the 8 seeds end above chance, ln 2
    # (threshold 5, margin 1 seed; seeds 8–15: 6–7 of 8)
    assert np.median(plain) > 1.0, plain
    assert np.sum(plain > np.log(2)) >= 5, plain


@pytest.mark.slow
def test_the_rnn_trains_unclipped_when_its_gradient_does_not_explode():
    # control: the same network and learning rate with W_rec = Q (radius 1) needs no clipping;
    # measured at most 0.0003 over seeds 0–7 × 4 kernels (threshold 0.05, margin 160×)
    losses = [E.train_rnn(radius=1.0, seed=seed).final_loss for seed in range(4)]
    assert max(losses) < 0.05, losses
