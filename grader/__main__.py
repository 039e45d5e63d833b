"""``python -m grader <verb>``: see ``python -m grader --help``."""

import sys

from grader.cli import main

sys.exit(main())
