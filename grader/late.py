"""The course's late-submission policy, as an nbgrader ``LateSubmissionPlugin``.

Policy: a notebook submitted after the assignment's due date loses ``per_day`` (10 %) of
the points it earned for every started day (24 h) it is late, down to zero. Set a due date
with ``python -m grader duedate ASSIGNMENT "2025-03-01 23:59:00 UTC"``; without one nothing
is late. nbgrader stores the penalty per notebook and subtracts it in the export.
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float


class PerDayPenalty(LateSubmissionPlugin):
    """``per_day`` of the earned score per started day late, at most the whole score."""

    per_day = Float(0.1, help="fraction of the earned score lost per started day late").tag(
        config=True
    )

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        if total_seconds_late <= 0 or not score:
            return None
        days = math.ceil(total_seconds_late / 86400)
        return min(score, round(score * self.per_day * days, 6))
