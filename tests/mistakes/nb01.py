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

TANH_GRAD = Exercise(
    cell="tanh_grad",
    mistakes={
        "no_square": Mistake(
            code="def tanh_grad(x):\n    return 1 - np.tanh(x)\n",
            message="square tanh: 1 - tanh(x)², not 1 - tanh(x)",
        ),
        "returns_tanh": Mistake(
            code="def tanh_grad(x):\n    return np.tanh(x)\n",
            message="you returned tanh(0) = 0",
        ),
        # tanh written out: e^{1000} = inf, inf/inf = nan
        "exp_formula_overflows": Mistake(
            code=(
                "def tanh_grad(x):\n"
                "    t = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))\n"
                "    return 1 - t**2\n"
            ),
            message="tanh written with np.exp gives inf/inf = nan",
        ),
        "float64_cast": Mistake(
            code=(
                "def tanh_grad(x):\n"
                "    x = np.asarray(x, dtype=np.float64)\n"
                "    return 1 - np.tanh(x) ** 2\n"
            ),
            message="has dtype float64, expected float32",
        ),
        "sech_not_squared": Mistake(
            code="def tanh_grad(x):\n    return 1 / np.cosh(x)\n",
            message="1/cosh(x) is missing the square",
        ),
        # the identity tanh(x) = 2σ(2x) - 1 without the inner factor 2
        "identity_missing_factor_two": Mistake(
            code="def tanh_grad(x):\n    s = F.sigmoid(2 * x)\n    return 2 * s * (1 - s)\n",
            message="tanh'(x) = 2 · 2σ'(2x) = 4σ'(2x)",
        ),
        "one_plus_tanh_squared": Mistake(
            code="def tanh_grad(x):\n    return 1 + np.tanh(x) ** 2\n",
            message="1 - tanh(x)², not 1 + tanh(x)²",
        ),
        # reusing x for 2x changes the caller's array
        "doubles_input_in_place": Mistake(
            code=(
                "def tanh_grad(x):\n"
                "    x = np.asarray(x)\n"
                "    x *= 2\n"
                "    s = F.sigmoid(x)\n"
                "    return 4 * s * (1 - s)\n"
            ),
            message="changed its input `x` in place",
        ),
    },
    alternatives={
        "sech_squared": "def tanh_grad(x):\n    return 1 / np.cosh(x) ** 2\n",
        # the identity the hidden tests once used, with the learner's own sigmoid_grad
        "identity_own_sigmoid_grad": "def tanh_grad(x):\n    return 4 * sigmoid_grad(2 * x)\n",
        # the review's case: 4σ(2x)(1 - σ(2x)), which float32 at rtol 1e-5 used to zero
        "identity_sigmoid": (
            "def tanh_grad(x):\n    s = F.sigmoid(2 * x)\n    return 4 * s * (1 - s)\n"
        ),
        "factored": "def tanh_grad(x):\n    t = np.tanh(x)\n    return (1 - t) * (1 + t)\n",
        "even_form": (
            "def tanh_grad(x):\n    e = np.exp(-2 * np.abs(x))\n    return 4 * e / (1 + e) ** 2\n"
        ),
    },
)

MAX_GRADIENT_FACTOR = Exercise(
    cell="max_gradient_factor",
    mistakes={
        "no_abs": Mistake(
            code="def max_gradient_factor(L, w=1.0):\n    return float((w / 4) ** L)\n",
            message="it is a bound on a magnitude: use |w|",
        ),
        "sum_not_product": Mistake(
            code="def max_gradient_factor(L, w=1.0):\n    return L * abs(w) / 4\n",
            message="the factors multiply",
        ),
        "w_not_powered": Mistake(
            code="def max_gradient_factor(L, w=1.0):\n    return abs(w) / 4**L\n",
            message="raise |w| to the power L too",
        ),
        "logarithm": Mistake(
            code="def max_gradient_factor(L, w=1.0):\n    return L * np.log10(abs(w) / 4)\n",
            message="not its logarithm",
        ),
        "clipped_at_one": Mistake(
            code="def max_gradient_factor(L, w=1.0):\n    return min(1.0, (abs(w) / 4) ** L)\n",
            message="no clipping at 1",
        ),
        "returns_array": Mistake(
            code="def max_gradient_factor(L, w=1.0):\n    return np.array([(abs(w) / 4) ** L])\n",
            message="should be a single number",
        ),
        "ignores_w": Mistake(
            code="def max_gradient_factor(L, w=1.0):\n    return 0.25**L\n",
            message="the bound depends on w",
        ),
        "one_factor_short": Mistake(
            code="def max_gradient_factor(L, w=1.0):\n    return (abs(w) / 4) ** (L - 1)\n",
            message="one layer gives one factor",
        ),
    },
    alternatives={
        "product_of_factors": (
            "def max_gradient_factor(L, w=1.0):\n    return float(np.prod(np.full(L, abs(w) / 4)))\n"
        ),
        "loop": (
            "def max_gradient_factor(L, w=1.0):\n"
            "    bound = 1.0\n"
            "    for _ in range(L):\n"
            "        bound *= abs(w) / 4\n"
            "    return bound\n"
        ),
        "exp_of_log": (
            "import math\n\n\n"
            "def max_gradient_factor(L, w=1.0):\n"
            "    return math.exp(L * math.log(abs(w) / 4))\n"
        ),
        "powers_apart": "def max_gradient_factor(L, w=1.0):\n    return abs(w) ** L / 4**L\n",
        "math_pow": (
            "import math\n\n\n"
            "def max_gradient_factor(L, w=1.0):\n"
            "    return math.pow(math.fabs(w) / 4, L)\n"
        ),
    },
)

# the forward pass every chain mistake shares; each mistake changes the backward loop
_CHAIN_HEAD = (
    "def chain_gradient_norms(Ws, x, dout):\n"
    "    zs, h = [], x\n"
    "    for W in Ws:\n"
    "        zs.append(h @ W)\n"
    "        h = F.sigmoid(zs[-1])\n"
    "    norms, dh = [], dout\n"
    "    for l in range(len(Ws) - 1, -1, -1):\n"
    "        s = F.sigmoid(zs[l])\n"
)
_CHAIN_TAIL = "    return np.array(norms[::-1])\n"

CHAIN_GRADIENT_NORMS = Exercise(
    cell="chain_gradient_norms",
    mistakes={
        "spectral_norm": Mistake(
            code=_CHAIN_HEAD
            + "        dh = (dh * s * (1 - s)) @ Ws[l].T\n"
            + "        norms.append(np.linalg.norm(dh, 2))\n"
            + _CHAIN_TAIL,
            message="the norm asked for is the Frobenius norm",
        ),
        "no_slope": Mistake(
            code=_CHAIN_HEAD
            + "        dh = dh @ Ws[l].T\n"
            + "        norms.append(np.linalg.norm(dh))\n"
            + _CHAIN_TAIL,
            message="multiply by σ'(z) at every layer",
        ),
        "slope_of_h": Mistake(
            code=_CHAIN_HEAD
            + "        sh = F.sigmoid(F.sigmoid(zs[l]))\n"
            + "        dh = (dh * sh * (1 - sh)) @ Ws[l].T\n"
            + "        norms.append(np.linalg.norm(dh))\n"
            + _CHAIN_TAIL,
            message="not σ'(h_l)",
        ),
        "output_side_first": Mistake(
            code=_CHAIN_HEAD
            + "        dh = (dh * s * (1 - s)) @ Ws[l].T\n"
            + "        norms.append(np.linalg.norm(dh))\n"
            + "    return np.array(norms)\n",
            message="input side first",
        ),
        "norm_of_dz": Mistake(
            code=_CHAIN_HEAD
            + "        dz = dh * s * (1 - s)\n"
            + "        norms.append(np.linalg.norm(dz))\n"
            + "        dh = dz @ Ws[l].T\n"
            + _CHAIN_TAIL,
            message="multiply by W.T",
        ),
        "dout_instead_of_dx": Mistake(
            code=_CHAIN_HEAD
            + "        norms.append(np.linalg.norm(dh))\n"
            + "        dh = (dh * s * (1 - s)) @ Ws[l].T\n"
            + _CHAIN_TAIL,
            message="1 is ||dout||",
        ),
        # fits 1-unit chains; the non-square layer raises
        "missing_transpose": Mistake(
            code=_CHAIN_HEAD
            + "        dh = (dh * s * (1 - s)) @ Ws[l]\n"
            + "        norms.append(np.linalg.norm(dh))\n"
            + _CHAIN_TAIL,
            message="your function raised ValueError",
        ),
        # dh = dout, then *= changes the caller's dout
        "dout_changed_in_place": Mistake(
            code=_CHAIN_HEAD
            + "        dh *= s * (1 - s)\n"
            + "        dh = dh @ Ws[l].T\n"
            + "        norms.append(np.linalg.norm(dh))\n"
            + _CHAIN_TAIL,
            message="changed its input `dout` in place",
        ),
    },
    alternatives={
        "slope_from_activations": (
            "def chain_gradient_norms(Ws, x, dout):\n"
            "    hs = [x]\n"
            "    for W in Ws:\n"
            "        hs.append(F.sigmoid(hs[-1] @ W))\n"
            "    dh, norms = dout, []\n"
            "    for l in reversed(range(len(Ws))):\n"
            "        h = hs[l + 1]\n"
            "        dh = (dh * h * (1 - h)) @ Ws[l].T\n"
            "        norms.append(np.sqrt(np.sum(dh**2)))\n"
            "    return np.array(norms[::-1])\n"
        ),
        "einsum_and_insert": (
            "def chain_gradient_norms(Ws, x, dout):\n"
            "    zs, h = [], x\n"
            "    for W in Ws:\n"
            "        z = np.einsum('ni,ij->nj', h, W)\n"
            "        zs.append(z)\n"
            "        h = 1 / (1 + np.exp(-z))\n"
            "    dh, norms = dout, []\n"
            "    for W, z in zip(reversed(Ws), reversed(zs)):\n"
            "        s = 1 / (1 + np.exp(-z))\n"
            "        dh = np.einsum('nj,ij->ni', dh * s * (1 - s), W)\n"
            "        norms.insert(0, np.linalg.norm(dh, 'fro'))\n"
            "    return np.array(norms)\n"
        ),
        "own_sigmoid_grad_preallocated": (
            "def chain_gradient_norms(Ws, x, dout):\n"
            "    L = len(Ws)\n"
            "    zs = [None] * L\n"
            "    h = x\n"
            "    for l in range(L):\n"
            "        zs[l] = h.dot(Ws[l])\n"
            "        h = F.sigmoid(zs[l])\n"
            "    norms = np.empty(L, dtype=np.float64)\n"
            "    g = dout.copy()\n"
            "    for l in range(L - 1, -1, -1):\n"
            "        g *= sigmoid_grad(zs[l])  # g is our own copy\n"
            "        g = g.dot(Ws[l].T)\n"
            "        norms[l] = np.sqrt(np.einsum('ij,ij->', g, g))\n"
            "    return norms\n"
        ),
        "recursive": (
            "def chain_gradient_norms(Ws, x, dout):\n"
            "    if not Ws:\n"
            "        return np.zeros(0)\n"
            "    z = x @ Ws[0]\n"
            "    s = F.sigmoid(z)\n"
            "    rest = chain_gradient_norms(Ws[1:], s, dout)\n"
            "    # recompute ∂ℒ/∂h_1 from the layers above (the chain is short)\n"
            "    dh = dout\n"
            "    zs, h = [], s\n"
            "    for W in Ws[1:]:\n"
            "        zs.append(h @ W)\n"
            "        h = F.sigmoid(zs[-1])\n"
            "    for W, zl in zip(reversed(Ws[1:]), reversed(zs)):\n"
            "        sl = F.sigmoid(zl)\n"
            "        dh = (dh * sl * (1 - sl)) @ W.T\n"
            "    dx = (dh * s * (1 - s)) @ Ws[0].T\n"
            "    return np.concatenate([[np.linalg.norm(dx)], rest])\n"
        ),
    },
)

EXERCISES = [SIGMOID_GRAD, TANH_GRAD, MAX_GRADIENT_FACTOR, CHAIN_GRADIENT_NORMS]


# the forward pass every weight-gradient mistake shares; each mistake changes the backward loop
_WEIGHT_HEAD = (
    "def chain_weight_gradients(Ws, x, dout):\n"
    "    zs, hs, h = [], [x], x\n"
    "    for W in Ws:\n"
    "        zs.append(h @ W)\n"
    "        h = F.sigmoid(zs[-1])\n"
    "        hs.append(h)\n"
    "    dWs, dh = [None] * len(Ws), dout\n"
    "    for l in range(len(Ws) - 1, -1, -1):\n"
    "        s = F.sigmoid(zs[l])\n"
)
_WEIGHT_TAIL = "    return dWs\n"

CHAIN_WEIGHT_GRADIENTS = Exercise(
    cell="chain_weight_gradients",
    mistakes={
        "no_slope": Mistake(
            code=_WEIGHT_HEAD
            + "        dWs[l] = hs[l].T @ dh\n"
            + "        dh = dh @ Ws[l].T\n"
            + _WEIGHT_TAIL,
            message="multiply by σ'(z_l)",
        ),
        # ∂ℒ/∂z_l returned as if it were the weight gradient
        "dz_not_dW": Mistake(
            code=_WEIGHT_HEAD
            + "        dz = dh * s * (1 - s)\n"
            + "        dWs[l] = dz\n"
            + "        dh = dz @ Ws[l].T\n"
            + _WEIGHT_TAIL,
            message="the weight gradient also involves the layer's input",
        ),
        "output_not_input": Mistake(
            code=_WEIGHT_HEAD
            + "        dz = dh * s * (1 - s)\n"
            + "        dWs[l] = hs[l + 1].T @ dz\n"
            + "        dh = dz @ Ws[l].T\n"
            + _WEIGHT_TAIL,
            message="not its output h_l",
        ),
        "output_side_first": Mistake(
            code=_WEIGHT_HEAD
            + "        dz = dh * s * (1 - s)\n"
            + "        dWs[len(Ws) - 1 - l] = hs[l].T @ dz\n"
            + "        dh = dz @ Ws[l].T\n"
            + _WEIGHT_TAIL,
            message="input side first",
        ),
        # fits 1-unit chains and a single layer; the random two-layer chain raises
        "missing_transpose_down": Mistake(
            code=_WEIGHT_HEAD
            + "        dz = dh * s * (1 - s)\n"
            + "        dWs[l] = hs[l].T @ dz\n"
            + "        dh = dz @ Ws[l]\n"
            + _WEIGHT_TAIL,
            message="your function raised ValueError",
        ),
        # dz^T h is the transpose of the weight gradient
        "transposed_gradient": Mistake(
            code=_WEIGHT_HEAD
            + "        dz = dh * s * (1 - s)\n"
            + "        dWs[l] = dz.T @ hs[l]\n"
            + "        dh = dz @ Ws[l].T\n"
            + _WEIGHT_TAIL,
            message="has shape (3, 2), expected shape (2, 3)",
        ),
        "no_transpose_down_the_chain": Mistake(
            code=_WEIGHT_HEAD
            + "        dz = dh * s * (1 - s)\n"
            + "        dWs[l] = hs[l].T @ dz\n"
            + "        dh = dz\n"
            + _WEIGHT_TAIL,
            message="multiply by W_l.T",
        ),
        "dout_changed_in_place": Mistake(
            code=_WEIGHT_HEAD
            + "        dh *= s * (1 - s)\n"
            + "        dWs[l] = hs[l].T @ dh\n"
            + "        dh = dh @ Ws[l].T\n"
            + _WEIGHT_TAIL,
            message="changed its input `dout` in place",
        ),
        "returns_norms": Mistake(
            code=_WEIGHT_HEAD
            + "        dz = dh * s * (1 - s)\n"
            + "        dWs[l] = np.linalg.norm(hs[l].T @ dz)\n"
            + "        dh = dz @ Ws[l].T\n"
            + "    return np.array(dWs)\n",
            message="should be a list",
        ),
    },
    alternatives={
        "einsum_slope_from_outputs": (
            "def chain_weight_gradients(Ws, x, dout):\n"
            "    hs = [x]\n"
            "    for W in Ws:\n"
            "        hs.append(1 / (1 + np.exp(-np.einsum('ni,ij->nj', hs[-1], W))))\n"
            "    grads, g = [], dout\n"
            "    for l in reversed(range(len(Ws))):\n"
            "        dz = g * hs[l + 1] * (1 - hs[l + 1])\n"
            "        grads.append(np.einsum('ni,nj->ij', hs[l], dz))\n"
            "        g = np.einsum('nj,ij->ni', dz, Ws[l])\n"
            "    return grads[::-1]\n"
        ),
        "sum_of_outer_products": (
            "def chain_weight_gradients(Ws, x, dout):\n"
            "    zs, ins, h = [], [], x\n"
            "    for W in Ws:\n"
            "        ins.append(h)\n"
            "        zs.append(h.dot(W))\n"
            "        h = F.sigmoid(zs[-1])\n"
            "    out = []\n"
            "    g = dout.copy()\n"
            "    for W, z, a in zip(Ws[::-1], zs[::-1], ins[::-1]):\n"
            "        g *= sigmoid_grad(z)  # our own copy\n"
            "        out.insert(0, sum(np.outer(a[n], g[n]) for n in range(len(a))))\n"
            "        g = g.dot(W.T)\n"
            "    return out\n"
        ),
        "tensordot_tuple": (
            "def chain_weight_gradients(Ws, x, dout):\n"
            "    L = len(Ws)\n"
            "    h = [x] + [None] * L\n"
            "    for l in range(L):\n"
            "        h[l + 1] = F.sigmoid(np.matmul(h[l], Ws[l]))\n"
            "    dW = [None] * L\n"
            "    delta = dout * F.sigmoid(h[L - 1] @ Ws[L - 1]) * F.sigmoid(-(h[L - 1] @ Ws[L - 1]))\n"
            "    for l in range(L - 1, -1, -1):\n"
            "        dW[l] = np.tensordot(h[l], delta, axes=(0, 0))\n"
            "        if l:\n"
            "            up = np.matmul(delta, Ws[l].T)\n"
            "            delta = up * h[l] * (1 - h[l])\n"
            "    return tuple(dW)\n"
        ),
    },
)

EXERCISES.append(CHAIN_WEIGHT_GRADIENTS)


# --- More variants: other evaluation orders, float32 and extreme inputs (alternatives);
# off-by-one, missing factor, sign and dtype slips caught with their case or hint (mistakes).
_MORE_MISTAKES = {
    "sigmoid_grad": {
        "sigma_squared": Mistake(
            "def sigmoid_grad(x):\n    return F.sigmoid(x) * (1 - F.sigmoid(-x))\n",
            "case: sigmoid_grad(",
        ),
        "cosh_missing_half": Mistake(
            "def sigmoid_grad(x):\n    return 0.25 / np.cosh(x) ** 2\n",
            "case: sigmoid_grad(",
        ),
    },
    "tanh_grad": {
        "identity_without_inner_2x": Mistake(
            "def tanh_grad(x):\n    s = F.sigmoid(x)\n    return 4 * s * (1 - s)\n",
            "case: tanh_grad(",
        ),
        "tanh_of_square": Mistake(
            "def tanh_grad(x):\n    return 1 - np.tanh(x ** 2)\n",
            "case: tanh_grad(",
        ),
    },
    "max_gradient_factor": {
        "floor_division": Mistake(
            "def max_gradient_factor(L, w=1.0):\n    return float((abs(w) // 4) ** L)\n",
            "case: max_gradient_factor(",
        ),
        "half_not_quarter": Mistake(
            "def max_gradient_factor(L, w=1.0):\n    return float((abs(w) / 2) ** L)\n",
            "case: max_gradient_factor(",
        ),
    },
    "chain_gradient_norms": {
        "per_example_norm_sum": Mistake(
            "def chain_gradient_norms(Ws, x, dout):\n    zs, h = [], x\n    for W in Ws:\n        z = h @ W; zs.append(z); h = F.sigmoid(z)\n    norms = np.zeros(len(Ws)); dh = dout\n    for l in range(len(Ws) - 1, -1, -1):\n        dh = (dh * sigmoid_grad(zs[l])) @ Ws[l].T\n        norms[l] = np.linalg.norm(dh, axis=1).sum()\n    return norms\n",
            "case: chain_gradient_norms(",
        ),
        "divided_by_batch": Mistake(
            "def chain_gradient_norms(Ws, x, dout):\n    zs, h = [], x\n    for W in Ws:\n        z = h @ W; zs.append(z); h = F.sigmoid(z)\n    norms = np.zeros(len(Ws)); dh = dout\n    for l in range(len(Ws) - 1, -1, -1):\n        dh = (dh * sigmoid_grad(zs[l])) @ Ws[l].T\n        norms[l] = np.linalg.norm(dh) / len(x)\n    return norms\n",
            "case: chain_gradient_norms(",
        ),
        "dout_and_dx_both": Mistake(
            "def chain_gradient_norms(Ws, x, dout):\n    zs, h = [], x\n    for W in Ws:\n        z = h @ W; zs.append(z); h = F.sigmoid(z)\n    norms = [np.linalg.norm(dout)]; dh = dout\n    for l in range(len(Ws) - 1, -1, -1):\n        dh = (dh * sigmoid_grad(zs[l])) @ Ws[l].T\n        norms.append(np.linalg.norm(dh))\n    return np.array(norms[::-1])\n",
            "shape",
        ),
    },
}
_MORE_ALTERNATIVES = {
    "sigmoid_grad": {
        "sigma_times_sigma_minus": "def sigmoid_grad(x):\n    return F.sigmoid(x) * F.sigmoid(-x)\n",
        "half_angle_tanh": "def sigmoid_grad(x):\n    t = np.tanh(x / 2)\n    return 0.25 * (1 - t) * (1 + t)\n",
    },
    "tanh_grad": {
        "exp_sech_squared": "def tanh_grad(x):\n    return 4 / (np.exp(x) + np.exp(-x)) ** 2\n",
        "logaddexp": "def tanh_grad(x):\n    return np.exp(1.3862943611198906 - 2 * np.logaddexp(x, -x))\n",
    },
    "max_gradient_factor": {
        "log2_power": "def max_gradient_factor(L, w=1.0):\n    return 2.0 ** (L * (np.log2(abs(w)) - 2))\n",
        "square_root_of_square": "def max_gradient_factor(L, w=1.0):\n    return float((w * w / 16) ** (L / 2))\n",
    },
    "chain_gradient_norms": {
        "list_reversed_sigma_pair": "def chain_gradient_norms(Ws, x, dout):\n    zs, h = [], x\n    for W in Ws:\n        zs.append(np.dot(h, W)); h = F.sigmoid(zs[-1])\n    out, g = [], dout\n    for W, z in zip(reversed(Ws), reversed(zs)):\n        g = np.dot(g * (F.sigmoid(z) * F.sigmoid(-z)), W.T)\n        out.append(np.sqrt(np.sum(g * g)))\n    return np.array(out[::-1])\n",
        "transposed_products_einsum_norm": 'def chain_gradient_norms(Ws, x, dout):\n    hs = [x]\n    for W in Ws:\n        hs.append(1 / (1 + np.exp(-(hs[-1] @ W))))\n    norms = np.empty(len(Ws))\n    g = dout.copy()\n    for l in range(len(Ws), 0, -1):\n        h = hs[l]\n        g = (Ws[l - 1] @ (g * h * (1 - h)).T).T\n        norms[l - 1] = np.sqrt(np.einsum("ij,ij->", g, g))\n    return norms\n',
    },
}
for _ex in EXERCISES:
    for _name in (
        _MORE_MISTAKES.get(_ex.cell, {}).keys() | _MORE_ALTERNATIVES.get(_ex.cell, {}).keys()
    ):
        assert _name not in _ex.mistakes and _name not in _ex.alternatives, _name
    _ex.mistakes.update(_MORE_MISTAKES.get(_ex.cell, {}))
    _ex.alternatives.update(_MORE_ALTERNATIVES.get(_ex.cell, {}))
