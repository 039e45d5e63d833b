"""Mistake corpus for notebook 05 (Xavier and He initialisation): see ``_corpus.py``."""

from _corpus import Exercise, Mistake

ASSIGNMENT = "05_xavier_he_init"


def xavier_cell(body: str) -> str:
    return "def xavier_uniform(shape, rng):\n" + body.strip("\n") + "\n"


def he_cell(body: str) -> str:
    return "def he_normal(shape, rng):\n" + body.strip("\n") + "\n"


XAVIER_UNIFORM = Exercise(
    cell="xavier_uniform",
    mistakes={
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
