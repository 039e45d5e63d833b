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

EXERCISES = [RELU_GRADS]
