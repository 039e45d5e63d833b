"""Mistakes and valid alternatives for notebook 07 (residual connections); see ``_corpus.py``."""

from _corpus import Exercise, Mistake

ASSIGNMENT = "07_residual_connections"

# --- residual_backward ----------------------------------------------------------------------
RB_BLOCK_ONLY = """
def residual_backward(dout, block_backward):
    return block_backward(dout)
"""

RB_IDENTITY_ONLY = """
def residual_backward(dout, block_backward):
    return dout
"""

RB_MULTIPLIED = """
def residual_backward(dout, block_backward):
    return dout * block_backward(dout)
"""

RB_CALLED_TWICE = """
def residual_backward(dout, block_backward):
    if block_backward(dout) is None:
        return dout
    return dout + block_backward(dout)
"""

RB_IN_PLACE = """
def residual_backward(dout, block_backward):
    dout += block_backward(dout)
    return dout
"""

# the block's "local derivative" times dout: right only for element-wise blocks such as 2x
RB_LOCAL_DERIVATIVE = """
def residual_backward(dout, block_backward):
    return dout * (1 + block_backward(np.ones_like(dout)))
"""

RB_CALLS_PACKAGE = """
def residual_backward(dout, block_backward):
    from types import SimpleNamespace
    from vanishing import nn
    return nn.Residual.backward(SimpleNamespace(block=SimpleNamespace(backward=block_backward)), dout)
"""

RB_NP_ADD = """
def residual_backward(dout, block_backward):
    return np.add(dout, block_backward(dout))
"""

RB_COPY_THEN_ACCUMULATE = """
def residual_backward(dout, block_backward):
    dx = dout.copy()
    dx += block_backward(dout)
    return dx
"""

RB_BLOCK_FIRST = """
def residual_backward(dout, block_backward):
    through_block = block_backward(dout)
    identity = dout
    return through_block + identity
"""

# --- backprop_norms -------------------------------------------------------------------------
BN_TRANSPOSED = """
def backprop_norms(dout, jacobians, residual=False):
    g = np.asarray(dout, dtype=np.float64)
    norms = np.empty(len(jacobians))
    for l in range(len(jacobians) - 1, -1, -1):
        g = g + jacobians[l] @ g if residual else jacobians[l] @ g
        norms[l] = np.linalg.norm(g)
    return norms
"""

BN_FIRST_LAYER_FIRST = """
def backprop_norms(dout, jacobians, residual=False):
    g = np.asarray(dout, dtype=np.float64)
    norms = []
    for J in jacobians:
        g = g + g @ J if residual else g @ J
        norms.append(np.linalg.norm(g))
    return np.array(norms)
"""

BN_OUTPUT_SIDE_FIRST = """
def backprop_norms(dout, jacobians, residual=False):
    g = np.asarray(dout, dtype=np.float64)
    norms = []
    for J in reversed(jacobians):
        g = g + g @ J if residual else g @ J
        norms.append(np.linalg.norm(g))
    return np.array(norms)
"""

BN_NORM_BEFORE_APPLYING = """
def backprop_norms(dout, jacobians, residual=False):
    g = np.asarray(dout, dtype=np.float64)
    norms = np.empty(len(jacobians))
    for l in range(len(jacobians) - 1, -1, -1):
        norms[l] = np.linalg.norm(g)
        g = g + g @ jacobians[l] if residual else g @ jacobians[l]
    return norms
"""

BN_INCLUDES_OUTPUT = """
def backprop_norms(dout, jacobians, residual=False):
    g = np.asarray(dout, dtype=np.float64)
    norms = [np.linalg.norm(g)]
    for J in reversed(jacobians):
        g = g + g @ J if residual else g @ J
        norms.append(np.linalg.norm(g))
    return np.array(norms[::-1])
"""

BN_SQUARED = """
def backprop_norms(dout, jacobians, residual=False):
    g = np.asarray(dout, dtype=np.float64)
    norms = np.empty(len(jacobians))
    for l in range(len(jacobians) - 1, -1, -1):
        g = g + g @ jacobians[l] if residual else g @ jacobians[l]
        norms[l] = np.sum(g**2)
    return norms
"""

BN_ADDS_DOUT = """
def backprop_norms(dout, jacobians, residual=False):
    g = np.asarray(dout, dtype=np.float64)
    norms = np.empty(len(jacobians))
    for l in range(len(jacobians) - 1, -1, -1):
        g = dout + g @ jacobians[l] if residual else g @ jacobians[l]
        norms[l] = np.linalg.norm(g)
    return norms
"""

BN_IGNORES_RESIDUAL = """
def backprop_norms(dout, jacobians, residual=False):
    g = np.asarray(dout, dtype=np.float64)
    norms = np.empty(len(jacobians))
    for l in range(len(jacobians) - 1, -1, -1):
        g = g @ jacobians[l]
        norms[l] = np.linalg.norm(g)
    return norms
"""

BN_IN_PLACE = """
def backprop_norms(dout, jacobians, residual=False):
    g = dout
    norms = np.empty(len(jacobians))
    for l in range(len(jacobians) - 1, -1, -1):
        if residual:
            g += g @ jacobians[l]
        else:
            g = g @ jacobians[l]
        norms[l] = np.linalg.norm(g)
    return norms
"""

BN_RETURNS_LIST = """
def backprop_norms(dout, jacobians, residual=False):
    g = np.asarray(dout, dtype=np.float64)
    norms = [0.0] * len(jacobians)
    for l in range(len(jacobians) - 1, -1, -1):
        g = g + g @ jacobians[l] if residual else g @ jacobians[l]
        norms[l] = float(np.linalg.norm(g))
    return norms
"""

BN_CALLS_PACKAGE = """
def backprop_norms(dout, jacobians, residual=False):
    from vanishing.experiments import residual as res
    return res.chain_norms(dout, jacobians, residual)
"""

# valid: (I + J) as one matrix, a list reversed at the end, sqrt(g·g)
BN_IDENTITY_MATRIX = """
def backprop_norms(dout, jacobians, residual=False):
    g = np.array(dout, dtype=float)
    eye = np.eye(g.shape[0])
    out = []
    for J in jacobians[::-1]:
        g = g @ (eye + J) if residual else g @ J
        out.append(np.sqrt(g @ g))
    return np.array(out[::-1])
"""

# valid: recursion from the output down
BN_RECURSIVE = """
def backprop_norms(dout, jacobians, residual=False):
    if not jacobians:
        return np.zeros(0)
    J = jacobians[-1]
    g = np.einsum("i,ij->j", dout, J) + (dout if residual else 0.0)
    rest = backprop_norms(g, jacobians[:-1], residual)
    return np.append(rest, np.sqrt(np.sum(g * g)))
"""

# valid: the products of the layer matrices, accumulated from the output
BN_PRODUCTS = """
def backprop_norms(dout, jacobians, residual=False):
    D = len(dout)
    P = np.eye(D)
    norms = np.zeros(len(jacobians))
    for l in reversed(range(len(jacobians))):
        M = np.eye(D) + jacobians[l] if residual else jacobians[l]
        P = P @ M
        norms[l] = np.linalg.norm(np.asarray(dout, float) @ P)
    return norms
"""

AUD_RESIDUAL_BACKWARD_SUM_BUILTIN_FROM_DOUT = """
def residual_backward(dout, block_backward):
    return sum([block_backward(dout)], dout)
"""

AUD_RESIDUAL_BACKWARD_BLOCK_ON_A_COPY_AND_NP_ADD_OUT = """
def residual_backward(dout, block_backward):
    through_block = block_backward(dout.copy())
    dx = np.empty_like(dout)
    np.add(through_block, dout, out=dx)
    return dx
"""

AUD_RESIDUAL_BACKWARD_ADDS_ONE_NOT_DOUT = """
def residual_backward(dout, block_backward):
    return block_backward(dout) + 1
"""

AUD_RESIDUAL_BACKWARD_BLOCK_CALLED_WITH_ONES = """
def residual_backward(dout, block_backward):
    return dout + block_backward(np.ones_like(dout))
"""

AUD_RESIDUAL_BACKWARD_BLOCK_PATH_SUBTRACTED = """
def residual_backward(dout, block_backward):
    return dout - block_backward(dout)
"""

AUD_BACKPROP_NORMS_IDENTITY_PLUS_J_AND_EINSUM = """
def backprop_norms(dout, jacobians, residual=False):
    D = len(dout)
    g = dout
    out = []
    for J in reversed(jacobians):
        M = np.eye(D) + J if residual else J
        g = np.einsum("i,ij->j", g, M)
        out.append(np.sqrt(g @ g))
    return np.array(out[::-1])
"""

AUD_BACKPROP_NORMS_COLUMN_VECTOR_TIMES_TRANSPOSE = """
def backprop_norms(dout, jacobians, residual=False):
    g = dout.reshape(-1, 1)
    norms = np.zeros(len(jacobians))
    for l in range(len(jacobians) - 1, -1, -1):
        step = jacobians[l].T @ g
        g = g + step if residual else step
        norms[l] = np.sqrt(np.sum(g ** 2))
    return norms
"""

AUD_BACKPROP_NORMS_L1_NORM = """
def backprop_norms(dout, jacobians, residual=False):
    g = dout
    norms = np.empty(len(jacobians))
    for l in range(len(jacobians) - 1, -1, -1):
        g = g + g @ jacobians[l] if residual else g @ jacobians[l]
        norms[l] = np.linalg.norm(g, 1)
    return norms
"""

AUD_BACKPROP_NORMS_ADDS_ONE_NOT_THE_IDENTITY = """
def backprop_norms(dout, jacobians, residual=False):
    g = dout
    norms = np.empty(len(jacobians))
    for l in range(len(jacobians) - 1, -1, -1):
        g = g @ (jacobians[l] + 1) if residual else g @ jacobians[l]
        norms[l] = np.linalg.norm(g)
    return norms
"""

AUD_BACKPROP_NORMS_DIVIDED_BY_THE_NORM_OF_DOUT = """
def backprop_norms(dout, jacobians, residual=False):
    g = dout
    norms = np.empty(len(jacobians))
    for l in range(len(jacobians) - 1, -1, -1):
        g = g + g @ jacobians[l] if residual else g @ jacobians[l]
        norms[l] = np.linalg.norm(g) / np.linalg.norm(dout)
    return norms
"""

EXERCISES = [
    Exercise(
        cell="residual_backward",
        mistakes={
            "block_path_subtracted": Mistake(
                AUD_RESIDUAL_BACKWARD_BLOCK_PATH_SUBTRACTED,
                "residual_backward(array(2, 2) float64 [1, -2, 0.5, 0], <lambda>)",
            ),
            "block_called_with_ones": Mistake(
                AUD_RESIDUAL_BACKWARD_BLOCK_CALLED_WITH_ONES,
                "residual_backward(array(2, 2) float64 [1, -2, 0.5, 0], <lambda>)",
            ),
            "adds_one_not_dout": Mistake(
                AUD_RESIDUAL_BACKWARD_ADDS_ONE_NOT_DOUT,
                "residual_backward(array(2, 2) float64 [1, -2, 0.5, 0], <lambda>)",
            ),
            "block_path_only": Mistake(RB_BLOCK_ONLY, "you returned the block's gradient only"),
            "identity_path_only": Mistake(RB_IDENTITY_ONLY, "you returned dout only"),
            "paths_multiplied": Mistake(RB_MULTIPLIED, "do not multiply them"),
            "block_backward_called_twice": Mistake(
                RB_CALLED_TWICE, "call block_backward exactly once"
            ),
            "adds_into_dout": Mistake(RB_IN_PLACE, "changed its input `dout` in place"),
            "local_derivative_times_dout": Mistake(
                RB_LOCAL_DERIVATIVE, "dx does not match centred differences"
            ),
            "calls_the_package": Mistake(RB_CALLS_PACKAGE, "is off limits"),
        },
        alternatives={
            "block_on_a_copy_and_np_add_out": AUD_RESIDUAL_BACKWARD_BLOCK_ON_A_COPY_AND_NP_ADD_OUT,
            "sum_builtin_from_dout": AUD_RESIDUAL_BACKWARD_SUM_BUILTIN_FROM_DOUT,
            "np_add": RB_NP_ADD,
            "copy_then_accumulate": RB_COPY_THEN_ACCUMULATE,
            "block_path_first": RB_BLOCK_FIRST,
        },
    ),
    Exercise(
        cell="backprop_norms",
        mistakes={
            "divided_by_the_norm_of_dout": Mistake(
                AUD_BACKPROP_NORMS_DIVIDED_BY_THE_NORM_OF_DOUT, "not divided by "
            ),
            "adds_one_not_the_identity": Mistake(
                AUD_BACKPROP_NORMS_ADDS_ONE_NOT_THE_IDENTITY,
                "backprop_norms(array(2,) float64 [1, 0], [array(2, 2) float64 [0, 0, 1, 0], array(2, 2) float64 [1, 2, 0, 0]], True)",
            ),
            "l1_norm": Mistake(
                AUD_BACKPROP_NORMS_L1_NORM,
                "backprop_norms(array(2,) float64 [1, 0], [array(2, 2) float64 [0, 0, 1, 0], array(2, 2) float64 [1, 2, 0, 0]], False)",
            ),
            "column_vector": Mistake(BN_TRANSPOSED, "g @ J, not J @ g"),
            "first_layer_first": Mistake(BN_FIRST_LAYER_FIRST, "go from the last layer"),
            "output_side_first": Mistake(BN_OUTPUT_SIDE_FIRST, "return the input side first"),
            "norm_before_applying": Mistake(
                BN_NORM_BEFORE_APPLYING, "record ||g|| after applying each layer"
            ),
            "includes_g_L": Mistake(BN_INCLUDES_OUTPUT, "return L entries"),
            "squared_norms": Mistake(BN_SQUARED, "not their squares"),
            "identity_path_carries_dout": Mistake(BN_ADDS_DOUT, "not dout"),
            "residual_ignored": Mistake(BN_IGNORES_RESIDUAL, "add the identity path"),
            "adds_into_dout": Mistake(BN_IN_PLACE, "changed its input `dout` in place"),
            "returns_a_list": Mistake(BN_RETURNS_LIST, "should be a numpy array"),
            "calls_the_package": Mistake(BN_CALLS_PACKAGE, "is off limits"),
        },
        alternatives={
            "column_vector_times_transpose": AUD_BACKPROP_NORMS_COLUMN_VECTOR_TIMES_TRANSPOSE,
            "identity_plus_J_and_einsum": AUD_BACKPROP_NORMS_IDENTITY_PLUS_J_AND_EINSUM,
            "identity_matrix_and_reversed_list": BN_IDENTITY_MATRIX,
            "recursive": BN_RECURSIVE,
            "matrix_products": BN_PRODUCTS,
        },
    ),
]
