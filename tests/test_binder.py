"""The repository opens on Binder as it is (repo2docker's conda build pack).

Conda and Docker are not available to the test suite, so this checks what repo2docker reads:
``environment.yml`` (parsed, Python and every dependency of pyproject.toml), ``postBuild``
(executable, fails fast, installs this package without touching the conda-solved
dependencies), no configuration folder that would make repo2docker ignore the files at the
root, and a Binder link that names an existing notebook on the ``main`` branch.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shlex
import site
import stat
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
README_DEPLOY = ROOT / "docs" / "README-deploy.md"
BADGE = re.compile(
    r"\[!\[Binder\]\((https://mybinder\.org/badge_logo\.svg)\)\]\((https://mybinder\.org/v2/gh/[^)\s]+)\)"
)


def _name(req: str) -> str:
    return re.sub(r"[-_.]+", "-", re.match(r"\s*([A-Za-z0-9_.\-]+)", req).group(1)).lower()


def test_environment_yml_is_a_complete_conda_environment():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert set(env) <= {"name", "channels", "dependencies"}
    assert "conda-forge" in env["channels"]
    deps = [d for d in env["dependencies"] if isinstance(d, str)]
    assert not [d for d in env["dependencies"] if not isinstance(d, str)], "no pip: section"
    python = next(d for d in deps if _name(d) == "python")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert python.replace(" ", "") == "python" + project["requires-python"]
    conda = {_name(d) for d in deps}
    assert "pip" in conda  # postBuild installs the package with it
    missing = {_name(r) for r in project["dependencies"]} - conda
    assert not missing, f"environment.yml lacks {missing} (Binder would not install them)"


def test_postbuild_installs_the_package_and_nothing_else():
    post = ROOT / "postBuild"
    assert post.stat().st_mode & stat.S_IXUSR, "postBuild must be executable"
    text = post.read_text()
    assert text.startswith("#!/usr/bin/env bash") or text.startswith("#!/bin/bash")
    assert re.search(r"^set -e", text, re.M), "postBuild must stop at the first failing command"
    commands = [
        shlex.split(line)
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "set "))
    ]
    assert len(commands) == 1, commands
    (cmd,) = commands
    assert cmd[:4] == ["python", "-m", "pip", "install"], cmd
    # the package (at the repository root, where repo2docker runs postBuild) without its
    # dependencies: conda already solved them from environment.yml
    assert "--no-deps" in cmd and cmd[-1] == "."
    # this very environment was installed from the repository root the same way (make: pip
    # install -e ".[dev]"), so pip can build and install the package from there
    # the environment's record of it (a `vanishing.egg-info` that the editable build leaves at
    # the repository root would shadow it from sys.path when run from there)
    (dist,) = importlib.metadata.distributions(name="vanishing", path=site.getsitepackages())
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    assert direct.get("dir_info", {}).get("editable"), direct
    assert Path(urlsplit(direct["url"]).path).resolve() == ROOT


def test_no_other_binder_configuration_shadows_the_root_files():
    # repo2docker uses binder/ or .binder/ *instead of* the root when either exists, and a
    # requirements.txt, Pipfile, setup.py or runtime.txt would change the build pack
    for name in (
        "binder",
        ".binder",
        "requirements.txt",
        "Pipfile",
        "setup.py",
        "runtime.txt",
        "Dockerfile",
    ):
        assert not (ROOT / name).exists(), f"{name} would change how Binder builds the course"


def test_binder_badge_opens_the_first_notebook_in_jupyterlab():
    text = README_DEPLOY.read_text()
    links = BADGE.findall(text)
    assert len(links) == 1, "docs/README-deploy.md needs exactly one Binder badge line"
    (_, url) = links[0]
    parts = urlsplit(url)
    m = re.fullmatch(r"/v2/gh/([^/]+)/([^/]+)/([^/]+)", parts.path)
    assert m, url
    assert m.group(3) == "main"
    (urlpath,) = parse_qs(parts.query)["urlpath"]
    assert urlpath.startswith("lab/tree/"), "open JupyterLab, not the classic tree"
    notebook = urlpath[len("lab/tree/") :]
    assert notebook == "notebooks/00_backprop_refresher/00_backprop_refresher.ipynb"
    assert (ROOT / notebook).is_file()
    # the same link as the tool prints for that repository
    repo = f"https://github.com/{m.group(1)}/{m.group(2)}"
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "links.py"), "binder", "--repo", repo],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == url
