"""The course in a real browser: JupyterLab from this environment, driven by Debian's chromium.

A learner's copy of notebook 01 (the release with the answers filled in from ``solutions/``)
is opened in JupyterLab, every cell is run, the gradient-flow explorer's depth slider is
dragged and the figure must change; then nbgrader's Validate button must report success and
the Assignment List must show an assignment released through a real nbgrader exchange, and
fetch it. Screenshots go to ``test-artifacts/browser/``.

Needs ``/usr/bin/chromium`` (``apt-get install chromium``; ``.ci/run`` installs it): Playwright's
own browser download is not used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "browser"
HUB_CONFIG = ROOT / "grader" / "hub" / "nbgrader_config.py"
COURSE_ID = "vanishing-gradients"
NB01 = "01_saturating_activations"
NB00 = "00_backprop_refresher"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is missing: `apt-get install chromium` (the CI script does)",
    ),
]


# --- a learner's notebook ---------------------------------------------------------------------
def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _answer_source(source: str) -> str:
    """The code between the solution markers, as a learner would have typed it."""
    lines = source.splitlines()
    return "\n".join(line for line in lines if not re.search(r"(BEGIN|END) SOLUTION", line))


def learner_copy(assignment: str) -> nbformat.NotebookNode:
    """The release notebook of ``assignment`` with every answer cell filled in."""
    release = nbformat.read(ROOT / "notebooks" / assignment / f"{assignment}.ipynb", 4)
    source = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", 4)
    answers = {
        _nbgrader(c)["grade_id"]: _answer_source(c.source)
        for c in source.cells
        if _nbgrader(c).get("solution")
    }
    filled = 0
    for cell in release.cells:
        meta = _nbgrader(cell)
        if meta.get("solution"):
            cell.source = answers[meta["grade_id"]]
            filled += 1
    assert filled, f"{assignment} has no answer cells"
    return release


# --- JupyterLab --------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _release_to_exchange(exchange: Path, course_root: Path) -> None:
    """The instructor's step: nbgrader's own release_assignment into a fresh exchange."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    cfg = Config()
    cfg.CourseDirectory.root = str(course_root)
    cfg.CourseDirectory.release_directory = str(ROOT / "notebooks")
    cfg.CourseDirectory.course_id = COURSE_ID
    cfg.CourseDirectory.db_url = f"sqlite:///{course_root / 'gradebook.db'}"
    cfg.Exchange.root = str(exchange)
    cfg.NbGraderAPI.log_level = "WARN"
    result = NbGraderAPI(config=cfg).release_assignment(NB00)
    assert result["success"], result.get("error") or result.get("log")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 with a token, serving a learner's workspace."""
    tmp = tmp_path_factory.mktemp("lab")
    work = tmp / "work"  # the learner's home: notebooks/<id>/<id>.ipynb
    (work / "notebooks" / NB01).mkdir(parents=True)
    learner = learner_copy(NB01)
    nbformat.write(learner, work / "notebooks" / NB01 / f"{NB01}.ipynb")

    exchange = tmp / "exchange"
    exchange.mkdir(mode=0o777)
    _release_to_exchange(exchange, tmp / "instructor")

    # Isolated Jupyter state. As on a class hub: the server runs in the learner's home, and the
    # hub's nbgrader config (grader/hub/nbgrader_config.py, with this test's exchange) is on the
    # Jupyter config path: the Validate button and the Assignment List both read it.
    cfg_dir, settings = tmp / "jupyter-config", tmp / "lab-settings"
    cfg_dir.mkdir()
    (cfg_dir / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa\n"
        f"load_subconfig({str(HUB_CONFIG)!r})  # noqa\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
    )
    ext = settings / "@jupyterlab"
    (ext / "apputils-extension").mkdir(parents=True)
    (ext / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    (ext / "notebook-extension").mkdir(parents=True)
    (ext / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"})  # every cell in the DOM, so all can be checked
    )
    bindir = str(Path(sys.executable).parent)
    env = dict(
        os.environ,
        PATH=bindir + os.pathsep + os.environ.get("PATH", ""),
        JUPYTER_CONFIG_DIR=str(cfg_dir),
        JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "lab-workspaces"),
        IPYTHONDIR=str(tmp / "ipython"),
    )
    env.pop("MPLBACKEND", None)
    port, token = _free_port(), os.urandom(12).hex()
    log = (tmp / "lab.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={work}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("JupyterLab did not start:\n" + (tmp / "lab.log").read_text()[-3000:])
        time.sleep(0.5)
    yield {
        "base": base,
        "token": token,
        "work": work,
        "n_cells": len(learner.cells),
        "n_code": sum(c.cell_type == "code" for c in learner.cells),
    }
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def page(lab):
    from playwright.sync_api import sync_playwright

    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    profile = lab["work"].parent / "chromium-profile"
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(60_000)
        try:
            yield page
        finally:
            context.close()


def shot(page, name: str, locator=None) -> Path:
    path = ARTIFACTS / f"{name}.png"
    (locator or page).screenshot(path=str(path))
    return path


# --- the checks -------------------------------------------------------------------------------
def _menu(page, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


def _error_outputs(page) -> list[str]:
    texts = page.locator(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
    ).all_inner_texts()
    return [t for t in texts if re.search(r"Traceback|Error\b", t)]


def open_notebook(lab, page):
    """The learner's notebook 01 in JupyterLab, kernel started (opened once per session)."""
    notebook = page.locator(".jp-NotebookPanel .jp-Notebook")
    if notebook.count() == 0:
        url = f"{lab['base']}/lab/tree/notebooks/{NB01}/{NB01}.ipynb?reset&token={lab['token']}"
        page.goto(url)
        notebook.wait_for()
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=90_000)
        # every cell rendered (windowing is off, so all of them are in the page)
        page.wait_for_function(
            "n => document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell').length === n",
            arg=lab["n_cells"],
        )
    return notebook


def test_notebook_runs_and_the_explorer_responds(lab, page):
    notebook = open_notebook(lab, page)
    assert notebook.locator(".jp-CodeCell").count() == lab["n_code"] > 5

    prompts = notebook.locator(".jp-CodeCell .jp-InputArea-prompt")
    # the kernel, not only the page, must be ready: a Run All issued while the kernel is still
    # connecting is dropped by JupyterLab, so it is repeated once if nothing has started
    page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\|\s*Idle")).first.wait_for()
    _menu(page, "Run", "Run All Cells")
    started = time.monotonic()
    deadline = started + 120
    retried = False
    while True:
        texts = prompts.all_inner_texts()
        if (
            not retried
            and time.monotonic() - started > 15
            and all(t.strip() == "[ ]:" for t in texts)
        ):
            _menu(page, "Run", "Run All Cells")
            retried = True
        done = all(re.fullmatch(r"\[\d+\]:", t.strip()) for t in texts)
        if done or _error_outputs(page) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    shot(page, "01-run-all")
    assert not _error_outputs(page), _error_outputs(page)
    assert done, f"not every cell ran within 2 minutes: {texts}"

    # the gradient-flow explorer: its depth slider and its figure
    explorer = notebook.locator(".widget-vbox", has=page.locator(".widget-image")).first
    explorer.scroll_into_view_if_needed()
    figure = explorer.locator(".widget-image img, img.widget-image").first
    figure.wait_for()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=figure.element_handle()
    )
    slider = explorer.locator(".widget-slider", has_text="depth").first
    readout = slider.locator(".widget-readout")
    depth_before = readout.inner_text().strip()
    src_before = figure.get_attribute("src")
    before = shot(page, "02-explorer-before", explorer).read_bytes()
    fig_before = figure.screenshot()

    handle = slider.locator(".noUi-handle").first
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y, steps=6)
    page.mouse.up()
    page.wait_for_function(
        "([img, src]) => img.getAttribute('src') !== src && img.complete && img.naturalWidth > 0",
        arg=[figure.element_handle(), src_before],
        timeout=30_000,
    )
    time.sleep(0.3)
    depth_after = readout.inner_text().strip()
    after = shot(page, "03-explorer-after", explorer).read_bytes()
    fig_after = figure.screenshot()
    assert int(depth_after) > int(depth_before), (depth_before, depth_after)
    assert fig_after != fig_before, "the figure looks the same after moving the depth slider"
    assert after != before
    assert not _error_outputs(page), _error_outputs(page)


def test_validate_button_reports_success(lab, page):
    open_notebook(lab, page)
    page.locator(".validate-button").first.click()
    dialog = page.locator(".nbgrader-SuccessDialog, .nbgrader-ErrorDialog").first
    dialog.wait_for(timeout=120_000)
    shot(page, "04-validate")
    text = dialog.inner_text()
    assert "nbgrader-SuccessDialog" in (dialog.get_attribute("class") or ""), text
    assert "Success! Your notebook passes all the tests." in text, text
    dialog.locator("button", has_text="OK").first.click()


def test_assignment_list_shows_and_fetches_the_released_assignment(lab, page):
    _menu(page, "Nbgrader", "Assignment List")
    released = page.locator("#released_assignments_list")
    row = released.locator(".list_item", has_text=NB00)
    row.wait_for(timeout=60_000)
    shot(page, "05-assignment-list")
    assert COURSE_ID in row.inner_text()

    row.locator("button", has_text="Fetch").click()
    fetched = page.locator("#fetched_assignments_list").locator(".list_item", has_text=NB00)
    fetched.first.wait_for(timeout=60_000)
    shot(page, "06-assignment-fetched")
    assert (lab["work"] / NB00 / f"{NB00}.ipynb").is_file()
