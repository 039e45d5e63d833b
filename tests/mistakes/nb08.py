"""Mistake corpus for notebook 08 (exploding gradients, backpropagation through time,
clipping)."""

from _corpus import Exercise, Mistake

ASSIGNMENT = "08_exploding_gradients"

AUD_SPECTRAL_RADIUS_COMPLEX_LAPACK_AND_BUILTIN_MAX = """
def spectral_radius(W):
    mu = np.linalg.eigvals(np.asarray(W, dtype=np.complex128))
    return float(max(abs(m) for m in mu))
"""

AUD_SPECTRAL_RADIUS_DOMINANT_EIGENVALUE_BY_KEY = """
def spectral_radius(W):
    dominant = max(np.linalg.eigvals(W), key=abs)
    return abs(dominant)
"""

AUD_SPECTRAL_RADIUS_EIGVALSH_OF_THE_SYMMETRIC_PART = """
def spectral_radius(W):
    return float(np.max(np.abs(np.linalg.eigvalsh((W + W.T) / 2))))
"""

AUD_SPECTRAL_RADIUS_NORM_OF_THE_EIGENVALUE_VECTOR = """
def spectral_radius(W):
    return float(np.linalg.norm(np.linalg.eigvals(W)))
"""

AUD_CLIP_BY_GLOBAL_NORM_FLOAT32_ACCUMULATION_AND_TYPED_MULTIPLY = """
def clip_by_global_norm(grads, max_norm):
    total = np.sqrt(sum(np.sum(g * g) for g in grads))
    if total > max_norm:
        return [np.multiply(g, max_norm / total, dtype=g.dtype) for g in grads], float(total)
    return [np.array(g, copy=True) for g in grads], float(total)
"""

AUD_CLIP_BY_GLOBAL_NORM_MIN_FACTOR_NORM_OF_NORMS = """
def clip_by_global_norm(grads, max_norm):
    total = float(np.linalg.norm([np.linalg.norm(g) for g in grads]))
    factor = min(1.0, max_norm / total) if total > 0 else 1.0
    return [(g * factor).astype(g.dtype) for g in grads], total
"""

AUD_CLIP_BY_GLOBAL_NORM_INVERTED_FACTOR = """
def clip_by_global_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads)))
    if total > max_norm:
        return [(g * (total / max_norm)).astype(g.dtype) for g in grads], total
    return [g.copy() for g in grads], total
"""

AUD_CLIP_BY_GLOBAL_NORM_SUM_OF_SQUARES_WITHOUT_ROOT = """
def clip_by_global_norm(grads, max_norm):
    total = float(sum(np.sum(g.astype(np.float64) ** 2) for g in grads))
    if total > max_norm:
        return [(g * (max_norm / total)).astype(g.dtype) for g in grads], total
    return [g.copy() for g in grads], total
"""

AUD_CLIP_BY_GLOBAL_NORM_ITEMS_SWAPPED = """
def clip_by_global_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads)))
    scale = max_norm / total if total > max_norm else 1.0
    return total, [(g * scale).astype(g.dtype) for g in grads]
"""

SPECTRAL_RADIUS = Exercise(
    cell="spectral_radius",
    mistakes={
        "norm_of_the_eigenvalue_vector": Mistake(
            AUD_SPECTRAL_RADIUS_NORM_OF_THE_EIGENVALUE_VECTOR,
            "spectral_radius(array(2, 2) float64 [0.5, 0, 0, -2])",
        ),
        "eigvalsh_of_the_symmetric_part": Mistake(
            AUD_SPECTRAL_RADIUS_EIGVALSH_OF_THE_SYMMETRIC_PART,
            "spectral_radius(array(2, 2) float64 [0.5, 10, 0, -0.5])",
        ),
        "eigvalsh_on_a_non_symmetric_matrix": Mistake(
            code="""\
def spectral_radius(W):
    return float(np.max(np.abs(np.linalg.eigvalsh(W))))
""",
            message="np.linalg.eigvalsh assumes a symmetric matrix",
        ),
        "largest_eigenvalue_without_modulus": Mistake(
            code="""\
def spectral_radius(W):
    return float(np.max(np.linalg.eigvals(W).real))
""",
            message="take the modulus |mu|",
        ),
        "largest_singular_value": Mistake(
            code="""\
def spectral_radius(W):
    return float(np.linalg.norm(W, 2))
""",
            message="that is the largest *singular value*",
        ),
        "modulus_of_the_real_part": Mistake(
            code="""\
def spectral_radius(W):
    return float(np.max(np.abs(np.linalg.eigvals(W).real)))
""",
            message="are complex: ρ is their modulus",
        ),
        "dominant_eigenvalue_itself": Mistake(
            code="""\
def spectral_radius(W):
    return max(np.linalg.eigvals(W), key=abs)
""",
            message="the spectral radius is a modulus, |-2| = 2",
        ),
        "gelfand_estimate_from_a_power": Mistake(
            code="""\
def spectral_radius(W, t=100):
    return float(np.linalg.norm(np.linalg.matrix_power(W, t), 2) ** (1.0 / t))
""",
            message="case: spectral_radius(array(2, 2) float64 [1, -2, 1, 1])",
        ),
        "moduli_of_all_eigenvalues": Mistake(
            code="""\
def spectral_radius(W):
    return np.abs(np.linalg.eigvals(W))
""",
            message="should be a single number",
        ),
    },
    alternatives={
        "dominant_eigenvalue_by_key": AUD_SPECTRAL_RADIUS_DOMINANT_EIGENVALUE_BY_KEY,
        "complex_lapack_and_builtin_max": AUD_SPECTRAL_RADIUS_COMPLEX_LAPACK_AND_BUILTIN_MAX,
        "eig_and_complex_abs": """\
def spectral_radius(W):
    mu, _ = np.linalg.eig(W)
    return max(abs(complex(m)) for m in mu)
""",
        "roots_of_the_characteristic_polynomial": """\
def spectral_radius(W):
    return float(np.max(np.abs(np.roots(np.poly(W)))))
""",
        "squared_modulus_of_the_transpose": """\
def spectral_radius(W):
    mu = np.linalg.eigvals(np.array(W).T)
    return np.sqrt(np.max((mu * np.conj(mu)).real)).item()
""",
        "hypot": """\
def spectral_radius(W):
    mu = np.linalg.eigvals(W)
    return np.hypot(mu.real, mu.imag).max()
""",
    },
)


# --- rnn_jacobians --------------------------------------------------------------------------
def _jac(step: str, pre: str = "") -> str:
    """A loop over the states with ``step`` computing the next J from J, h (= h_t), hp (h_{t-1})."""
    return (
        "def rnn_jacobians(hs, W_rec):\n"
        f"{pre}"
        "    J = np.eye(W_rec.shape[0])\n"
        "    out = [J]\n"
        "    for hp, h in zip(hs[:-1], hs[1:]):\n"
        f"        J = {step}\n"
        "        out.append(J)\n"
        "    return np.array(out)\n"
    )


RNN_JACOBIANS = Exercise(
    cell="rnn_jacobians",
    mistakes={
        "no_tanh_slope": Mistake(_jac("W_rec @ J"), "each step also multiplies by the slope"),
        "tanh_applied_twice": Mistake(
            _jac("(1 - np.tanh(h) ** 2)[:, None] * (W_rec @ J)"), "not 1 - tanh(h_t)**2"
        ),
        "slope_at_the_input_state": Mistake(
            _jac("(1 - hp**2)[:, None] * (W_rec @ J)"), "not at its input h_{t-1}"
        ),
        "slope_not_squared": Mistake(_jac("(1 - h)[:, None] * (W_rec @ J)"), "square h_t"),
        "sigmoid_slope": Mistake(
            _jac("(h * (1 - h))[:, None] * (W_rec @ J)"), "is the sigmoid's slope"
        ),
        "no_identity_at_t_0": Mistake(
            """\
def rnn_jacobians(hs, W_rec):
    J = np.eye(len(W_rec))
    out = []
    for h in hs[1:]:
        J = (1 - h**2)[:, None] * (W_rec @ J)
        out.append(J)
    return np.array(out)
""",
            "start at t = 0 with the identity",
        ),
        # the newest factor on the right: right in one dimension, wrong in three
        "product_in_the_wrong_order": Mistake(
            _jac("J @ ((1 - h**2)[:, None] * W_rec)"),
            "does not match centred differences of the forward pass",
        ),
        "transposed_recurrent_matrix": Mistake(
            _jac("(1 - h**2)[:, None] * (W_rec.T @ J)"),
            "does not match centred differences of the forward pass",
        ),
        "slopes_on_the_columns": Mistake(
            _jac("(W_rec * (1 - h**2)[None, :]) @ J"),
            "does not match centred differences of the forward pass",
        ),
        "returns_a_list": Mistake(
            """\
def rnn_jacobians(hs, W_rec):
    out = [np.eye(len(W_rec))]
    for h in hs[1:]:
        out.append((1 - h**2)[:, None] * (W_rec @ out[-1]))
    return out
""",
            "should be a numpy array",
        ),
        "slopes_computed_in_place": Mistake(
            """\
def rnn_jacobians(hs, W_rec):
    slopes = hs
    slopes[1:] = 1 - slopes[1:] ** 2
    out = [np.eye(len(W_rec))]
    for s in slopes[1:]:
        out.append(s[:, None] * (W_rec @ out[-1]))
    return np.array(out)
""",
            "changed its input `hs` in place",
        ),
    },
    alternatives={
        "einsum_step": _jac('np.einsum("i,ij,jk->ik", 1 - h * h, W_rec, J)'),
        "preallocated_diag_matrices": """\
def rnn_jacobians(hs, W_rec):
    T1, H = hs.shape
    out = np.empty((T1, H, H))
    out[0] = np.identity(H)
    for t in range(1, T1):
        out[t] = np.diag(1.0 - np.square(hs[t])) @ W_rec @ out[t - 1]
    return out
""",
        "each_product_from_scratch": """\
from functools import reduce


def rnn_jacobians(hs, W_rec):
    factors = [np.diag(1 - h**2) @ W_rec for h in hs[1:]]
    eye = np.eye(W_rec.shape[0])
    return np.stack(
        [reduce(lambda J, F: F @ J, factors[:t], eye) for t in range(len(hs))]
    )
""",
        "transposed_recursion": """\
def rnn_jacobians(hs, W_rec):
    Jt = np.eye(W_rec.shape[0])  # J_t transposed: J_t^T = J_{t-1}^T W_rec^T diag(s_t)
    out = [Jt.T.copy()]
    for h in hs[1:]:
        Jt = (Jt @ W_rec.T) * (1 - h * h)[None, :]
        out.append(Jt.T.copy())
    return np.asarray(out, dtype=np.float64)
""",
    },
)


# --- rnn_backward ---------------------------------------------------------------------------
def _bptt(
    delta: str = "(dhs[t - 1] + dh) * (1 - hs[t] ** 2)",
    dW_rec: str = "da.T @ hs[t - 1]",
    dW_in: str = "da.T @ xs[t - 1]",
    db: str = "da.sum(axis=0)",
    back: str = "da @ W_rec",
    ret: str = "dW_rec, dW_in, db, dh",
    init: str = "np.zeros(hs[0].shape)",
) -> str:
    return (
        "def rnn_backward(dhs, xs, hs, W_rec):\n"
        "    T = xs.shape[0]\n"
        "    dW_rec = np.zeros(W_rec.shape)\n"
        "    dW_in = np.zeros((W_rec.shape[0], xs.shape[2]))\n"
        "    db = np.zeros(W_rec.shape[0])\n"
        f"    dh = {init}\n"
        "    for t in range(T, 0, -1):\n"
        f"        da = {delta}\n"
        f"        dW_rec += {dW_rec}\n"
        f"        dW_in += {dW_in}\n"
        f"        db += {db}\n"
        f"        dh = {back}\n"
        f"    return {ret}\n"
    )


RNN_BACKWARD = Exercise(
    cell="rnn_backward",
    mistakes={
        # only the last step's direct gradient: the loss of section 4, but not the rule
        "direct_gradient_at_the_last_step_only": Mistake(
            _bptt(delta="dh * (1 - hs[t] ** 2)", init="dhs[-1].copy()"),
            "comes along two paths",
        ),
        "no_tanh_slope": Mistake(_bptt(delta="dhs[t - 1] + dh"), "go through tanh at every step"),
        "tanh_applied_twice": Mistake(
            _bptt(delta="(dhs[t - 1] + dh) * (1 - np.tanh(hs[t]) ** 2)"),
            "not 1 - tanh(h_t)**2",
        ),
        "dW_rec_paired_with_h_t": Mistake(_bptt(dW_rec="da.T @ hs[t]"), "not with h_t"),
        "slope_at_the_input_state": Mistake(
            _bptt(delta="(dhs[t - 1] + dh) * (1 - hs[t - 1] ** 2)"),
            "not at its input h_{t-1}",
        ),
        "dh0_before_W_rec": Mistake(
            """\
def rnn_backward(dhs, xs, hs, W_rec):
    T = xs.shape[0]
    dW_rec = np.zeros(W_rec.shape)
    dW_in = np.zeros((W_rec.shape[0], xs.shape[2]))
    db = np.zeros(W_rec.shape[0])
    da = np.zeros(hs[0].shape)
    for t in range(T, 0, -1):
        back = da @ W_rec if t < T else 0.0
        da = (dhs[t - 1] + back) * (1 - hs[t] ** 2)
        dW_rec += da.T @ hs[t - 1]
        dW_in += da.T @ xs[t - 1]
        db += da.sum(axis=0)
    return dW_rec, dW_in, db, da
""",
            "carry dL/da_1 back through W_rec",
        ),
        "dW_rec_transposed": Mistake(
            _bptt(dW_rec="hs[t - 1].T @ da"),
            "dW_rec does not match centred differences of the forward pass",
        ),
        "mean_over_the_batch": Mistake(
            _bptt(
                dW_rec="da.T @ hs[t - 1] / len(da)",
                dW_in="da.T @ xs[t - 1] / len(da)",
                db="da.mean(axis=0)",
            ),
            "dW_rec does not match centred differences of the forward pass",
        ),
        "back_through_the_transpose": Mistake(
            _bptt(back="da @ W_rec.T"),
            "dW_rec does not match centred differences of the forward pass",
        ),
        "db_summed_over_the_units": Mistake(_bptt(db="da.sum(axis=1)"), "ValueError"),
        "accumulates_into_dhs": Mistake(
            """\
def rnn_backward(dhs, xs, hs, W_rec):
    T = xs.shape[0]
    dW_rec = np.zeros(W_rec.shape)
    dW_in = np.zeros((W_rec.shape[0], xs.shape[2]))
    db = np.zeros(W_rec.shape[0])
    for t in range(T, 0, -1):
        da = dhs[t - 1] * (1 - hs[t] ** 2)
        dW_rec += da.T @ hs[t - 1]
        dW_in += da.T @ xs[t - 1]
        db += da.sum(axis=0)
        if t > 1:
            dhs[t - 2] += da @ W_rec
    return dW_rec, dW_in, db, da @ W_rec
""",
            "changed its input `dhs` in place",
        ),
        "returns_a_dict": Mistake(
            _bptt(ret='{"W_rec": dW_rec, "W_in": dW_in, "b": db, "h0": dh}'),
            "should be a tuple of 4 items",
        ),
    },
    alternatives={
        "einsum_per_step": _bptt(
            dW_rec='np.einsum("nh,nk->hk", da, hs[t - 1])',
            dW_in='np.einsum("nh,nd->hd", da, xs[t - 1])',
            db='np.einsum("nh->h", da)',
            back='np.einsum("nh,hk->nk", da, W_rec)',
        ),
        "deltas_first_then_tensordot": """\
def rnn_backward(dhs, xs, hs, W_rec):
    slopes = 1.0 - hs[1:] * hs[1:]
    deltas = np.empty_like(dhs)
    carry = np.zeros_like(hs[0])
    for k in reversed(range(len(dhs))):
        deltas[k] = (dhs[k] + carry) * slopes[k]
        carry = deltas[k] @ W_rec
    dW_rec = np.tensordot(deltas, hs[:-1], axes=([0, 1], [0, 1]))
    dW_in = np.tensordot(deltas, xs, axes=([0, 1], [0, 1]))
    db = deltas.sum(axis=(0, 1))
    return dW_rec, dW_in, db, carry
""",
        "one_sequence_at_a_time_with_outer_products": """\
def rnn_backward(dhs, xs, hs, W_rec):
    T, N, H = dhs.shape
    dW_rec = np.zeros((H, H))
    dW_in = np.zeros((H, xs.shape[2]))
    db = np.zeros(H)
    dh0 = np.zeros((N, H))
    for n in range(N):
        g = np.zeros(H)
        for t in range(T, 0, -1):
            delta = (dhs[t - 1, n] + g) * (1 - hs[t, n] ** 2)
            dW_rec += np.outer(delta, hs[t - 1, n])
            dW_in += np.outer(delta, xs[t - 1, n])
            db += delta
            g = W_rec.T @ delta
        dh0[n] = g
    return dW_rec, dW_in, db, dh0
""",
        "through_the_jacobian_transposed": """\
def rnn_backward(dhs, xs, hs, W_rec):
    grads = [np.zeros_like(W_rec), np.zeros((len(W_rec), xs.shape[-1])), np.zeros(len(W_rec))]
    g = np.zeros(hs.shape[1:])
    for x, h_prev, h, direct in reversed(list(zip(xs, hs[:-1], hs[1:], dhs))):
        delta = np.multiply(g + direct, 1 - np.square(h))
        grads[0] = grads[0] + delta.T.dot(h_prev)
        grads[1] = grads[1] + delta.T.dot(x)
        grads[2] = grads[2] + np.sum(delta, axis=0)
        g = delta.dot(W_rec)
    return tuple(grads) + (g,)
""",
    },
)

CLIP_BY_GLOBAL_NORM = Exercise(
    cell="clip_by_global_norm",
    mistakes={
        "items_swapped": Mistake(
            AUD_CLIP_BY_GLOBAL_NORM_ITEMS_SWAPPED, "return value[0] should be a list of 2 items"
        ),
        "sum_of_squares_without_root": Mistake(
            AUD_CLIP_BY_GLOBAL_NORM_SUM_OF_SQUARES_WITHOUT_ROOT,
            "clip_by_global_norm([array(2,) float64 [3, 0], array(1, 1) float64 [4]], 1)",
        ),
        "inverted_factor": Mistake(
            AUD_CLIP_BY_GLOBAL_NORM_INVERTED_FACTOR,
            "clip_by_global_norm([array(2,) float64 [3, 0], array(1, 1) float64 [4]], 1)",
        ),
        "each_array_by_its_own_norm": Mistake(
            code="""\
def clip_by_global_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    out = []
    for g in grads:
        n = np.linalg.norm(g)
        out.append(g * (max_norm / n) if n > max_norm else g.copy())
    return out, total
""",
            message="not each array by its own norm",
        ),
        "norm_after_clipping": Mistake(
            code="""\
def clip_by_global_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    if total > max_norm:
        grads = [g * (max_norm / total) for g in grads]
        total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    else:
        grads = [g.copy() for g in grads]
    return grads, total
""",
            message="return the norm measured *before* clipping",
        ),
        "sum_of_the_norms": Mistake(
            code="""\
def clip_by_global_norm(grads, max_norm):
    total = float(sum(np.linalg.norm(g) for g in grads))
    if total > max_norm:
        return [g * (max_norm / total) for g in grads], total
    return [g.copy() for g in grads], total
""",
            message="not the sum of the arrays' norms",
        ),
        "epsilon_in_the_denominator": Mistake(
            code="""\
def clip_by_global_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        return [g * coef for g in grads], total
    return [g.copy() for g in grads], total
""",
            message="with no epsilon added to the norm",
        ),
        "always_rescales_to_max_norm": Mistake(
            code="""\
def clip_by_global_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    return [g * (max_norm / total) for g in grads], total
""",
            message="clipping never scales *up*",
        ),
        "scales_the_input_arrays_in_place": Mistake(
            code="""\
def clip_by_global_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    if total > max_norm:
        for g in grads:
            g *= max_norm / total
    return [g.copy() for g in grads], total
""",
            message="changed its input `grads[0]` in place",
        ),
        "float32_upcast_by_a_numpy_scalar": Mistake(
            code="""\
def clip_by_global_norm(grads, max_norm):
    total = np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads))
    if total > max_norm:
        return [g * (max_norm / total) for g in grads], total
    return [g.copy() for g in grads], total
""",
            message="keep each array's dtype (float32 here)",
        ),
        "nan_for_a_zero_gradient": Mistake(
            code="""\
def clip_by_global_norm(grads, max_norm):
    total = np.sqrt(sum(np.sum(np.square(g)) for g in grads))
    scale = min(total, max_norm) / total
    return [g * g.dtype.type(scale) for g in grads], total
""",
            message="non-finite value(s)",
        ),
        "divides_by_a_zero_norm": Mistake(
            code="""\
def clip_by_global_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))
    scale = max_norm / total
    if scale < 1.0:
        return [g * g.dtype.type(scale) for g in grads], total
    return [g.copy() for g in grads], total
""",
            message="raised ZeroDivisionError",
        ),
    },
    alternatives={
        "min_factor_norm_of_norms": AUD_CLIP_BY_GLOBAL_NORM_MIN_FACTOR_NORM_OF_NORMS,
        "float32_accumulation_and_typed_multiply": AUD_CLIP_BY_GLOBAL_NORM_FLOAT32_ACCUMULATION_AND_TYPED_MULTIPLY,
        "concatenated_norm_and_astype": """\
def clip_by_global_norm(grads, max_norm):
    flat = np.concatenate([g.ravel() for g in grads])
    total = np.linalg.norm(flat)
    scale = min(1.0, max_norm / total) if total > 0 else 1.0
    return [(g * scale).astype(g.dtype) for g in grads], float(total)
""",
        "math_sqrt_of_dot_products_and_typed_multiply": """\
import math


def clip_by_global_norm(grads, max_norm):
    total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    if total <= max_norm:
        return [np.array(g, copy=True) for g in grads], total
    factor = max_norm / total
    return [np.multiply(g, factor, dtype=g.dtype) for g in grads], total
""",
        "copies_rescaled_in_place": """\
def clip_by_global_norm(grads, max_norm):
    total = np.linalg.norm([np.linalg.norm(g) for g in grads])
    out = [np.copy(g) for g in grads]
    if total > max_norm:
        for o in out:
            o *= max_norm / total
    return out, total
""",
        "hypot_reduction": """\
from functools import reduce


def clip_by_global_norm(grads, max_norm):
    total = float(reduce(np.hypot, [np.linalg.norm(g.astype(np.float64)) for g in grads]))
    clipped = []
    for g in grads:
        c = g.copy()
        if total > max_norm:
            c = (c * (max_norm / total)).astype(g.dtype, copy=False)
        clipped.append(c)
    return clipped, total
""",
    },
)

EXERCISES = [SPECTRAL_RADIUS, RNN_JACOBIANS, RNN_BACKWARD, CLIP_BY_GLOBAL_NORM]
