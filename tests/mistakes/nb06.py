"""Mistakes and valid alternatives for notebook 06 (batch normalisation); see ``_corpus.py``."""

from _corpus import Exercise, Mistake

ASSIGNMENT = "06_batch_norm"

# --- batchnorm_forward ----------------------------------------------------------------------
FWD_HEAD = """
def batchnorm_forward(x, gamma, beta, running_mean, running_var, mode="train", momentum=0.1,
                      eps=1e-5):
"""


def fwd(body: str) -> str:
    return FWD_HEAD + body


FWD_UNBIASED_NORM = fwd("""
    N = x.shape[0]
    mean, var = x.mean(axis=0), x.var(axis=0)
    if mode == "eval":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        return out, running_mean, running_var, None
    out = gamma * (x - mean) / np.sqrt(var * N / (N - 1) + eps) + beta
    return (out, (1 - momentum) * running_mean + momentum * mean,
            (1 - momentum) * running_var + momentum * var * N / (N - 1), None)
""")

FWD_EPS_OUTSIDE = fwd("""
    N = x.shape[0]
    mean, var = x.mean(axis=0), x.var(axis=0)
    if mode == "eval":
        out = gamma * (x - running_mean) / (np.sqrt(running_var) + eps) + beta
        return out, running_mean, running_var, None
    out = gamma * (x - mean) / (np.sqrt(var) + eps) + beta
    return (out, (1 - momentum) * running_mean + momentum * mean,
            (1 - momentum) * running_var + momentum * var * N / (N - 1), None)
""")

FWD_NO_EPS = fwd("""
    N = x.shape[0]
    mean, std = x.mean(axis=0), x.std(axis=0)
    if mode == "eval":
        out = gamma * (x - running_mean) / np.sqrt(running_var) + beta
        return out, running_mean, running_var, None
    out = gamma * (x - mean) / std + beta
    return (out, (1 - momentum) * running_mean + momentum * mean,
            (1 - momentum) * running_var + momentum * std**2 * N / (N - 1), None)
""")

FWD_NO_SQRT = fwd("""
    N = x.shape[0]
    mean, var = x.mean(axis=0), x.var(axis=0)
    if mode == "eval":
        out = gamma * (x - running_mean) / (running_var + eps) + beta
        return out, running_mean, running_var, None
    out = gamma * (x - mean) / (var + eps) + beta
    return (out, (1 - momentum) * running_mean + momentum * mean,
            (1 - momentum) * running_var + momentum * var * N / (N - 1), None)
""")

# Keras's convention: momentum weights the OLD value
FWD_FLIPPED_MOMENTUM = fwd("""
    N = x.shape[0]
    mean, var = x.mean(axis=0), x.var(axis=0)
    if mode == "eval":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        return out, running_mean, running_var, None
    out = gamma * (x - mean) / np.sqrt(var + eps) + beta
    return (out, momentum * running_mean + (1 - momentum) * mean,
            momentum * running_var + (1 - momentum) * var * N / (N - 1), None)
""")

# CS231n's convention: the biased variance goes into the running average
FWD_BIASED_RUNNING = fwd("""
    mean, var = x.mean(axis=0), x.var(axis=0)
    if mode == "eval":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        return out, running_mean, running_var, None
    out = gamma * (x - mean) / np.sqrt(var + eps) + beta
    return (out, (1 - momentum) * running_mean + momentum * mean,
            (1 - momentum) * running_var + momentum * var, None)
""")

FWD_BATCH_STATS_IN_EVAL = fwd("""
    N = x.shape[0]
    mean, var = x.mean(axis=0), x.var(axis=0)
    out = gamma * (x - mean) / np.sqrt(var + eps) + beta
    if mode == "eval":
        return out, running_mean, running_var, None
    return (out, (1 - momentum) * running_mean + momentum * mean,
            (1 - momentum) * running_var + momentum * var * N / (N - 1), None)
""")

FWD_UPDATES_IN_EVAL = fwd("""
    N = x.shape[0]
    mean, var = x.mean(axis=0), x.var(axis=0)
    if mode == "train":
        out = gamma * (x - mean) / np.sqrt(var + eps) + beta
    else:
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    return (out, (1 - momentum) * running_mean + momentum * mean,
            (1 - momentum) * running_var + momentum * var * N / (N - 1), None)
""")

FWD_IN_PLACE = fwd("""
    N = x.shape[0]
    mean, var = x.mean(axis=0), x.var(axis=0)
    if mode == "eval":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        return out, running_mean, running_var, None
    running_mean *= 1 - momentum
    running_mean += momentum * mean
    running_var *= 1 - momentum
    running_var += momentum * var * N / (N - 1)
    out = gamma * (x - mean) / np.sqrt(var + eps) + beta
    return out, running_mean, running_var, None
""")

FWD_NO_CACHE = fwd("""
    N = x.shape[0]
    mean, var = x.mean(axis=0), x.var(axis=0)
    if mode == "eval":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        return out, running_mean, running_var
    out = gamma * (x - mean) / np.sqrt(var + eps) + beta
    return (out, (1 - momentum) * running_mean + momentum * mean,
            (1 - momentum) * running_var + momentum * var * N / (N - 1))
""")

# the review's submission: the reference the visible test cell used to define
FWD_CALLS_VISIBLE_REFERENCE = fwd("""
    return (*_reference(x, gamma, beta, running_mean, running_var, mode, momentum, eps), None)
""")

FWD_CALLS_PACKAGE = fwd("""
    from vanishing import nn
    bn = nn.BatchNorm1d(x.shape[1], momentum=momentum, eps=eps)
    bn.params["gamma"][:], bn.params["beta"][:] = gamma, beta
    bn.running_mean, bn.running_var = running_mean.copy(), running_var.copy()
    bn.train() if mode == "train" else bn.eval()
    return bn(x), bn.running_mean, bn.running_var, None
""")

# valid: one-pass variance E[x²] - mean², np.var with ddof=1 for the running variance
FWD_ONE_PASS = fwd("""
    if mode == "eval":
        scale = gamma / np.sqrt(running_var + eps)
        return x * scale + (beta - running_mean * scale), running_mean.copy(), running_var.copy(), None
    mean = np.mean(x, axis=0)
    var = np.mean(x * x, axis=0) - mean * mean
    out = gamma * (x - mean) * (var + eps) ** -0.5 + beta
    new_mean = momentum * mean + (1 - momentum) * running_mean
    new_var = momentum * np.var(x, axis=0, ddof=1) + (1 - momentum) * running_var
    return out, new_mean, new_var, {"mean": mean, "var": var}
""")

# valid: keepdims, standardise then scale, a dict of statistics picked by mode
FWD_KEEPDIMS = fwd("""
    if mode not in ("train", "eval"):
        raise ValueError(mode)
    if mode == "train":
        n = len(x)
        mu = x.mean(axis=0, keepdims=True)
        centred = x - mu
        biased = (centred**2).sum(axis=0, keepdims=True) / n
        unbiased = (centred**2).sum(axis=0) / (n - 1)
        stats = (mu, biased)
        new = (running_mean + momentum * (mu[0] - running_mean),
               running_var + momentum * (unbiased - running_var))
    else:
        stats = (running_mean[None, :], running_var[None, :])
        new = (running_mean, running_var)
    xhat = (x - stats[0]) / np.sqrt(stats[1] + eps)
    return xhat * gamma[None, :] + beta[None, :], new[0], new[1], xhat
""")

# valid: explicit loop over the units
FWD_PER_UNIT = fwd("""
    N, D = x.shape
    out = np.empty_like(x)
    new_mean, new_var = np.array(running_mean, dtype=float), np.array(running_var, dtype=float)
    for j in range(D):
        col = x[:, j]
        if mode == "train":
            m = col.sum() / N
            v = ((col - m) ** 2).sum() / N
            new_mean[j] = (1 - momentum) * running_mean[j] + momentum * m
            new_var[j] = (1 - momentum) * running_var[j] + momentum * v * N / (N - 1)
        else:
            m, v = running_mean[j], running_var[j]
        out[:, j] = gamma[j] * (col - m) / np.sqrt(v + eps) + beta[j]
    return out, new_mean, new_var, None
""")

# --- batchnorm_backward ---------------------------------------------------------------------
BWD_HEAD = """
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    inv = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean) * inv
"""


def bwd(body: str) -> str:
    return BWD_HEAD + body


BWD_NO_MEAN_TERM = bwd("""
    g = dout * gamma
    dx = inv * (g - xhat * (g * xhat).mean(axis=0))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)
""")

BWD_NO_VAR_TERM = bwd("""
    g = dout * gamma
    dx = inv * (g - g.mean(axis=0))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)
""")

# the gradient of a fixed affine map: mean and variance treated as constants
BWD_CONSTANT_STATS = bwd("""
    return dout * gamma * inv, (dout * xhat).sum(axis=0), dout.sum(axis=0)
""")

BWD_NO_GAMMA = bwd("""
    dx = inv * (dout - dout.mean(axis=0) - xhat * (dout * xhat).mean(axis=0))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)
""")

BWD_UNBIASED = """
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    inv = 1.0 / np.sqrt(x.var(axis=0, ddof=1) + eps)
    xhat = (x - x.mean(axis=0)) * inv
    g = dout * gamma
    dx = inv * (g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)
"""

BWD_SWAPPED = bwd("""
    g = dout * gamma
    dx = inv * (g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0))
    return dx, dout.sum(axis=0), (dout * xhat).sum(axis=0)
""")

BWD_AVERAGED_PARAMS = bwd("""
    g = dout * gamma
    dx = inv * (g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0))
    return dx, (dout * xhat).mean(axis=0), dout.mean(axis=0)
""")

BWD_IN_PLACE = bwd("""
    g = dout
    g *= gamma
    dx = inv * (g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0))
    return dx, (g / gamma * xhat).sum(axis=0), (g / gamma).sum(axis=0)
""")

# the review's submission: the answer the visible test cell used to define
BWD_CALLS_VISIBLE_VARIANTS = """
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    return _variants(dout, x, gamma, eps)["right"]
"""

BWD_CALLS_PACKAGE = """
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    from vanishing import nn
    _, (xhat, inv_std, _, _) = nn.batchnorm_forward(x, gamma, np.zeros_like(gamma), eps)
    return nn.batchnorm_backward(dout, gamma, xhat, inv_std)
"""

BWD_NUMERICAL = """
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    from vanishing import gradcheck
    def f(v):
        return np.sum(dout * gamma * (v - v.mean(axis=0)) / np.sqrt(v.var(axis=0) + eps))
    xhat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
    return gradcheck.numerical_gradient(f, x.copy()), (dout * xhat).sum(axis=0), dout.sum(axis=0)
"""

# valid: CS231n's staged backward through the computational graph
BWD_GRAPH = """
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    N = x.shape[0]
    mu = np.sum(x, axis=0) / N
    xmu = x - mu
    sq = xmu**2
    var = np.sum(sq, axis=0) / N
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / sqrtvar**2 * divar
    dvar = 0.5 / sqrtvar * dsqrtvar
    dsq = np.ones_like(x) / N * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -np.sum(dx1, axis=0)
    dx2 = np.ones_like(x) / N * dmu
    return dx1 + dx2, dgamma, dbeta
"""

# valid: the sums form, one-pass variance
BWD_SUMS = """
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    n = len(x)
    mean = x.sum(axis=0) / n
    var = (x**2).sum(axis=0) / n - mean**2
    inv = (var + eps) ** -0.5
    xhat = (x - mean) * inv
    dgamma = np.einsum("nd,nd->d", dout, xhat)
    dbeta = dout.sum(axis=0)
    dx = gamma * inv / n * (n * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta
"""

# valid: through dvar and dmean written out (Ioffe & Szegedy's backward)
BWD_PAPER = """
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    m = x.shape[0]
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    dxhat = dout * gamma
    dvar = np.sum(dxhat * (x - mu), axis=0) * -0.5 * (var + eps) ** -1.5
    dmu = np.sum(-dxhat / np.sqrt(var + eps), axis=0) + dvar * np.mean(-2 * (x - mu), axis=0)
    dx = dxhat / np.sqrt(var + eps) + dvar * 2 * (x - mu) / m + dmu / m
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)
"""

AUD_BATCHNORM_FORWARD_FOLDED_AFFINE_MAP = """
def batchnorm_forward(x, gamma, beta, running_mean, running_var, mode="train", momentum=0.1,
                      eps=1e-5):
    if mode == "train":
        n = len(x)
        mean = np.sum(x, axis=0) / n
        var = np.sum((x - mean) ** 2, axis=0) / n
        mu, sigma2 = mean, var
        new_mean = running_mean + momentum * (mean - running_mean)
        new_var = running_var + momentum * (var * (n / (n - 1)) - running_var)
    else:
        mu, sigma2 = running_mean, running_var
        new_mean, new_var = running_mean.copy(), running_var.copy()
    scale = gamma / np.sqrt(sigma2 + eps)
    out = x * scale + (beta - mu * scale)
    return out, new_mean, new_var, None
"""

AUD_BATCHNORM_FORWARD_MOMENTUM_HARD_CODED = """
def batchnorm_forward(x, gamma, beta, running_mean, running_var, mode="train", momentum=0.1,
                      eps=1e-5):
    if mode == "train":
        mean, var = x.mean(axis=0), x.var(axis=0)
        out = gamma * (x - mean) / np.sqrt(var + eps) + beta
        n = x.shape[0]
        return out, 0.9 * running_mean + 0.1 * mean, 0.9 * running_var + 0.1 * var * n / (n - 1), None
    out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    return out, running_mean, running_var, None
"""

AUD_BATCHNORM_FORWARD_EPS_HARD_CODED = """
def batchnorm_forward(x, gamma, beta, running_mean, running_var, mode="train", momentum=0.1,
                      eps=1e-5):
    if mode == "train":
        mean, var = x.mean(axis=0), x.var(axis=0)
        out = gamma * (x - mean) / np.sqrt(var + 1e-5) + beta
        n = x.shape[0]
        v = var * n / (n - 1)
        return out, (1 - momentum) * running_mean + momentum * mean, (1 - momentum) * running_var + momentum * v, None
    out = gamma * (x - running_mean) / np.sqrt(running_var + 1e-5) + beta
    return out, running_mean, running_var, None
"""

AUD_BATCHNORM_FORWARD_CENTRES_X_IN_PLACE = """
def batchnorm_forward(x, gamma, beta, running_mean, running_var, mode="train", momentum=0.1,
                      eps=1e-5):
    if mode == "train":
        n = x.shape[0]
        mean = x.mean(axis=0)
        xc = x
        xc -= mean
        var = (xc ** 2).mean(axis=0)
        out = gamma * xc / np.sqrt(var + eps) + beta
        return (out, (1 - momentum) * running_mean + momentum * mean,
                (1 - momentum) * running_var + momentum * var * n / (n - 1), None)
    out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    return out, running_mean, running_var, None
"""

AUD_BATCHNORM_FORWARD_BESSEL_FACTOR_INVERTED = """
def batchnorm_forward(x, gamma, beta, running_mean, running_var, mode="train", momentum=0.1,
                      eps=1e-5):
    if mode == "train":
        n = x.shape[0]
        mean, var = x.mean(axis=0), x.var(axis=0)
        out = gamma * (x - mean) / np.sqrt(var + eps) + beta
        return (out, (1 - momentum) * running_mean + momentum * mean,
                (1 - momentum) * running_var + momentum * var * (n - 1) / n, None)
    out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    return out, running_mean, running_var, None
"""

AUD_BATCHNORM_BACKWARD_CENTRED_INPUTS_AND_CUBED_INVERSE_STD = """
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    n = x.shape[0]
    xc = x - x.mean(axis=0)
    var = np.einsum("nd,nd->d", xc, xc) / n
    r = 1.0 / np.sqrt(var + eps)
    g = dout * gamma
    dx = r * (g - g.mean(axis=0)) - xc * r ** 3 * (g * xc).mean(axis=0)
    return dx, (dout * xc).sum(axis=0) * r, dout.sum(axis=0)
"""

AUD_BATCHNORM_BACKWARD_JACOBIAN_PER_UNIT = """
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    N, D = x.shape
    dx = np.empty((N, D))
    dgamma = np.empty(D)
    for d in range(D):
        mu = x[:, d].mean()
        s = np.sqrt(((x[:, d] - mu) ** 2).mean() + eps)
        xhat = (x[:, d] - mu) / s
        J = (np.eye(N) - 1.0 / N - np.outer(xhat, xhat) / N) / s  # d xhat_m / d x_n (symmetric)
        dx[:, d] = J.T @ (gamma[d] * dout[:, d])
        dgamma[d] = dout[:, d] @ xhat
    return dx, dgamma, dout.sum(axis=0)
"""

AUD_BATCHNORM_BACKWARD_EPS_HARD_CODED = """
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    mean = x.mean(axis=0)
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + 1e-5)
    xhat = (x - mean) * inv_std
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)
"""

AUD_BATCHNORM_BACKWARD_EPS_OUTSIDE_THE_SQUARE_ROOT = """
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    mean = x.mean(axis=0)
    inv_std = 1.0 / (x.std(axis=0) + eps)
    xhat = (x - mean) * inv_std
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)
"""

AUD_BATCHNORM_BACKWARD_VARIANCE_TERM_ADDED = """
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    mean = x.mean(axis=0)
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
    xhat = (x - mean) * inv_std
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=0) + xhat * (g * xhat).mean(axis=0))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)
"""

EXERCISES = [
    Exercise(
        cell="batchnorm_forward",
        mistakes={
            "bessel_factor_inverted": Mistake(
                AUD_BATCHNORM_FORWARD_BESSEL_FACTOR_INVERTED,
                "new_running_var (training mode, the 4x2 batch of the text)",
            ),
            "centres_x_in_place": Mistake(
                AUD_BATCHNORM_FORWARD_CENTRES_X_IN_PLACE, "changed its input `x` in place"
            ),
            "eps_hard_coded": Mistake(
                AUD_BATCHNORM_FORWARD_EPS_HARD_CODED, "use the eps argument (4 here)"
            ),
            "momentum_hard_coded": Mistake(
                AUD_BATCHNORM_FORWARD_MOMENTUM_HARD_CODED, "use the momentum argument (0.5 here)"
            ),
            "unbiased_variance_in_the_normalisation": Mistake(
                FWD_UNBIASED_NORM, "BIASED batch variance"
            ),
            "eps_outside_the_square_root": Mistake(
                FWD_EPS_OUTSIDE, "eps goes inside the square root"
            ),
            "no_eps": Mistake(FWD_NO_EPS, "add eps to the variance before the square root"),
            "divides_by_the_variance": Mistake(FWD_NO_SQRT, "not by the variance"),
            "momentum_weights_the_old_value": Mistake(
                FWD_FLIPPED_MOMENTUM, "momentum weights the NEW batch"
            ),
            "biased_running_variance": Mistake(FWD_BIASED_RUNNING, "running_var uses the UNBIASED"),
            "batch_statistics_in_eval": Mistake(
                FWD_BATCH_STATS_IN_EVAL, "in eval mode normalise with running_mean"
            ),
            "updates_running_statistics_in_eval": Mistake(
                FWD_UPDATES_IN_EVAL, "evaluation mode does not update"
            ),
            "updates_the_buffers_in_place": Mistake(
                FWD_IN_PLACE, "changed its input `running_mean` in place"
            ),
            "returns_three_items": Mistake(FWD_NO_CACHE, "return a tuple of four items"),
            "calls_the_reference_once_in_the_visible_test": Mistake(
                FWD_CALLS_VISIBLE_REFERENCE, "NameError"
            ),
            "calls_the_package": Mistake(FWD_CALLS_PACKAGE, "is off limits"),
        },
        alternatives={
            "folded_affine_map": AUD_BATCHNORM_FORWARD_FOLDED_AFFINE_MAP,
            "one_pass_variance_and_ddof": FWD_ONE_PASS,
            "keepdims_and_explicit_sums": FWD_KEEPDIMS,
            "loop_over_units": FWD_PER_UNIT,
        },
    ),
    Exercise(
        cell="batchnorm_backward",
        mistakes={
            "variance_term_added": Mistake(
                AUD_BATCHNORM_BACKWARD_VARIANCE_TERM_ADDED,
                "dx (the 4x2 case worked out above, eps=0)",
            ),
            "eps_outside_the_square_root": Mistake(
                AUD_BATCHNORM_BACKWARD_EPS_OUTSIDE_THE_SQUARE_ROOT,
                "dx (one unit, x = [1, 3, 5, 7], dout = [1, 0, 0, 0], gamma = 2, eps=4)",
            ),
            "eps_hard_coded": Mistake(
                AUD_BATCHNORM_BACKWARD_EPS_HARD_CODED, "dx (the 4x2 case worked out above, eps=0)"
            ),
            "no_term_through_the_mean": Mistake(
                BWD_NO_MEAN_TERM, "term that comes through the batch mean"
            ),
            "no_term_through_the_variance": Mistake(
                BWD_NO_VAR_TERM, "term that comes through the batch variance"
            ),
            "statistics_treated_as_constants": Mistake(BWD_CONSTANT_STATS, "dx has two more terms"),
            "gamma_forgotten": Mistake(BWD_NO_GAMMA, "multiply by gamma before taking the means"),
            "unbiased_variance": Mistake(BWD_UNBIASED, "normalise with the biased variance"),
            "dgamma_and_dbeta_swapped": Mistake(BWD_SWAPPED, "did you swap them?"),
            "parameter_gradients_averaged": Mistake(BWD_AVERAGED_PARAMS, "do not average"),
            "scales_dout_in_place": Mistake(BWD_IN_PLACE, "changed its input `dout` in place"),
            "calls_the_answer_once_in_the_visible_test": Mistake(
                BWD_CALLS_VISIBLE_VARIANTS, "NameError"
            ),
            "calls_the_package": Mistake(BWD_CALLS_PACKAGE, "is off limits"),
            "numerical_gradient": Mistake(BWD_NUMERICAL, "numerical_gradient is off limits"),
        },
        alternatives={
            "jacobian_per_unit": AUD_BATCHNORM_BACKWARD_JACOBIAN_PER_UNIT,
            "centred_inputs_and_cubed_inverse_std": AUD_BATCHNORM_BACKWARD_CENTRED_INPUTS_AND_CUBED_INVERSE_STD,
            "computational_graph": BWD_GRAPH,
            "sums_and_one_pass_variance": BWD_SUMS,
            "through_dvar_and_dmean": BWD_PAPER,
        },
    ),
]
