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


# --- the gradient doctor's battery: its per-finding precision/recall table -------------------
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the table tests/test_doctor_battery.py wrote, if the battery ran in this session."""
    import json
    import tempfile
    from pathlib import Path

    ran = any(
        "test_doctor_battery.py::test_precision_and_recall" in getattr(r, "nodeid", "")
        for reports in terminalreporter.stats.values()
        for r in reports
        if getattr(r, "when", "call") == "call"
    )
    path = Path(tempfile.gettempdir()) / f"vanishing-doctor-battery-{os.getuid()}.json"
    if not ran or not path.exists():
        return
    res = json.loads(path.read_text())
    tr = terminalreporter
    tr.section("gradient doctor: precision and recall per finding")
    tr.write_line(f"{res['n_cases']} networks x seeds {res['seeds']}")
    tr.write_line(
        f"{'finding':18s} {'TP':>4s} {'FP':>4s} {'FN':>4s} {'precision':>9s} {'recall':>7s}"
    )
    for code, s in res["scores"].items():
        tr.write_line(
            f"{code:18s} {s['tp']:4d} {s['fp']:4d} {s['fn']:4d} "
            f"{s['precision']:9.3f} {s['recall']:7.3f}"
        )
    for m in res["misses"]:
        tr.write_line(
            f"  miss: {m['name']} (seed {m['seed']}): expected {m['label']}, got {m['got']}"
        )
