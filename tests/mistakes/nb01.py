"""Mistake corpus for notebook 01 (saturating activations)."""

from _corpus import Exercise, Mistake

ASSIGNMENT = "01_saturating_activations"

SIGMOID_GRAD = Exercise(
    cell="sigmoid_grad",
    mistakes={
        "returns_sigmoid": Mistake(
            code="def sigmoid_grad(x):\n    return F.sigmoid(x)\n",
            message="0.5 is σ(0)",
        ),
        "one_plus_sigma": Mistake(
            code="def sigmoid_grad(x):\n    s = F.sigmoid(x)\n    return s * (1 + s)\n",
            message="σ(0)(1 + σ(0))",
        ),
        # the form cell 5 derives first: e^{1000} = inf, inf/inf = nan at x = -1000
        "first_form_overflows": Mistake(
            code="def sigmoid_grad(x):\n    e = np.exp(-x)\n    return e / (1 + e) ** 2\n",
            message="e^{-x} overflows to inf at x = -1000",
        ),
        # the same with e^{x}: nan at x = +1000
        "exp_x_form_overflows": Mistake(
            code=(
                "def sigmoid_grad(x):\n"
                "    s = np.exp(x) / (1 + np.exp(x))\n"
                "    return s * (1 - s)\n"
            ),
            message="case: sigmoid_grad(array(4,) float64 [-1000, -30, 30, 1000])",
        ),
        "float64_cast": Mistake(
            code=(
                "def sigmoid_grad(x):\n"
                "    x = np.asarray(x, dtype=float)\n"
                "    s = 1 / (1 + np.exp(-x))\n"
                "    return s * (1 - s)\n"
            ),
            message="has dtype float64, expected float32",
        ),
        "one_minus_sigma_only": Mistake(
            code="def sigmoid_grad(x):\n    return 1 - F.sigmoid(x)\n",
            message="0.5 is σ(0)",
        ),
        # guarding against overflow by clipping the caller's array
        "clips_input_in_place": Mistake(
            code=(
                "def sigmoid_grad(x):\n"
                "    x = np.asarray(x)\n"
                "    np.clip(x, -500, 500, out=x)\n"
                "    e = np.exp(-x)\n"
                "    return e / (1 + e) ** 2\n"
            ),
            message="changed its input `x` in place",
        ),
    },
    alternatives={
        "even_form": (
            "def sigmoid_grad(x):\n"
            "    e = np.exp(-np.abs(x))  # σ' is even; e^{-|x|} never overflows\n"
            "    return e / (1 + e) ** 2\n"
        ),
        # σ computed naively: e^{1000} = inf gives σ = 0, so σ' = 0 (a warning, silenced)
        "naive_sigma_product": (
            "def sigmoid_grad(x):\n    s = 1 / (1 + np.exp(-x))\n    return s * (1 - s)\n"
        ),
        "cosh": "def sigmoid_grad(x):\n    return 0.25 / np.cosh(x / 2) ** 2\n",
        "s_minus_s_squared": "def sigmoid_grad(x):\n    s = F.sigmoid(x)\n    return s - s * s\n",
        "log_space": (
            "def sigmoid_grad(x):\n"
            "    # log σ(x) + log(1 - σ(x)) = -log(1 + e^{-x}) - log(1 + e^{x})\n"
            "    return np.exp(-np.logaddexp(0, x) - np.logaddexp(0, -x))\n"
        ),
    },
)

EXERCISES = [SIGMOID_GRAD]
