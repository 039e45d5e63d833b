"""Mistake corpus for notebook 09 (the capstone, graded on evidence): see ``_corpus.py``.

The wrong fixes are the ones bench/CAPSTONE-MARGINS.md names: each cures at most 1 of the 5
seeds of the visible test on every OpenBLAS kernel; the alternatives cure 5 of 5.
"""

from _corpus import Exercise, Mistake

ASSIGNMENT = "09_gradient_doctor"

SCALE = "float(np.median([np.std(w) * np.sqrt(w.shape[0]) for w in W[1:-1]]))"


def weights(p: str) -> str:
    return f'W = [layer.params["W"] for layer in nn.linear_layers(capstone.admit("{p}").model)]\n'


def cheat(p: str, var: str) -> str:
    """The settings-reading cheat of the old capstone: read the chart, map the setting."""
    return (
        f'chart = capstone.chart("{p}")\n'
        f"{var} = {{'cause': 'weights_too_small'}} if chart['gain'] < 1 else "
        "{'cause': 'saturating_activation'}\n"
    )


NOT_RUN = "run your answer cell for patient {p} first"
RULE = "does not meet the rule"
NO_MATCH = "does not match patient {p}"
NOT_CURED = "does not cure"


def diag(p: str, mistakes: dict, alternatives: dict) -> Exercise:
    return Exercise(
        cell=f"diagnosis_{p}",
        mistakes={k: Mistake(code, msg.format(p=p)) for k, (code, msg) in mistakes.items()},
        alternatives=alternatives,
    )


def fix(p: str, mistakes: dict, alternatives: dict) -> Exercise:
    return Exercise(
        cell=f"fix_{p}",
        mistakes={
            k: Mistake(f"fix_{p} = {code}\n", msg.format(p=p))
            for k, (code, msg) in mistakes.items()
        },
        alternatives={k: f"fix_{p} = {code}\n" for k, code in alternatives.items()},
    )


DIAGNOSIS_A = diag(
    "A",
    {
        "reads_the_settings": (cheat("A", "diagnosis_A"), NOT_RUN),
        "label_only": ('diagnosis_A = "saturating_activation"\n', "a diagnosis is a dict"),
        "natural_log": (
            weights("A") + "g0 = history_A.grad_norm[0]\n"
            'diagnosis_A = {"cause": "saturating_activation", "activation": "sigmoid",\n'
            f'               "grad_orders": float(np.log(g0[-1] / g0[0])), "weight_scale": {SCALE}}}\n',
            "grad_orders = ",
        ),
        "ratio_upside_down": (
            weights("A") + "g0 = history_A.grad_norm[0]\n"
            'diagnosis_A = {"cause": "saturating_activation", "activation": "sigmoid",\n'
            f'               "grad_orders": float(np.log10(g0[0] / g0[-1])), "weight_scale": {SCALE}}}\n',
            RULE,
        ),
        "std_without_fan_in_so_too_small": (
            weights("A") + 'diagnosis_A = {"cause": "weights_too_small",\n'
            '               "weight_scale": float(np.median([np.std(w) for w in W[1:-1]]))}\n',
            NO_MATCH,
        ),
        "evidence_missing": (
            'diagnosis_A = {"cause": "saturating_activation", "grad_orders": 6.2}\n',
            "needs the evidence",
        ),
    },
    {
        "numbers_read_off_the_plots": (
            'diagnosis_A = {"cause": "saturating_activation", "activation": "sigmoid",\n'
            '               "grad_orders": 6.2, "weight_scale": 1.0}\n'
        ),
        "fresh_batch_and_mean_over_layers": (
            "from vanishing import telemetry\n"
            'fresh = capstone.admit("A")\n'
            'W = [layer.params["W"] for layer in nn.linear_layers(fresh.model)]\n'
            "scale = float(np.mean([np.std(w) * np.sqrt(w.shape[0]) for w in W[1:-1]]))\n"
            "g = telemetry.layer_gradient_norms(fresh.model, fresh.X[:256], fresh.y[:256])\n"
            'diagnosis_A = {"cause": "saturating_activation", "grad_orders": float(np.log10(g[-1] / g[0])),\n'
            '               "weight_scale": scale, "activation": type(fresh.model.layers[1]).name}\n'
        ),
        "natural_log_divided_and_rms": (
            weights("A") + "g0 = history_A.grad_norm[0]\n"
            "rms = [np.sqrt(np.mean(w**2) * w.shape[0]) for w in W[1:-1]]\n"
            "acts = [m.name for m in patient_A.model.modules() if isinstance(m, nn.Activation)]\n"
            'diagnosis_A = {"cause": "saturating_activation", "activation": acts[0],\n'
            '               "grad_orders": float((np.log(g0[-1]) - np.log(g0[0])) / np.log(10)),\n'
            '               "weight_scale": float(np.median(rms))}\n'
        ),
    },
)

DIAGNOSIS_B = diag(
    "B",
    {
        "reads_the_settings": (cheat("B", "diagnosis_B"), NOT_RUN),
        "blames_the_learning_rate": (
            weights("B") + 'diagnosis_B = {"cause": "learning_rate_too_high",\n'
            f'               "weight_scale": {SCALE}, "nan_step": history_B.nan_step}}\n',
            RULE,
        ),
        "nan_step_off_by_one": (
            weights("B") + 'diagnosis_B = {"cause": "weights_too_large",\n'
            f'               "weight_scale": {SCALE}, "nan_step": len(history_B.loss)}}\n',
            "nan_step = ",
        ),
        "std_without_fan_in": (
            weights("B")
            + 'diagnosis_B = {"cause": "weights_too_large", "nan_step": history_B.nan_step,\n'
            '               "weight_scale": float(np.median([np.std(w) for w in W[1:-1]]))}\n',
            RULE,
        ),
        "extra_evidence": (
            weights("B") + 'diagnosis_B = {"cause": "weights_too_large", "weight_scale": '
            f"{SCALE},\n"
            '               "nan_step": history_B.nan_step, "grad_orders": 0.0}\n',
            "remove grad_orders",
        ),
    },
    {
        "first_non_finite_loss": (
            weights("B") + "bad = np.flatnonzero(~np.isfinite(history_B.loss))\n"
            'diagnosis_B = {"cause": "weights_too_large", "weight_scale": '
            "float(np.mean([np.std(w) * np.sqrt(w.shape[0]) for w in W[1:-1]])),\n"
            '               "nan_step": int(bad[0]) if len(bad) else None}\n'
        ),
        "pooled_std": (
            weights("B") + "pooled = np.concatenate([w.ravel() for w in W[1:-1]])\n"
            'diagnosis_B = {"cause": "weights_too_large", "weight_scale": float(np.std(pooled) * np.sqrt(32)),\n'
            '               "nan_step": len(history_B.loss) - 1}\n'
        ),
        "numbers_read_off_the_report": (
            'diagnosis_B = {"cause": "weights_too_large", "weight_scale": 5.7, "nan_step": 2}\n'
        ),
    },
)

DIAGNOSIS_C = diag(
    "C",
    {
        "reads_the_settings": (cheat("C", "diagnosis_C"), NOT_RUN),
        "blames_the_weights": (
            weights("C") + 'diagnosis_C = {"cause": "weights_too_large",\n'
            f'               "weight_scale": {SCALE}, "nan_step": history_C.nan_step}}\n',
            RULE,
        ),
        "examined_before_training_only": (
            weights("C") + 'diagnosis_C = {"cause": "learning_rate_too_high",\n'
            f'               "weight_scale": {SCALE}, "nan_step": None}}\n',
            RULE,
        ),
        "nan_step_off_by_one": (
            weights("C") + 'diagnosis_C = {"cause": "learning_rate_too_high",\n'
            f'               "weight_scale": {SCALE}, "nan_step": history_C.nan_step + 1}}\n',
            "nan_step = ",
        ),
        "too_low_instead_of_too_high": (
            weights("C") + 'diagnosis_C = {"cause": "learning_rate_too_low", "weight_scale": '
            f"{SCALE},\n"
            '               "update_ratio": float(np.median(history_C.update_ratio[0]))}\n',
            RULE,
        ),
    },
    {
        "first_non_finite_loss": (
            weights("C") + "bad = np.flatnonzero(~np.isfinite(history_C.loss))\n"
            'diagnosis_C = {"cause": "learning_rate_too_high", "weight_scale": '
            "float(np.mean([np.std(w) * np.sqrt(w.shape[0]) for w in W[1:-1]])),\n"
            '               "nan_step": int(bad[0])}\n'
        ),
        "ddof_one": (
            weights("C") + 'diagnosis_C = {"cause": "learning_rate_too_high", "nan_step": '
            "history_C.nan_step,\n"
            '               "weight_scale": float(np.median([np.std(w, ddof=1) * np.sqrt(32) '
            "for w in W[1:-1]]))}\n"
        ),
        "numbers_read_off_the_report": (
            'diagnosis_C = {"cause": "learning_rate_too_high", "weight_scale": 1.41, "nan_step": 5}\n'
        ),
    },
)

DIAGNOSIS_D = diag(
    "D",
    {
        "reads_the_settings": (cheat("D", "diagnosis_D"), NOT_RUN),
        "layer_counted_from_zero": (
            "dead0 = history_D.dead[0]\nfirst = int(np.flatnonzero(dead0 >= 0.9)[0])\n"
            'diagnosis_D = {"cause": "dead_relus", "dead_layer": first, '
            '"dead_fraction": float(dead0[first])}\n',
            "dead_layer = ",
        ),
        "fraction_in_percent": (
            "dead0 = history_D.dead[0]\nfirst = int(np.flatnonzero(dead0 >= 0.9)[0])\n"
            'diagnosis_D = {"cause": "dead_relus", "dead_layer": first + 1, '
            '"dead_fraction": 100 * float(dead0[first])}\n',
            "dead_fraction = ",
        ),
        "blames_the_learning_rate": (
            weights("D") + 'diagnosis_D = {"cause": "learning_rate_too_low", "weight_scale": '
            f"{SCALE},\n"
            '               "update_ratio": float(np.median(history_D.update_ratio[0]))}\n',
            RULE,
        ),
        "blames_small_weights": (
            weights("D")
            + f'diagnosis_D = {{"cause": "weights_too_small", "weight_scale": {SCALE}}}\n',
            RULE,
        ),
    },
    {
        "argmax_of_the_mask": (
            "dead0 = history_D.dead[0]\nk = int(np.argmax(dead0 >= 0.9))\n"
            'diagnosis_D = {"cause": "dead_relus", "dead_layer": k + 1, "dead_fraction": float(dead0[k])}\n'
        ),
        "forward_pass_on_all_training_data": (
            "from vanishing import telemetry\n"
            'fresh = capstone.admit("D")\n'
            "acts = list(telemetry.activations(fresh.model, fresh.X).values())\n"
            'fractions = [telemetry.dead_fraction(a, "relu") for a in acts]\n'
            "k = next(j for j, f in enumerate(fractions) if f >= 0.9)\n"
            'diagnosis_D = {"cause": "dead_relus", "dead_layer": k + 1, "dead_fraction": fractions[k]}\n'
        ),
        "numbers_read_off_the_plot": (
            'diagnosis_D = {"cause": "dead_relus", "dead_layer": 4, "dead_fraction": 1.0}\n'
        ),
    },
)

DIAGNOSIS_E = diag(
    "E",
    {
        "reads_the_settings": (cheat("E", "diagnosis_E"), NOT_RUN),
        "blames_dead_units": (
            "dead0 = history_E.dead[0]\nk = int(np.argmax(dead0))\n"
            'diagnosis_E = {"cause": "dead_relus", "dead_layer": k + 1, "dead_fraction": float(dead0[k])}\n',
            RULE,
        ),
        "std_without_fan_in": (
            weights("E") + 'diagnosis_E = {"cause": "weights_too_small",\n'
            '               "weight_scale": float(np.median([np.std(w) for w in W[1:-1]]))}\n',
            "weight_scale = ",
        ),
        "variance_instead_of_std": (
            weights("E") + 'diagnosis_E = {"cause": "weights_too_small", "weight_scale": '
            "float(np.median([np.var(w) * w.shape[0] for w in W[1:-1]]))}\n",
            "weight_scale = ",
        ),
        "blames_the_activation": (
            weights("E")
            + 'diagnosis_E = {"cause": "saturating_activation", "activation": "relu",\n'
            f'               "grad_orders": 6.0, "weight_scale": {SCALE}}}\n',
            RULE,
        ),
    },
    {
        "mean_over_layers": (
            weights("E") + 'diagnosis_E = {"cause": "weights_too_small", "weight_scale": '
            "float(np.mean([np.std(w) * np.sqrt(w.shape[0]) for w in W[1:-1]]))}\n"
        ),
        "root_mean_square": (
            weights("E") + 'diagnosis_E = {"cause": "weights_too_small", "weight_scale": '
            "float(np.median([np.sqrt(np.mean(w * w) * 32) for w in W[1:-1]]))}\n"
        ),
        "number_read_off_the_report": (
            'diagnosis_E = {"cause": "weights_too_small", "weight_scale": 0.28}\n'
        ),
    },
)

FIX_A = fix(
    "A",
    {
        "reads_the_settings": ('{"activation": capstone.chart("A")["activation"]}', NOT_RUN),
        "he_but_still_sigmoid": ('{"init": "he_normal"}', NOT_CURED),
        "larger_learning_rate": ('{"lr": 1.0}', NOT_CURED),
        "residual_sigmoid": ('{"residual": True}', NOT_CURED),
        "clipping": ('{"clip": 1.0}', NOT_CURED),
        "batchnorm_in_600_steps": ('{"batchnorm": True}', NOT_CURED),
        "shallower_network": ('{"depth": 3}', "cannot change 'depth'"),
    },
    {
        "leaky_he": '{"activation": "leaky_relu", "init": "he_normal"}',
        "elu_he": '{"activation": "elu", "init": "he_normal"}',
        "relu_he_uniform": '{"activation": "relu", "init": "he_uniform"}',
        "leaky_alpha_0.1_he": '{"activation": "leaky_relu", "alpha": 0.1, "init": "he_normal"}',
    },
)

FIX_B = fix(
    "B",
    {
        "smaller_learning_rate": ('{"lr": 0.01}', NOT_CURED),
        "tanh": ('{"activation": "tanh"}', NOT_CURED),
        "tiny_steps_and_clipping": ('{"lr": 0.001, "clip": 1.0}', NOT_CURED),
        "gain_without_init": ('{"gain": 0.25}', "give 'init' together with 'gain'"),
    },
    {
        "normal_at_he_scale": '{"init": "normal", "gain": 0.25}',
        "he_uniform": '{"init": "he_uniform"}',
        "batchnorm": '{"batchnorm": True}',
    },
)

FIX_C = fix(
    "C",
    {
        "xavier": ('{"init": "xavier_normal"}', NOT_CURED),
        "clipping_alone": ('{"clip": 1.0}', NOT_CURED),
        "still_too_high": ('{"lr": 1.0}', NOT_CURED),
        "he_again": ('{"init": "he_normal"}', NOT_CURED),
        "far_too_low": ('{"lr": 0.001}', NOT_CURED),
    },
    {
        "half_the_rate": '{"lr": 0.05}',
        "adam": '{"optimizer": "adam", "lr": 0.003}',
        "default_rate_and_clipping": '{"lr": 0.1, "clip": 1.0}',
        "adam_1e-3": '{"optimizer": "adam", "lr": 0.001}',
    },
)

FIX_D = fix(
    "D",
    {
        "doctors_first_suggestion_leaky": ('{"activation": "leaky_relu"}', NOT_CURED),
        "leaky_alpha_0.1": ('{"activation": "leaky_relu", "alpha": 0.1}', NOT_CURED),
        "elu": ('{"activation": "elu"}', NOT_CURED),
        "he_again": ('{"init": "he_normal"}', NOT_CURED),
        "larger_learning_rate": ('{"lr": 1.0}', NOT_CURED),
    },
    {
        "small_positive_bias": '{"bias": 0.01}',
        "batchnorm": '{"batchnorm": True}',
        "zero_bias_and_he": '{"bias": 0.0, "init": "he_normal"}',
    },
)

FIX_E = fix(
    "E",
    {
        "leaky": ('{"activation": "leaky_relu"}', NOT_CURED),
        "larger_learning_rate": ('{"lr": 1.0}', NOT_CURED),
        "normal_std_1": ('{"init": "normal", "gain": 1.0}', NOT_CURED),
        "he_keeping_the_small_gain": ('{"init": "he_normal", "gain": 0.05}', NOT_CURED),
        "adam": ('{"optimizer": "adam", "lr": 0.01}', NOT_CURED),
    },
    {
        "he_gain_1": '{"init": "he_normal", "gain": 1.0}',
        "normal_at_he_scale": '{"init": "normal", "gain": 0.25}',
        "he_uniform": '{"init": "he_uniform"}',
        "batchnorm": '{"batchnorm": True}',
    },
)

EXERCISES = [
    DIAGNOSIS_A,
    FIX_A,
    DIAGNOSIS_B,
    FIX_B,
    DIAGNOSIS_C,
    FIX_C,
    DIAGNOSIS_D,
    FIX_D,
    DIAGNOSIS_E,
    FIX_E,
]
