"""Print the links that open the course: on a JupyterHub (nbgitpuller) or on Binder.

    python tools/links.py nbgitpuller --hub https://hub.example.org      # make nbgitpuller-link
    python tools/links.py binder                                          # the Binder badge URL

The repository defaults to this clone's ``origin`` remote; pass ``--repo URL`` otherwise.
Both links open the first notebook in JupyterLab. Standard library only: a hub admin can run it
without installing the course.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
FIRST_NOTEBOOK = "notebooks/00_backprop_refresher/00_backprop_refresher.ipynb"
BRANCH = "main"  # nbgitpuller's default branch is `master`: always pass it


def origin_url() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return out or None


def https_url(repo: str) -> str:
    """``git@github.com:org/name.git`` or ``https://github.com/org/name.git`` -> https, no .git"""
    m = re.fullmatch(r"git@([^:]+):(.+?)(?:\.git)?/?", repo)
    if m:
        return f"https://{m.group(1)}/{m.group(2)}"
    m = re.fullmatch(r"(https?://.+?)(?:\.git)?/?", repo)
    if m:
        return m.group(1)
    raise SystemExit(f"not a git repository URL: {repo!r}")


def repo_dir(repo: str) -> str:
    """The folder nbgitpuller clones into: the repository's name."""
    return https_url(repo).rstrip("/").rsplit("/", 1)[-1]


def nbgitpuller_link(hub: str, repo: str, branch: str = BRANCH) -> str:
    """A link that clones (or updates) the course into the user's home and opens notebook 00."""
    if not re.match(r"https?://", hub):
        raise SystemExit(f"--hub must be the hub's URL, e.g. https://hub.example.org (got {hub!r})")
    query = urlencode(
        {
            "repo": https_url(repo),
            "branch": branch,
            "urlpath": f"lab/tree/{repo_dir(repo)}/{FIRST_NOTEBOOK}",
        },
        quote_via=quote,
    )
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def binder_link(repo: str, branch: str = BRANCH) -> str:
    m = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+)", https_url(repo))
    if not m:
        raise SystemExit(f"Binder links are made here for GitHub repositories only: {repo!r}")
    return f"https://mybinder.org/v2/gh/{m.group(1)}/{m.group(2)}/{branch}?urlpath=lab/tree/{FIRST_NOTEBOOK}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a link that opens the course.")
    sub = parser.add_subparsers(dest="kind", required=True)
    pull = sub.add_parser("nbgitpuller", help="a JupyterHub link (nbgitpuller)")
    pull.add_argument("--hub", required=True, help="the hub's URL, e.g. https://hub.example.org")
    binder = sub.add_parser("binder", help="the Binder link")
    for p in (pull, binder):
        p.add_argument("--repo", help="repository URL (default: this clone's origin)")
        p.add_argument("--branch", default=BRANCH, help=f"branch (default: {BRANCH})")
    args = parser.parse_args(argv)

    repo = args.repo or origin_url()
    if not repo:
        print(
            "error: this clone has no `origin` remote; pass the repository, e.g.\n"
            "  make nbgitpuller-link HUB=https://hub.example.org "
            "REPO=https://github.com/ORG/vanishing-gradients",
            file=sys.stderr,
        )
        return 2
    if args.kind == "nbgitpuller":
        print(nbgitpuller_link(args.hub, repo, args.branch))
    else:
        print(binder_link(repo, args.branch))
    return 0


if __name__ == "__main__":
    sys.exit(main())
