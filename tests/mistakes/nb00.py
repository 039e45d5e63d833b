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
