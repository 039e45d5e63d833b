"""Mistake corpus for notebook 08 (exploding gradients and clipping)."""

from _corpus import Exercise, Mistake

ASSIGNMENT = "08_exploding_gradients"

SPECTRAL_RADIUS = Exercise(
    cell="spectral_radius",
    mistakes={
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

RECURRENT_GRADIENT_NORMS = Exercise(
    cell="recurrent_gradient_norms",
    mistakes={
        "frobenius_norm": Mistake(
            code="""\
def recurrent_gradient_norms(W, T):
    J = np.eye(W.shape[0])
    norms = np.empty(T + 1)
    for t in range(T + 1):
        norms[t] = np.linalg.norm(J)
        J = W @ J
    return norms
""",
            message="not the Frobenius norm",
        ),
        "starts_at_t_1": Mistake(
            code="""\
def recurrent_gradient_norms(W, T):
    return np.array([np.linalg.norm(np.linalg.matrix_power(W, t), 2) for t in range(1, T + 1)])
""",
            message="start at t = 0",
        ),
        "multiplies_before_recording": Mistake(
            code="""\
def recurrent_gradient_norms(W, T):
    J = np.eye(W.shape[0])
    norms = np.empty(T + 1)
    for t in range(T + 1):
        J = W @ J
        norms[t] = np.linalg.norm(J, 2)
    return norms
""",
            message="take the norm before multiplying by W",
        ),
        "elementwise_power": Mistake(
            code="""\
def recurrent_gradient_norms(W, T):
    return np.array([np.linalg.norm(W**t, 2) for t in range(T + 1)])
""",
            message="W ** t is the elementwise power",
        ),
        "spectral_radius_to_the_t": Mistake(
            code="""\
def recurrent_gradient_norms(W, T):
    rho = np.max(np.abs(np.linalg.eigvals(W)))
    return rho ** np.arange(T + 1)
""",
            message="ρ(W)^t is only the long-run rate",
        ),
        "norm_of_W_to_the_t": Mistake(
            code="""\
def recurrent_gradient_norms(W, T):
    return np.linalg.norm(W, 2) ** np.arange(T + 1)
""",
            message="‖W‖₂^t is only an upper bound",
        ),
        "returns_a_list": Mistake(
            code="""\
def recurrent_gradient_norms(W, T):
    return [float(np.linalg.norm(np.linalg.matrix_power(W, t), 2)) for t in range(T + 1)]
""",
            message="should be a numpy array",
        ),
        "product_accumulated_in_W_itself": Mistake(
            code="""\
def recurrent_gradient_norms(W, T):
    norms = [1.0]
    J = W
    for t in range(T):
        norms.append(np.linalg.norm(J, 2))
        J @= W
    return np.array(norms)
""",
            message="changed its input `W` in place",
        ),
    },
    alternatives={
        "matrix_power_and_svd": """\
def recurrent_gradient_norms(W, T):
    return np.array(
        [np.linalg.svd(np.linalg.matrix_power(W, t), compute_uv=False)[0] for t in range(T + 1)]
    )
""",
        "stacked_powers_one_norm_call": """\
def recurrent_gradient_norms(W, T):
    powers = [np.eye(len(W))]
    for _ in range(T):
        powers.append(powers[-1] @ W)
    return np.linalg.norm(np.stack(powers), ord=2, axis=(1, 2))
""",
        "largest_eigenvalue_of_the_gram_matrix": """\
def recurrent_gradient_norms(W, T):
    out = []
    P = np.identity(W.shape[0])
    for _ in range(T + 1):
        out.append(np.sqrt(np.linalg.eigvalsh(P.T @ P)[-1]))
        P = np.dot(P, W)
    return np.asarray(out, dtype=np.float64)
""",
    },
)

CLIP_BY_GLOBAL_NORM = Exercise(
    cell="clip_by_global_norm",
    mistakes={
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
        "returns_the_callers_arrays_below_the_threshold": Mistake(
            code="""\
def clip_by_global_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    if total > max_norm:
        return [g * (max_norm / total) for g in grads], total
    return list(grads), total
""",
            message="you returned the caller's own arrays",
        ),
        "returns_views_below_the_threshold": Mistake(
            code="""\
def clip_by_global_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    scale = min(1.0, max_norm / total) if total > 0 else 1.0
    return [g * scale if scale < 1.0 else g.reshape(g.shape) for g in grads], total
""",
            message="(or views of them)",
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
        "replaces_the_items_of_the_callers_list": Mistake(
            code="""\
def clip_by_global_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
    scale = max_norm / total if total > max_norm else 1.0
    for i in range(len(grads)):
        grads[i] = grads[i] * scale
    return grads, total
""",
            message="changed the list `grads`",
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

EXERCISES = [SPECTRAL_RADIUS, RECURRENT_GRADIENT_NORMS, CLIP_BY_GLOBAL_NORM]
