"""The course's grading tools: nbgrader configuration and ``python -m grader``.

``course`` binds nbgrader's own Python API to a course directory (the repository, or a
throw-away copy); ``selfcheck`` grades a learner's notebook in a temporary course; ``cli``
is the command line. ``parallel`` grades a whole class (worker processes, each running
nbgrader's ``Autograde`` for one submission), with ``submission`` (fingerprint, outcome,
failure reason), ``staging`` (the untrusted submission copied) and ``ledger`` (what was graded,
for re-runs); ``sandbox`` (the policy), ``sandbox_kernel`` and ``_sandbox_launch`` confine
student kernels, ``integrity`` (with the static ``scan``) flags tampering, ``flags`` is what a
flag is, ``feedback`` hides hidden tests from feedback, ``late`` is the late-work policy
and ``collect`` (with ``zipsafe``) the LMS zip format. Nothing here re-implements nbgrader:
every step is one of its applications or plugins, with only what it lacks added around them.
"""
