"""Time budgets that tests once asserted in seconds, measured here as ratios instead.

* The static scan (``grader.scan.scan_code``) on the cells that once took it 99 s and 187 s
  (2,000 IPython help lines ``x?``, 2,000 shell lines ``z = !ls``), against the scan of two
  plain Python cells with the same number of lines.
* The feedback's markdown step (``grader.feedback.SafeFeedback``) on a written answer of
  96,000 ``[`` and ``]`` with a ``<script>``, against an answer of as many plain letters.
* ``capstone.treat`` (the capstone's one training run, which a fix test repeats 10 times),
  against one plain ``fit_split`` of the same network on the same data for the same steps.
* ``grader.collect.collect`` of an LMS zip holding three compression bombs (48 MiB of zeros,
  a bomb inside a nested zip, 8 MiB whose headers say 100 bytes) and one notebook, against
  an honest zip of the same four names holding one small notebook each.

Each figure is the median of a few repeats, run in turns with its reference after one
warm-up run of each.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

IPYTHON_CELLS = ["x = 1\n" + "x?\n" * 2000, "y = 1\n" + "z = !ls\n" * 2000]
PLAIN_CELLS = ["x = 1\n" + "x = 2\n" * 2000, "y = 1\n" + "z = y\n" * 2000]


def _median_seconds(fn, reference, repeats: int) -> tuple[float, float]:
    """Median seconds of ``fn`` and of ``reference``, run in turns (so that a change of
    load on a shared machine falls on both alike), after one warm-up run of each."""
    fn(), reference()  # warm-up: imports, caches
    a, b = [], []
    for _ in range(repeats):
        for f, times in ((fn, a), (reference, b)):
            start = time.perf_counter()
            f()
            times.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)


def measure_scan(repeats: int = 5) -> dict:
    from grader.scan import scan_code

    assert scan_code(IPYTHON_CELLS) == [] and scan_code(PLAIN_CELLS) == []
    ipy, plain = _median_seconds(
        lambda: scan_code(IPYTHON_CELLS), lambda: scan_code(PLAIN_CELLS), repeats
    )
    return {"ipython_s": ipy, "plain_s": plain, "ratio": ipy / plain}


def _answer_notebook(text: str):
    from nbformat.v4 import new_markdown_cell, new_notebook

    answer = new_markdown_cell(text)
    answer.metadata["nbgrader"] = {"grade": True, "solution": True, "points": 1, "grade_id": "w"}
    return new_notebook(cells=[answer])


def measure_feedback(repeats: int = 5) -> dict:
    from grader.feedback import SafeFeedback

    hostile = "[" * 96_000 + "]" * 96_000 + "<script>alert('VG-XSS')</script>"
    plain = "a" * len(hostile)
    bad, ref = _median_seconds(
        lambda: SafeFeedback().preprocess(_answer_notebook(hostile), {}),
        lambda: SafeFeedback().preprocess(_answer_notebook(plain), {}),
        repeats,
    )
    return {"hostile_s": bad, "plain_s": ref, "ratio": bad / ref}


def measure_treat(repeats: int = 5) -> dict:
    from vanishing import nn
    from vanishing.experiments import capstone as C
    from vanishing.experiments.protocol import fit_split

    split = C.patient_data(1)

    def plain():
        model = nn.mlp([2] + [32] * 10 + [2], "relu", init="he_normal",
                       rng=np.random.default_rng(1))  # fmt: skip
        fit_split(model, split, optimizer="sgd", lr=0.1, steps=C.STEPS,
                  batch_size=C.BATCH_SIZE, seed=1, eval_every=C.STEPS, telemetry=False,
                  warn_on_nan=False, progress=False)  # fmt: skip

    treat, fit = _median_seconds(lambda: C.treat("D", {"bias": 0.0}, seed=1), plain, repeats)
    return {"treat_s": treat, "fit_s": fit, "ratio": treat / fit}


def _test_collect():
    """tests/test_collect.py, loaded from its file: the bomb archive its test refuses."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "test_collect", ROOT / "tests" / "test_collect.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure_collect(repeats: int = 5) -> dict:
    import shutil
    import tempfile
    import zipfile

    from grader.collect import collect

    tc = _test_collect()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bombs = tc.bomb_archive(tmp / "bombs.zip")
        with zipfile.ZipFile(bombs) as zf:
            names = [n.replace(".zip", ".ipynb") for n in zf.namelist()]
        honest = tc.make_zip(tmp / "honest.zip", [(n, tc.NOTEBOOK) for n in names])

        def run(archive: Path):
            out = tmp / "out"
            shutil.rmtree(out, ignore_errors=True)
            (out / "staging").mkdir(parents=True)
            return collect(archive, tc.NB, out / "submitted", out / "staging")

        assert run(bombs).students == ["ada"] and len(run(honest).students) == 4
        bad, ref = _median_seconds(lambda: run(bombs), lambda: run(honest), repeats)
    return {"bombs_s": bad, "honest_s": ref, "ratio": bad / ref}


def main() -> dict:
    out = {"scan": measure_scan(), "feedback": measure_feedback(), "treat": measure_treat(),
           "collect": measure_collect()}  # fmt: skip
    s, f, t, c = out["scan"], out["feedback"], out["treat"], out["collect"]
    print(f"scan, IPython cells vs plain: {s['ipython_s']:.3f} s / {s['plain_s']:.3f} s = "
          f"{s['ratio']:.2f}x")  # fmt: skip
    print(f"feedback markdown, brackets vs letters: {f['hostile_s']:.3f} s / "
          f"{f['plain_s']:.3f} s = {f['ratio']:.2f}x")  # fmt: skip
    print(f"capstone.treat vs plain fit: {t['treat_s']:.3f} s / {t['fit_s']:.3f} s = "
          f"{t['ratio']:.2f}x")  # fmt: skip
    print(f"collect, three bombs vs an honest zip: {c['bombs_s']:.3f} s / {c['honest_s']:.3f} s"
          f" = {c['ratio']:.1f}x")  # fmt: skip
    return out


if __name__ == "__main__":
    main()
