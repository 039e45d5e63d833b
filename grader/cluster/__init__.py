"""Grading a class on a cluster: the work is split into shards, the cluster runs them.

``python -m grader autograde --shard K/N`` grades shard ``K`` (``0 <= K < N``) of ``N``: the
students whose id hashes to ``K`` (:func:`shard_of`). The split depends on the student id and
``N`` only, so every machine computes the same one and each student is in exactly one shard.
Beside this module: ``slurm-autograde.sbatch`` (a Slurm job array, one shard per task) and
``autograde-job.yaml`` (a Kubernetes Indexed Job, one shard per completion index).
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple


class Shard(NamedTuple):
    """Shard ``index`` of ``count`` (``0 <= index < count``)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, student: str) -> bool:
        """Whether this shard grades ``student``."""
        return shard_of(student, self.count) == self.index


def shard_of(student: str, count: int) -> int:
    """The shard (``0 .. count - 1``) that grades ``student``.

    ``int(sha256(student id as UTF-8)[:8], big-endian) mod count``: the same on every machine
    and Python version (Python's ``hash()`` of a string is salted per process), and close to
    uniform, so shards are of nearly equal size.
    """
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError(f"count: the number of shards must be an integer >= 1, got {count!r}")
    digest = hashlib.sha256(student.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count


def parse_shard(text: str) -> Shard:
    """``"K/N"`` -> ``Shard(K, N)``; a ``ValueError`` that says what is wrong otherwise."""
    index, sep, count = str(text).strip().partition("/")
    try:
        if not sep:
            raise ValueError
        k, n = int(index), int(count)
    except ValueError:
        raise ValueError(
            f"--shard: expected K/N with whole numbers (shard K of N, K from 0), got {text!r}"
        ) from None
    if n < 1:
        raise ValueError(f"--shard: the number of shards N must be >= 1, got {text!r}")
    if not 0 <= k < n:
        raise ValueError(
            f"--shard: K must be between 0 and N-1 = {n - 1} (shards count from 0, like "
            f"SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX), got {text!r}"
        )
    return Shard(k, n)
