"""Mistake corpus for notebook 05 (Xavier and He initialisation): see ``_corpus.py``."""

from _corpus import Exercise, Mistake

ASSIGNMENT = "05_xavier_he_init"


def xavier_cell(body: str) -> str:
    return "def xavier_uniform(shape, rng):\n" + body.strip("\n") + "\n"


def he_cell(body: str) -> str:
    return "def he_normal(shape, rng):\n" + body.strip("\n") + "\n"


AUD_XAVIER_UNIFORM_TRANSPOSED_DRAW_VIEWED_BACK = """
def xavier_uniform(shape, rng):
    fan_in, fan_out = shape
    a = np.sqrt(6 / sum(shape))
    return rng.uniform(-a, a, size=(fan_out, fan_in)).T
"""

AUD_XAVIER_UNIFORM_FLAT_UNIT_DRAWS_RESHAPED = """
def xavier_uniform(shape, rng):
    n = shape[0] * shape[1]
    u = rng.random(n).reshape(shape[0], shape[1])
    return (u - 0.5) * (2 * (6 / (shape[0] + shape[1])) ** 0.5)
"""

AUD_XAVIER_UNIFORM_SQRT_OF_THE_NUMERATOR_ONLY = """
def xavier_uniform(shape, rng):
    fan_in, fan_out = shape
    a = np.sqrt(6) / (fan_in + fan_out)
    return rng.uniform(-a, a, size=(fan_in, fan_out))
"""

AUD_XAVIER_UNIFORM_DRAWS_FROM_ZERO_TO_A = """
def xavier_uniform(shape, rng):
    fan_in, fan_out = shape
    a = np.sqrt(6 / (fan_in + fan_out))
    return rng.uniform(0, a, size=(fan_in, fan_out))
"""

AUD_XAVIER_UNIFORM_CALLS_THE_STANDARD_UNIFORM_OF_NOTEBOOK_02 = """
from vanishing.experiments import causes


def xavier_uniform(shape, rng):
    fan_in, fan_out = shape
    return causes.standard_uniform(shape, gain=np.sqrt(6 * fan_in / (fan_in + fan_out)), rng=rng)
"""

AUD_HE_NORMAL_BOX_MULLER = """
def he_normal(shape, rng):
    fan_in, fan_out = shape
    u1 = 1.0 - rng.random((fan_in, fan_out))  # in (0, 1]: log stays finite
    u2 = rng.random((fan_in, fan_out))
    z = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return z * np.sqrt(2.0 / fan_in)
"""

AUD_HE_NORMAL_TRANSPOSED_DRAW_VIEWED_BACK = """
def he_normal(shape, rng):
    return rng.normal(0.0, 1.0, size=shape[::-1]).T / np.sqrt(shape[0] / 2)
"""

AUD_HE_NORMAL_STD_PASSED_AS_THE_MEAN = """
def he_normal(shape, rng):
    return rng.normal(np.sqrt(2 / shape[0]), size=shape)
"""

AUD_HE_NORMAL_SQRT_OF_THE_NUMERATOR_ONLY = """
def he_normal(shape, rng):
    fan_in, fan_out = shape
    return rng.normal(0.0, np.sqrt(2) / fan_in, size=(fan_in, fan_out))
"""

AUD_HE_NORMAL_FLAT_ARRAY = """
def he_normal(shape, rng):
    fan_in, fan_out = shape
    return rng.normal(0.0, np.sqrt(2 / fan_in), size=fan_in * fan_out)
"""

AUD_HE_NORMAL_CALLS_RANDOM_CHAIN = """
from vanishing.experiments import causes


def he_normal(shape, rng):
    return causes.random_chain(1, shape[0], widths=list(shape), scale=np.sqrt(2), rng=rng)[0]
"""

XAVIER_UNIFORM = Exercise(
    cell="xavier_uniform",
    mistakes={
        "calls_the_standard_uniform_of_notebook_02": Mistake(
            AUD_XAVIER_UNIFORM_CALLS_THE_STANDARD_UNIFORM_OF_NOTEBOOK_02,
            "causes.standard_uniform is off limits",
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
            AUD_HE_NORMAL_CALLS_RANDOM_CHAIN, "causes.random_chain is off limits"
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
    return rng.normal(size=tuple(shape), scale=math.sqrt(2 / shape[0]))
""",
        "std_times_unit_normal": he_cell("""
    fan_in, fan_out = shape
    std = (2.0 / fan_in) ** 0.5
    return std * rng.normal(0.0, 1.0, (fan_in, fan_out))
"""),
    },
)

EXERCISES = [XAVIER_UNIFORM, HE_NORMAL]
