"""The project's own files: dependency lists agree, lint is clean, notebooks are clean."""

import json
import os
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


# --- the front door: `make lab` installs what a learner uses, `make test` adds the tools -------
DEV_TOOLS = {"pytest", "pytest-xdist", "ruff", "playwright", "psycopg2-binary", "jupyterhub"}


def _deps() -> tuple[dict[str, str], dict[str, str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = dict(_split(r) for r in project["dependencies"])
    dev = dict(_split(r.split("#")[0]) for r in project["optional-dependencies"]["dev"])
    return runtime, dev


def _make_dry_run(target: str) -> str:
    """What `make <target>` would run from a fresh clone (-B: as if nothing were installed)."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    run = subprocess.run([make, "-n", "-B", target], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_development_tools_are_extras_not_runtime():
    runtime, dev = _deps()
    assert DEV_TOOLS <= set(dev), DEV_TOOLS - set(dev)
    assert not DEV_TOOLS & set(runtime), DEV_TOOLS & set(runtime)
    assert not set(runtime) & set(dev)


def test_make_lab_installs_only_the_runtime_and_make_test_adds_the_extras():
    lab = _make_dry_run("lab")
    installs = [ln for ln in lab.splitlines() if "pip install" in ln and "--upgrade pip" not in ln]
    assert installs == [".venv/bin/python -m pip install --quiet -e ."], installs
    assert "[dev]" not in lab
    test = _make_dry_run("test")
    assert '-e ".[dev]"' in test and test.index("-e .\n") < test.index('-e ".[dev]"')
    for target in ("site", "bench", "lint"):
        assert '-e ".[dev]"' in _make_dry_run(target), target
    for target in ("formgrader", "release"):
        assert "[dev]" not in _make_dry_run(target), target


def _kernel_transport():
    import kernel_transport  # tools/ is on pytest's pythonpath (pyproject.toml)

    return kernel_transport


def test_local_kernels_use_unix_sockets():
    """`make lab` and `make formgrader` start kernels over IPC where it works: no TCP port,
    no warning; the option comes from tools/kernel_transport.py."""
    option = "$(.venv/bin/python tools/kernel_transport.py)"
    for target in ("lab", "formgrader"):
        jupyter = [ln for ln in _make_dry_run(target).splitlines() if "jupyter lab" in ln]
        assert jupyter and all(option in ln for ln in jupyter), target
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "kernel_transport.py")],
        capture_output=True,
        text=True,
        env={**os.environ, "JUPYTER_RUNTIME_DIR": "/tmp/vg-short-runtime"},
    )
    assert run.returncode == 0 and run.stdout.strip() == "--KernelManager.transport=ipc", run
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "kernel_transport.py")],
        capture_output=True,
        text=True,
        env={**os.environ, "JUPYTER_RUNTIME_DIR": "/tmp/" + "r" * 80},
    )
    assert run.returncode == 0 and run.stdout == "", run
    assert "kernels use TCP" in run.stderr and "more than the" in run.stderr


def test_kernel_socket_path_limit_is_zmqs():
    """The limit tools/kernel_transport.py uses is where ZMQ itself stops binding."""
    import tempfile

    zmq = pytest.importorskip("zmq")
    kt = _kernel_transport()
    limit = kt.max_socket_path()
    assert limit == kt.max_socket_path(sys.platform) > 90
    base = tempfile.mkdtemp(prefix="vg-")  # a short folder (pytest's tmp_path is too long)
    if kt.ipc_problem(base, suffix=kt.SUFFIX + 2) is not None:
        os.rmdir(base)
        pytest.skip(f"the temporary folder {base} is too long for this check")
    # a directory whose sockets (name "/kernel-<uuid>-ipc-5") are exactly at the limit, and
    # one byte longer
    fits = base + "/" + "d" * (limit - kt.SUFFIX - len(base) - 1)
    longer = fits + "x"
    assert kt.ipc_problem(fits) is None
    assert kt.ipc_problem(longer) is not None
    context = zmq.Context()
    try:
        for folder, ok in ((fits, True), (longer, False)):
            Path(folder).mkdir()
            path = folder + "/kernel-" + "0" * 36 + "-ipc-5"
            assert len(path) == limit + (not ok)
            sock = context.socket(zmq.ROUTER)
            try:
                sock.bind("ipc://" + path)
                bound = True
            except zmq.ZMQError:
                bound = False
            finally:
                sock.close(linger=0)
            assert bound == ok, (len(path), limit)
    finally:
        context.term()
        shutil.rmtree(base, ignore_errors=True)


def test_runtime_covers_what_the_course_imports():
    """Every third-party import of the notebooks and of `vanishing` is installed by `make lab`:
    a runtime dependency or one of theirs (the development extras are not needed)."""
    from importlib import metadata

    runtime, _ = _deps()
    closure, todo = set(), list(runtime)
    while todo:
        name = todo.pop()
        if name in closure:
            continue
        closure.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [_split(r.split(";")[0])[0] for r in requires if "extra ==" not in r]

    sources = [p.read_text() for p in (ROOT / "src" / "vanishing").rglob("*.py")]
    for path in sorted((ROOT / "solutions").rglob("*.ipynb")):
        nb = json.loads(path.read_text())
        sources += ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    modules = set()
    for text in sources:
        modules |= set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", text, re.M))
    modules -= set(sys.stdlib_module_names) | {"vanishing", "__future__"}
    assert modules, "no third-party import found: the check below would mean nothing"
    owners = metadata.packages_distributions()
    missing = {
        m: owners.get(m)
        for m in modules
        if not {_split(d)[0] for d in owners.get(m, [m])} & closure
    }
    assert not missing, f"imported but not installed by `make lab`: {missing}"


def test_grader_is_installed_with_the_course_and_nothing_edits_sys_path_for_it():
    # `grader` is a package of the distribution (pyproject's packages.find), importable from
    # anywhere: no file of the project puts the repository root on sys.path to reach it
    out = subprocess.run(
        [sys.executable, "-c", "import grader.export, grader.course; print(grader.__file__)"],
        cwd="/", capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert Path(out.stdout.strip()) == ROOT / "grader" / "__init__.py"
    pattern = re.compile(r"sys\.path\.insert\(0, *(str\()?ROOT\)?\)")
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("grader", "tests", "bench", "src")
        for p in (ROOT / folder).rglob("*.py")
        if pattern.search(p.read_text())
    ]
    assert offenders == []
