"""Mistake corpus for notebook 05 (Xavier and He initialisation): see ``_corpus.py``."""

from _corpus import Exercise, Mistake

ASSIGNMENT = "05_xavier_he_init"


def xavier_cell(body: str) -> str:
    return (
        "def xavier_uniform(shape, rng):\n    rng = np.random.default_rng(rng)  # a seed or a generator\n"
        + body.strip("\n")
        + "\n"
    )


def he_cell(body: str) -> str:
    return (
        "def he_normal(shape, rng):\n    rng = np.random.default_rng(rng)  # a seed or a generator\n"
        + body.strip("\n")
        + "\n"
    )


AUD_XAVIER_UNIFORM_TRANSPOSED_DRAW_VIEWED_BACK = """
def xavier_uniform(shape, rng):
    rng = np.random.default_rng(rng)  # a seed or a generator
    fan_in, fan_out = shape
    a = np.sqrt(6 / sum(shape))
    return rng.uniform(-a, a, size=(fan_out, fan_in)).T
"""

AUD_XAVIER_UNIFORM_FLAT_UNIT_DRAWS_RESHAPED = """
def xavier_uniform(shape, rng):
    rng = np.random.default_rng(rng)  # a seed or a generator
    n = shape[0] * shape[1]
    u = rng.random(n).reshape(shape[0], shape[1])
    return (u - 0.5) * (2 * (6 / (shape[0] + shape[1])) ** 0.5)
"""

AUD_XAVIER_UNIFORM_SQRT_OF_THE_NUMERATOR_ONLY = """
def xavier_uniform(shape, rng):
    rng = np.random.default_rng(rng)  # a seed or a generator
    fan_in, fan_out = shape
    a = np.sqrt(6) / (fan_in + fan_out)
    return rng.uniform(-a, a, size=(fan_in, fan_out))
"""

AUD_XAVIER_UNIFORM_DRAWS_FROM_ZERO_TO_A = """
def xavier_uniform(shape, rng):
    rng = np.random.default_rng(rng)  # a seed or a generator
    fan_in, fan_out = shape
    a = np.sqrt(6 / (fan_in + fan_out))
    return rng.uniform(0, a, size=(fan_in, fan_out))
"""

AUD_XAVIER_UNIFORM_CALLS_THE_STANDARD_UNIFORM_OF_NOTEBOOK_02 = """
from vanishing.experiments import weight_scale


def xavier_uniform(shape, rng):
    rng = np.random.default_rng(rng)  # a seed or a generator
    fan_in, fan_out = shape
    return weight_scale.standard_uniform(shape, gain=np.sqrt(6 * fan_in / (fan_in + fan_out)), rng=rng)
"""

AUD_HE_NORMAL_BOX_MULLER = """
def he_normal(shape, rng):
    rng = np.random.default_rng(rng)  # a seed or a generator
    fan_in, fan_out = shape
    u1 = 1.0 - rng.random((fan_in, fan_out))  # in (0, 1]: log stays finite
    u2 = rng.random((fan_in, fan_out))
    z = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return z * np.sqrt(2.0 / fan_in)
"""

AUD_HE_NORMAL_TRANSPOSED_DRAW_VIEWED_BACK = """
def he_normal(shape, rng):
    rng = np.random.default_rng(rng)  # a seed or a generator
    return rng.normal(0.0, 1.0, size=shape[::-1]).T / np.sqrt(shape[0] / 2)
"""

AUD_HE_NORMAL_STD_PASSED_AS_THE_MEAN = """
def he_normal(shape, rng):
    rng = np.random.default_rng(rng)  # a seed or a generator
    return rng.normal(np.sqrt(2 / shape[0]), size=shape)
"""

AUD_HE_NORMAL_SQRT_OF_THE_NUMERATOR_ONLY = """
def he_normal(shape, rng):
    rng = np.random.default_rng(rng)  # a seed or a generator
    fan_in, fan_out = shape
    return rng.normal(0.0, np.sqrt(2) / fan_in, size=(fan_in, fan_out))
"""

AUD_HE_NORMAL_FLAT_ARRAY = """
def he_normal(shape, rng):
    rng = np.random.default_rng(rng)  # a seed or a generator
    fan_in, fan_out = shape
    return rng.normal(0.0, np.sqrt(2 / fan_in), size=fan_in * fan_out)
"""

AUD_HE_NORMAL_CALLS_RANDOM_CHAIN = """
from vanishing.experiments import saturating


def he_normal(shape, rng):
    rng = np.random.default_rng(rng)  # a seed or a generator
    return saturating.random_chain(1, shape[0], widths=list(shape), scale=np.sqrt(2), rng=rng)[0]
"""

# --- stack_backward --------------------------------------------------------------------------
SB_REFERENCE_SHAPE = """
def stack_backward(x, weights, dout, activation="linear"):
    zs, h = [], x
    for W in weights:
        z = h @ W
        zs.append(z)
        h = np.maximum(z, 0) if activation == "relu" else z
    grads, g = [dout], dout
    for W, z in zip(weights[::-1], zs[::-1]):
        if activation == "relu":
            g = g * MASK
        g = g @ W.T
        grads.append(g)
    return RESULT
"""


def sb_variant(mask="(z > 0)", result="grads[::-1]"):
    return SB_REFERENCE_SHAPE.replace("MASK", mask).replace("RESULT", result)


SB_DERIVATIVE_ONE_AT_ZERO = sb_variant(mask="(z >= 0)")

SB_NOT_REVERSED = sb_variant(result="grads")

SB_WITHOUT_DOUT = sb_variant(result="grads[:0:-1]")

SB_NO_RELU_ON_THE_LAST_LAYER = """
def stack_backward(x, weights, dout, activation="linear"):
    zs, h = [], x
    for W in weights:
        z = h @ W
        zs.append(z)
        h = np.maximum(z, 0) if activation == "relu" else z
    grads, g = [dout], dout
    for l in range(len(weights) - 1, -1, -1):
        if activation == "relu" and l < len(weights) - 1:  # the output layer is taken as linear
            g = g * (zs[l] > 0)
        g = g @ weights[l].T
        grads.append(g)
    return grads[::-1]
"""

# the mask of z_{l-1} applied after the product with W_lᵀ: every mask one layer too low
SB_MASK_AFTER_THE_PRODUCT = """
def stack_backward(x, weights, dout, activation="linear"):
    zs, h = [], x
    for W in weights:
        z = h @ W
        zs.append(z)
        h = np.maximum(z, 0) if activation == "relu" else z
    grads, g = [dout], dout
    for l in range(len(weights) - 1, -1, -1):
        g = g @ weights[l].T
        if activation == "relu" and l > 0:
            g = g * (zs[l - 1] > 0)
        grads.append(g)
    return grads[::-1]
"""

# the mask taken from the layer's input h_{l-1} instead of its pre-activation z_l
SB_MASK_FROM_THE_INPUT = """
def stack_backward(x, weights, dout, activation="linear"):
    hs = [x]
    for W in weights:
        z = hs[-1] @ W
        hs.append(np.maximum(z, 0) if activation == "relu" else z)
    grads, g = [dout], dout
    for l in range(len(weights) - 1, -1, -1):
        if activation == "relu":
            g = g * (hs[l] > 0)
        g = g @ weights[l].T
        grads.append(g)
    return grads[::-1]
"""

# masks dout in place: the caller's dout is zeroed where the last layer is off
SB_MASKS_DOUT_IN_PLACE = """
def stack_backward(x, weights, dout, activation="linear"):
    zs, h = [], x
    for W in weights:
        z = h @ W
        zs.append(z)
        h = np.maximum(z, 0) if activation == "relu" else z
    g = dout
    grads = [dout]
    for W, z in zip(weights[::-1], zs[::-1]):
        if activation == "relu":
            g *= z > 0
        g = g @ W.T
        grads.insert(0, g)
    return grads
"""

SB_CONVERTS_TO_FLOAT64 = """
def stack_backward(x, weights, dout, activation="linear"):
    x = np.asarray(x, dtype=float)
    weights = [np.asarray(W, dtype=float) for W in weights]
    g = np.asarray(dout, dtype=float)
    zs, h = [], x
    for W in weights:
        zs.append(h @ W)
        h = np.maximum(zs[-1], 0) if activation == "relu" else zs[-1]
    grads = [g]
    for W, z in zip(weights[::-1], zs[::-1]):
        if activation == "relu":
            g = g * (z > 0)
        g = g @ W.T
        grads.insert(0, g)
    return grads
"""

SB_CALLS_THE_CHAIN_OF_NOTEBOOK_01 = """
from vanishing.experiments import saturating


def stack_backward(x, weights, dout, activation="linear"):
    return saturating.chain_forward_backward(weights, x, dout, activation)[3]
"""

SB_ALT_RECURSIVE = """
def stack_backward(x, weights, dout, activation="linear"):
    if not weights:
        return [dout]
    z = x @ weights[0]
    h = np.maximum(z, 0) if activation == "relu" else z
    upper = stack_backward(h, weights[1:], dout, activation)
    delta = upper[0] * (z > 0) if activation == "relu" else upper[0]
    return [delta @ weights[0].T] + upper
"""

SB_ALT_PREALLOCATED_WITH_WHERE = """
def stack_backward(x, weights, dout, activation="linear"):
    L = len(weights)
    pre = [None] * (L + 1)
    h = x
    for l in range(1, L + 1):
        pre[l] = h @ weights[l - 1]
        h = np.where(pre[l] > 0, pre[l], 0) if activation == "relu" else pre[l]
    grads = [None] * (L + 1)
    grads[L] = dout.copy()
    for l in range(L, 0, -1):
        delta = grads[l]
        if activation == "relu":
            delta = np.where(pre[l] > 0, delta, np.zeros_like(delta))
        grads[l - 1] = delta @ weights[l - 1].T
    return grads
"""

SB_ALT_HEAVISIDE_AND_EINSUM = """
def stack_backward(x, weights, dout, activation="linear"):
    slopes, h = [], x
    for W in weights:
        z = h @ W
        if activation == "relu":
            slope = np.heaviside(z, 0).astype(z.dtype)  # the step function, 0 at 0
        else:
            slope = np.ones_like(z)
        slopes.append(slope)
        h = z * slope
    out = [dout]
    for W, slope in zip(reversed(weights), reversed(slopes)):
        out.insert(0, np.einsum("nj,ij->ni", out[0] * slope, W))
    return out
"""

SB_ALT_MASK_FROM_THE_OUTPUT = """
def stack_backward(x, weights, dout, activation="linear"):
    relu = activation == "relu"
    hs = [x]
    for W in weights:
        hs.append(np.maximum(hs[-1] @ W, 0) if relu else hs[-1] @ W)
    grads = [dout]
    for l in reversed(range(len(weights))):
        g = grads[0]
        if relu:
            g = g * (hs[l + 1] > 0)  # h_l > 0 exactly where z_l > 0
        grads = [g.dot(weights[l].T)] + grads
    return tuple(grads)
"""

STACK_BACKWARD = Exercise(
    cell="stack_backward",
    mistakes={
        "derivative_one_at_zero": Mistake(
            SB_DERIVATIVE_ONE_AT_ZERO, "ReLU's derivative at z = 0 is 0"
        ),
        "not_reversed": Mistake(SB_NOT_REVERSED, "the input side first"),
        "without_dout": Mistake(SB_WITHOUT_DOUT, "include g_L = dout"),
        "no_relu_on_the_last_layer": Mistake(
            SB_NO_RELU_ON_THE_LAST_LAYER, "the last layer has a ReLU too"
        ),
        "mask_after_the_product": Mistake(SB_MASK_AFTER_THE_PRODUCT, "before the product with"),
        "mask_from_the_input": Mistake(SB_MASK_FROM_THE_INPUT, "not from the layer's input"),
        "masks_dout_in_place": Mistake(SB_MASKS_DOUT_IN_PLACE, "in place"),
        "converts_to_float64": Mistake(SB_CONVERTS_TO_FLOAT64, "float32 in, float32 out"),
        "calls_the_chain_of_notebook_01": Mistake(
            SB_CALLS_THE_CHAIN_OF_NOTEBOOK_01, "saturating.chain_forward_backward is off limits"
        ),
    },
    alternatives={
        "recursive": SB_ALT_RECURSIVE,
        "preallocated_with_where": SB_ALT_PREALLOCATED_WITH_WHERE,
        "heaviside_and_einsum": SB_ALT_HEAVISIDE_AND_EINSUM,
        "mask_from_the_output_as_a_tuple": SB_ALT_MASK_FROM_THE_OUTPUT,
    },
)


# --- gradient_variances ----------------------------------------------------------------------
def gv_cell(body: str) -> str:
    return (
        'def gradient_variances(x, weights, dout, activation="linear"):\n' + body.strip("\n") + "\n"
    )


GRADIENT_VARIANCES = Exercise(
    cell="gradient_variances",
    isolated=True,  # it calls the learner's stack_backward, whose mistakes share submissions
    mistakes={
        "np_var": Mistake(
            gv_cell("""
    return np.array([np.var(g) for g in stack_backward(x, weights, dout, activation)], dtype=np.float64)
"""),
            "that is np.var",
        ),
        "sum_of_squares": Mistake(
            gv_cell("""
    return np.array([np.sum(g.astype(np.float64) ** 2) for g in stack_backward(x, weights, dout, activation)])
"""),
            "not the sum",
        ),
        "root_mean_square": Mistake(
            gv_cell("""
    grads = stack_backward(x, weights, dout, activation)
    return np.array([np.sqrt(np.mean(np.square(g, dtype=np.float64))) for g in grads])
"""),
            "no square root",
        ),
        "top_first": Mistake(
            gv_cell("""
    grads = stack_backward(x, weights, dout, activation)
    return np.array([np.mean(g.astype(np.float64) ** 2) for g in reversed(grads)])
"""),
            "the input side first",
        ),
        "float32_kept": Mistake(
            gv_cell("""
    return np.array([np.mean(g**2) for g in stack_backward(x, weights, dout, activation)])
"""),
            "return a float64 array",
        ),
        "mean_absolute_value": Mistake(
            gv_cell("""
    return np.array([np.mean(np.abs(g), dtype=np.float64) for g in stack_backward(x, weights, dout, activation)])
"""),
            "square the entries",
        ),
    },
    alternatives={
        "vdot_over_size": gv_cell("""
    out = []
    for g in stack_backward(x, weights, dout, activation):
        g = g.astype(np.float64).ravel()
        out.append(np.vdot(g, g) / g.size)
    return np.asarray(out)
"""),
        "preallocated_sum_over_size": gv_cell("""
    grads = stack_backward(x, weights, dout, activation)
    v = np.zeros(len(grads))
    for l, g in enumerate(grads):
        v[l] = (np.float64(1) * g * g).sum() / g.size
    return v
"""),
        "own_backward_inline": gv_cell("""
    zs, h = [], x.astype(np.float64)
    for W in weights:
        zs.append(h @ W.astype(np.float64))
        h = np.maximum(zs[-1], 0.0) if activation == "relu" else zs[-1]
    g = dout.astype(np.float64)
    out = [np.mean(g * g)]
    for W, z in zip(weights[::-1], zs[::-1]):
        if activation == "relu":
            g = g * (z > 0)
        g = g @ W.T.astype(np.float64)
        out.append(np.mean(g * g))
    return np.array(out[::-1])
"""),
    },
)


# --- predicted_gradient_variances ------------------------------------------------------------
def pv_cell(body: str) -> str:
    return (
        'def predicted_gradient_variances(widths, weight_variances, dout_variance, activation="linear"):\n'
        + body.strip("\n")
        + "\n"
    )


def pv_loop(
    c="0.5 if activation == 'relu' else 1.0",
    n="widths[l]",
    ret="np.array(p[::-1], dtype=np.float64)",
):
    return pv_cell(f"""
    c = {c}
    p = [float(dout_variance)]
    for l in range(len(widths) - 1, 0, -1):
        p.append(c * {n} * weight_variances[l - 1] * p[-1])
    return {ret}
""")


PREDICTED = Exercise(
    cell="predicted_gradient_variances",
    mistakes={
        "fan_in": Mistake(pv_loop(n="widths[l - 1]"), "its fan-out"),
        "no_relu_factor": Mistake(pv_loop(c="1.0"), "c = 1/2"),
        "relu_doubles": Mistake(
            pv_loop(c="2.0 if activation == 'relu' else 1.0"), "it does not double it"
        ),
        "square_root_of_the_factor": Mistake(
            pv_loop(c="np.sqrt(0.5) if activation == 'relu' else 1.0"), "not its square root"
        ),
        "top_first": Mistake(pv_loop(ret="np.array(p, dtype=np.float64)"), "the input side first"),
        "returns_a_list": Mistake(pv_loop(ret="p[::-1]"), "should be a numpy array"),
    },
    alternatives={
        "cumulative_product": pv_cell("""
    c = {"linear": 1.0, "relu": 0.5}[activation]
    factors = c * np.asarray(widths[1:], dtype=np.float64) * np.asarray(weight_variances, dtype=np.float64)
    tail = np.cumprod(factors[::-1])[::-1]  # tail[l] = product of the factors of layers l+1..L
    return np.append(dout_variance * tail, float(dout_variance))
"""),
        "recursive": """
def predicted_gradient_variances(widths, weight_variances, dout_variance, activation="linear"):
    if len(widths) == 1:
        return np.array([dout_variance], dtype=np.float64)
    above = predicted_gradient_variances(widths[1:], weight_variances[1:], dout_variance, activation)
    c = 0.5 if activation == "relu" else 1
    return np.concatenate([[c * widths[1] * weight_variances[0] * above[0]], above])
""",
        "filled_from_the_end": pv_cell("""
    n = np.asarray(widths)
    v = np.asarray(weight_variances, dtype=float)
    out = np.empty(len(n))
    out[-1] = dout_variance
    for l in range(len(n) - 2, -1, -1):
        out[l] = out[l + 1] * n[l + 1] * v[l] / (2 if activation == "relu" else 1)
    return out
"""),
    },
)


XAVIER_UNIFORM = Exercise(
    cell="xavier_uniform",
    mistakes={
        "calls_the_standard_uniform_of_notebook_02": Mistake(
            AUD_XAVIER_UNIFORM_CALLS_THE_STANDARD_UNIFORM_OF_NOTEBOOK_02,
            "weight_scale.standard_uniform is off limits",
        ),
        "draws_from_zero_to_a": Mistake(
            AUD_XAVIER_UNIFORM_DRAWS_FROM_ZERO_TO_A, "centre the distribution at 0"
        ),
        "sqrt_of_the_numerator_only": Mistake(
            AUD_XAVIER_UNIFORM_SQRT_OF_THE_NUMERATOR_ONLY, "expected 0.004 for shape (400, 100)"
        ),
        "fan_in_only": Mistake(
            code=xavier_cell("""
    fan_in, fan_out = shape
    a = np.sqrt(6.0 / fan_in)
    return rng.uniform(-a, a, size=shape)
"""),
            message="that is 2/fan_in, one fan only",
        ),
        "bound_from_sqrt_3": Mistake(
            code=xavier_cell("""
    a = np.sqrt(3.0 / (shape[0] + shape[1]))
    return rng.uniform(-a, a, size=shape)
"""),
            message="Var(U[-a, a]) = a²/3",
        ),
        "old_standard_bound": Mistake(
            code=xavier_cell("""
    a = 1 / np.sqrt(shape[0])
    return rng.uniform(-a, a, size=shape)
"""),
            message="the old 'standard'",
        ),
        "normal_instead_of_uniform": Mistake(
            code=xavier_cell("""
    fan_in, fan_out = shape
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=shape)
"""),
            message="draw from a uniform distribution",
        ),
        "converted_to_float32": Mistake(
            code=xavier_cell("""
    fan_in, fan_out = shape
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape).astype(np.float32)   # to save memory
"""),
            message="has dtype float32, expected float64",
        ),
        "global_random_state": Mistake(
            code=xavier_cell("""
    fan_in, fan_out = shape
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return np.random.uniform(-a, a, size=shape)
"""),
            message="draw every number from the `rng` argument",
        ),
        "generator_assumed": Mistake(
            code="""
def xavier_uniform(shape, rng):
    a = np.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-a, a, size=shape)
""",
            message="start with rng = np.random.default_rng(rng)",
        ),
        "transposed": Mistake(
            code=xavier_cell("""
    fan_in, fan_out = shape
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_out, fan_in))
"""),
            message="is transposed",
        ),
    },
    alternatives={
        "flat_unit_draws_reshaped": AUD_XAVIER_UNIFORM_FLAT_UNIT_DRAWS_RESHAPED,
        "transposed_draw_viewed_back": AUD_XAVIER_UNIFORM_TRANSPOSED_DRAW_VIEWED_BACK,
        "scaled_unit_interval": xavier_cell("""
    a = np.sqrt(6 / (shape[0] + shape[1]))
    return a * (2 * rng.random(shape) - 1)
"""),
        "math_sqrt_times_symmetric_uniform": """
import math


def xavier_uniform(shape, rng):
    rng = np.random.default_rng(rng)  # a seed or a generator
    fan_in, fan_out = shape
    return rng.uniform(-1, 1, (fan_in, fan_out)) * math.sqrt(6 / (fan_in + fan_out))
""",
        "bound_from_the_variance": xavier_cell("""
    n_in, n_out = shape
    var = 2 / (n_in + n_out)
    a = np.sqrt(3 * var)
    return rng.uniform(low=-a, high=a, size=(n_in, n_out))
"""),
    },
)

HE_NORMAL = Exercise(
    cell="he_normal",
    mistakes={
        "calls_random_chain": Mistake(
            AUD_HE_NORMAL_CALLS_RANDOM_CHAIN, "saturating.random_chain is off limits"
        ),
        "flat_array": Mistake(AUD_HE_NORMAL_FLAT_ARRAY, "expected shape (400, 100)"),
        "sqrt_of_the_numerator_only": Mistake(
            AUD_HE_NORMAL_SQRT_OF_THE_NUMERATOR_ONLY, "expected 0.005 for shape (400, 100)"
        ),
        "std_passed_as_the_mean": Mistake(
            AUD_HE_NORMAL_STD_PASSED_AS_THE_MEAN, "centre the distribution at 0"
        ),
        "fan_out_mode": Mistake(
            code=he_cell("""
    fan_in, fan_out = shape
    return rng.normal(0.0, np.sqrt(2.0 / fan_out), size=shape)
"""),
            message="that is 2/fan_out",
        ),
        "lecun_variance": Mistake(
            code=he_cell("""
    return rng.normal(0.0, np.sqrt(1.0 / shape[0]), size=shape)
"""),
            message="that is 1/fan_in (LeCun)",
        ),
        "variance_passed_as_std": Mistake(
            code=he_cell("""
    return rng.normal(0.0, 2.0 / shape[0], size=shape)
"""),
            message="rng.normal takes the standard deviation",
        ),
        "xavier_variance": Mistake(
            code=he_cell("""
    return rng.normal(0.0, np.sqrt(2.0 / (shape[0] + shape[1])), size=shape)
"""),
            message="that is Xavier's variance",
        ),
        "uniform_with_he_variance": Mistake(
            code=he_cell("""
    a = np.sqrt(6.0 / shape[0])
    return rng.uniform(-a, a, size=shape)
"""),
            message="draw from rng.normal",
        ),
        "converted_to_float32": Mistake(
            code=he_cell("""
    fan_in, fan_out = shape
    std = np.sqrt(2.0 / fan_in)
    return (rng.standard_normal((fan_in, fan_out)) * std).astype(np.float32)
"""),
            message="has dtype float32, expected float64",
        ),
        "generator_assumed": Mistake(
            code="""
def he_normal(shape, rng):
    return rng.normal(0.0, np.sqrt(2.0 / shape[0]), size=shape)
""",
            message="start with rng = np.random.default_rng(rng)",
        ),
        "global_random_state": Mistake(
            code=he_cell("""
    return np.random.normal(0.0, np.sqrt(2.0 / shape[0]), size=shape)
"""),
            message="draw every number from the `rng` argument",
        ),
    },
    alternatives={
        "transposed_draw_viewed_back": AUD_HE_NORMAL_TRANSPOSED_DRAW_VIEWED_BACK,
        "box_muller": AUD_HE_NORMAL_BOX_MULLER,
        "standard_normal_scaled": he_cell("""
    return rng.standard_normal(shape) * np.sqrt(2 / shape[0])
"""),
        "keyword_arguments_and_math": """
import math


def he_normal(shape, rng):
    rng = np.random.default_rng(rng)  # a seed or a generator
    return rng.normal(size=tuple(shape), scale=math.sqrt(2 / shape[0]))
""",
        "std_times_unit_normal": he_cell("""
    fan_in, fan_out = shape
    std = (2.0 / fan_in) ** 0.5
    return std * rng.normal(0.0, 1.0, (fan_in, fan_out))
"""),
    },
)

EXERCISES = [STACK_BACKWARD, GRADIENT_VARIANCES, PREDICTED, XAVIER_UNIFORM, HE_NORMAL]
