"""The project's own files: dependency lists agree, lint is clean, notebooks are clean."""

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    assert m, req
    name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
    return name, m.group(2).replace(" ", "")


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    py_deps = dict(_split(r) for r in project["dependencies"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    conda_deps = dict(_split(d) for d in conda if not d.startswith(("python", "pip")))
    assert conda_deps == py_deps
    python = next(d for d in conda if d.startswith("python"))
    assert _split(python)[1] == project["requires-python"]


def test_ruff_is_clean():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.fail("ruff is not installed: install the dev extras (pip install -e '.[dev]')")
    result = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_committed_notebooks_are_clean():
    notebooks = sorted((ROOT / "solutions").rglob("*.ipynb")) + sorted(
        (ROOT / "notebooks").rglob("*.ipynb")
    )
    for path in notebooks:
        if ".ipynb_checkpoints" in path.parts:
            continue
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs"), f"{path.name} has outputs"
                assert cell.get("execution_count") is None, f"{path.name} has execution counts"


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    assert "make lab" in first_block and "make test" in first_block
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_gradebook_url_from_the_environment(monkeypatch):
    from traitlets.config.loader import PyFileConfigLoader

    def db_url():
        return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()[
            "CourseDirectory"
        ]["db_url"]

    monkeypatch.delenv("VANISHING_GRADEBOOK_URL", raising=False)
    assert db_url() == f"sqlite:///{ROOT / 'grader' / 'course' / 'gradebook.db'}"
    monkeypatch.setenv("VANISHING_GRADEBOOK_URL", "postgresql://grader@db.example/gradebook")
    assert db_url().endswith("://grader@db.example/gradebook")
    assert db_url().startswith("postgresql")
