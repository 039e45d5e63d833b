"""Mistakes and valid alternatives for 03 · slow and poor training."""

from _corpus import Exercise, Mistake

ASSIGNMENT = "03_slow_training"

LEARN_HEAD = '''def learning_layers(update_ratio, threshold):
    """Which layers learn, judged by their typical update-to-weight ratio."""
'''

STEPS_HEAD = '''def steps_to_threshold(loss, threshold, window=1):
    """First step at which the moving-average loss falls below a threshold."""
'''

GAP_HEAD = '''def final_accuracy_gap(acc_a, acc_b, last=1):
    """Mean of the last `last` accuracies of run A minus the same for run B."""
'''

# a loop over the window means, with one thing changed per mistake
STEPS_LOOP = """    loss = np.asarray(loss, dtype=np.float64)
    for t in range(window - 1, len(loss)):
        if np.mean(loss[t - window + 1 : t + 1]) < threshold:
            return t
    return None
"""


def steps_variant(*edits: tuple[str, str]) -> str:
    body = STEPS_LOOP
    for old, new in edits:
        assert old in body, old
        body = body.replace(old, new)
    return STEPS_HEAD + body


EXERCISES = [
    Exercise(
        cell="learning_layers",
        mistakes={
            "mean_not_median": Mistake(
                code=LEARN_HEAD
                + """    return np.nanmean(update_ratio, axis=0) > threshold
""",
                message="use the median over the steps",
            ),
            "below_not_above": Mistake(
                code=LEARN_HEAD
                + """    return np.nanmedian(update_ratio, axis=0) < threshold
""",
                message="a layer learns when its ratio is *above* the threshold",
            ),
            "nan_not_ignored": Mistake(
                code=LEARN_HEAD
                + """    return np.median(update_ratio, axis=0) > threshold
""",
                message="drop the nan entries before taking the median",
            ),
            "nan_as_zero": Mistake(
                code=LEARN_HEAD
                + """    return np.median(np.nan_to_num(update_ratio, nan=0.0), axis=0) > threshold
""",
                message="a nan is not 0",
            ),
            "greater_or_equal": Mistake(
                code=LEARN_HEAD
                + """    return np.nanmedian(update_ratio, axis=0) >= threshold
""",
                message="strictly above the threshold: use >, not >=",
            ),
            "all_nan_layer_learns": Mistake(
                code=LEARN_HEAD
                + """    return ~(np.nanmedian(update_ratio, axis=0) <= threshold)
""",
                message="a layer with no valid (non-nan) entry does not learn",
            ),
            "lower_median": Mistake(
                code=LEARN_HEAD
                + """    out = []
    for col in np.asarray(update_ratio).T:
        col = np.sort(col[~np.isnan(col)])
        out.append(col.size > 0 and col[(col.size - 1) // 2] > threshold)
    return np.array(out, dtype=bool)
""",
                message="the median of an even number of values is the mean of the two middle ones",
            ),
            "per_step_not_per_layer": Mistake(
                code=LEARN_HEAD
                + """    return np.nanmedian(update_ratio, axis=1) > threshold
""",
                message="has shape (4,), expected shape (3,)",
            ),
            "returns_list": Mistake(
                code=LEARN_HEAD
                + """    return [bool(m > threshold) for m in np.nanmedian(update_ratio, axis=0)]
""",
                message="should be a numpy array",
            ),
            "sorts_input_in_place": Mistake(
                code=LEARN_HEAD
                + """    update_ratio.sort(axis=0)  # nan sort to the end of each column
    out = np.zeros(update_ratio.shape[1], dtype=bool)
    for l in range(update_ratio.shape[1]):
        col = update_ratio[:, l]
        k = int(np.sum(~np.isnan(col)))
        if k:
            out[l] = (col[(k - 1) // 2] + col[k // 2]) / 2 > threshold
    return out
""",
                message="changed its input `update_ratio` in place",
            ),
            "package_median": Mistake(
                code=LEARN_HEAD
                + """    from vanishing import doctor

    return doctor.nanmedian(update_ratio) > threshold
""",
                message="off limits in this exercise",
            ),
        },
        alternatives={
            "nanmedian": LEARN_HEAD
            + """    return np.nanmedian(update_ratio, axis=0) > threshold
""",
            "masked_median": LEARN_HEAD
            + """    med = np.ma.median(np.ma.masked_invalid(update_ratio), axis=0)
    return np.ma.filled(med > threshold, False)
""",
            "sorted_valid_entries": LEARN_HEAD
            + """    verdicts = []
    for l in range(np.shape(update_ratio)[1]):
        col = sorted(v for v in update_ratio[:, l] if v == v)  # v != v only for nan
        k = len(col)
        if k == 0:
            verdicts.append(False)
            continue
        mid = col[k // 2] if k % 2 else 0.5 * (col[k // 2 - 1] + col[k // 2])
        verdicts.append(mid > threshold)
    return np.array(verdicts)
""",
            "percentile_of_a_copy": LEARN_HEAD
            + """    r = np.array(update_ratio, dtype=float)  # a copy
    learns = np.full(r.shape[1], False)
    for l, col in enumerate(r.T):
        valid = col[np.isfinite(col)]
        if len(valid):
            learns[l] = np.percentile(valid, 50) > threshold
    return learns
""",
        },
    ),
    Exercise(
        cell="steps_to_threshold",
        mistakes={
            "less_or_equal": Mistake(
                code=steps_variant(("< threshold", "<= threshold")),
                message="strictly below the threshold: use <, not <=",
            ),
            "start_of_window": Mistake(
                code=steps_variant(
                    ("            return t\n", "            return t - window + 1\n")
                ),
                message="report the step at the *end* of the window",
            ),
            "no_averaging": Mistake(
                code=STEPS_HEAD
                + """    below = np.flatnonzero(np.asarray(loss) < threshold)
    return int(below[0]) if below.size else None
""",
                message="average the last `window` losses",
            ),
            "counts_from_one": Mistake(
                code=steps_variant(("            return t\n", "            return t + 1\n")),
                message="steps are counted from 0",
            ),
            "window_before_the_step": Mistake(
                code=steps_variant(
                    ("range(window - 1, len(loss))", "range(window, len(loss) + 1)"),
                    ("loss[t - window + 1 : t + 1]", "loss[t - window : t]"),
                ),
                message="steps are counted from 0",
            ),
            "partial_windows": Mistake(
                code=steps_variant(
                    ("range(window - 1, len(loss))", "range(len(loss))"),
                    ("loss[t - window + 1 : t + 1]", "loss[max(0, t - window + 1) : t + 1]"),
                ),
                message="has no complete window of 4 steps",
            ),
            "convolve_without_length_check": Mistake(
                code=STEPS_HEAD
                + """    if len(loss) == 0:
        return None
    avg = np.convolve(loss, np.ones(window) / window, mode="valid")
    below = np.flatnonzero(avg < threshold)
    return int(below[0]) + window - 1 if below.size else None
""",
                message="has no complete window of 4 steps: return None",
            ),
            "empty_run_raises": Mistake(
                code=STEPS_HEAD
                + """    loss = np.asarray(loss, dtype=np.float64)
    if window > len(loss) and len(loss) > 0:
        return None
    avg = np.convolve(loss, np.ones(window) / window, mode="valid")
    below = np.flatnonzero(avg < threshold)
    return int(below[0]) + window - 1 if below.size else None
""",
                message="your function raised ValueError",
            ),
            "minus_one_for_never": Mistake(
                code=steps_variant(("    return None\n", "    return -1\n")),
                message="the loss never falls below 0.1, so return None",
            ),
            "skips_nan": Mistake(
                code=steps_variant(("np.mean(", "np.nanmean(")),
                message="a window that contains nan is not below the threshold",
            ),
            "nan_as_zero": Mistake(
                code=steps_variant(
                    (
                        "loss = np.asarray(loss, dtype=np.float64)",
                        "loss = np.nan_to_num(np.asarray(loss, dtype=np.float64), nan=0.0)",
                    )
                ),
                message="a window that contains nan is not below the threshold",
            ),
            "returns_float": Mistake(
                code=steps_variant(("            return t\n", "            return float(t)\n")),
                message="should hold integers, got floating-point numbers",
            ),
        },
        alternatives={
            "cumsum": STEPS_HEAD
            + """    c = np.concatenate([[0.0], np.cumsum(loss)])
    means = (c[window:] - c[:-window]) / window  # means[i] ends at step i + window - 1
    hits = np.nonzero(means < threshold)[0]
    return int(hits[0]) + window - 1 if len(hits) else None
""",
            "running_sum": STEPS_HEAD
            + """    total = 0.0
    for t, value in enumerate(loss):
        total += value
        if t >= window:
            total -= loss[t - window]
        if t >= window - 1 and total / window < threshold:
            return t
    return None
""",
            "sliding_window_view": STEPS_HEAD
            + """    from numpy.lib.stride_tricks import sliding_window_view

    loss = np.asarray(loss, dtype=float)
    if loss.size < window:
        return None
    means = sliding_window_view(loss, window).mean(axis=1)
    idx = np.argmax(means < threshold)
    return int(idx + window - 1) if means[idx] < threshold else None
""",
            "convolve_sums": STEPS_HEAD
            + """    if len(loss) < window:
        return None
    sums = np.convolve(loss, np.ones(window), mode="valid")
    for i, s in enumerate(sums):
        if s / window < threshold:
            return i + window - 1
    return None
""",
        },
    ),
    Exercise(
        cell="final_accuracy_gap",
        mistakes={
            "b_minus_a": Mistake(
                code=GAP_HEAD
                + """    return float(np.mean(acc_b[-last:]) - np.mean(acc_a[-last:]))
""",
                message="A minus B: positive when A ends better",
            ),
            "first_evaluations": Mistake(
                code=GAP_HEAD
                + """    return float(np.mean(acc_a[:last]) - np.mean(acc_b[:last]))
""",
                message="compare the *last* evaluations, not the first",
            ),
            "sum_not_mean": Mistake(
                code=GAP_HEAD
                + """    return float(np.sum(acc_a[-last:]) - np.sum(acc_b[-last:]))
""",
                message="take the mean of the last evaluations, not their sum",
            ),
            "last_value_only": Mistake(
                code=GAP_HEAD
                + """    return float(acc_a[-1] - acc_b[-1])
""",
                message="average the last `last` evaluations of each run",
            ),
            "whole_run": Mistake(
                code=GAP_HEAD
                + """    return float(np.mean(acc_a) - np.mean(acc_b))
""",
                message="only the last `last` evaluations count, not the whole run",
            ),
            "aligned_on_a": Mistake(
                code=GAP_HEAD
                + """    start = len(acc_a) - last
    return float(np.mean(acc_a[start:]) - np.mean(acc_b[start:]))
""",
                message="each run's own last evaluations",
            ),
            "subtracts_runs_first": Mistake(
                code=GAP_HEAD
                + """    return float(np.mean((acc_a - acc_b)[-last:]))
""",
                message="your function raised ValueError",
            ),
            "returns_array": Mistake(
                code=GAP_HEAD
                + """    return np.array([np.mean(acc_a[-last:]) - np.mean(acc_b[-last:])])
""",
                message="should be a single number",
            ),
        },
        alternatives={
            "python_sums": GAP_HEAD
            + """    tail_a, tail_b = list(acc_a)[len(acc_a) - last :], list(acc_b)[len(acc_b) - last :]
    return sum(tail_a) / last - sum(tail_b) / last
""",
            "numpy_scalar": GAP_HEAD
            + """    return np.mean(np.asarray(acc_a)[-last:]) - np.mean(np.asarray(acc_b)[-last:])
""",
            "one_division": GAP_HEAD
            + """    a = np.asarray(acc_a, dtype=np.float64)
    b = np.asarray(acc_b, dtype=np.float64)
    return float((a[a.size - last :].sum() - b[b.size - last :].sum()) / last)
""",
        },
    ),
]


# --- More variants: other evaluation orders, float32 and extreme inputs (alternatives);
# off-by-one, missing factor, sign and dtype slips caught with their case or hint (mistakes).
_MORE_MISTAKES = {
    "learning_layers": {
        "upper_median": Mistake(
            "def learning_layers(update_ratio, threshold):\n    r = np.asarray(update_ratio)\n    out = np.zeros(r.shape[1], dtype=bool)\n    for l in range(r.shape[1]):\n        col = np.sort(r[~np.isnan(r[:, l]), l])\n        out[l] = col.size > 0 and col[col.size // 2] > threshold\n    return out\n",
            "not the upper one",
        ),
        "int_not_bool": Mistake(
            "def learning_layers(update_ratio, threshold):\n    return (np.nan_to_num(np.nanmedian(update_ratio, axis=0), nan=0.0) > threshold).astype(int)\n",
            "bool",
        ),
        "global_median": Mistake(
            "def learning_layers(update_ratio, threshold):\n    r = np.asarray(update_ratio)\n    return np.nanmedian(r) > threshold\n",
            "case: learning_layers(",
        ),
    },
    "steps_to_threshold": {
        "argmax_without_any": Mistake(
            'def steps_to_threshold(loss, threshold, window=1):\n    loss = np.asarray(loss, dtype=np.float64)\n    if window > len(loss):\n        return None\n    avg = np.convolve(loss, np.ones(window) / window, mode="valid")\n    return int(np.argmax(avg < threshold)) + window - 1\n',
            "return None",
        ),
        "window_one_too_long": Mistake(
            "def steps_to_threshold(loss, threshold, window=1):\n    loss = np.asarray(loss, dtype=np.float64)\n    for t in range(window - 1, len(loss)):\n        if loss[max(t - window, 0) : t + 1].mean() < threshold:\n            return t\n    return None\n",
            "case: steps_to_threshold(",
        ),
    },
    "final_accuracy_gap": {
        "one_too_many": Mistake(
            "def final_accuracy_gap(acc_a, acc_b, last=1):\n    return float(np.mean(acc_a[-last - 1:]) - np.mean(acc_b[-last - 1:]))\n",
            "case: final_accuracy_gap(",
        ),
        "missing_minus_in_slice": Mistake(
            "def final_accuracy_gap(acc_a, acc_b, last=1):\n    return float(np.mean(acc_a[last:]) - np.mean(acc_b[last:]))\n",
            "case: final_accuracy_gap(",
        ),
    },
}
_MORE_ALTERNATIVES = {
    "learning_layers": {
        "statistics_median_per_column": "import statistics\ndef learning_layers(update_ratio, threshold):\n    out = []\n    for col in np.asarray(update_ratio).T:\n        valid = [v for v in col.tolist() if v == v]\n        out.append(bool(valid) and statistics.median(valid) > threshold)\n    return np.array(out, dtype=bool)\n",
        "nanquantile": 'def learning_layers(update_ratio, threshold):\n    with np.errstate(all="ignore"):\n        med = np.nanquantile(update_ratio, 0.5, axis=0)\n    return np.nan_to_num(med, nan=-np.inf) > threshold\n',
    },
    "steps_to_threshold": {
        "python_loop_isfinite": "import math\ndef steps_to_threshold(loss, threshold, window=1):\n    loss = list(np.asarray(loss, dtype=float))\n    for t in range(window - 1, len(loss)):\n        w = loss[t - window + 1 : t + 1]\n        if all(math.isfinite(v) for v in w) and sum(w) / window < threshold:\n            return t\n    return None\n",
        "mean_slices_reversed": "def steps_to_threshold(loss, threshold, window=1):\n    loss = np.asarray(loss)\n    hits = [t for t in range(len(loss) - 1, window - 2, -1)\n            if np.mean(loss[t - window + 1 : t + 1]) < threshold]\n    return int(min(hits)) if hits else None\n",
    },
    "final_accuracy_gap": {
        "fmean": "import statistics\ndef final_accuracy_gap(acc_a, acc_b, last=1):\n    return statistics.fmean(list(acc_a)[-last:]) - statistics.fmean(list(acc_b)[-last:])\n",
        "difference_of_sums": "def final_accuracy_gap(acc_a, acc_b, last=1):\n    return float((np.sum(acc_a[len(acc_a) - last:]) - np.sum(acc_b[len(acc_b) - last:])) / last)\n",
    },
}
for _ex in EXERCISES:
    for _name in (
        _MORE_MISTAKES.get(_ex.cell, {}).keys() | _MORE_ALTERNATIVES.get(_ex.cell, {}).keys()
    ):
        assert _name not in _ex.mistakes and _name not in _ex.alternatives, _name
    _ex.mistakes.update(_MORE_MISTAKES.get(_ex.cell, {}))
    _ex.alternatives.update(_MORE_ALTERNATIVES.get(_ex.cell, {}))

# --- Exercise 1 and 2 (issue 13): the backward of the sigmoid net and the update ratios ---
GRAD_HEAD = '''def sigmoid_net_gradients(Ws, bs, x, y):
    """Gradients of the mean softmax cross-entropy of the sigmoid network for one batch."""
'''
# the reference's shape, with one line changed per mistake
GRAD_BODY = """    hs = [x]
    for W, b in zip(Ws[:-1], bs[:-1]):
        hs.append(F.sigmoid(hs[-1] @ W + b))
    logits = hs[-1] @ Ws[-1] + bs[-1]
    _, dz = losses.softmax_cross_entropy(logits, y)
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for l in reversed(range(len(Ws))):
        dWs[l] = hs[l].T @ dz
        dbs[l] = dz.sum(axis=0)
        if l > 0:
            dz = (dz @ Ws[l].T) * hs[l] * (1 - hs[l])
    return dWs, dbs
"""


def grad_variant(*edits: tuple[str, str]) -> str:
    body = GRAD_BODY
    for old, new in edits:
        assert old in body, old
        body = body.replace(old, new)
    return GRAD_HEAD + body


RATIO_HEAD = '''def update_ratios(Ws, dWs, lr):
    """Update-to-weight ratio of one SGD step, per layer."""
'''

EXERCISES += [
    Exercise(
        cell="sigmoid_net_gradients",
        mistakes={
            "no_sigmoid_slope": Mistake(
                grad_variant(("(dz @ Ws[l].T) * hs[l] * (1 - hs[l])", "dz @ Ws[l].T")),
                "multiply by the sigmoid's slope",
            ),
            "slope_at_the_output": Mistake(
                grad_variant(("* hs[l] * (1 - hs[l])", "* F.sigmoid_grad(hs[l])")),
                "F.sigmoid_grad(h) takes the slope at h instead",
            ),
            "sum_not_mean": Mistake(
                grad_variant(
                    (
                        "    _, dz = losses.softmax_cross_entropy(logits, y)\n",
                        "    p = np.exp(logits - logits.max(axis=1, keepdims=True))\n"
                        "    dz = p / p.sum(axis=1, keepdims=True)\n"
                        "    dz[np.arange(len(y)), y] -= 1\n",
                    )
                ),
                "the loss is the mean over the batch",
            ),
            "sigmoid_on_the_logits": Mistake(
                grad_variant(
                    (
                        "logits = hs[-1] @ Ws[-1] + bs[-1]",
                        "out = F.sigmoid(hs[-1] @ Ws[-1] + bs[-1])",
                    ),
                    (
                        "softmax_cross_entropy(logits, y)",
                        "softmax_cross_entropy(out, y)\n    dz = dz * out * (1 - out)",
                    ),
                ),
                "no sigmoid after it",
            ),
            "bias_gradient_mean": Mistake(
                grad_variant(("dz.sum(axis=0)", "dz.mean(axis=0)")),
                "db sums dz over the batch, not the mean",
            ),
            "transposed_weight_gradient": Mistake(
                grad_variant(("hs[l].T @ dz", "(dz.T @ hs[l])")),
                "has shape (3, 2), expected shape (2, 3)",
            ),
            "slope_of_the_wrong_layer": Mistake(
                grad_variant(("* hs[l] * (1 - hs[l])", "* hs[l - 1] * (1 - hs[l - 1])")),
                "differs from the expected value",
            ),
            "sign_flipped": Mistake(
                grad_variant(
                    ("    return dWs, dbs\n", "    return [-d for d in dWs], [-d for d in dbs]\n")
                ),
                "the gradient of the loss, not of minus the loss",
            ),
        },
        alternatives={
            "pre_activations_and_sigmoid_grad": GRAD_HEAD
            + """    zs, h = [], x
    for l, (W, b) in enumerate(zip(Ws, bs)):
        zs.append(h @ W + b)
        h = zs[-1] if l == len(Ws) - 1 else F.sigmoid(zs[-1])
    _, d = losses.softmax_cross_entropy(h, y)
    dWs, dbs = [], []
    for l in range(len(Ws) - 1, -1, -1):
        inp = x if l == 0 else F.sigmoid(zs[l - 1])
        dWs.insert(0, inp.T @ d)
        dbs.insert(0, np.sum(d, axis=0))
        if l:
            d = d @ Ws[l].T * F.sigmoid_grad(zs[l - 1])
    return dWs, dbs
""",
            "own_softmax_and_einsum": GRAD_HEAD
            + """    N = x.shape[0]
    acts = [x]
    for W, b in zip(Ws[:-1], bs[:-1]):
        acts.append(1 / (1 + np.exp(-(acts[-1] @ W + b))))
    z = acts[-1] @ Ws[-1] + bs[-1]
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    onehot = np.eye(z.shape[1])[y]
    delta = (p - onehot) / N
    grads_W, grads_b = [], []
    for l in range(len(Ws) - 1, -1, -1):
        grads_W.append(np.einsum("ni,nj->ij", acts[l], delta))
        grads_b.append(np.einsum("nj->j", delta))
        delta = np.einsum("nj,ij->ni", delta, Ws[l]) * acts[l] * (1 - acts[l])
    return grads_W[::-1], grads_b[::-1]
""",
            "recursive": GRAD_HEAD
            + """    def back(l, h):
        z = h @ Ws[l] + bs[l]
        if l == len(Ws) - 1:
            _, dz = losses.softmax_cross_entropy(z, y)
            return dz @ Ws[l].T, [h.T @ dz], [dz.sum(0)]
        a = F.sigmoid(z)
        da, dW_rest, db_rest = back(l + 1, a)
        dz = da * a * (1.0 - a)
        return dz @ Ws[l].T, [h.T @ dz] + dW_rest, [dz.sum(0)] + db_rest
    _, dWs, dbs = back(0, x)
    return dWs, dbs
""",
        },
    ),
    Exercise(
        cell="update_ratios",
        mistakes={
            "no_learning_rate": Mistake(
                RATIO_HEAD
                + "    return np.array([np.linalg.norm(d) / np.linalg.norm(W) for W, d in zip(Ws, dWs)])\n",
                "multiply the gradient by the learning rate",
            ),
            "largest_entry": Mistake(
                RATIO_HEAD
                + "    return np.array([lr * np.abs(d).max() / np.abs(W).max() for W, d in zip(Ws, dWs)])\n",
                "not its largest entry",
            ),
            "spectral_norm": Mistake(
                RATIO_HEAD
                + "    return np.array([lr * np.linalg.norm(d, 2) / np.linalg.norm(W, 2) for W, d in zip(Ws, dWs)])\n",
                "spectral norm",
            ),
            "weights_after_the_step": Mistake(
                RATIO_HEAD
                + "    return np.array([lr * np.linalg.norm(d) / np.linalg.norm(W - lr * d) for W, d in zip(Ws, dWs)])\n",
                "before the step, not after it",
            ),
            "step_taken_in_place": Mistake(
                RATIO_HEAD
                + """    out = []
    for W, d in zip(Ws, dWs):
        norm = np.linalg.norm(W)
        W -= lr * d
        out.append(lr * np.linalg.norm(d) / norm)
    return np.array(out)
""",
                "changed its input",
            ),
            "inverted": Mistake(
                RATIO_HEAD
                + "    return np.array([np.linalg.norm(W) / np.linalg.norm(lr * d) for W, d in zip(Ws, dWs)])\n",
                "the update over the weight",
            ),
        },
        alternatives={
            "sqrt_of_sums": RATIO_HEAD
            + "    return np.array([np.sqrt(np.sum((lr * d) ** 2) / np.sum(W**2)) for W, d in zip(Ws, dWs)])\n",
            "vdot_loop": RATIO_HEAD
            + """    out = np.empty(len(Ws))
    for i in range(len(Ws)):
        step = lr * dWs[i]
        out[i] = np.sqrt(np.vdot(step, step)) / np.sqrt(np.vdot(Ws[i], Ws[i]))
    return out
""",
            "fromiter_ravel": RATIO_HEAD
            + "    return np.fromiter((np.linalg.norm(lr * d.ravel()) / np.linalg.norm(W.ravel()) for W, d in zip(Ws, dWs)), dtype=np.float64, count=len(Ws))\n",
        },
    ),
]
