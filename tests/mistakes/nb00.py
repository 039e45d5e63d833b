"""Mistakes and valid alternatives for notebook 00 (backprop refresher); see ``_corpus.py``."""

from _corpus import Exercise, Mistake

ASSIGNMENT = "00_backprop_refresher"

# --- numerical_gradient ---------------------------------------------------------------------
NG_FORWARD = """
def numerical_gradient(f, x, eps=1e-6):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    f0 = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        grad[i] = (f(x) - f0) / eps
        x[i] = old
    return grad
"""

NG_DIVIDE_BY_EPS = """
def numerical_gradient(f, x, eps=1e-6):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        f_plus = f(x)
        x[i] = old - eps
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / eps
    return grad
"""

# works on a copy, but leaves every entry at old - eps: passes any separable f
NG_NEVER_RESTORED = """
def numerical_gradient(f, x, eps=1e-6):
    x = x.copy()
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += eps
        f_plus = f(x)
        x[i] -= 2 * eps
        f_minus = f(x)
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad
"""

# perturbs the caller's x and undoes it with += / -=, which is off by a rounding
NG_IN_PLACE_DRIFT = """
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        x[i] += eps
        f_plus = f(x)
        x[i] -= 2 * eps
        f_minus = f(x)
        x[i] += eps
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad
"""

NG_BACKWARD = """
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros(x.shape)
    f0 = f(x)
    for i in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[i] = eps
        grad[i] = (f0 - f(x - step)) / eps
    return grad
"""

NG_DEFAULT_STEP = """
def numerical_gradient(f, x, eps=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        f_plus = f(x)
        x[i] = old - eps
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad
"""

# the perturbation is a fresh array, so nothing has to be restored
NG_STEP_VECTOR = """
def numerical_gradient(f, x, eps=1e-6):
    grad = np.empty(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad
"""

# perturbs the caller's x in place (as vanishing.gradcheck does) and restores it exactly
NG_IN_PLACE_RESTORED = """
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros(x.shape)
    flat, g = x.reshape(-1), grad.reshape(-1)
    for k in range(flat.size):
        saved = flat[k]
        try:
            flat[k] = saved + eps
            up = float(f(x))
            flat[k] = saved - eps
            down = float(f(x))
        finally:
            flat[k] = saved
        g[k] = 0.5 * (up - down) / eps
    return grad
"""

# divides by the step actually taken, (x + eps) - (x - eps) in floating point
NG_ACTUAL_STEP = """
def numerical_gradient(f, x, eps=1e-6):
    work = x.astype(np.float64, copy=True)
    out = np.zeros_like(work)
    it = np.nditer(work, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        centre = work[i]
        hi, lo = centre + eps, centre - eps
        work[i] = hi
        f_hi = f(work)
        work[i] = lo
        f_lo = f(work)
        work[i] = centre
        out[i] = (f_hi - f_lo) / (hi - lo)
    return out
"""

NUMERICAL_GRADIENT = Exercise(
    cell="numerical_gradient",
    mistakes={
        "forward_difference": Mistake(NG_FORWARD, "this is the forward difference"),
        "divide_by_eps": Mistake(NG_DIVIDE_BY_EPS, "divide by 2ε, not by ε"),
        "copy_never_restored": Mistake(
            NG_NEVER_RESTORED, "put every perturbed entry back to its old value"
        ),
        "in_place_drift": Mistake(NG_IN_PLACE_DRIFT, "changed its input `x` in place"),
        "backward_difference": Mistake(NG_BACKWARD, "this is the backward difference"),
        "default_step": Mistake(NG_DEFAULT_STEP, "the default step should be eps=1e-6"),
    },
    alternatives={
        "step_vector": NG_STEP_VECTOR,
        "in_place_restored": NG_IN_PLACE_RESTORED,
        "actual_step_nditer": NG_ACTUAL_STEP,
    },
)

# --- rel_error ------------------------------------------------------------------------------
# relative to b only: not symmetric (the pipeline's and the adversarial corpus's wrong answer)
RE_B_ONLY = """
def rel_error(a, b, floor=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), floor)))
"""

# the CS231n notes' definition: symmetric too, but not the formula asked for
RE_MAX_OF_MAGNITUDES = """
def rel_error(a, b, floor=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)))
"""

RE_FLOOR_ADDED = """
def rel_error(a, b, floor=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b) + floor)))
"""

RE_MEAN = """
def rel_error(a, b, floor=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.mean(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)))
"""

RE_NO_ABS = """
def rel_error(a, b, floor=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max((a - b) / np.maximum(np.abs(a) + np.abs(b), floor)))
"""

RE_NO_FLOOR = """
def rel_error(a, b, floor=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))
"""

RE_FLOOR_IGNORED = """
def rel_error(a, b, floor=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))
"""

RE_ABS_OF_SUM = """
def rel_error(a, b, floor=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a + b), floor)))
"""

RE_MEAN_OF_MAGNITUDES = """
def rel_error(a, b, floor=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum((np.abs(a) + np.abs(b)) / 2, floor)))
"""

RE_GLOBAL = """
def rel_error(a, b, floor=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), floor))
"""

RE_IN_PLACE = """
def rel_error(a, b, floor=1e-8):
    a, b = np.asarray(a), np.asarray(b)
    den = np.maximum(np.abs(a) + np.abs(b), floor)
    a -= b  # changes the caller's array
    return float(np.max(np.abs(a) / den))
"""

RE_WHERE = """
def rel_error(a, b, floor=1e-8):
    a = np.array(a, dtype=np.float64)
    b = np.array(b, dtype=np.float64)
    den = np.abs(a) + np.abs(b)
    den = np.where(den < floor, floor, den)
    return (np.abs(b - a) / den).max().item()
"""

RE_CLIP = """
def rel_error(a, b, floor=1e-8):
    diff = np.abs(np.subtract(a, b))
    size = np.clip(np.add(np.abs(a), np.abs(b)), floor, None)
    return float(np.amax(diff / size))
"""

# a plain Python loop over the entries
RE_LOOP = """
import math

def rel_error(a, b, floor=1e-8):
    worst = 0.0
    for p, q in zip(np.ravel(a).tolist(), np.ravel(b).tolist()):
        worst = max(worst, math.fabs(p - q) / max(math.fabs(p) + math.fabs(q), floor))
    return worst
"""

# correct; 0/0 warns before the floor is applied (warnings must not cost points)
RE_WARNS = """
def rel_error(a, b, floor=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(all="warn"):
        ratio = np.abs(a - b) / (np.abs(a) + np.abs(b))
    ratio = np.where(np.abs(a) + np.abs(b) < floor, np.abs(a - b) / floor, ratio)
    return float(np.max(ratio))
"""

REL_ERROR = Exercise(
    cell="rel_error",
    mistakes={
        "b_only": Mistake(RE_B_ONLY, "not by |b| alone"),
        "max_of_magnitudes": Mistake(RE_MAX_OF_MAGNITUDES, "not by max(|a|, |b|)"),
        "floor_added": Mistake(RE_FLOOR_ADDED, "do not add it"),
        "mean": Mistake(RE_MEAN, "not the mean"),
        "no_abs": Mistake(RE_NO_ABS, "take the absolute value |a - b|"),
        "no_floor": Mistake(RE_NO_FLOOR, "the floor must keep the denominator away from 0"),
        "floor_ignored": Mistake(RE_FLOOR_IGNORED, "use the `floor` argument"),
        "abs_of_sum": Mistake(RE_ABS_OF_SUM, "not |a + b|"),
        "mean_of_magnitudes": Mistake(RE_MEAN_OF_MAGNITUDES, "not by their mean"),
        "global_ratio": Mistake(RE_GLOBAL, "take the ratio entry by entry"),
        "in_place": Mistake(RE_IN_PLACE, "changed its input `a` in place"),
    },
    alternatives={
        "where": RE_WHERE,
        "clip": RE_CLIP,
        "python_loop": RE_LOOP,
        "warns": RE_WARNS,
    },
)


# --- linear_backward ------------------------------------------------------------------------
def _lb(
    dx: str = "dout @ W.T", dW: str = "x.T @ dout", db: str = "dout.sum(axis=0)", pre: str = ""
):
    return (
        f"def linear_backward(dout, x, W):\n{pre}"
        f"    dx = {dx}\n    dW = {dW}\n    db = {db}\n    return dx, dW, db\n"
    )


# the review's case: right formulas, float32 inputs come back as float64
LB_CAST = _lb(
    pre="    dout, x, W = (np.asarray(a, dtype=float) for a in (dout, x, W))\n",
)

# float64 accumulators in a loop over the batch
LB_FLOAT64_LOOP = """
def linear_backward(dout, x, W):
    dx = dout @ W.T
    dW = np.zeros(W.shape)
    db = np.zeros(W.shape[1])
    for n in range(x.shape[0]):
        dW += np.outer(x[n], dout[n])
        db += dout[n]
    return dx, dW, db
"""

LB_EINSUM = """
def linear_backward(dout, x, W):
    return (
        np.einsum("no,io->ni", dout, W),
        np.einsum("ni,no->io", x, dout),
        np.einsum("no->o", dout),
    )
"""

# outer products over the batch, accumulated in the inputs' dtype
LB_LOOP = """
def linear_backward(dout, x, W):
    dW = np.zeros_like(W)
    db = np.zeros(W.shape[1], dtype=W.dtype)
    for x_n, d_n in zip(x, dout):
        dW += np.outer(x_n, d_n)
        db += d_n
    dx = np.stack([W @ d_n for d_n in dout])
    return dx, dW, db
"""

LINEAR_BACKWARD = Exercise(
    cell="linear_backward",
    mistakes={
        "dW_transposed": Mistake(_lb(dW="dout.T @ x"), "dW must have the shape of W"),
        "dx_transposed": Mistake(_lb(dx="W @ dout.T"), "dx must have the shape of x"),
        "db_unsummed": Mistake(_lb(db="dout"), "db must have the shape of b"),
        "db_mean": Mistake(_lb(db="dout.mean(axis=0)"), "not the mean"),
        "db_keepdims": Mistake(_lb(db="dout.sum(axis=0, keepdims=True)"), "no keepdims"),
        "db_wrong_axis": Mistake(_lb(db="dout.sum(axis=1)"), "over the batch axis (axis=0)"),
        "divided_by_batch": Mistake(
            _lb(dW="x.T @ dout / len(x)", db="dout.sum(axis=0) / len(x)"),
            "no division by the batch size",
        ),
        "cast_to_float64": Mistake(LB_CAST, "keep the dtype of the inputs"),
        "float64_accumulators": Mistake(LB_FLOAT64_LOOP, "has dtype float64, expected float32"),
    },
    alternatives={
        "np_dot": _lb(dx="np.dot(dout, W.T)", dW="np.dot(x.T, dout)", db="np.sum(dout, axis=0)"),
        "einsum": LB_EINSUM,
        "ones_vector": _lb(
            dx="np.matmul(dout, W.swapaxes(0, 1))",
            dW="np.matmul(x.swapaxes(0, 1), dout)",
            db="np.ones(len(dout), dtype=dout.dtype) @ dout",
        ),
        "batch_loop": LB_LOOP,
        "asarray_keeps_dtype": _lb(pre="    dout, x, W = map(np.asarray, (dout, x, W))\n"),
    },
)

EXERCISES = [NUMERICAL_GRADIENT, REL_ERROR, LINEAR_BACKWARD]


# --- More variants: other evaluation orders, float32 and extreme inputs (alternatives);
# off-by-one, missing factor, sign and dtype slips caught with their case or hint (mistakes).
_MORE_MISTAKES = {
    "numerical_gradient": {
        "rows_only_1d_loop": Mistake(
            "def numerical_gradient(f, x, eps=1e-6):\n    x = np.array(x, dtype=np.float64)\n    grad = np.zeros_like(x)\n    for i in range(len(x)):\n        old = x[i].copy()\n        x[i] = old + eps\n        fp = f(x)\n        x[i] = old - eps\n        fm = f(x)\n        x[i] = old\n        grad[i] = (fp - fm) / (2 * eps)\n    return grad\n",
            "case: numerical_gradient(",
        ),
        "float32_result": Mistake(
            "def numerical_gradient(f, x, eps=1e-6):\n    x = np.array(x, dtype=np.float64)\n    grad = np.zeros(x.shape, dtype=np.float32)\n    for i in np.ndindex(x.shape):\n        old = x[i]\n        x[i] = old + eps; fp = f(x)\n        x[i] = old - eps; fm = f(x)\n        x[i] = old\n        grad[i] = (fp - fm) / (2 * eps)\n    return grad\n",
            "float32",
        ),
    },
    "rel_error": {
        "abs_difference_of_abs": Mistake(
            "def rel_error(a, b, floor=1e-8):\n    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)\n    return float(np.max(np.abs(np.abs(a) - np.abs(b)) / np.maximum(np.abs(a) + np.abs(b), floor)))\n",
            "case: rel_error(",
        ),
        "minimum_not_maximum": Mistake(
            "def rel_error(a, b, floor=1e-8):\n    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)\n    return float(np.max(np.abs(a - b) / np.minimum(np.abs(a) + np.abs(b), floor)))\n",
            "case: rel_error(",
        ),
        "keepdims_array": Mistake(
            "def rel_error(a, b, floor=1e-8):\n    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)\n    return np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor), keepdims=True)\n",
            "case: rel_error(",
        ),
    },
    "linear_backward": {
        "no_transpose_dx": Mistake(
            "def linear_backward(dout, x, W):\n    return dout @ W, x.T @ dout, dout.sum(axis=0)\n",
            "ValueError",
        ),
        "db_float64_only": Mistake(
            "def linear_backward(dout, x, W):\n    return dout @ W.T, x.T @ dout, dout.sum(axis=0, dtype=np.float64)\n",
            "dtype",
        ),
        "dW_from_dx": Mistake(
            "def linear_backward(dout, x, W):\n    dx = dout @ W.T\n    return dx, dx.T @ dout, dout.sum(axis=0)\n",
            "case: linear_backward(",
        ),
    },
}
_MORE_ALTERNATIVES = {
    "numerical_gradient": {
        "flat_unravel_scaled": "def numerical_gradient(f, x, eps=1e-6):\n    base = np.array(x, dtype=np.float64)\n    grad = np.empty(base.shape)\n    for k in range(base.size):\n        i = np.unravel_index(k, base.shape)\n        xp, xm = base.copy(), base.copy()\n        xp[i] += eps\n        xm[i] -= eps\n        grad[i] = f(xp) * (0.5 / eps) - f(xm) * (0.5 / eps)\n    return grad\n",
        "halves_first": 'def numerical_gradient(f, x, eps=1e-6):\n    x = x.copy()\n    g = np.zeros(x.shape, dtype=np.float64)\n    it = np.nditer(x, flags=["multi_index"])\n    for _ in it:\n        i = it.multi_index\n        v = x[i]\n        x[i] = v + eps; a = f(x)\n        x[i] = v - eps; b = f(x)\n        x[i] = v\n        g[i] = (a / 2 - b / 2) / eps\n    return g\n',
    },
    "rel_error": {
        "reciprocal_inf_norm": "def rel_error(a, b, floor=1e-8):\n    a = np.asarray(a, dtype=float); b = np.asarray(b, dtype=float)\n    den = np.fmax(np.abs(b) + np.abs(a), floor)\n    r = np.abs(np.subtract(b, a)) * (1.0 / den)\n    return float(np.linalg.norm(r.ravel(), np.inf))\n",
        "python_scalars_generator": "def rel_error(a, b, floor=1e-8):\n    a = np.atleast_1d(a).ravel().tolist(); b = np.atleast_1d(b).ravel().tolist()\n    return max(abs(p - q) / max(abs(p) + abs(q), floor) for p, q in zip(a, b))\n",
    },
    "linear_backward": {
        "tensordot_outer_sum": "def linear_backward(dout, x, W):\n    dx = np.tensordot(dout, W, axes=([1], [1]))\n    dW = sum(np.outer(x[n], dout[n]) for n in range(x.shape[0]))\n    db = np.add.reduce(dout, axis=0)\n    return dx, dW, db\n",
        "reversed_batch_loop_f32": "def linear_backward(dout, x, W):\n    dW = np.zeros_like(W)\n    db = np.zeros(dout.shape[1], dtype=dout.dtype)\n    for n in reversed(range(len(x))):\n        dW += x[n][:, None] * dout[n][None, :]\n        db += dout[n]\n    return (W @ dout.T).T, dW, db\n",
    },
}
for _ex in EXERCISES:
    for _name in (
        _MORE_MISTAKES.get(_ex.cell, {}).keys() | _MORE_ALTERNATIVES.get(_ex.cell, {}).keys()
    ):
        assert _name not in _ex.mistakes and _name not in _ex.alternatives, _name
    _ex.mistakes.update(_MORE_MISTAKES.get(_ex.cell, {}))
    _ex.alternatives.update(_MORE_ALTERNATIVES.get(_ex.cell, {}))


# --- softmax_cross_entropy ------------------------------------------------------------------
def _sce(loss: str = "-np.mean(log_p[rows, y])", ds: str = "dscores / N", pre: str = ""):
    return (
        "def softmax_cross_entropy(scores, y):\n"
        "    N = scores.shape[0]\n"
        f"{pre}"
        "    z = scores - scores.max(axis=1, keepdims=True)\n"
        "    log_p = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))\n"
        "    rows = np.arange(N)\n"
        f"    loss = {loss}\n"
        "    dscores = np.exp(log_p)\n"
        "    dscores[rows, y] -= 1.0\n"
        f"    return float(loss), {ds}\n"
    )


# the textbook formula, straight: exp of the raw scores overflows at 1000
SCE_NO_SHIFT = """
def softmax_cross_entropy(scores, y):
    N = scores.shape[0]
    e = np.exp(scores)
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(N), y]))
    dscores = p.copy()
    dscores[np.arange(N), y] -= 1
    return float(loss), dscores / N
"""

# shifted, but the log of a probability that underflowed to 0
SCE_LOG_OF_P = """
def softmax_cross_entropy(scores, y):
    N = scores.shape[0]
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(N), y]))
    dscores = p.copy()
    dscores[np.arange(N), y] -= 1
    return float(loss), dscores / N
"""

SCE_NO_ONEHOT = """
def softmax_cross_entropy(scores, y):
    N = scores.shape[0]
    z = scores - scores.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -np.mean(log_p[np.arange(N), y])
    return float(loss), np.exp(log_p) / N
"""

# log_p[:, y] picks every label for every row: an N x N block, whose mean is the wrong loss
SCE_FANCY_INDEX = _sce(loss="-np.mean(log_p[:, y])")

SCE_LOGADDEXP = """
def softmax_cross_entropy(scores, y):
    lse = np.logaddexp.reduce(scores, axis=1)
    rows = np.arange(len(y))
    loss = np.mean(lse - scores[rows, y])
    onehot = np.eye(scores.shape[1])[y]
    return float(loss), (np.exp(scores - lse[:, None]) - onehot) / len(y)
"""

SCE_ROW_LOOP = """
import math

def softmax_cross_entropy(scores, y):
    N, C = scores.shape
    total, dscores = 0.0, np.zeros(scores.shape)
    for n in range(N):
        row = scores[n].tolist()
        top = max(row)
        lse = top + math.log(sum(math.exp(s - top) for s in row))
        total += lse - row[int(y[n])]
        for c in range(C):
            dscores[n, c] = (math.exp(row[c] - lse) - (c == y[n])) / N
    return total / N, dscores
"""

SCE_TAKE_ALONG = """
def softmax_cross_entropy(scores, y):
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    picked = np.take_along_axis(shifted, y[:, None], axis=1)[:, 0]
    p = np.exp(shifted - log_norm[:, None])
    p[np.arange(len(y)), y] -= 1
    return float(np.sum(log_norm - picked) / len(y)), p / len(y)
"""

SOFTMAX_CROSS_ENTROPY = Exercise(
    cell="softmax_cross_entropy",
    mistakes={
        "not_divided_by_N": Mistake(_sce(ds="dscores"), "divide it by N"),
        "no_onehot": Mistake(SCE_NO_ONEHOT, "differentiate the -s[n, y[n]] term too"),
        "sum_not_mean": Mistake(
            _sce(loss="-np.sum(log_p[rows, y])"), "the loss is the mean over the batch"
        ),
        "no_shift": Mistake(SCE_NO_SHIFT, "exp(1000) overflows to inf"),
        "log_of_p": Mistake(SCE_LOG_OF_P, "log 0 = -inf"),
        "sign_flipped": Mistake(_sce(ds="-dscores / N"), "dscores has the wrong sign"),
        "fancy_index": Mistake(SCE_FANCY_INDEX, "does not match centred differences"),
    },
    alternatives={
        "logaddexp_onehot": SCE_LOGADDEXP,
        "python_row_loop": SCE_ROW_LOOP,
        "take_along_axis": SCE_TAKE_ALONG,
    },
)


# --- mlp_loss_and_grads ---------------------------------------------------------------------
def _mlp(
    backward_act: str = "dout * f_grad(pre[l - 1])",
    last: str = "a = f(h) if l < L else h",
    dW: str = "",
    bias: str = 'grads[f"b{l}"] = db',
):
    return (
        'def mlp_loss_and_grads(params, x, y, activation="tanh"):\n'
        '    f, f_grad = {"tanh": (F.tanh, F.tanh_grad), "relu": (F.relu, F.relu_grad),\n'
        '                 "sigmoid": (F.sigmoid, F.sigmoid_grad)}[activation]\n'
        "    L = len(params) // 2\n"
        "    a, inputs, pre, outs = x, [], [], []\n"
        "    for l in range(1, L + 1):\n"
        "        inputs.append(a)\n"
        '        h = a @ params[f"W{l}"] + params[f"b{l}"]\n'
        "        pre.append(h)\n"
        "        " + last + "\n"
        "        outs.append(a)\n"
        "    loss, dout = softmax_cross_entropy(a, y)\n"
        "    grads = {}\n"
        "    for l in range(L, 0, -1):\n"
        "        if l < L:\n"
        "            dout = " + backward_act + "\n"
        "        dout, dW, db = linear_backward(dout, inputs[l - 1], params[f'W{l}'])\n"
        "        grads[f'W{l}'] = dW" + dW + "\n"
        "        " + bias + "\n"
        "    return loss, grads\n"
    )


MLP_INLINE = """
def mlp_loss_and_grads(params, x, y, activation="tanh"):
    L = len(params) // 2
    acts = [x]
    for l in range(1, L + 1):
        h = acts[-1] @ params["W%d" % l] + params["b%d" % l]
        if l < L:
            if activation == "tanh":
                h = np.tanh(h)
            elif activation == "sigmoid":
                h = 1 / (1 + np.exp(-h))
            else:
                h = np.maximum(h, 0)
        acts.append(h)
    s = acts[-1]
    z = s - s.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    N = len(y)
    loss = -log_p[np.arange(N), y].mean()
    delta = np.exp(log_p)
    delta[np.arange(N), y] -= 1
    delta /= N
    grads = {}
    for l in range(L, 0, -1):
        a_in = acts[l - 1]
        grads["W%d" % l] = a_in.T @ delta
        grads["b%d" % l] = delta.sum(axis=0)
        if l > 1:
            delta = delta @ params["W%d" % l].T
            if activation == "tanh":
                delta = delta * (1 - a_in**2)
            elif activation == "sigmoid":
                delta = delta * a_in * (1 - a_in)
            else:
                delta = delta * (a_in > 0)
    return float(loss), grads
"""

MLP_RECURSIVE = """
def mlp_loss_and_grads(params, x, y, activation="tanh"):
    f, f_grad = F.get(activation)
    L = len(params) // 2
    grads = {}

    def through(l, a):
        # the loss from layer l on, and the gradient w.r.t. this layer's input a
        h = np.dot(a, params[f"W{l}"]) + params[f"b{l}"]
        if l == L:
            loss, dh = softmax_cross_entropy(h, y)
        else:
            loss, da_next = through(l + 1, f(h))
            dh = da_next * f_grad(h)
        grads[f"W{l}"] = np.dot(a.T, dh)
        grads[f"b{l}"] = np.sum(dh, axis=0)
        return loss, np.dot(dh, params[f"W{l}"].T)

    loss, _ = through(1, x)
    return loss, {k: grads[k] for k in params}
"""

MLP_CACHES = """
def mlp_loss_and_grads(params, x, y, activation="tanh"):
    f, f_grad = F.get(activation)
    names = [(f"W{l}", f"b{l}") for l in range(1, len(params) // 2 + 1)]
    caches, a = [], x
    for k, (wn, bn) in enumerate(names):
        h = a @ params[wn] + params[bn]
        caches.append((a, h))
        a = h if k == len(names) - 1 else f(h)
    loss, g = softmax_cross_entropy(a, y)
    grads = {}
    for k in reversed(range(len(names))):
        a_in, h = caches[k]
        if k < len(names) - 1:
            g = g * f_grad(h)
        g, grads[names[k][0]], grads[names[k][1]] = linear_backward(g, a_in, params[names[k][0]])
    return loss, grads
"""

MLP_LOSS_AND_GRADS = Exercise(
    cell="mlp_loss_and_grads",
    isolated=True,  # it calls the learner's softmax_cross_entropy and linear_backward
    mistakes={
        "no_activation_derivative": Mistake(
            _mlp(backward_act="dout"), "multiply by its derivative at the layer's input"
        ),
        "derivative_at_output": Mistake(
            _mlp(backward_act="dout * f_grad(outs[l - 1])"),
            "evaluate the derivative at the activation's input h",
        ),
        "activation_on_scores": Mistake(_mlp(last="a = f(h)"), "the last layer has no activation"),
        "divided_by_N_twice": Mistake(_mlp(dW=" / len(x)"), "does not match centred differences"),
        "weights_only": Mistake(
            _mlp(bias="pass"), "grads should be a dict with the keys of params"
        ),
    },
    alternatives={
        "inline_no_helpers": MLP_INLINE,
        "recursive": MLP_RECURSIVE,
        "caches_and_F_get": MLP_CACHES,
    },
)


# --- bug_location ---------------------------------------------------------------------------
BUG_LOCATION = Exercise(
    cell="bug_location",
    mistakes={
        "first_layer": Mistake('BUG_LAYER = 1\nBUG_PARAM = "W"\n', "is not the wrong gradient"),
        "bias": Mistake('BUG_LAYER = 2\nBUG_PARAM = "b"\n', "is not the wrong gradient"),
        "counted_from_the_output": Mistake(
            'BUG_LAYER = 3\nBUG_PARAM = "W"\n', "is not the wrong gradient"
        ),
        "layer_as_string": Mistake(
            'BUG_LAYER = "2"\nBUG_PARAM = "W"\n', "BUG_LAYER should be the layer as an integer"
        ),
        "param_with_number": Mistake(
            'BUG_LAYER = 2\nBUG_PARAM = "W2"\n', "BUG_PARAM should be the one-letter string"
        ),
    },
    alternatives={
        "tuple": "BUG_LAYER, BUG_PARAM = 2, 'W'\n",
        "from_the_check": (
            "_, suspect = buggy_mlp_loss_and_grads(net3, x3, y3)\n"
            "errors = {}\n"
            "for name, value in net3.items():\n"
            "    numeric = numerical_gradient(\n"
            "        lambda v, name=name: buggy_mlp_loss_and_grads({**net3, name: v}, x3, y3)[0],"
            " value)\n"
            "    errors[name] = rel_error(suspect[name], numeric)\n"
            "    print(name, errors[name])\n"
            "worst = max(errors, key=errors.get)\n"
            "BUG_LAYER, BUG_PARAM = int(worst[1:]), worst[0]\n"
        ),
        "numpy_integer": "BUG_PARAM = str('W')\nBUG_LAYER = np.int64(4) // 2\n",
    },
)


# --- fixed_mlp_loss_and_grads ---------------------------------------------------------------
def _fixed(
    dW2: str = "a1.T @ dh2",
    db2: str = "dh2.sum(axis=0)",
    ds_scale: str = "ds /= N",
    act2: str = "(1 - a2**2)",
    loss: str = "-np.mean(log_p[np.arange(N), y])",
):
    return (
        "def fixed_mlp_loss_and_grads(params, x, y):\n"
        "    N = x.shape[0]\n"
        '    W1, b1, W2, b2, W3, b3 = (params[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))\n'
        "    a1 = np.tanh(x @ W1 + b1)\n"
        "    a2 = np.tanh(a1 @ W2 + b2)\n"
        "    s = a2 @ W3 + b3\n"
        "    z = s - s.max(axis=1, keepdims=True)\n"
        "    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))\n"
        f"    loss = {loss}\n"
        "    ds = np.exp(log_p)\n"
        "    ds[np.arange(N), y] -= 1\n"
        f"    {ds_scale}\n"
        "    dW3, db3 = a2.T @ ds, ds.sum(axis=0)\n"
        f"    dh2 = (ds @ W3.T) * {act2}\n"
        f"    dW2, db2 = {dW2}, {db2}\n"
        "    dh1 = (dh2 @ W2.T) * (1 - a1**2)\n"
        "    dW1, db1 = x.T @ dh1, dh1.sum(axis=0)\n"
        '    return float(loss), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "W3": dW3, "b3": db3}\n'
    )


FIXED_EINSUM = """
def fixed_mlp_loss_and_grads(params, x, y):
    h1 = x @ params["W1"] + params["b1"]
    a1 = np.tanh(h1)
    h2 = a1 @ params["W2"] + params["b2"]
    a2 = np.tanh(h2)
    loss, ds = softmax_cross_entropy(a2 @ params["W3"] + params["b3"], y)
    grads = {"W3": np.einsum("ni,nj->ij", a2, ds), "b3": np.einsum("nj->j", ds)}
    dh2 = np.einsum("nj,ij->ni", ds, params["W3"]) * F.tanh_grad(h2)
    grads["W2"], grads["b2"] = np.einsum("ni,nj->ij", a1, dh2), dh2.sum(axis=0)
    dh1 = (dh2 @ params["W2"].T) * F.tanh_grad(h1)
    grads["W1"], grads["b1"] = x.T @ dh1, dh1.sum(axis=0)
    return loss, grads
"""

FIXED_MLP_LOSS_AND_GRADS = Exercise(
    cell="fixed_mlp_loss_and_grads",
    mistakes={
        "left_as_it_was": Mistake(
            _fixed(dW2="a1.T @ dh2 / N"), "does not match centred differences"
        ),
        "removed_the_wrong_division": Mistake(
            _fixed(dW2="a1.T @ dh2 / N", ds_scale="pass"), "does not match centred differences"
        ),
        "db2_divided_too": Mistake(
            _fixed(db2="dh2.sum(axis=0) / N"), "grads['b2'] does not match centred differences"
        ),
        "tanh_grad_of_the_output": Mistake(
            _fixed(act2="F.tanh_grad(a2)"), "does not match centred differences"
        ),
        "sum_not_mean": Mistake(
            _fixed(loss="-np.sum(log_p[np.arange(N), y])"), "fixed_mlp_loss_and_grads: loss is"
        ),
    },
    alternatives={
        "own_mlp": (
            "def fixed_mlp_loss_and_grads(params, x, y):\n"
            '    return mlp_loss_and_grads(params, x, y, "tanh")\n'
        ),
        "rescale_the_buggy_one": (
            "def fixed_mlp_loss_and_grads(params, x, y):\n"
            "    loss, grads = buggy_mlp_loss_and_grads(params, x, y)\n"
            '    return loss, {**grads, "W2": grads["W2"] * x.shape[0]}\n'
        ),
        "einsum_and_own_loss": FIXED_EINSUM,
    },
)

EXERCISES += [SOFTMAX_CROSS_ENTROPY, MLP_LOSS_AND_GRADS, BUG_LOCATION, FIXED_MLP_LOSS_AND_GRADS]
