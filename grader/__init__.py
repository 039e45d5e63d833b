"""The course's grading tools: nbgrader configuration and ``python -m grader``.

``course`` binds nbgrader's own Python API to a course directory (the repository, or a
throw-away copy); ``selfcheck`` grades a learner's notebook in a temporary course; ``cli``
is the command line. Nothing here re-implements nbgrader: every step is one of its
applications or plugins.
"""
