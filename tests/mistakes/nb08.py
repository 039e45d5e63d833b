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

EXERCISES = [SPECTRAL_RADIUS, RECURRENT_GRADIENT_NORMS]
