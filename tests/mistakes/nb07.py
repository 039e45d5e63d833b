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

EXERCISES = [
    Exercise(
        cell="residual_backward",
        mistakes={
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
            "np_add": RB_NP_ADD,
            "copy_then_accumulate": RB_COPY_THEN_ACCUMULATE,
            "block_path_first": RB_BLOCK_FIRST,
        },
    ),
    Exercise(
        cell="backprop_norms",
        mistakes={
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
            "identity_matrix_and_reversed_list": BN_IDENTITY_MATRIX,
            "recursive": BN_RECURSIVE,
            "matrix_products": BN_PRODUCTS,
        },
    ),
]
