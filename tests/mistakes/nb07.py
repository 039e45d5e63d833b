"""Mistakes and valid alternatives for notebook 07 (residual connections); see ``_corpus.py``."""

from _corpus import Exercise, Mistake

ASSIGNMENT = "07_residual_connections"

# --- residual_block_forward -----------------------------------------------------------------
RF_NO_IDENTITY = """
def residual_block_forward(x, W1, b1, W2, b2):
    z = x @ W1 + b1
    a = np.maximum(z, 0)
    return a @ W2 + b2, (x, W1, W2, z, a)
"""

# the original ResNet puts a ReLU after the addition; this block does not
RF_RELU_AFTER_ADD = """
def residual_block_forward(x, W1, b1, W2, b2):
    z = x @ W1 + b1
    a = np.maximum(z, 0)
    return np.maximum(x + a @ W2 + b2, 0), (x, W1, W2, z, a)
"""

RF_RELU_ON_BRANCH_OUTPUT = """
def residual_block_forward(x, W1, b1, W2, b2):
    z = x @ W1 + b1
    a = np.maximum(z, 0)
    return x + np.maximum(a @ W2 + b2, 0), (x, W1, W2, z, a)
"""

RF_NO_B2 = """
def residual_block_forward(x, W1, b1, W2, b2):
    z = x @ W1 + b1
    a = np.maximum(z, 0)
    return x + a @ W2, (x, W1, W2, z, a)
"""

RF_NO_B1 = """
def residual_block_forward(x, W1, b1, W2, b2):
    z = x @ W1
    a = np.maximum(z, 0)
    return x + a @ W2 + b2, (x, W1, W2, z, a)
"""

RF_CACHE_ORDER = """
def residual_block_forward(x, W1, b1, W2, b2):
    z = x @ W1 + b1
    a = np.maximum(z, 0)
    return x + a @ W2 + b2, (x, W1, W2, a, z)
"""

RF_CACHE_WITH_BIASES = """
def residual_block_forward(x, W1, b1, W2, b2):
    z = x @ W1 + b1
    a = np.maximum(z, 0)
    return x + a @ W2 + b2, (x, W1, b1, W2, b2, z, a)
"""

RF_FLOAT64 = """
def residual_block_forward(x, W1, b1, W2, b2):
    x, W1, b1, W2, b2 = (np.asarray(v, dtype=float) for v in (x, W1, b1, W2, b2))
    z = x @ W1 + b1
    a = np.maximum(z, 0)
    return x + a @ W2 + b2, (x, W1, W2, z, a)
"""

RF_ADDS_INTO_X = """
def residual_block_forward(x, W1, b1, W2, b2):
    z = x @ W1 + b1
    a = np.maximum(z, 0)
    inp = x.copy()
    x += a @ W2 + b2
    return x, (inp, W1, W2, z, a)
"""

RF_CALLS_PACKAGE = """
def residual_block_forward(x, W1, b1, W2, b2):
    from vanishing.experiments import residual
    return residual.block_forward(x, W1, b1, W2, b2)
"""

# valid: the mask multiply, np.dot, the bias added first
RF_MASK_AND_DOT = """
def residual_block_forward(x, W1, b1, W2, b2):
    z = b1 + np.dot(x, W1)
    a = z * (z > 0)
    y = np.add(x, b2 + np.dot(a, W2))
    return y, (x, W1, W2, z, a)
"""

# valid: einsum and clip, the cache as a list
RF_EINSUM_CLIP_LIST = """
def residual_block_forward(x, W1, b1, W2, b2):
    z = np.einsum("nd,dh->nh", x, W1) + b1
    a = np.clip(z, 0, None)
    u = np.einsum("nh,hd->nd", a, W2) + b2
    return u + x, [x, W1, W2, z, a]
"""

# valid: a copy of the input, accumulated into, and np.where for the ReLU
RF_COPY_WHERE = """
def residual_block_forward(x, W1, b1, W2, b2):
    z = x @ W1
    z = z + b1
    a = np.where(z > 0, z, np.zeros_like(z))
    y = x.copy()
    y += a @ W2
    y += b2
    return y, (x, W1, W2, z, a)
"""

# --- residual_block_backward ----------------------------------------------------------------
RBB_NO_IDENTITY = """
def residual_block_backward(dout, cache):
    x, W1, W2, z, a = cache
    dz = (dout @ W2.T) * (z > 0)
    return dz @ W1.T, x.T @ dz, dz.sum(axis=0), a.T @ dout, dout.sum(axis=0)
"""

RBB_SLOPE_ONE_AT_ZERO = """
def residual_block_backward(dout, cache):
    x, W1, W2, z, a = cache
    dz = (dout @ W2.T) * (z >= 0)
    return dout + dz @ W1.T, x.T @ dz, dz.sum(axis=0), a.T @ dout, dout.sum(axis=0)
"""

# a >= 0 everywhere, so this mask lets every entry through
RBB_MASK_FROM_A_GE = """
def residual_block_backward(dout, cache):
    x, W1, W2, z, a = cache
    dz = (dout @ W2.T) * (a >= 0)
    return dout + dz @ W1.T, x.T @ dz, dz.sum(axis=0), a.T @ dout, dout.sum(axis=0)
"""

RBB_DW2_FROM_Z = """
def residual_block_backward(dout, cache):
    x, W1, W2, z, a = cache
    dz = (dout @ W2.T) * (z > 0)
    return dout + dz @ W1.T, x.T @ dz, dz.sum(axis=0), z.T @ dout, dout.sum(axis=0)
"""

RBB_BIAS_MEANS = """
def residual_block_backward(dout, cache):
    x, W1, W2, z, a = cache
    dz = (dout @ W2.T) * (z > 0)
    return dout + dz @ W1.T, x.T @ dz, dz.mean(axis=0), a.T @ dout, dout.mean(axis=0)
"""

RBB_DW1_TRANSPOSED = """
def residual_block_backward(dout, cache):
    x, W1, W2, z, a = cache
    dz = (dout @ W2.T) * (z > 0)
    return dout + dz @ W1.T, dz.T @ x, dz.sum(axis=0), a.T @ dout, dout.sum(axis=0)
"""

RBB_FLOAT64 = """
def residual_block_backward(dout, cache):
    x, W1, W2, z, a = (np.asarray(v, dtype=np.float64) for v in cache)
    dout = np.asarray(dout, dtype=np.float64)
    dz = (dout @ W2.T) * (z > 0)
    return dout + dz @ W1.T, x.T @ dz, dz.sum(axis=0), a.T @ dout, dout.sum(axis=0)
"""

RBB_ADDS_INTO_DOUT = """
def residual_block_backward(dout, cache):
    x, W1, W2, z, a = cache
    dz = (dout @ W2.T) * (z > 0)
    dW2, db2 = a.T @ dout, dout.sum(axis=0)
    dx = dout
    dx += dz @ W1.T
    return dx, x.T @ dz, dz.sum(axis=0), dW2, db2
"""

RBB_CALLS_PACKAGE = """
def residual_block_backward(dout, cache):
    from vanishing.experiments import residual
    return residual.block_backward(dout, cache)
"""

# valid: the mask from a > 0 (the same entries as z > 0), einsum
RBB_MASK_FROM_A_EINSUM = """
def residual_block_backward(dout, cache):
    x, W1, W2, z, a = cache
    dz = np.einsum("nd,hd->nh", dout, W2) * (a > 0)
    dx = dout + np.einsum("nh,dh->nd", dz, W1)
    return dx, np.einsum("nd,nh->dh", x, dz), dz.sum(0), np.einsum("nh,nd->hd", a, dout), dout.sum(0)
"""

# valid: np.where for the ReLU, np.dot, np.sum
RBB_WHERE_DOT = """
def residual_block_backward(dout, cache):
    x, W1, W2, z, a = cache
    dz = np.where(z > 0, np.dot(dout, W2.T), 0)
    dx = np.add(np.dot(dz, W1.T), dout)
    return dx, np.dot(x.T, dz), np.sum(dz, axis=0), np.dot(a.T, dout), np.sum(dout, axis=0)
"""

# valid: Heaviside step with value 0 at 0, a copy of dout accumulated into, the cache by index
RBB_HEAVISIDE_COPY = """
def residual_block_backward(dout, cache):
    x, W1, W2, z, a = cache[0], cache[1], cache[2], cache[3], cache[4]
    slope = np.heaviside(z, 0.0)
    dz = (dout @ W2.T) * slope
    dx = dout.copy()
    dx += dz @ W1.T
    dW1 = x.T @ dz
    dW2 = a.T @ dout
    return dx, dW1, dz.sum(axis=0), dW2, dout.sum(axis=0)
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
        cell="residual_block_forward",
        mistakes={
            "no_identity": Mistake(RF_NO_IDENTITY, "add the block's input"),
            "relu_after_the_addition": Mistake(RF_RELU_AFTER_ADD, "no ReLU after the addition"),
            "relu_on_the_branch_output": Mistake(
                RF_RELU_ON_BRANCH_OUTPUT, "the ReLU goes between the two linear layers"
            ),
            "no_b2": Mistake(RF_NO_B2, "add the second layer's bias"),
            "no_b1": Mistake(RF_NO_B1, "add the first layer's bias"),
            "cache_order": Mistake(RF_CACHE_ORDER, "z before a"),
            "cache_with_biases": Mistake(RF_CACHE_WITH_BIASES, "should have 5 items"),
            "float64": Mistake(RF_FLOAT64, "keep the dtype of the inputs"),
            "adds_into_x": Mistake(RF_ADDS_INTO_X, "changed its input `x` in place"),
            "calls_the_package": Mistake(RF_CALLS_PACKAGE, "is off limits"),
        },
        alternatives={
            "mask_and_dot": RF_MASK_AND_DOT,
            "einsum_clip_list": RF_EINSUM_CLIP_LIST,
            "copy_where": RF_COPY_WHERE,
        },
    ),
    Exercise(
        cell="residual_block_backward",
        mistakes={
            "no_identity": Mistake(RBB_NO_IDENTITY, "dx misses the identity path"),
            "slope_one_at_zero": Mistake(RBB_SLOPE_ONE_AT_ZERO, "not z >= 0"),
            "mask_from_a_ge_0": Mistake(RBB_MASK_FROM_A_GE, "multiply by ReLU's derivative"),
            "dW2_from_z": Mistake(RBB_DW2_FROM_Z, "not z"),
            "bias_means": Mistake(RBB_BIAS_MEANS, "not the mean"),
            "dW1_transposed": Mistake(RBB_DW1_TRANSPOSED, "dW1 must have the shape of W1"),
            "float64": Mistake(RBB_FLOAT64, "keep the dtype of the inputs"),
            "adds_into_dout": Mistake(RBB_ADDS_INTO_DOUT, "changed its input `dout` in place"),
            "calls_the_package": Mistake(RBB_CALLS_PACKAGE, "is off limits"),
        },
        alternatives={
            "mask_from_a_einsum": RBB_MASK_FROM_A_EINSUM,
            "where_dot": RBB_WHERE_DOT,
            "heaviside_copy": RBB_HEAVISIDE_COPY,
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
