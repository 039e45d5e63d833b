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

EXERCISES = [SPECTRAL_RADIUS]
