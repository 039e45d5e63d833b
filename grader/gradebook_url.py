"""The gradebook's database URL, with the driver that is installed.

Its own module, with nothing else imported: ``grader/nbgrader_config.py`` uses it while
nbgrader loads the configuration, before any other part of ``grader`` is imported.
"""

from __future__ import annotations


def driver_url(url: str) -> str:
    """``postgresql://`` with the driver that is installed: SQLAlchemy 2.1 picks psycopg 3,
    the course's dev dependencies install psycopg2."""
    import importlib.util

    if url.startswith("postgresql://") and importlib.util.find_spec("psycopg") is None:
        if importlib.util.find_spec("psycopg2") is not None:
            return "postgresql+psycopg2://" + url[len("postgresql://") :]
    return url
