"""``python -m grader <verb>``: see ``python -m grader --help``."""

import sys

from grader.cli import main

if __name__ == "__main__":  # not when a grading worker process imports this module
    sys.exit(main())
