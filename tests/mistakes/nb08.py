"""Mistake corpus for notebook 08 (exploding gradients and clipping)."""

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

AUD_RECURRENT_GRADIENT_NORMS_RIGHT_MULTIPLICATION_AND_SVD = """
def recurrent_gradient_norms(W, T):
    P = np.identity(len(W))
    norms = [np.linalg.svd(P, compute_uv=False)[0]]
    for _ in range(T):
        P = P @ W
        norms.append(np.linalg.svd(P, compute_uv=False)[0])
    return np.array(norms, dtype=np.float64)
"""

AUD_RECURRENT_GRADIENT_NORMS_POWERS_OF_THE_TRANSPOSE = """
def recurrent_gradient_norms(W, T):
    Wt = W.T
    return np.array([np.linalg.norm(np.linalg.matrix_power(Wt, t), ord=2) for t in range(T + 1)])
"""

AUD_RECURRENT_GRADIENT_NORMS_SQUARES_INSTEAD_OF_MULTIPLYING = """
def recurrent_gradient_norms(W, T):
    norms = np.ones(T + 1)
    J = W.copy()
    for t in range(1, T + 1):
        norms[t] = np.linalg.norm(J, 2)
        J = J @ J
    return norms
"""

AUD_RECURRENT_GRADIENT_NORMS_NUCLEAR_NORM = """
def recurrent_gradient_norms(W, T):
    return np.array([np.linalg.svd(np.linalg.matrix_power(W, t), compute_uv=False).sum() for t in range(T + 1)])
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

RECURRENT_GRADIENT_NORMS = Exercise(
    cell="recurrent_gradient_norms",
    mistakes={
        "nuclear_norm": Mistake(
            AUD_RECURRENT_GRADIENT_NORMS_NUCLEAR_NORM,
            "recurrent_gradient_norms(array(3, 3) float64 in [0, 0.5], 3)",
        ),
        "squares_instead_of_multiplying": Mistake(
            AUD_RECURRENT_GRADIENT_NORMS_SQUARES_INSTEAD_OF_MULTIPLYING,
            "recurrent_gradient_norms(array(3, 3) float64 in [0, 0.5], 3)",
        ),
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
        "powers_of_the_transpose": AUD_RECURRENT_GRADIENT_NORMS_POWERS_OF_THE_TRANSPOSE,
        "right_multiplication_and_svd": AUD_RECURRENT_GRADIENT_NORMS_RIGHT_MULTIPLICATION_AND_SVD,
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

EXERCISES = [SPECTRAL_RADIUS, RECURRENT_GRADIENT_NORMS, CLIP_BY_GLOBAL_NORM]
