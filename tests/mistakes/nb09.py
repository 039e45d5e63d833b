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


# --- layer_gradients: the backward pass that measures the gradient by depth ----------------
LG_NO_SLOPE = """
def layer_gradients(Ws, hs, dout, activation):
    g = dout
    dWs = []
    for l in reversed(range(len(Ws))):
        dWs.insert(0, hs[l].T @ g)
        g = g @ Ws[l].T
    return dWs
"""

LG_TANH_SLOPE = """
def layer_gradients(Ws, hs, dout, activation):
    g = dout
    dWs = [None] * len(Ws)
    for l in range(len(Ws) - 1, -1, -1):
        dWs[l] = hs[l].T @ g
        if l > 0:
            g = (g @ Ws[l].T) * (1 - hs[l] ** 2)
    return dWs
"""

LG_SIGMOID_OF_H = """
def layer_gradients(Ws, hs, dout, activation):
    sig = lambda a: 1 / (1 + np.exp(-a))
    slope = {"relu": lambda h: (h > 0) * 1.0, "sigmoid": lambda h: sig(h) * (1 - sig(h)), "tanh": lambda h: 1 - np.tanh(h) ** 2}[activation]
    g = dout
    dWs = [None] * len(Ws)
    for l in range(len(Ws) - 1, -1, -1):
        dWs[l] = hs[l].T @ g
        if l > 0:
            g = (g @ Ws[l].T) * slope(hs[l])
    return dWs
"""

LG_REVERSED_ORDER = """
def layer_gradients(Ws, hs, dout, activation):
    slope = {"relu": lambda h: (h > 0).astype(h.dtype), "sigmoid": lambda h: h * (1 - h), "tanh": lambda h: 1 - h * h}[activation]
    g = dout
    dWs = []
    for l in range(len(Ws) - 1, -1, -1):
        dWs.append(hs[l].T @ g)
        if l > 0:
            g = (g @ Ws[l].T) * slope(hs[l])
    return dWs
"""

LG_FLOAT64_MASK = """
def layer_gradients(Ws, hs, dout, activation):
    g = dout
    dWs = [None] * len(Ws)
    for l in range(len(Ws) - 1, -1, -1):
        dWs[l] = hs[l].T @ g
        if l > 0:
            h = hs[l]
            s = {"relu": np.where(h > 0, 1.0, 0.0), "sigmoid": h * (1 - h), "tanh": 1 - h * h}[activation]
            g = (g @ Ws[l].T) * s
    return dWs
"""

LG_MEAN_OVER_BATCH = """
def layer_gradients(Ws, hs, dout, activation):
    slope = {"relu": lambda h: (h > 0).astype(h.dtype), "sigmoid": lambda h: h * (1 - h), "tanh": lambda h: 1 - h * h}[activation]
    g = dout
    dWs = [None] * len(Ws)
    for l in range(len(Ws) - 1, -1, -1):
        dWs[l] = hs[l].T @ g / len(g)
        if l > 0:
            g = (g @ Ws[l].T) * slope(hs[l])
    return dWs
"""

LG_ALT_RECURSIVE = """
def layer_gradients(Ws, hs, dout, activation):
    if len(Ws) == 1:
        return [hs[0].T @ dout]
    h = hs[-1]
    if activation == "relu":
        d = h > 0
    elif activation == "sigmoid":
        d = h - h * h
    else:
        d = 1 - np.square(h)
    below = layer_gradients(Ws[:-1], hs[:-1], np.multiply(dout @ Ws[-1].T, d, dtype=h.dtype), activation)
    return below + [h.T @ dout]
"""

LG_ALT_EINSUM = """
def layer_gradients(Ws, hs, dout, activation):
    dWs = []
    delta = np.array(dout, copy=True)
    for W, h in zip(Ws[::-1], hs[::-1]):
        dWs.append(np.einsum("ni,nj->ij", h, delta))
        back = delta @ W.T
        if activation == "relu":
            delta = np.where(h > 0, back, np.zeros_like(back))
        elif activation == "sigmoid":
            delta = back * h * (1 - h)
        else:
            delta = back * (1 - h) * (1 + h)
    return dWs[::-1]
"""

LG_ALT_FUNCTIONAL = """
def layer_gradients(Ws, hs, dout, activation):
    pre_slope = {"relu": lambda h: np.heaviside(h, 0).astype(h.dtype),
                 "sigmoid": lambda h: h * (1 - h), "tanh": lambda h: 1 - h**2}[activation]
    grads, g = [], dout
    for l in reversed(range(len(Ws))):
        grads.append(np.dot(hs[l].T, g))
        g = np.dot(g, Ws[l].T) * pre_slope(hs[l])
    grads.reverse()
    return grads
"""

LG_IN_PLACE = """
def layer_gradients(Ws, hs, dout, activation):
    g = dout
    dWs = [None] * len(Ws)
    for l in range(len(Ws) - 1, -1, -1):
        dWs[l] = hs[l].T @ g
        if l > 0:
            s = hs[l]
            if activation == "relu":
                s = (s > 0).astype(s.dtype)
            elif activation == "sigmoid":
                s *= 1 - s  # overwrites hs[l] with the slope
            else:
                s = 1 - s * s
            g = (g @ Ws[l].T) * s
    return dWs
"""

LG_COURSE_BACKWARD = """
def layer_gradients(Ws, hs, dout, activation):
    net = nn.Sequential(*[m for W in Ws for m in (nn.Linear(*W.shape), nn.ACTIVATION_MODULES[activation]())][:-1])
    for layer, W in zip(nn.linear_layers(net), Ws):
        layer.params["W"][...] = W
    net(hs[0])
    net.backward(dout)
    return [layer.grads["W"].astype(W.dtype) for layer, W in zip(nn.linear_layers(net), Ws)]
"""

LAYER_GRADIENTS = Exercise(
    cell="layer_gradients",
    mistakes={
        "no_slope": Mistake(LG_NO_SLOPE, "multiply by its slope at that layer"),
        "tanh_slope_for_the_sigmoid": Mistake(LG_TANH_SLOPE, "1 - h**2 is tanh's slope"),
        "slope_of_sigmoid_of_h": Mistake(LG_SIGMOID_OF_H, "not sigmoid(h) (1 - sigmoid(h))"),
        "last_layer_first": Mistake(LG_REVERSED_ORDER, "return the gradients input side first"),
        "float64_slope_mask": Mistake(LG_FLOAT64_MASK, "keep the dtype of the inputs"),
        "mean_over_the_batch": Mistake(LG_MEAN_OVER_BATCH, "does not match centred differences"),
        "slope_written_into_hs": Mistake(LG_IN_PLACE, "changed its input"),
        "the_course_backward": Mistake(LG_COURSE_BACKWARD, "is off limits in this exercise"),
    },
    alternatives={
        "recursive": LG_ALT_RECURSIVE,
        "einsum_over_reversed_lists": LG_ALT_EINSUM,
        "heaviside_and_reverse": LG_ALT_FUNCTIONAL,
    },
)

EXERCISES = [
    LAYER_GRADIENTS,
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
