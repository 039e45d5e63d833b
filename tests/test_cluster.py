"""Sharding a class for a cluster (grader/cluster/): the split, ``--shard``, the Slurm batch
script and the Kubernetes Job. The real Slurm cluster is in ``tests/test_cluster_slurm.py``."""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

from grader.cli import build_parser, main  # noqa: E402
from grader.cluster import Shard, parse_shard, shard_of  # noqa: E402
from grader.course import Course, course_config  # noqa: E402

CLUSTER = ROOT / "grader" / "cluster"
JOB = CLUSTER / "autograde-job.yaml"
SBATCH = CLUSTER / "slurm-autograde.sbatch"
STUDENTS = [f"s{i:04d}" for i in range(3000)] + ["Zoë", "o'brien", "a b", "x" * 200]


# --- the split -------------------------------------------------------------------------------
def test_shard_of_matches_sha256_by_hand():
    """Independent reference: the first 8 bytes of SHA-256, big-endian, modulo N."""
    for student, n in [("alice", 3), ("bob", 7), ("Zoë", 10), ("", 2)]:
        digest = hashlib.sha256(student.encode()).hexdigest()
        assert shard_of(student, n) == int(digest[:16], 16) % n


def test_shard_of_known_values():
    """Pinned: a change of the hash would re-split a class between two runs of its shards."""
    assert [shard_of(f"student{i:03d}", 3) for i in range(12)] == [
        0,
        2,
        0,
        0,
        1,
        1,
        1,
        2,
        2,
        0,
        2,
        2,
    ]
    assert (shard_of("alice", 1), shard_of("alice", 3), shard_of("alice", 10)) == (0, 2, 7)
    assert shard_of("Zoë", 7) == 3


def test_same_split_in_another_process_with_another_hash_seed():
    """Python's own hash() of a string differs per process; the split must not."""
    code = (
        "from grader.cluster import shard_of;"
        "print(','.join(str(shard_of(f's{i:04d}', 7)) for i in range(200)))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True,
            env=dict(os.environ, PYTHONHASHSEED=seed),
        ).stdout.strip()
        for seed in ("1", "2", "random")
    }  # fmt: skip
    assert outs == {",".join(str(shard_of(f"s{i:04d}", 7)) for i in range(200))}


@pytest.mark.parametrize("n", [1, 2, 3, 8, 50])
def test_every_student_in_exactly_one_shard(n):
    owners = Counter()
    for student in STUDENTS:
        holders = [k for k in range(n) if Shard(k, n).holds(student)]
        assert len(holders) == 1, (student, holders)
        owners[holders[0]] += 1
    assert sum(owners.values()) == len(STUDENTS)
    # nearly equal shards: each count is Binomial(3004, 1/n); 5 standard deviations (a false
    # failure about once in 10^6 per shard for a uniform hash)
    mean = len(STUDENTS) / n
    sd = (len(STUDENTS) * (1 / n) * (1 - 1 / n)) ** 0.5
    assert all(abs(owners[k] - mean) <= 5 * sd + 1e-9 for k in range(n)), owners


def test_shard_of_rejects_a_bad_count():
    for bad in (0, -1, 2.0, True, "3"):
        with pytest.raises(ValueError, match="count"):
            shard_of("alice", bad)


@pytest.mark.parametrize(
    "text, expected", [("0/1", Shard(0, 1)), ("2/3", Shard(2, 3)), (" 9/10 ", Shard(9, 10))]
)
def test_parse_shard(text, expected):
    assert parse_shard(text) == expected
    assert str(parse_shard(text)) == text.strip()


@pytest.mark.parametrize(
    "text, words",
    [
        ("3/3", "between 0 and N-1 = 2"),
        ("-1/3", "between 0 and N-1"),
        ("1/0", "N must be >= 1"),
        ("1", "expected K/N"),
        ("a/b", "expected K/N"),
        ("1/3/4", "expected K/N"),
        ("", "expected K/N"),
    ],
)
def test_parse_shard_says_what_is_wrong(text, words):
    with pytest.raises(ValueError, match="--shard") as err:
        parse_shard(text)
    assert words in str(err.value)


# --- --shard selects the students of the shard --------------------------------------------
@pytest.fixture
def course(tmp_path):
    course = Course(course_config(tmp_path / "course"))
    for i in range(40):
        for assignment in ("a1", "a2"):
            (course.directory("submitted", f"st{i:02d}", assignment)).mkdir(parents=True)
    return course


def test_submissions_of_the_shards_partition_the_class(course):
    everything = course.submissions()
    assert len(everything) == 80
    parts = [course.submissions(shard=Shard(k, 3)) for k in range(3)]
    assert sorted(sum(parts, []), key=str) == sorted(everything, key=str)
    for k, part in enumerate(parts):
        assert part, k
        assert all(shard_of(s.student, 3) == k for s in part)
        # a student's assignments stay together in one shard (one ledger writer per student)
        for s in part:
            assert {x.assignment for x in part if x.student == s.student} == {"a1", "a2"}
    # filters combine
    a1 = course.submissions("a1", shard=Shard(1, 3))
    assert a1 == [s for s in parts[1] if s.assignment == "a1"]


def test_cli_parses_shard_and_refuses_a_bad_one(course, capsys):
    assert build_parser().parse_args(["autograde", "--shard", "1/3"]).shard == "1/3"
    root = str(course.root)
    assert main(["autograde", "--course", root, "--shard", "3/3", "--quiet"]) == 2
    assert "K must be between 0 and N-1 = 2" in capsys.readouterr().err


def test_cli_empty_shard_is_not_an_error(tmp_path, capsys):
    """A shard that holds no student succeeds (the array's other tasks grade the class); an
    empty class still fails."""
    course = Course(course_config(tmp_path / "course"))
    student = "st00"
    course.directory("submitted", student, "a1").mkdir(parents=True)
    other = (shard_of(student, 2) + 1) % 2
    assert main(["autograde", "--course", str(course.root), "--shard", f"{other}/2"]) == 0
    assert f"for shard {other}/2" in capsys.readouterr().out
    empty = Course(course_config(tmp_path / "empty"))
    assert main(["autograde", "--course", str(empty.root), "--shard", "0/2"]) == 1


# --- the Slurm batch script --------------------------------------------------------------------
def _sbatch(env: dict, *args: str) -> subprocess.CompletedProcess:
    """Run the batch script as Slurm would, with ``python`` replaced by a script that prints
    its arguments (what the task would run)."""
    return subprocess.run(
        ["bash", str(SBATCH), *args], capture_output=True, text=True, timeout=30,
        env={"PATH": os.environ["PATH"], **env},
    )  # fmt: skip


@pytest.fixture
def echo_python(tmp_path):
    fake = tmp_path / "python"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
    fake.chmod(0o755)
    return str(fake)


def test_sbatch_runs_the_shard_of_its_task(echo_python, tmp_path):
    env = {
        "SLURM_ARRAY_TASK_ID": "2", "SLURM_CPUS_PER_TASK": "4", "SLURM_SUBMIT_DIR": str(ROOT),
        "GRADER_PYTHON": echo_python, "GRADER_DB": "postgresql://x@/gb?host=/tmp",
        "GRADER_COURSE": str(tmp_path), "SHARDS": "5",
    }  # fmt: skip
    out = _sbatch(env, "--force", "00_backprop_refresher")
    assert out.returncode == 0, out.stderr
    argv = out.stdout.splitlines()[1:]  # after the first line, the task's banner
    assert argv == [
        "-m", "grader", "autograde", "--shard", "2/5", "--jobs", "4", "--quiet",
        "--db", "postgresql://x@/gb?host=/tmp", "--course", str(tmp_path),
        "--force", "00_backprop_refresher",
    ]  # fmt: skip
    args = build_parser().parse_args(argv[2:])  # what the grader makes of it
    assert parse_shard(args.shard) == Shard(2, 5) and args.force


def test_sbatch_default_three_shards_and_refusals(echo_python):
    base = {"SLURM_SUBMIT_DIR": str(ROOT), "GRADER_PYTHON": echo_python}
    ok = _sbatch({**base, "SLURM_ARRAY_TASK_ID": "0"})
    assert ok.returncode == 0 and "0/3" in ok.stdout.splitlines(), ok.stderr
    # the #SBATCH array matches the default number of shards
    assert "#SBATCH --array=0-2" in SBATCH.read_text()
    beyond = _sbatch({**base, "SLURM_ARRAY_TASK_ID": "3"})
    assert beyond.returncode == 2 and "SHARDS=3: use --array=0-2" in beyond.stderr
    outside = _sbatch(base)  # not under sbatch
    assert outside.returncode != 0 and "submit this script with sbatch" in outside.stderr


# --- the Kubernetes Job --------------------------------------------------------------------------
def _job() -> dict:
    return yaml.safe_load(JOB.read_text())


@pytest.mark.parametrize("version", ["1.33.0", "latest"])
def test_job_is_valid_against_the_kubernetes_schema(version):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    if version == "latest":
        version = kubernetes_validate.latest_version()
    # strict: an unknown or misspelt field is an error, not silently dropped by the API server
    kubernetes_validate.validate(_job(), version, strict=True)


def test_the_validator_rejects_a_broken_job():
    """Test the tester: the schema check fails on a typo, a wrong type and a missing field."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    version = kubernetes_validate.latest_version()
    typo = _job()
    typo["spec"]["completionMod"] = typo["spec"].pop("completionMode")
    wrong_type = _job()
    wrong_type["spec"]["completions"] = "three"
    no_image = _job()
    del no_image["spec"]["template"]["spec"]["containers"][0]["name"]
    for broken in (typo, wrong_type, no_image):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, version, strict=True)


def test_job_runs_one_shard_per_completion_index(echo_python):
    job = _job()
    spec = job["spec"]
    assert job["kind"] == "Job" and job["apiVersion"] == "batch/v1"
    assert spec["completionMode"] == "Indexed"
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert int(env["SHARDS"]["value"]) == spec["completions"]
    # the gradebook URL comes from a Secret, never from the manifest
    assert env["GRADER_DB"]["valueFrom"]["secretKeyRef"] == {"name": "vanishing-gradebook",
                                                             "key": "url"}  # fmt: skip
    # the course from the volume claim the graders share
    (mount,) = container["volumeMounts"]
    (volume,) = pod["volumes"]
    assert volume["name"] == mount["name"] and "persistentVolumeClaim" in volume
    assert container["command"] == ["sh", "-c"]
    # run the container's command with the variables Kubernetes sets, python replaced
    script = container["args"][0].replace("exec python", f"exec {shlex.quote(echo_python)}")
    for index in range(spec["completions"]):
        out = subprocess.run(
            ["sh", "-c", script], capture_output=True, text=True, check=True,
            env={"PATH": os.environ["PATH"], "JOB_COMPLETION_INDEX": str(index),
                 "SHARDS": env["SHARDS"]["value"], "GRADER_DB": "postgresql://u@h/db"},
        ).stdout.splitlines()  # fmt: skip
        args = build_parser().parse_args(out[2:])
        assert parse_shard(args.shard) == Shard(index, spec["completions"])
        assert args.db == "postgresql://u@h/db" and args.course == mount["mountPath"]
        assert args.require_sandbox
