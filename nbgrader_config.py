# nbgrader reads this file when run from the repository root; the course's settings live in
# grader/nbgrader_config.py (see grader/AUTHORING.md).
c = get_config()  # noqa: F821
load_subconfig("grader/nbgrader_config.py")  # noqa: F821
