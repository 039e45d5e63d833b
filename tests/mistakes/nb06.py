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

# --- affine_backward (node 6) ---------------------------------------------------------------
AFF_NO_GAMMA = """
def affine_backward(dout, xhat, gamma):
    return dout.copy(), (dout * xhat).sum(axis=0), dout.sum(axis=0)
"""

AFF_SWAPPED = """
def affine_backward(dout, xhat, gamma):
    return dout * gamma, dout.sum(axis=0), (dout * xhat).sum(axis=0)
"""

AFF_AVERAGED = """
def affine_backward(dout, xhat, gamma):
    return dout * gamma, (dout * xhat).mean(axis=0), dout.mean(axis=0)
"""

# the derivative of gamma * xhat w.r.t. gamma taken as gamma
AFF_GAMMA_IN_DGAMMA = """
def affine_backward(dout, xhat, gamma):
    return dout * gamma, (dout * gamma).sum(axis=0), dout.sum(axis=0)
"""

AFF_IN_PLACE = """
def affine_backward(dout, xhat, gamma):
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dout *= gamma
    return dout, dgamma, dbeta
"""

AFF_FLOAT64 = """
def affine_backward(dout, xhat, gamma):
    dout, xhat, gamma = (np.asarray(a, dtype=float) for a in (dout, xhat, gamma))
    return dout * gamma, (dout * xhat).sum(axis=0), dout.sum(axis=0)
"""

# valid: einsum
AFF_EINSUM = """
def affine_backward(dout, xhat, gamma):
    return np.einsum("nd,d->nd", dout, gamma), np.einsum("nd,nd->d", dout, xhat), np.einsum("nd->d", dout)
"""

# valid: keepdims, then the first row
AFF_KEEPDIMS = """
def affine_backward(dout, xhat, gamma):
    dgamma = np.sum(xhat * dout, axis=0, keepdims=True)
    dbeta = np.sum(dout, axis=0, keepdims=True)
    return gamma[None, :] * dout, dgamma[0], dbeta[0]
"""

# valid: a loop over the rows, one use of gamma and beta at a time
AFF_ROWS = """
def affine_backward(dout, xhat, gamma):
    dxhat = np.empty_like(dout)
    dgamma, dbeta = np.zeros_like(gamma), np.zeros_like(gamma)
    for n in range(dout.shape[0]):
        dxhat[n] = dout[n] * gamma
        dgamma += dout[n] * xhat[n]
        dbeta += dout[n]
    return dxhat, dgamma, dbeta
"""

# --- scale_backward (node 5) ----------------------------------------------------------------
SCA_DIVIDES = """
def scale_backward(dxhat, centred, inv_std):
    return dxhat / inv_std, (dxhat * centred).sum(axis=0)
"""

SCA_NO_INV_STD = """
def scale_backward(dxhat, centred, inv_std):
    return dxhat.copy(), (dxhat * centred).sum(axis=0)
"""

# dinv_std with xhat = centred * inv_std instead of centred
SCA_XHAT = """
def scale_backward(dxhat, centred, inv_std):
    xhat = centred * inv_std
    return dxhat * inv_std, (dxhat * xhat).sum(axis=0)
"""

SCA_AVERAGED = """
def scale_backward(dxhat, centred, inv_std):
    return dxhat * inv_std, (dxhat * centred).mean(axis=0)
"""

SCA_NO_CENTRED = """
def scale_backward(dxhat, centred, inv_std):
    return dxhat * inv_std, dxhat.sum(axis=0)
"""

SCA_IN_PLACE = """
def scale_backward(dxhat, centred, inv_std):
    dinv_std = (dxhat * centred).sum(axis=0)
    dxhat *= inv_std
    return dxhat, dinv_std
"""

SCA_FLOAT64 = """
def scale_backward(dxhat, centred, inv_std):
    dcentred = np.zeros(dxhat.shape)
    dcentred[:] = dxhat * inv_std
    return dcentred, (dxhat * centred).sum(axis=0)
"""

# valid: einsum
SCA_EINSUM = """
def scale_backward(dxhat, centred, inv_std):
    return np.einsum("nd,d->nd", dxhat, inv_std), np.einsum("nd,nd->d", dxhat, centred)
"""

# valid: a loop over the columns
SCA_COLUMNS = """
def scale_backward(dxhat, centred, inv_std):
    dcentred = np.empty_like(dxhat)
    dinv_std = np.empty_like(inv_std)
    for d in range(dxhat.shape[1]):
        dcentred[:, d] = dxhat[:, d] * inv_std[d]
        dinv_std[d] = dxhat[:, d] @ centred[:, d]
    return dcentred, dinv_std
"""

# valid: the column sum as a product with a vector of ones
SCA_ONES = """
def scale_backward(dxhat, centred, inv_std):
    ones = np.ones(dxhat.shape[0], dtype=dxhat.dtype)
    return np.multiply(dxhat, inv_std), ones @ (centred * dxhat)
"""

# --- variance_backward (nodes 4 and 3) ------------------------------------------------------
VAR_HEAD = """
def variance_backward(dinv_std, centred, var, eps):
    N = centred.shape[0]
"""


def var_(body: str) -> str:
    return VAR_HEAD + body


VAR_SIGN = var_("""
    dvar = 0.5 * (var + eps) ** -1.5 * dinv_std
    return dvar, dvar * 2 * centred / N
""")

VAR_POWER = var_("""
    dvar = -0.5 * (var + eps) ** -0.5 * dinv_std
    return dvar, dvar * 2 * centred / N
""")

VAR_NO_HALF = var_("""
    dvar = -((var + eps) ** -1.5) * dinv_std
    return dvar, dvar * 2 * centred / N
""")

VAR_NO_N = var_("""
    dvar = -0.5 * (var + eps) ** -1.5 * dinv_std
    return dvar, 2 * centred * dvar
""")

VAR_NO_TWO = var_("""
    dvar = -0.5 * (var + eps) ** -1.5 * dinv_std
    return dvar, dvar * centred / N
""")

VAR_EPS_DEFAULT = var_("""
    dvar = -0.5 * (var + 1e-5) ** -1.5 * dinv_std
    return dvar, dvar * 2 * centred / N
""")

VAR_EPS_IGNORED = var_("""
    dvar = -0.5 * var ** -1.5 * dinv_std
    return dvar, dvar * 2 * centred / N
""")

VAR_BROADCAST = var_("""
    dvar = -0.5 * (var + eps) ** -1.5 * dinv_std
    return dvar, np.tile(dvar, (N, 1))
""")

# valid: through inv_std cubed
VAR_CUBED = """
def variance_backward(dinv_std, centred, var, eps):
    inv_std = 1 / np.sqrt(var + eps)
    dvar = -0.5 * inv_std**3 * dinv_std
    return dvar, centred * (2 * dvar / len(centred))
"""

# valid: np.power and a division by the cube of the standard deviation
VAR_POWERS = """
def variance_backward(dinv_std, centred, var, eps):
    std = np.sqrt(np.add(var, eps))
    dvar = -dinv_std / (2 * std * std * std)
    dcentred = np.multiply(centred, dvar) * (2.0 / centred.shape[0])
    return dvar, dcentred
"""

# valid: one column at a time
VAR_COLUMNS = """
def variance_backward(dinv_std, centred, var, eps):
    N, D = centred.shape
    dvar = np.empty_like(var)
    dcentred = np.empty_like(centred)
    for d in range(D):
        dvar[d] = dinv_std[d] * (-0.5) * (var[d] + eps) ** (-1.5)
        dcentred[:, d] = 2 / N * centred[:, d] * dvar[d]
    return dvar, dcentred
"""

# --- centre_backward (nodes 2 and 1) --------------------------------------------------------
CEN_SIGN = """
def centre_backward(dcentred):
    dmean = dcentred.sum(axis=0)
    return dmean, dcentred + dmean / len(dcentred)
"""

CEN_DIRECT_ONLY = """
def centre_backward(dcentred):
    return -dcentred.sum(axis=0), dcentred.copy()
"""

CEN_MEAN_PATH_ONLY = """
def centre_backward(dcentred):
    N = dcentred.shape[0]
    dmean = -dcentred.sum(axis=0)
    return dmean, np.ones_like(dcentred) * dmean / N
"""

CEN_MEAN_NOT_SUM = """
def centre_backward(dcentred):
    dmean = -dcentred.mean(axis=0)
    return dmean, dcentred + dmean / dcentred.shape[0]
"""

CEN_NO_N = """
def centre_backward(dcentred):
    dmean = -dcentred.sum(axis=0)
    return dmean, dcentred + dmean
"""

CEN_IN_PLACE = """
def centre_backward(dcentred):
    dmean = -dcentred.sum(axis=0)
    dcentred += dmean / dcentred.shape[0]
    return dmean, dcentred
"""

CEN_FLOAT64 = """
def centre_backward(dcentred):
    N = dcentred.shape[0]
    dmean = -np.ones(N) @ dcentred
    return dmean, dcentred + dmean / N
"""

# valid: subtract the column mean
CEN_SUBTRACT_MEAN = """
def centre_backward(dcentred):
    return -np.sum(dcentred, axis=0), dcentred - np.mean(dcentred, axis=0)
"""

# valid: keepdims and an explicit broadcast
CEN_KEEPDIMS = """
def centre_backward(dcentred):
    n = dcentred.shape[0]
    dmean = -dcentred.sum(axis=0, keepdims=True)
    dx = dcentred + np.broadcast_to(dmean / n, dcentred.shape)
    return dmean[0], dx
"""

# valid: the Jacobian of centring, I - 1/N, per column
CEN_JACOBIAN = """
def centre_backward(dcentred):
    N = dcentred.shape[0]
    J = np.eye(N, dtype=dcentred.dtype) - np.full((N, N), 1 / N, dtype=dcentred.dtype)
    ones = np.ones(N, dtype=dcentred.dtype)
    return -(ones @ dcentred), J.T @ dcentred
"""

# --- batchnorm_backward (the whole graph) ---------------------------------------------------
BWD_HEAD = """
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    mean = x.mean(axis=0)
    centred = x - mean
    var = (centred**2).mean(axis=0)
    inv_std = 1 / np.sqrt(var + eps)
    xhat = centred * inv_std
"""


def bwd(body: str) -> str:
    return BWD_HEAD + body


BWD_NO_VAR_PATH = bwd("""
    dxhat, dgamma, dbeta = affine_backward(dout, xhat, gamma)
    dcentred, dinv_std = scale_backward(dxhat, centred, inv_std)
    _, dx = centre_backward(dcentred)
    return dx, dgamma, dbeta
""")

# the second gradient of centred overwrites the first
BWD_OVERWRITTEN = bwd("""
    dxhat, dgamma, dbeta = affine_backward(dout, xhat, gamma)
    dcentred, dinv_std = scale_backward(dxhat, centred, inv_std)
    dvar, dcentred = variance_backward(dinv_std, centred, var, eps)
    _, dx = centre_backward(dcentred)
    return dx, dgamma, dbeta
""")

BWD_XHAT_FOR_CENTRED = bwd("""
    dxhat, dgamma, dbeta = affine_backward(dout, xhat, gamma)
    dc1, dinv_std = scale_backward(dxhat, xhat, inv_std)
    _, dc2 = variance_backward(dinv_std, centred, var, eps)
    _, dx = centre_backward(dc1 + dc2)
    return dx, dgamma, dbeta
""")

BWD_EPS_DEFAULT = bwd("""
    dxhat, dgamma, dbeta = affine_backward(dout, xhat, gamma)
    dc1, dinv_std = scale_backward(dxhat, centred, inv_std)
    _, dc2 = variance_backward(dinv_std, centred, var, 1e-5)
    _, dx = centre_backward(dc1 + dc2)
    return dx, dgamma, dbeta
""")

BWD_DMEAN_FOR_DX = bwd("""
    dxhat, dgamma, dbeta = affine_backward(dout, xhat, gamma)
    dc1, dinv_std = scale_backward(dxhat, centred, inv_std)
    _, dc2 = variance_backward(dinv_std, centred, var, eps)
    dx, _ = centre_backward(dc1 + dc2)
    return dx, dgamma, dbeta
""")

# stops at node 5: the statistics treated as constants
BWD_STOPS_AT_XHAT = bwd("""
    dxhat, dgamma, dbeta = affine_backward(dout, xhat, gamma)
    return dxhat * inv_std, dgamma, dbeta
""")

BWD_SWAPPED = bwd("""
    dxhat, dbeta, dgamma = affine_backward(dout, xhat, gamma)
    dc1, dinv_std = scale_backward(dxhat, centred, inv_std)
    _, dc2 = variance_backward(dinv_std, centred, var, eps)
    _, dx = centre_backward(dc1 + dc2)
    return dx, dgamma, dbeta
""")

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

# valid: the node functions with keyword arguments, the two paths added in the call
BWD_KEYWORDS = """
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    centred = x - np.mean(x, axis=0)
    var = np.mean(centred * centred, axis=0)
    inv_std = (var + eps) ** -0.5
    dxhat, dgamma, dbeta = affine_backward(dout=dout, xhat=centred * inv_std, gamma=gamma)
    via_xhat, dinv_std = scale_backward(dxhat=dxhat, centred=centred, inv_std=inv_std)
    dvar, via_var = variance_backward(dinv_std=dinv_std, centred=centred, var=var, eps=eps)
    dmean, dx = centre_backward(dcentred=via_xhat + via_var)
    return dx, dgamma, dbeta
"""

# valid: staged by hand, without the node functions (CS231n style and others)
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

# valid: the Jacobian of every column, written out
BWD_JACOBIAN = """
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    N, D = x.shape
    dx = np.empty_like(x)
    dgamma = np.empty_like(gamma)
    for d in range(D):
        mu = x[:, d].mean()
        s = np.sqrt(((x[:, d] - mu) ** 2).mean() + eps)
        xhat = (x[:, d] - mu) / s
        J = (np.eye(N, dtype=x.dtype) - 1 / N - np.outer(xhat, xhat) / N) / s
        dx[:, d] = J.T @ (gamma[d] * dout[:, d])
        dgamma[d] = dout[:, d] @ xhat
    return dx, dgamma, dout.sum(axis=0)
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
        cell="affine_backward",
        mistakes={
            "gamma_forgotten": Mistake(AFF_NO_GAMMA, "dxhat = dout * gamma"),
            "dgamma_and_dbeta_swapped": Mistake(AFF_SWAPPED, "did you swap them?"),
            "parameter_gradients_averaged": Mistake(AFF_AVERAGED, "do not average"),
            "gamma_instead_of_xhat_in_dgamma": Mistake(
                AFF_GAMMA_IN_DGAMMA, "the derivative of gamma * xhat w.r.t. gamma is xhat"
            ),
            "scales_dout_in_place": Mistake(AFF_IN_PLACE, "changed its input `dout` in place"),
            "converts_to_float64": Mistake(AFF_FLOAT64, "keep the dtype of the inputs"),
        },
        alternatives={
            "einsum": AFF_EINSUM,
            "keepdims": AFF_KEEPDIMS,
            "loop_over_rows": AFF_ROWS,
        },
    ),
    Exercise(
        cell="scale_backward",
        mistakes={
            "divides_by_inv_std": Mistake(SCA_DIVIDES, "do not divide"),
            "inv_std_forgotten": Mistake(SCA_NO_INV_STD, "dcentred = dxhat * inv_std"),
            "xhat_instead_of_centred": Mistake(SCA_XHAT, "is centred, not xhat"),
            "dinv_std_averaged": Mistake(SCA_AVERAGED, "do not average"),
            "centred_forgotten": Mistake(SCA_NO_CENTRED, "multiply by centred before you sum"),
            "scales_dxhat_in_place": Mistake(SCA_IN_PLACE, "changed its input `dxhat` in place"),
            "float64_array_created": Mistake(SCA_FLOAT64, "keep the dtype of the inputs"),
        },
        alternatives={
            "einsum": SCA_EINSUM,
            "loop_over_columns": SCA_COLUMNS,
            "sum_as_product_with_ones": SCA_ONES,
        },
    ),
    Exercise(
        cell="variance_backward",
        mistakes={
            "sign": Mistake(VAR_SIGN, "its derivative is negative"),
            "power_not_lowered": Mistake(VAR_POWER, "lower the power by one"),
            "factor_half_forgotten": Mistake(VAR_NO_HALF, "keep the factor 0.5"),
            "mean_not_divided_by_n": Mistake(VAR_NO_N, "divide by N"),
            "square_derivative_without_2": Mistake(
                VAR_NO_TWO, "the derivative of centred ** 2 is 2 * centred"
            ),
            "eps_ignored": Mistake(VAR_EPS_IGNORED, "use the eps argument (5 here)"),
            "eps_hard_coded": Mistake(VAR_EPS_DEFAULT, "not the default 1e-5"),
            "dvar_broadcast_as_dcentred": Mistake(VAR_BROADCAST, "which depends on centred"),
        },
        alternatives={
            "inv_std_cubed": VAR_CUBED,
            "division_by_std_cubed": VAR_POWERS,
            "loop_over_columns": VAR_COLUMNS,
        },
    ),
    Exercise(
        cell="centre_backward",
        mistakes={
            "sign_of_the_mean": Mistake(CEN_SIGN, "the mean enters with a minus sign"),
            "direct_path_only": Mistake(CEN_DIRECT_ONLY, "dx adds both"),
            "mean_path_only": Mistake(CEN_MEAN_PATH_ONLY, "dx also has the direct path"),
            "dmean_averaged": Mistake(CEN_MEAN_NOT_SUM, "not the mean"),
            "dmean_not_divided_by_n": Mistake(CEN_NO_N, "each row of x gets dmean / N"),
            "adds_to_dcentred_in_place": Mistake(
                CEN_IN_PLACE, "changed its input `dcentred` in place"
            ),
            "float64_ones": Mistake(CEN_FLOAT64, "keep the dtype of the inputs"),
        },
        alternatives={
            "subtract_the_column_mean": CEN_SUBTRACT_MEAN,
            "keepdims_and_broadcast": CEN_KEEPDIMS,
            "jacobian_of_centring": CEN_JACOBIAN,
        },
    ),
    Exercise(
        cell="batchnorm_backward",
        isolated=True,  # it calls the four node functions of the exercises above
        mistakes={
            "path_through_var_missing": Mistake(BWD_NO_VAR_PATH, "the path through var is missing"),
            "path_through_xhat_overwritten": Mistake(
                BWD_OVERWRITTEN, "the path through xhat is missing"
            ),
            "xhat_passed_as_centred": Mistake(
                BWD_XHAT_FOR_CENTRED, "as its second argument, not xhat"
            ),
            "eps_hard_coded": Mistake(BWD_EPS_DEFAULT, "dx (N = 2, eps = 0"),
            "dmean_returned_as_dx": Mistake(
                BWD_DMEAN_FOR_DX, "has shape (2,), expected shape (2, 2)"
            ),
            "stops_at_xhat": Mistake(BWD_STOPS_AT_XHAT, "go through every node back to x"),
            "dgamma_and_dbeta_swapped": Mistake(BWD_SWAPPED, "did you swap them?"),
            "calls_the_package": Mistake(BWD_CALLS_PACKAGE, "is off limits"),
            "numerical_gradient": Mistake(BWD_NUMERICAL, "numerical_gradient is off limits"),
        },
        alternatives={
            "node_functions_with_keywords": BWD_KEYWORDS,
            "computational_graph_by_hand": BWD_GRAPH,
            "sums_and_one_pass_variance": BWD_SUMS,
            "through_dvar_and_dmean": BWD_PAPER,
            "jacobian_per_unit": BWD_JACOBIAN,
        },
    ),
]
