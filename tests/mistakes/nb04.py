"""Mistake corpus for notebook 04 (ReLU family): see ``_corpus.py`` for the format."""

from _corpus import Exercise, Mistake

ASSIGNMENT = "04_relu_family"

# ---------------------------------------------------------------------------------------------
# relu_grads: relu_grad and leaky_relu_grad share one answer cell
# ---------------------------------------------------------------------------------------------
RELU_OK = """
def relu_grad(x):
    x = np.asarray(x)
    return (x > 0).astype(x.dtype)
"""
LEAKY_OK = """
def leaky_relu_grad(x, alpha=0.01):
    x = np.asarray(x)
    return np.where(x > 0, 1.0, alpha).astype(x.dtype)
"""


def relu_cell(relu: str = RELU_OK, leaky: str = LEAKY_OK) -> str:
    return relu.strip() + "\n\n\n" + leaky.strip() + "\n"


RELU_GRADS = Exercise(
    cell="relu_grads",
    mistakes={
        "kink_taken_as_one": Mistake(
            code=relu_cell(
                relu="""
def relu_grad(x):
    return (x >= 0).astype(x.dtype)
"""
            ),
            message="use x > 0, not x >= 0",
        ),
        "returned_relu_itself": Mistake(
            code=relu_cell(
                relu="""
def relu_grad(x):
    return np.maximum(x, 0)
"""
            ),
            message="you returned relu(x)",
        ),
        "returned_booleans": Mistake(
            code=relu_cell(
                relu="""
def relu_grad(x):
    return x > 0
"""
            ),
            message="has dtype bool, expected float64",
        ),
        "leaky_where_of_python_floats_is_float64": Mistake(
            code=relu_cell(
                leaky="""
def leaky_relu_grad(x, alpha=0.01):
    return np.where(x > 0, 1.0, alpha)
"""
            ),
            message="has dtype float64, expected float32",
        ),
        "leaky_ignores_alpha": Mistake(
            code=relu_cell(
                leaky="""
def leaky_relu_grad(x, alpha=0.01):
    return np.where(x > 0, 1.0, 0.01).astype(x.dtype)
"""
            ),
            message="use the alpha you were given",
        ),
        "leaky_kink_taken_as_one": Mistake(
            code=relu_cell(
                leaky="""
def leaky_relu_grad(x, alpha=0.01):
    return np.where(x >= 0, 1.0, alpha).astype(x.dtype)
"""
            ),
            message="at x = 0 the derivative is alpha",
        ),
        "leaky_returns_the_function": Mistake(
            code=relu_cell(
                leaky="""
def leaky_relu_grad(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x)
"""
            ),
            message="you returned the leaky ReLU itself",
        ),
        "overwrites_x_in_place": Mistake(
            code=relu_cell(
                relu="""
def relu_grad(x):
    g = x              # not a copy: g and x are the same array
    g[g > 0] = 1.0
    g[g <= 0] = 0.0
    return g
"""
            ),
            message="changed its input `x` in place",
        ),
    },
    alternatives={
        "heaviside_and_full_like": relu_cell(
            relu="""
def relu_grad(x):
    return np.heaviside(x, 0.0)     # 0.0 is a Python float: the dtype of x is kept
""",
            leaky="""
def leaky_relu_grad(x, alpha=0.01):
    g = np.full_like(x, alpha)
    g[x > 0] = 1
    return g
""",
        ),
        "typed_scalars_times_mask": relu_cell(
            relu="""
def relu_grad(x):
    one = x.dtype.type(1)
    return one * (x > 0)
""",
            leaky="""
def leaky_relu_grad(x, alpha=0.01):
    a = x.dtype.type(alpha)
    return (x > 0) * (1 - a) + a
""",
        ),
        "relu_as_leaky_with_zero_slope": relu_cell(
            relu="""
def relu_grad(x):
    return leaky_relu_grad(x, alpha=0.0)
""",
            leaky="""
def leaky_relu_grad(x, alpha=0.01):
    x = np.asarray(x)
    out = np.ones(x.shape, dtype=x.dtype)
    out[~(x > 0)] = alpha
    return out
""",
        ),
        "where_with_like_arrays": relu_cell(
            relu="""
def relu_grad(x):
    return np.where(x > 0, np.ones_like(x), np.zeros_like(x))
""",
            leaky="""
def leaky_relu_grad(x, alpha=0.01):
    return np.where(x > 0, np.ones_like(x), alpha * np.ones_like(x))
""",
        ),
    },
)


# ---------------------------------------------------------------------------------------------
# elu_and_grad
# ---------------------------------------------------------------------------------------------
ELU_OK = """
def elu(x, alpha=1.0):
    x = np.asarray(x)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype)
"""
ELU_GRAD_OK = """
def elu_grad(x, alpha=1.0):
    x = np.asarray(x)
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype)
"""


def elu_cell(f: str = ELU_OK, grad: str = ELU_GRAD_OK) -> str:
    return f.strip() + "\n\n\n" + grad.strip() + "\n"


ELU_AND_GRAD = Exercise(
    cell="elu_and_grad",
    mistakes={
        "forgot_minus_one": Mistake(
            code=elu_cell(
                f="""
def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0)))
"""
            ),
            message="alpha * (exp(x) - 1): subtract 1",
        ),
        "ignores_alpha": Mistake(
            code=elu_cell(
                f="""
def elu(x, alpha=1.0):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))
"""
            ),
            message="multiply by alpha",
        ),
        "mask_times_overflowing_exp": Mistake(
            code=elu_cell(
                f="""
def elu(x, alpha=1.0):
    return x * (x > 0) + alpha * (np.exp(x) - 1) * (x <= 0)   # inf * 0 = nan at x = 1000
"""
            ),
            message="non-finite value(s)",
        ),
        "grad_returns_elu": Mistake(
            code=elu_cell(
                grad="""
def elu_grad(x, alpha=1.0):
    return elu(x, alpha)
"""
            ),
            message="you returned elu(x)",
        ),
        "grad_keeps_the_minus_one": Mistake(
            code=elu_cell(
                grad="""
def elu_grad(x, alpha=1.0):
    return np.where(x > 0, 1.0, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype)
"""
            ),
            message="the -1 goes",
        ),
        "grad_kink_on_the_right_branch": Mistake(
            code=elu_cell(
                grad="""
def elu_grad(x, alpha=1.0):
    return np.where(x >= 0, 1.0, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype)
"""
            ),
            message="at x = 0 use the x <= 0 branch",
        ),
        "converts_to_float64": Mistake(
            code=elu_cell(
                f="""
def elu(x, alpha=1.0):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
"""
            ),
            message="has dtype float64, expected float32",
        ),
        "clips_x_in_place": Mistake(
            code=elu_cell(
                f="""
def elu(x, alpha=1.0):
    pos = np.maximum(x, 0)
    neg = np.minimum(x, 0, out=x)    # out=x writes into the caller's array
    return pos + alpha * np.expm1(neg)
"""
            ),
            message="changed its input `x` in place",
        ),
    },
    alternatives={
        "naive_where_with_overflow_warnings": elu_cell(
            f="""
def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))
""",
            grad="""
def elu_grad(x, alpha=1.0):
    return np.where(x > 0, 1.0, alpha * np.exp(x))
""",
        ),
        "grad_as_elu_plus_alpha": elu_cell(
            grad="""
def elu_grad(x, alpha=1.0):
    return np.where(x > 0, 1.0, elu(x, alpha) + alpha)   # alpha e^x = alpha (e^x - 1) + alpha
"""
        ),
        "max_plus_min_parts": elu_cell(
            f="""
def elu(x, alpha=1.0):
    return np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0))
""",
            grad="""
def elu_grad(x, alpha=1.0):
    return np.where(x > 0, 1, alpha * np.exp(np.minimum(x, 0)))
""",
        ),
        "boolean_index_on_a_copy": elu_cell(
            f="""
def elu(x, alpha=1.0):
    out = x.copy()
    neg = x <= 0
    out[neg] = alpha * (np.exp(x[neg]) - 1)
    return out
""",
            grad="""
def elu_grad(x, alpha=1.0):
    out = np.ones_like(x)
    neg = x <= 0
    out[neg] = alpha * np.exp(x[neg])
    return out
""",
        ),
    },
)


# ---------------------------------------------------------------------------------------------
# gelu_and_grad (the cell keeps the constants GELU_C and GELU_K the release gives)
# ---------------------------------------------------------------------------------------------
GELU_HEAD = """
# Python floats (not numpy scalars), so that a float32 x stays float32 in arithmetic with them
GELU_C = float(np.sqrt(2.0 / np.pi))
GELU_K = 0.044715
"""
GELU_OK = """
def gelu(x):
    x = np.asarray(x)
    return 0.5 * x * (1 + np.tanh(GELU_C * (x + GELU_K * x**3)))
"""
GELU_GRAD_OK = """
def gelu_grad(x):
    x = np.asarray(x)
    t = np.tanh(GELU_C * (x + GELU_K * x**3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * GELU_K * x**2)
"""


def gelu_cell(f: str = GELU_OK, grad: str = GELU_GRAD_OK) -> str:
    return GELU_HEAD.strip() + "\n\n\n" + f.strip() + "\n\n\n" + grad.strip() + "\n"


GELU_AND_GRAD = Exercise(
    cell="gelu_and_grad",
    mistakes={
        "exact_gelu_with_erf": Mistake(
            code=gelu_cell(
                f="""
import math


def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))
"""
            ),
            message="that is the exact GELU",
        ),
        "numpy_constant_written_inline": Mistake(
            code=gelu_cell(
                f="""
def gelu(x):
    c = np.sqrt(2 / np.pi)      # a np.float64: float32 x becomes float64
    return 0.5 * x * (1 + np.tanh(c * (x + 0.044715 * x**3)))
""",
                grad="""
def gelu_grad(x):
    c = np.sqrt(2 / np.pi)
    t = np.tanh(c * (x + 0.044715 * x**3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * c * (1 + 3 * 0.044715 * x**2)
""",
            ),
            message="has dtype float64, expected float32",
        ),
        "left_out_the_factor_x": Mistake(
            code=gelu_cell(
                f="""
def gelu(x):
    return 0.5 * (1 + np.tanh(GELU_C * (x + GELU_K * x**3)))
"""
            ),
            message="you left out the factor x",
        ),
        "dropped_the_second_term": Mistake(
            code=gelu_cell(
                grad="""
def gelu_grad(x):
    return 0.5 * (1 + np.tanh(GELU_C * (x + GELU_K * x**3)))
"""
            ),
            message="you dropped the second term of the product rule",
        ),
        "inner_derivative_without_3kx2": Mistake(
            code=gelu_cell(
                grad="""
def gelu_grad(x):
    t = np.tanh(GELU_C * (x + GELU_K * x**3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C
"""
            ),
            message="do not forget the 3 k x²",
        ),
        "returned_gelu_itself": Mistake(
            code=gelu_cell(
                grad="""
def gelu_grad(x):
    return gelu(x)
"""
            ),
            message="you returned gelu(x), not its derivative",
        ),
        "sech2_from_an_overflowing_exp": Mistake(
            code=gelu_cell(
                grad="""
def gelu_grad(x):
    u = GELU_C * (x + GELU_K * x**3)
    e = np.exp(-2 * u)                      # inf for u = -4500: inf / inf = nan
    sech2 = 4 * e / (1 + e) ** 2
    return 0.5 * (1 + np.tanh(u)) + 0.5 * x * sech2 * GELU_C * (1 + 3 * GELU_K * x**2)
"""
            ),
            message="non-finite value(s)",
        ),
    },
    alternatives={
        "sigmoid_form": gelu_cell(
            f="""
def gelu(x):
    u = GELU_C * (x + GELU_K * x**3)
    return x / (1 + np.exp(-2 * u))         # 0.5 (1 + tanh u) = sigmoid(2u)
""",
            grad="""
def gelu_grad(x):
    u = GELU_C * (x + GELU_K * x**3)
    s = 1 / (1 + np.exp(-2 * u))
    return s + 2 * x * s * (1 - s) * GELU_C * (1 + 3 * GELU_K * x**2)
""",
        ),
        "sech_squared_from_cosh": gelu_cell(
            grad="""
def gelu_grad(x):
    u = GELU_C * (x + GELU_K * x**3)
    du = GELU_C * (1 + 3 * GELU_K * x * x)
    return 0.5 * (1 + np.tanh(u)) + 0.5 * x * du / np.cosh(u) ** 2
"""
        ),
        "math_constants_inline": gelu_cell(
            f="""
import math


def gelu(x):
    c = math.sqrt(2 / math.pi)              # a Python float: float32 stays float32
    return 0.5 * x * (1 + np.tanh(c * x * (1 + 0.044715 * x * x)))
""",
            grad="""
def gelu_grad(x):
    c = math.sqrt(2 / math.pi)
    t = np.tanh(c * x * (1 + 0.044715 * x * x))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t) * (1 + t) * c * (1 + 0.134145 * np.square(x))
""",
        ),
        "float_cast_of_the_numpy_constant": gelu_cell(
            f="""
def gelu(x):
    c = float(np.sqrt(2 / np.pi))
    inner = c * (x + 0.044715 * np.power(x, 3))
    return x * (0.5 + 0.5 * np.tanh(inner))
""",
        ),
    },
)


# ---------------------------------------------------------------------------------------------
# dead_fraction
# ---------------------------------------------------------------------------------------------
def dead_cell(body: str) -> str:
    return "def dead_fraction(h):\n" + body.strip("\n") + "\n"


DEAD_FRACTION = Exercise(
    cell="dead_fraction",
    mistakes={
        "count_not_fraction": Mistake(
            code=dead_cell("    return int(np.sum(np.all(h == 0, axis=0)))"),
            message="return the fraction of units, not their number",
        ),
        "zero_entries_not_units": Mistake(
            code=dead_cell("    return float(np.mean(h == 0))"),
            message="not single zero entries",
        ),
        "any_instead_of_all": Mistake(
            code=dead_cell("    return float(np.mean(np.any(h == 0, axis=0)))"),
            message="np.all, not np.any",
        ),
        "negative_counted_as_dead": Mistake(
            code=dead_cell("    return float(np.mean(np.all(h <= 0, axis=0)))"),
            message="use == 0, not <= 0",
        ),
        "max_equals_zero": Mistake(
            code=dead_cell("    return float(np.mean(h.max(axis=0) == 0))"),
            message="h.max(axis=0) == 0 also holds for a unit whose outputs are 0 or negative",
        ),
        "divided_by_the_examples": Mistake(
            code=dead_cell("    return np.sum(np.all(h == 0, axis=0)) / h.shape[0]"),
            message="not by the number of examples",
        ),
        "rows_instead_of_columns": Mistake(
            code=dead_cell("    return float(np.mean(np.all(h == 0, axis=1)))"),
            message="a unit is dead when its column is 0",
        ),
    },
    alternatives={
        "not_any": dead_cell("    return float(np.mean(~h.any(axis=0)))"),
        "count_nonzero_twice": dead_cell(
            "    return np.count_nonzero(np.count_nonzero(h, axis=0) == 0) / h.shape[1]"
        ),
        "largest_absolute_value_is_zero": dead_cell(
            "    return np.mean(np.abs(h).max(axis=0) == 0)"
        ),
        "loop_over_units": dead_cell(
            """
    n, d = h.shape
    dead = 0
    for j in range(d):
        if np.all(h[:, j] == 0):
            dead += 1
    return dead / d
"""
        ),
    },
)

EXERCISES = [RELU_GRADS, ELU_AND_GRAD, GELU_AND_GRAD, DEAD_FRACTION]


# --- More variants: other evaluation orders, float32 and extreme inputs (alternatives);
# off-by-one, missing factor, sign and dtype slips caught with their case or hint (mistakes).
_MORE_MISTAKES = {
    "relu_grads": {
        "leaky_kink_zero": Mistake(
            "def relu_grad(x):\n    return (x > 0).astype(x.dtype)\n\ndef leaky_relu_grad(x, alpha=0.01):\n    g = np.where(x > 0, 1.0, alpha)\n    g[x == 0] = 0.0\n    return g.astype(x.dtype)\n",
            "the leaky ReLU's derivative is alpha",
        ),
        "heaviside_half": Mistake(
            "def relu_grad(x):\n    return np.heaviside(x, 0.5).astype(x.dtype)\n\ndef leaky_relu_grad(x, alpha=0.01):\n    return np.where(x > 0, 1.0, alpha).astype(x.dtype)\n",
            "not 0.5",
        ),
        "leaky_uses_minus_alpha": Mistake(
            "def relu_grad(x):\n    return (x > 0).astype(x.dtype)\n\ndef leaky_relu_grad(x, alpha=0.01):\n    return np.where(x > 0, 1.0, -alpha).astype(x.dtype)\n",
            "case: leaky_relu_grad(",
        ),
    },
    "elu_and_grad": {
        "elu_grad_at_zero_is_one": Mistake(
            "def elu(x, alpha=1.0):\n    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype)\n\ndef elu_grad(x, alpha=1.0):\n    return np.where(x >= 0, 1.0, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype)\n",
            "at x = 0",
        ),
        "grad_alpha_inside_exp": Mistake(
            "def elu(x, alpha=1.0):\n    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype)\n\ndef elu_grad(x, alpha=1.0):\n    return np.where(x > 0, 1.0, np.exp(alpha * np.minimum(x, 0))).astype(x.dtype)\n",
            "case: elu_grad(",
        ),
    },
    "gelu_and_grad": {
        "k_not_cubed": Mistake(
            "GELU_C = float(np.sqrt(2.0 / np.pi))\nGELU_K = 0.044715\n\ndef gelu(x):\n    return 0.5 * x * (1 + np.tanh(GELU_C * (x + GELU_K * x ** 2)))\n\ndef gelu_grad(x):\n    t = np.tanh(GELU_C * (x + GELU_K * x ** 2))\n    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 2 * GELU_K * x)\n",
            "case: gelu(",
        ),
        "grad_half_missing": Mistake(
            "GELU_C = float(np.sqrt(2.0 / np.pi))\nGELU_K = 0.044715\n\ndef gelu(x):\n    return 0.5 * x * (1 + np.tanh(GELU_C * (x + GELU_K * x ** 3)))\n\ndef gelu_grad(x):\n    t = np.tanh(GELU_C * (x + GELU_K * x ** 3))\n    return 0.5 * (1 + t) + x * (1 - t * t) * GELU_C * (1 + 3 * GELU_K * x ** 2)\n",
            "case: gelu_grad(",
        ),
    },
    "dead_fraction": {
        "integer_division": Mistake(
            "def dead_fraction(h):\n    return float(np.sum(np.all(h == 0, axis=0)) // h.shape[1])\n",
            "case: dead_fraction(",
        ),
        "sum_equals_zero": Mistake(
            "def dead_fraction(h):\n    return float(np.mean(h.sum(axis=0) == 0))\n",
            "sum to 0 but are not 0",
        ),
    },
}
_MORE_ALTERNATIVES = {
    "relu_grads": {
        "heaviside_and_where_typed": "def relu_grad(x):\n    x = np.asarray(x)\n    return np.heaviside(x, np.zeros((), dtype=x.dtype)).astype(x.dtype, copy=False)\n\ndef leaky_relu_grad(x, alpha=0.01):\n    x = np.asarray(x)\n    one = np.ones_like(x)\n    return np.where(x > 0, one, one * alpha)\n",
        "sign_clip_and_mask_arithmetic": "def relu_grad(x):\n    return np.clip(np.sign(x), 0, 1)\n\ndef leaky_relu_grad(x, alpha=0.01):\n    m = (x > 0).astype(x.dtype)\n    return m + (1 - m) * x.dtype.type(alpha)\n",
    },
    "elu_and_grad": {
        "expm1_masked_and_grad_from_elu": "def elu(x, alpha=1.0):\n    neg = np.minimum(x, 0)\n    return np.maximum(x, 0) + alpha * np.expm1(neg)\n\ndef elu_grad(x, alpha=1.0):\n    return np.where(x > 0, np.ones_like(x), elu(x, alpha) + alpha)\n",
        "copy_then_boolean_index": "def elu(x, alpha=1.0):\n    out = np.array(x, copy=True)\n    m = out <= 0\n    out[m] = alpha * (np.exp(out[m]) - 1)\n    return out\n\ndef elu_grad(x, alpha=1.0):\n    out = np.ones_like(x)\n    m = x <= 0\n    out[m] = alpha * np.exp(x[m])\n    return out\n",
    },
    "gelu_and_grad": {
        "sigmoid_form_float32_safe": "GELU_C = float(np.sqrt(2.0 / np.pi))\nGELU_K = 0.044715\n\ndef gelu(x):\n    u = GELU_C * x * (1 + GELU_K * x * x)\n    return x * F.sigmoid(2 * u)\n\ndef gelu_grad(x):\n    u = GELU_C * x * (1 + GELU_K * x * x)\n    s = F.sigmoid(2 * u)\n    du = GELU_C * (1 + 3 * GELU_K * x * x)\n    return s + 2 * x * s * (1 - s) * du\n",
        "cosh_form": 'GELU_C = float(np.sqrt(2.0 / np.pi))\nGELU_K = 0.044715\n\ndef gelu(x):\n    return 0.5 * x + 0.5 * x * np.tanh(GELU_C * (x + GELU_K * x ** 3))\n\ndef gelu_grad(x):\n    u = GELU_C * (x + GELU_K * x ** 3)\n    with np.errstate(over="ignore"):\n        sech2 = 1 / np.cosh(u) ** 2\n    return 0.5 + 0.5 * np.tanh(u) + 0.5 * x * sech2 * GELU_C * (1 + 3 * GELU_K * x ** 2)\n',
    },
    "dead_fraction": {
        "count_over_shape": "def dead_fraction(h):\n    dead = 0\n    for j in range(h.shape[1]):\n        if not np.any(h[:, j]):\n            dead += 1\n    return dead / h.shape[1]\n",
        "abs_max": "def dead_fraction(h):\n    return float((np.abs(h).max(axis=0) == 0).mean())\n",
    },
}
for _ex in EXERCISES:
    for _name in (
        _MORE_MISTAKES.get(_ex.cell, {}).keys() | _MORE_ALTERNATIVES.get(_ex.cell, {}).keys()
    ):
        assert _name not in _ex.mistakes and _name not in _ex.alternatives, _name
    _ex.mistakes.update(_MORE_MISTAKES.get(_ex.cell, {}))
    _ex.alternatives.update(_MORE_ALTERNATIVES.get(_ex.cell, {}))

# --- Exercise 4 (issue 13): the backward through a deep stack of one ReLU-family activation ---
DEEP_HEAD = '''def deep_backward(Ws, bs, x, dout, activation="relu", alpha=0.01):
    """Backward pass through L layers h_{l+1} = f(h_l @ Ws[l] + bs[l]) of one activation f."""
'''
# the reference's shape, with one line changed per mistake
DEEP_BODY = """    f, f_grad = {
        "relu": (F.relu, relu_grad),
        "leaky_relu": (lambda z: F.leaky_relu(z, alpha), lambda z: leaky_relu_grad(z, alpha)),
        "elu": (elu, elu_grad),
        "gelu": (gelu, gelu_grad),
    }[activation]
    hs, zs = [x], []
    for W, b in zip(Ws, bs):
        zs.append(hs[-1] @ W + b)
        hs.append(f(zs[-1]))
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    dh = dout
    for l in reversed(range(len(Ws))):
        dz = dh * f_grad(zs[l])
        dWs[l] = hs[l].T @ dz
        dbs[l] = dz.sum(axis=0)
        dh = dz @ Ws[l].T
    return dh, dWs, dbs
"""


def deep_variant(*edits: tuple[str, str]) -> str:
    body = DEEP_BODY
    for old, new in edits:
        assert old in body, old
        body = body.replace(old, new)
    return DEEP_HEAD + body


EXERCISES.append(
    Exercise(
        cell="deep_backward",
        mistakes={
            "relu_slope_one_at_the_kink": Mistake(
                deep_variant(
                    ('"relu": (F.relu, relu_grad)', '"relu": (F.relu, lambda z: (z >= 0) * 1.0)')
                ),
                "relu'(0) is 0 in this course",
            ),
            "no_slope": Mistake(
                deep_variant(("dz = dh * f_grad(zs[l])", "dz = dh")),
                "multiply by the activation's slope f'(z) on the way down",
            ),
            "slope_at_the_output": Mistake(
                deep_variant(("f_grad(zs[l])", "f_grad(hs[l + 1])")),
                "does not match centred differences",
            ),
            "transposed_weight_gradient": Mistake(
                deep_variant(("hs[l].T @ dz", "dz.T @ hs[l]")),
                "has shape (3, 2), expected shape (2, 3)",
            ),
            "default_alpha": Mistake(
                deep_variant(
                    (
                        "lambda z: F.leaky_relu(z, alpha), lambda z: leaky_relu_grad(z, alpha)",
                        "F.leaky_relu, leaky_relu_grad",
                    ),
                ),
                "use the alpha you were given",
            ),
            "dx_not_propagated": Mistake(
                deep_variant(("    return dh, dWs, dbs\n", "    return dout, dWs, dbs\n")),
                "has shape (2, 1), expected shape (2, 2)",
            ),
            "bias_gradient_mean": Mistake(
                deep_variant(("dz.sum(axis=0)", "dz.mean(axis=0)")),
                "differs from the expected value",
            ),
            "elu_with_the_leaky_alpha": Mistake(
                deep_variant(
                    (
                        '"elu": (elu, elu_grad)',
                        '"elu": (lambda z: elu(z, alpha), lambda z: elu_grad(z, alpha))',
                    )
                ),
                "does not match centred differences",
            ),
        },
        alternatives={
            "if_chain_and_masks": DEEP_HEAD
            + """    zs, h = [], x
    for W, b in zip(Ws, bs):
        z = h @ W + b
        zs.append(z)
        if activation == "relu":
            h = np.maximum(z, 0.0)
        elif activation == "leaky_relu":
            h = np.where(z > 0, z, alpha * z)
        elif activation == "elu":
            h = elu(z)
        else:
            h = gelu(z)
    grads_W, grads_b = [], []
    g = dout
    for l in range(len(Ws) - 1, -1, -1):
        z = zs[l]
        if activation == "relu":
            g = np.where(z > 0, g, 0.0)
        elif activation == "leaky_relu":
            g = np.where(z > 0, g, alpha * g)
        elif activation == "elu":
            g = g * elu_grad(z)
        else:
            g = g * gelu_grad(z)
        inp = x if l == 0 else (F.relu(zs[l - 1]) if activation == "relu" else
                                F.leaky_relu(zs[l - 1], alpha) if activation == "leaky_relu" else
                                elu(zs[l - 1]) if activation == "elu" else gelu(zs[l - 1]))
        grads_W.insert(0, inp.T @ g)
        grads_b.insert(0, g.sum(axis=0))
        g = g @ Ws[l].T
    return g, grads_W, grads_b
""",
            "recursive_einsum": DEEP_HEAD
            + """    slope = {"relu": relu_grad, "elu": elu_grad, "gelu": gelu_grad,
             "leaky_relu": lambda z: leaky_relu_grad(z, alpha)}[activation]
    act = {"relu": F.relu, "elu": elu, "gelu": gelu,
           "leaky_relu": lambda z: F.leaky_relu(z, alpha)}[activation]

    def back(l, h):
        z = np.einsum("ni,ij->nj", h, Ws[l]) + bs[l]
        g = dout if l == len(Ws) - 1 else back(l + 1, act(z))[0]
        dz = g * slope(z)
        rest_W, rest_b = ([], []) if l == len(Ws) - 1 else back(l + 1, act(z))[1:]
        return np.einsum("nj,ij->ni", dz, Ws[l]), [np.einsum("ni,nj->ij", h, dz)] + rest_W, [np.einsum("nj->j", dz)] + rest_b

    return back(0, x)
""",
            "jacobian_products_per_layer": DEEP_HEAD
            + """    pairs = {"relu": (F.relu, relu_grad), "elu": (elu, elu_grad), "gelu": (gelu, gelu_grad),
             "leaky_relu": (lambda z: F.leaky_relu(z, alpha), lambda z: leaky_relu_grad(z, alpha))}
    f, fp = pairs[activation]
    inputs, slopes = [], []
    h = x
    for W, b in zip(Ws, bs):
        inputs.append(h)
        z = np.dot(h, W) + b[None, :]
        slopes.append(fp(z))
        h = f(z)
    L = len(Ws)
    dWs, dbs = [np.zeros_like(W) for W in Ws], [np.zeros_like(b) for b in bs]
    upstream = np.array(dout, copy=True)
    for l in range(L - 1, -1, -1):
        dz = upstream * slopes[l]
        np.add.at(dbs[l], np.arange(dz.shape[1]), dz.sum(0))
        dWs[l] += np.dot(inputs[l].T, dz)
        upstream = np.dot(dz, Ws[l].T)
    return upstream, dWs, dbs
""",
        },
    )
)
