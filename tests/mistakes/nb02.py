"""Mistakes and valid alternatives for 02 · weight initialisation."""

from _corpus import Exercise, Mistake

ASSIGNMENT = "02_weight_initialisation"

PREDICT_HEAD = '''def predict_std(std_x, n, sigma_w, L, activation="linear"):
    """Predicted std of the pre-activations z_L after L layers of width n."""
'''

LAYER_HEAD = '''def layer_stats(Ws, x, dout, activation="tanh"):
    """Per-layer activation and gradient statistics of a bias-free stack."""
'''

# the reference's structure with one line changed, for the layer_stats mistakes
LAYER_BODY = """    if activation == "linear":
        f, f_grad = (lambda z: z), (lambda z: np.ones_like(z))
    else:
        f, f_grad = F.get(activation)
    zs, hs, h = [], [], x
    for W in Ws:
        z = h @ W
        h = f(z)
        zs.append(z)
        hs.append(h)
    act_mean = np.array([np.mean(h) for h in hs], dtype=np.float64)
    act_std = np.array([np.std(h) for h in hs], dtype=np.float64)
    grad_std = np.zeros(len(Ws))
    dh = dout
    for l in range(len(Ws) - 1, -1, -1):
        dz = dh * f_grad(zs[l])
        grad_std[l] = np.std(dz)
        dh = dz @ Ws[l].T
    return act_mean, act_std, grad_std
"""


def layer_variant(*edits: tuple[str, str]) -> str:
    body = LAYER_BODY
    for old, new in edits:
        assert old in body, old
        body = body.replace(old, new)
    return LAYER_HEAD + body


EXERCISES = [
    Exercise(
        cell="predict_std",
        mistakes={
            "variance_not_std": Mistake(
                code=PREDICT_HEAD
                + """    if L == 0:
        return float(std_x)
    gain = n * sigma_w**2
    if activation == "relu":
        return float(std_x * gain * (gain / 2) ** (L - 1))
    return float(std_x * gain**L)
""",
                message="√n·σ_w per layer multiplies the std; n·σ_w² multiplies the variance",
            ),
            "forgets_std_x": Mistake(
                code=PREDICT_HEAD
                + """    if L == 0:
        return float(std_x)
    gain = np.sqrt(n) * sigma_w
    if activation == "relu":
        return float(gain * (gain / np.sqrt(2)) ** (L - 1))
    return float(gain**L)
""",
                message="start from the input's std: multiply by std_x",
            ),
            "adds_layers": Mistake(
                code=PREDICT_HEAD
                + """    gain = np.sqrt(n) * sigma_w
    if L == 0:
        return float(std_x)
    if activation == "relu":
        return float(std_x * gain * (1 + (L - 1) * gain / np.sqrt(2)))
    return float(std_x * gain * L)
""",
                message="the per-layer factors multiply: (√n σ_w)^L, not √n σ_w · L",
            ),
            "relu_halves_every_layer": Mistake(
                code=PREDICT_HEAD
                + """    gain = np.sqrt(n) * sigma_w
    if activation == "relu":
        gain = gain / np.sqrt(2)
    return float(std_x * gain**L)
""",
                message="the first layer's input x has not been through a ReLU: only L - 1 halvings",
            ),
            "relu_divides_std_by_2": Mistake(
                code=PREDICT_HEAD
                + """    if L == 0:
        return float(std_x)
    gain = np.sqrt(n) * sigma_w
    if activation == "relu":
        return float(std_x * gain * (gain / 2) ** (L - 1))
    return float(std_x * gain**L)
""",
                message="the ReLU halves the second moment, so the std shrinks by √2, not 2",
            ),
            "relu_never_halves": Mistake(
                code=PREDICT_HEAD
                + """    return float(std_x * (np.sqrt(n) * sigma_w) ** L)
""",
                message="the ReLU halves E[h²]: divide each later factor by √2",
            ),
            "relu_formula_at_L0": Mistake(
                code=PREDICT_HEAD
                + """    gain = np.sqrt(n) * sigma_w
    if activation == "relu":
        return float(std_x * gain * (gain / np.sqrt(2)) ** (L - 1))
    return float(std_x * gain**L)
""",
                message="with L = 0 there is no layer, not even the first one: return std_x",
            ),
        },
        alternatives={
            "loop_over_second_moments": PREDICT_HEAD
            + """    m2 = std_x**2  # E[h_0^2]
    for layer in range(L):
        z2 = n * sigma_w**2 * m2  # E[z^2] of this layer
        m2 = z2 / 2 if activation == "relu" else z2
    return float(np.sqrt(z2)) if L > 0 else float(std_x)
""",
            "exp_log": PREDICT_HEAD
            + """    import math

    if L == 0:
        return std_x * 1.0
    log_gain = math.log(math.sqrt(n) * sigma_w)
    halvings = (L - 1) if activation == "relu" else 0
    return math.exp(math.log(std_x) + L * log_gain - halvings * math.log(2) / 2)
""",
            "variance_closed_form": PREDICT_HEAD
            + """    var = std_x**2 * (n * sigma_w**2) ** L
    if activation == "relu":
        var = var / 2 ** max(L - 1, 0)
    return np.float64(np.sqrt(var))
""",
            "recursive": PREDICT_HEAD
            + """    if L == 0:
        return float(std_x)
    if L == 1:
        return float(std_x * np.sqrt(n) * sigma_w)
    shrink = np.sqrt(2) if activation == "relu" else 1.0
    return predict_std(std_x, n, sigma_w, L - 1, activation) * np.sqrt(n) * sigma_w / shrink
""",
        },
    ),
    Exercise(
        cell="layer_stats",
        mistakes={
            "sample_std": Mistake(
                code=layer_variant(
                    ("np.std(h) for h in hs", "np.std(h, ddof=1) for h in hs"),
                    ("grad_std[l] = np.std(dz)", "grad_std[l] = np.std(dz, ddof=1)"),
                ),
                message="use the population std (np.std's default, ddof=0)",
            ),
            "variances": Mistake(
                code=layer_variant(
                    ("np.std(h) for h in hs", "np.var(h) for h in hs"),
                    ("grad_std[l] = np.std(dz)", "grad_std[l] = np.var(dz)"),
                ),
                message="return standard deviations, not variances",
            ),
            "grad_after_transpose": Mistake(
                code=layer_variant(
                    (
                        "        grad_std[l] = np.std(dz)\n        dh = dz @ Ws[l].T\n",
                        "        dh = dz @ Ws[l].T\n        grad_std[l] = np.std(dh)\n",
                    )
                ),
                message="grad_std is the std of ∂ℒ/∂z_l, before multiplying by W_l.T",
            ),
            "grads_output_side_first": Mistake(
                code=layer_variant(
                    ("grad_std = np.zeros(len(Ws))", "grad_std = []"),
                    ("grad_std[l] = np.std(dz)", "grad_std.append(np.std(dz))"),
                    (
                        "return act_mean, act_std, grad_std",
                        "return act_mean, act_std, np.array(grad_std)",
                    ),
                ),
                message="return the gradients input side first (entry 0 is layer 1)",
            ),
            "std_of_z": Mistake(
                code=layer_variant(("np.std(h) for h in hs", "np.std(z) for z in zs")),
                message="act_std is the std of h_l = f(z_l), after the activation, not of z_l",
            ),
            "no_activation_slope": Mistake(
                code=layer_variant(("dz = dh * f_grad(zs[l])", "dz = dh")),
                message="multiply by f'(z_l)",
            ),
            "slope_at_h": Mistake(
                code=layer_variant(("dz = dh * f_grad(zs[l])", "dz = dh * f_grad(hs[l])")),
                message="use f'(z_l), the slope at the layer's input, not f'(h_l)",
            ),
            "missing_transpose": Mistake(
                code=layer_variant(("dh = dz @ Ws[l].T", "dh = dz @ Ws[l]")),
                message="your function raised ValueError",
            ),
            "changes_dout_in_place": Mistake(
                code=layer_variant(
                    ("dz = dh * f_grad(zs[l])", "dh *= f_grad(zs[l])\n        dz = dh")
                ),
                message="changed its input `dout` in place",
            ),
            "uses_package_statistics": Mistake(
                code=LAYER_HEAD
                + """    s = weight_scale.layer_statistics(Ws, x, dout, activation)
    return s["act_mean"], s["act_std"], s["grad_std"]
""",
                message="off limits in this exercise",
            ),
        },
        alternatives={
            "own_activations_slope_from_output": LAYER_HEAD
            + """    f = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0),
         "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z))}[activation]
    slope = {"linear": lambda h: np.ones_like(h), "tanh": lambda h: 1.0 - h * h,
             "relu": lambda h: (h > 0).astype(np.float64), "sigmoid": lambda h: h * (1.0 - h)}
    hs = [x]
    for W in Ws:
        hs.append(f(hs[-1] @ W))
    L = len(Ws)
    act_mean = np.array([hs[l].sum() / hs[l].size for l in range(1, L + 1)])
    act_std = np.array([np.sqrt(np.mean((hs[l] - hs[l].mean()) ** 2)) for l in range(1, L + 1)])
    grad_std = np.empty(L)
    g = dout
    for l in reversed(range(L)):
        dz = g * slope[activation](hs[l + 1])
        grad_std[l] = dz.std()
        g = np.einsum("nj,ij->ni", dz, Ws[l])
    return act_mean, act_std, grad_std
""",
            "moments_and_reversed_list": LAYER_HEAD
            + """    if activation == "linear":
        f, df = (lambda z: z), (lambda z: 1.0)
    else:
        f, df = F.get(activation)
    zs, h = [], x
    means, stds = [], []
    for W in Ws:
        zs.append(h @ W)
        h = f(zs[-1])
        m = float(np.mean(h))
        means.append(m)
        stds.append(np.sqrt(max(float(np.mean(h**2)) - m * m, 0.0)))
    grads, g = [], dout
    for W, z in zip(reversed(Ws), reversed(zs)):
        dz = g * df(z)
        grads.append(float(np.std(dz)))
        g = np.dot(dz, W.T)
    return np.array(means), np.array(stds), np.array(grads[::-1])
""",
            "functional_style": LAYER_HEAD
            + """    from functools import reduce

    f, fp = (F.get(activation) if activation != "linear"
             else (lambda z: z + 0.0, lambda z: np.full_like(z, 1.0)))
    zs = []

    def step(h, W):
        zs.append(np.matmul(h, W))
        return f(zs[-1])

    hs = []
    reduce(lambda h, W: hs.append(step(h, W)) or hs[-1], Ws, x)
    stats = np.array([[np.mean(h), np.std(h)] for h in hs]).T
    dzs = [None] * len(Ws)
    g = dout.copy()
    for l in range(len(Ws) - 1, -1, -1):
        dzs[l] = g * fp(zs[l])
        g = np.matmul(dzs[l], np.transpose(Ws[l]))
    return stats[0].copy(), stats[1].copy(), np.array([np.std(d) for d in dzs])
""",
        },
    ),
]


# the forward pass every weight-gradient mistake shares; each mistake changes the backward loop
WEIGHT_HEAD = """def weight_gradients(Ws, x, dout, activation="tanh"):
    if activation == "linear":
        f, f_grad = (lambda z: z), (lambda z: np.ones_like(z))
    else:
        f, f_grad = F.get(activation)
    zs, hs, h = [], [x], x
    for W in Ws:
        zs.append(h @ W)
        h = f(zs[-1])
        hs.append(h)
    dWs, dh = [None] * len(Ws), dout
    for l in range(len(Ws) - 1, -1, -1):
"""
WEIGHT_BODY = """        dz = dh * f_grad(zs[l])
        dWs[l] = hs[l].T @ dz
        dh = dz @ Ws[l].T
    return dWs
"""


def weight_variant(*edits: tuple[str, str], head: str = WEIGHT_HEAD) -> str:
    body = WEIGHT_BODY
    for old, new in edits:
        assert old in body, old
        body = body.replace(old, new)
    return head + body


WEIGHT_GRADIENTS = Exercise(
    cell="weight_gradients",
    mistakes={
        "transposed": Mistake(
            code=weight_variant(("dWs[l] = hs[l].T @ dz", "dWs[l] = dz.T @ hs[l]")),
            message="that is the transpose of ∂ℒ/∂W_l",
        ),
        "output_side_first": Mistake(
            code=weight_variant(("dWs[l] = hs[l].T @ dz", "dWs[len(Ws) - 1 - l] = hs[l].T @ dz")),
            message="input side first",
        ),
        "output_not_input": Mistake(
            code=weight_variant(("dWs[l] = hs[l].T @ dz", "dWs[l] = hs[l + 1].T @ dz")),
            message="not its output h_l",
        ),
        "no_slope": Mistake(
            code=weight_variant(("dz = dh * f_grad(zs[l])", "dz = dh")),
            message="multiply by f'(z_l)",
        ),
        "slope_at_h": Mistake(
            code=weight_variant(("dz = dh * f_grad(zs[l])", "dz = dh * f_grad(hs[l + 1])")),
            message="not f'(h_l)",
        ),
        # a ReLU slope written as z >= 0
        "relu_slope_one_at_kink": Mistake(
            code=weight_variant(
                (
                    "dz = dh * f_grad(zs[l])",
                    'dz = dh * ((zs[l] >= 0) * 1.0 if activation == "relu" else f_grad(zs[l]))',
                )
            ),
            message="at the kink z = 0 the ReLU's slope is 0, not 1",
        ),
        "sigmoid_with_tanh_slope": Mistake(
            code=weight_variant(
                (
                    "dz = dh * f_grad(zs[l])",
                    'dz = dh * (1 - np.tanh(zs[l]) ** 2 if activation == "sigmoid" '
                    "else f_grad(zs[l]))",
                )
            ),
            message="that uses tanh's slope",
        ),
        # square W_2 = 3I is symmetric: the missing transpose shows on the random stack
        "missing_transpose_down": Mistake(
            code=weight_variant(("dh = dz @ Ws[l].T", "dh = dz @ Ws[l]")),
            message="your function raised ValueError",
        ),
        "changes_dout_in_place": Mistake(
            code=weight_variant(
                ("dz = dh * f_grad(zs[l])", "dh *= f_grad(zs[l])\n        dz = dh")
            ),
            message="changed its input `dout` in place",
        ),
        "default_relu": Mistake(
            code=weight_variant(head=WEIGHT_HEAD.replace('activation="tanh"', 'activation="relu"')),
            message="case: weight_gradients(",
        ),
    },
    alternatives={
        "slopes_from_outputs_einsum": """def weight_gradients(Ws, x, dout, activation="tanh"):
    f = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0),
         "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z))}[activation]
    slope = {"linear": lambda h: np.ones_like(h), "tanh": lambda h: 1.0 - h * h,
             "relu": lambda h: (h > 0).astype(np.float64), "sigmoid": lambda h: h * (1.0 - h)}
    hs = [x]
    for W in Ws:
        hs.append(f(hs[-1] @ W))
    grads, g = [], dout
    for l in reversed(range(len(Ws))):
        dz = g * slope[activation](hs[l + 1])
        grads.append(np.einsum("ni,nj->ij", hs[l], dz))
        g = np.einsum("nj,ij->ni", dz, Ws[l])
    return grads[::-1]
""",
        "outer_products_insert": """def weight_gradients(Ws, x, dout, activation="tanh"):
    if activation == "linear":
        f, fp = (lambda z: z + 0.0), (lambda z: np.full_like(z, 1.0))
    else:
        f, fp = F.get(activation)
    ins, zs, h = [], [], x
    for W in Ws:
        ins.append(h)
        zs.append(np.matmul(h, W))
        h = f(zs[-1])
    out, g = [], dout.copy()
    for W, z, a in zip(Ws[::-1], zs[::-1], ins[::-1]):
        g = g * fp(z)
        out.insert(0, sum(np.outer(a[n], g[n]) for n in range(a.shape[0])))
        g = np.matmul(g, W.T)
    return out
""",
        "tensordot_where_tuple": """def weight_gradients(Ws, x, dout, activation="tanh"):
    def act(z):
        if activation == "tanh":
            t = np.tanh(z)
            return t, 1 - t * t
        if activation == "relu":
            return np.where(z > 0, z, 0.0), np.where(z > 0, 1.0, 0.0)
        if activation == "sigmoid":
            s = 1 / (1 + np.exp(-z))
            return s, s * (1 - s)
        return z, np.ones_like(z)

    hs, slopes = [x], []
    for W in Ws:
        h, d = act(np.dot(hs[-1], W))
        hs.append(h)
        slopes.append(d)
    dW = [None] * len(Ws)
    g = dout
    for l in range(len(Ws) - 1, -1, -1):
        delta = g * slopes[l]
        dW[l] = np.tensordot(hs[l], delta, axes=([0], [0]))
        g = np.dot(delta, np.transpose(Ws[l]))
    return tuple(dW)
""",
    },
)

EXERCISES.append(WEIGHT_GRADIENTS)


# --- More variants: other evaluation orders, float32 and extreme inputs (alternatives);
# off-by-one, missing factor, sign and dtype slips caught with their case or hint (mistakes).
_MORE_MISTAKES = {
    "predict_std": {
        "sigma_not_squared": Mistake(
            'def predict_std(std_x, n, sigma_w, L, activation="linear"):\n    if L == 0:\n        return float(std_x)\n    g = np.sqrt(n * sigma_w)\n    return float(std_x * g * (g / (np.sqrt(2) if activation == "relu" else 1)) ** (L - 1))\n',
            "case: predict_std(",
        ),
        "default_relu": Mistake(
            'def predict_std(std_x, n, sigma_w, L, activation="relu"):\n    if L == 0:\n        return float(std_x)\n    g = np.sqrt(n) * sigma_w\n    return float(std_x * g * (g / (np.sqrt(2) if activation == "relu" else 1)) ** (L - 1))\n',
            "case: predict_std(",
        ),
    },
    "layer_stats": {
        "sigmoid_with_tanh_slope": Mistake(
            'def layer_stats(Ws, x, dout, activation="tanh"):\n    f = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "sigmoid": F.sigmoid}[activation]\n    fp = {"linear": lambda z: np.ones_like(z), "relu": lambda z: (z > 0) * 1.0}.get(activation, lambda z: 1 - np.tanh(z) ** 2)\n    zs, hs, h = [], [], x\n    for W in Ws:\n        zs.append(h @ W); h = f(zs[-1]); hs.append(h)\n    gs, g = [], dout\n    for W, z in zip(Ws[::-1], zs[::-1]):\n        dz = g * fp(z); gs.append(np.std(dz)); g = dz @ W.T\n    return np.array([h.mean() for h in hs]), np.array([h.std() for h in hs]), np.array(gs[::-1])\n',
            "uses tanh's slope",
        ),
        "per_unit_std_mean": Mistake(
            'def layer_stats(Ws, x, dout, activation="tanh"):\n    f, fp = (lambda z: z, lambda z: np.ones_like(z)) if activation == "linear" else F.get(activation)\n    zs, hs, h = [], [], x\n    for W in Ws:\n        zs.append(h @ W); h = f(zs[-1]); hs.append(h)\n    gs, g = [], dout\n    for W, z in zip(Ws[::-1], zs[::-1]):\n        dz = g * fp(z); gs.append(np.std(dz, axis=0).mean()); g = dz @ W.T\n    return (np.array([h.mean() for h in hs]), np.array([np.std(h, axis=0).mean() for h in hs]),\n            np.array(gs[::-1]))\n',
            "case: layer_stats(",
        ),
        "float32_results": Mistake(
            'def layer_stats(Ws, x, dout, activation="tanh"):\n    f, fp = (lambda z: z, lambda z: np.ones_like(z)) if activation == "linear" else F.get(activation)\n    zs, hs, h = [], [], x\n    for W in Ws:\n        zs.append(h @ W); h = f(zs[-1]); hs.append(h)\n    gs, g = [], dout\n    for W, z in zip(Ws[::-1], zs[::-1]):\n        dz = g * fp(z); gs.append(np.std(dz)); g = dz @ W.T\n    mk = lambda v: np.array(v, dtype=np.float32)\n    return mk([h.mean() for h in hs]), mk([h.std() for h in hs]), mk(gs[::-1])\n',
            "float32",
        ),
    },
}
_MORE_ALTERNATIVES = {
    "predict_std": {
        "variance_loop": 'import math\ndef predict_std(std_x, n, sigma_w, L, activation="linear"):\n    v = std_x * std_x\n    for l in range(L):\n        if activation == "relu" and l > 0:\n            v = v / 2\n        v = v * n * sigma_w ** 2\n    return math.sqrt(v)\n',
        "exp_log_from_halvings": 'def predict_std(std_x, n, sigma_w, L, activation="linear"):\n    if L == 0:\n        return float(std_x)\n    halvings = L - 1 if activation == "relu" else 0\n    return float(std_x * np.exp(L * np.log(np.sqrt(n) * sigma_w) - halvings * np.log(2) / 2))\n',
    },
    "layer_stats": {
        "moments_and_mean_of_means": 'def layer_stats(Ws, x, dout, activation="tanh"):\n    f, fp = (lambda z: z, lambda z: np.ones_like(z)) if activation == "linear" else F.get(activation)\n    zs, hs = [], []\n    h = x\n    for W in Ws:\n        zs.append(h @ W); h = f(zs[-1]); hs.append(h)\n    am = np.array([h.mean(axis=0).mean() for h in hs])\n    sd = np.array([np.sqrt(np.mean(h ** 2) - np.mean(h) ** 2) for h in hs])\n    gs = []\n    g = dout\n    for W, z in zip(Ws[::-1], zs[::-1]):\n        dz = g * fp(z)\n        gs.append(np.sqrt(np.mean(dz ** 2) - np.mean(dz) ** 2))\n        g = dz @ W.T\n    return am, sd, np.array(gs[::-1])\n',
        "sum_over_size_two_pass": 'def layer_stats(Ws, x, dout, activation="tanh"):\n    acts = {"linear": (lambda z: z, lambda z: 0 * z + 1),\n            "tanh": (np.tanh, lambda z: 1 / np.cosh(z) ** 2),\n            "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0) * 1.0),\n            "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2)}\n    f, fp = acts[activation]\n    L = len(Ws)\n    am, sd, gs = np.zeros(L), np.zeros(L), np.zeros(L)\n    zs, h = [], x\n    for l, W in enumerate(Ws):\n        z = h @ W; zs.append(z); h = f(z)\n        am[l] = h.sum() / h.size\n        sd[l] = np.sqrt(((h - am[l]) ** 2).sum() / h.size)\n    g = dout\n    for l in reversed(range(L)):\n        dz = g * fp(zs[l])\n        gs[l] = np.sqrt(((dz - dz.mean()) ** 2).mean())\n        g = np.dot(dz, Ws[l].T)\n    return am, sd, gs\n',
    },
}
for _ex in EXERCISES:
    for _name in (
        _MORE_MISTAKES.get(_ex.cell, {}).keys() | _MORE_ALTERNATIVES.get(_ex.cell, {}).keys()
    ):
        assert _name not in _ex.mistakes and _name not in _ex.alternatives, _name
    _ex.mistakes.update(_MORE_MISTAKES.get(_ex.cell, {}))
    _ex.alternatives.update(_MORE_ALTERNATIVES.get(_ex.cell, {}))
