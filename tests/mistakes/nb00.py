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

EXERCISES = [NUMERICAL_GRADIENT]
