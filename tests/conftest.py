"""Shared test set-up.

* One BLAS thread (unless the caller chose otherwise), set before numpy loads: the course's
  matrices are small, and on a shared machine several threads per process fight for the cores
  (a notebook took 116 s instead of 10 s). Kernels started by the tests inherit it.
* Figures are drawn off-screen (no display, no GUI backend).
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
