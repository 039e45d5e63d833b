"""The gradient doctor against a labelled battery of networks (tests/doctor_battery/cases.py).

Precision and recall per finding over every case × SEEDS, and every first remedy tried: the
doctor's course of treatment (examine, apply the first finding's remedy, examine again, up to
three rounds) must make each broken case train, while the untreated case does not. The
per-finding table is written to :data:`RESULTS` and printed at the end of the test run by the
``pytest_terminal_summary`` hook in conftest.py.

Measured by running the battery over seeds 0-4 (examination) and seed 0 (training) under
OpenBLAS kernels Haswell, SkylakeX, Sandybridge and Zen (OPENBLAS_CORETYPE): the ranges and
margins are in the comments beside each threshold. CPU time about 30 s.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from doctor_battery import cases as B

from vanishing import doctor
from vanishing.experiments import capstone

pytestmark = [pytest.mark.slow, pytest.mark.science]

SEEDS = (0, 1, 2)
#: Where the battery writes its table for the terminal summary.
RESULTS = Path(tempfile.gettempdir()) / f"vanishing-doctor-battery-{os.getuid()}.json"
MIN_PRECISION = MIN_RECALL = 0.95
#: The least accuracy a treatment must add to its broken case.
GAIN = 0.05


def scores(rows) -> dict[str, dict[str, float]]:
    """Per finding code: true/false positives, false negatives, precision and recall."""
    table = {}
    for code in doctor.CODES:
        tp = sum(code in r["got"] and code in r["label"] for r in rows)
        fp = sum(code in r["got"] and code not in r["label"] for r in rows)
        fn = sum(code not in r["got"] and code in r["label"] for r in rows)
        table[code] = {
            "tp": tp, "fp": fp, "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else float("nan"),
            "recall": tp / (tp + fn) if tp + fn else float("nan"),
        }  # fmt: skip
    return table


@pytest.fixture(scope="module")
def rows():
    out = []
    for case in B.CASES:
        for seed in SEEDS:
            report = B.examine(case, seed)
            out.append({"name": case["name"], "seed": seed, "label": sorted(case["label"]),
                        "got": report.codes})  # fmt: skip
    return out


def test_the_battery_covers_every_finding_healthy_nets_and_pairs():
    assert len(B.CASES) >= 40
    assert len({c["name"] for c in B.CASES}) == len(B.CASES)
    labels = [c["label"] for c in B.CASES]
    assert sum(not lab for lab in labels) >= 15  # healthy ones of every kind
    assert sum(len(lab) >= 2 for lab in labels) >= 8  # problems in pairs
    assert set().union(*labels) == set(doctor.CODES)


def test_precision_and_recall_per_finding(rows):
    table = scores(rows)
    RESULTS.write_text(
        json.dumps(
            {
                "n_cases": len(B.CASES),
                "seeds": list(SEEDS),
                "scores": table,
                "misses": [r for r in rows if set(r["got"]) != set(r["label"])],
            }
        )
    )
    # measured: 45 cases x seeds 0-4 x 4 kernels, every report exactly its label (precision
    # = recall = 1.000 for every code); margin 0.05 (one miss in 20 per code allowed)
    for code, s in table.items():
        assert s["tp"] + s["fn"] > 0, f"no case in the battery is labelled {code!r}"
        assert s["precision"] >= MIN_PRECISION, (code, s)
        assert s["recall"] >= MIN_RECALL, (code, s)


@pytest.mark.parametrize("case", B.CASES, ids=lambda c: c["name"])
def test_the_doctors_treatment_cures_and_healthy_nets_train(case):
    seed = 0
    if case.get("patient"):
        # measured (seed 0): untreated patients 0.50 or nan, treated 1.000 each; the
        # capstone's cure is its TARGET_ACC 0.85
        before = B.patient_accuracy(case["patient"], {}, seed)
        fix, given = B.treat(case, seed)
        assert given and given[0] == case["fix"], (case["name"], given)
        after = B.patient_accuracy(case["patient"], fix, seed)
        assert after >= capstone.TARGET_ACC, f"{case['name']}: treated with {fix}, {after:.3f}"
        assert after - before >= GAIN, f"{case['name']}: {before:.3f} untreated, {after:.3f}"
        return
    before = B.train_accuracy(case["settings"], seed)
    if not case["label"]:
        # measured: healthy nets 0.842-0.986 on every kernel (least: sigmoid d3, a linear
        # boundary's accuracy); TARGET 0.8, margin 0.042
        assert before >= B.TARGET, f"{case['name']}: a healthy net reached only {before:.3f}"
        return
    settings, given = B.treat(case, seed)
    assert given and given[0] == case["fix"], (case["name"], given)
    after = B.train_accuracy(settings, seed)
    # measured: treated 0.850-0.986 on every kernel (least: the float32 d30 net after He
    # init); TARGET 0.8, margin 0.050. The first remedy is the case's fix on every kernel.
    assert after >= B.TARGET, f"{case['name']}: treated with {given}, reached {after:.3f}"
    # the planted problem costs accuracy: measured gains >= 0.121 (least: tanh with N(0,1)
    # weights, 0.807-0.836 untreated, a linear boundary); GAIN 0.05, margin 0.071
    assert after - before >= GAIN, f"{case['name']}: {before:.3f} untreated, {after:.3f} treated"
