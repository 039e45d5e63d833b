"""`make site`: the static HTML rendering, built here for notebook 00 only (seconds).

The page must show the figures the answers produce (embedded PNGs), the release's stubs in
place of the answers, the visible tests passing, and none of the solution code nor the hidden
tests. It must also work offline: opened from ``file://`` in Chromium with the network off,
every equation of the notebook is typeset by the site's own copy of MathJax and nothing is
requested from anywhere else.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")

NB = "00_backprop_refresher"
pytestmark = pytest.mark.slow


def _squash(text: str) -> str:
    """Visible text without tags and whitespace (highlighted code is split into spans)."""
    text = re.sub(r"<(style|script)\b.*?</\1>", "", text, flags=re.S)
    return re.sub(r"\s+", "", unescape(re.sub(r"<[^>]+>", "", text)))


def _secret_lines() -> list[str]:
    """Lines of the solutions and hidden tests that the release does not contain."""
    source = nbformat.read(ROOT / "solutions" / NB / f"{NB}.ipynb", as_version=4)
    release = nbformat.read(ROOT / "notebooks" / NB / f"{NB}.ipynb", as_version=4)
    released = re.sub(r"\s+", "", "\n".join(c.source for c in release.cells))
    lines = []
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        blocks = re.findall(r"BEGIN (?:SOLUTION|HIDDEN TESTS)\n(.*?)### END", cell.source, re.S)
        if meta.get("solution") and cell.cell_type == "markdown":
            blocks.append(cell.source)  # a model answer to a written question
        for block in blocks:
            lines += [ln.strip() for ln in block.splitlines() if len(ln.strip()) > 15]
    return [ln for ln in lines if re.sub(r"\s+", "", ln) not in released]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """What `make site` runs, for notebook 00 only, in its own process (as make does)."""
    out = tmp_path_factory.mktemp("site")
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_site.py"), "--only", NB, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{NB}.html", "index.html", "mathjax"])
    assert sorted(p.name for p in (out / "mathjax").iterdir()) == ["LICENSE", "tex-svg-full.js"]
    # the kernel ran over unix sockets: ipykernel's warning about TCP did not appear
    assert "running over TCP" not in run.stdout + run.stderr
    return out


def test_page_embeds_the_figures(site):
    html = (site / f"{NB}.html").read_text()
    images = re.findall(r'<img[^>]+src="data:image/png;base64,([^"]+)"', html)
    assert len(images) >= 2, f"{len(images)} embedded figures"
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r'<img[^>]+src="(?!data:)', html), "a figure is not embedded"
    assert "application/vnd.jupyter.widget-state+json" not in html
    # interactive widgets appear as the output they produced, not as their text repr
    assert "interactive(children=" not in html


def test_page_shows_stubs_and_passing_tests_but_no_answers_nor_hidden_tests(site):
    html = (site / f"{NB}.html").read_text()
    text = _squash(html)
    # the stubs, as many as in the release (where the text mentions them too)
    release = nbformat.read(ROOT / "notebooks" / NB / f"{NB}.ipynb", as_version=4)
    # the release's sources are plain text, not HTML: only the white space goes (a "<" in
    # the markdown is not the start of a tag)
    released = re.sub(r"\s+", "", "\n".join(c.source for c in release.cells))
    for stub in ("YOURCODEHERE", "YOURANSWERHERE", "raiseNotImplementedError()"):
        assert text.count(stub) == released.count(stub) > 0, stub
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert _squash(marker) not in text
    secrets = _secret_lines()
    assert len(secrets) > 10
    leaked = [ln for ln in secrets if _squash(ln) in text]
    assert not leaked, f"solution or hidden-test lines in the page: {leaked[:3]}"
    # the outputs are those of a complete run: the visible tests passed
    assert _squash("rel_error: all tests in this cell passed") in text


def test_index_lists_the_notebook(site):
    index = (site / "index.html").read_text()
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', index)
    assert links == [(f"{NB}.html", links[0][1])]
    assert links[0][1].startswith("00")


def _maths_in_release() -> int:
    """How many $...$ and $$...$$ expressions the release's markdown has (code spans aside)."""
    release = nbformat.read(ROOT / "notebooks" / NB / f"{NB}.ipynb", as_version=4)
    md = "\n".join(c.source for c in release.cells if c.cell_type == "markdown")
    md = re.sub(r"`[^`]*`", "", md)
    display = re.findall(r"\$\$.+?\$\$", md, re.S)
    inline = re.findall(r"\$[^$\n]+\$", re.sub(r"\$\$.+?\$\$", "", md, flags=re.S))
    return len(display) + len(inline)


def test_page_fetches_nothing_from_the_network(site):
    html = (site / f"{NB}.html").read_text()
    # links to papers are fine (<a href>); nothing the page loads by itself may be remote
    loaded = re.findall(r"<(?:script|link|img|iframe|source)\b[^>]*(?:src|href)=\"([^\"]+)\"", html)
    remote = [u for u in loaded if re.match(r"(?:https?:)?//", u)]
    assert not remote, remote
    assert re.findall(r'<script[^>]+src="([^"]+)"', html) == ["mathjax/tex-svg-full.js"]
    assert "cdnjs" not in html and "cdn.jsdelivr" not in html


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is missing: `apt-get install chromium` (the CI script does)",
)
def test_equations_render_offline_in_chromium(site):
    from playwright.sync_api import sync_playwright

    expected = _maths_in_release()
    assert expected > 50  # notebook 00 is full of equations: the count below means something
    requested = []

    def only_files(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            requested.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(offline=True)
            context.route("**/*", only_files)
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto((site / f"{NB}.html").as_uri())
            page.wait_for_function("() => window.MathJax && MathJax.startup", timeout=30_000)
            page.evaluate("() => MathJax.startup.promise")
            typeset = page.locator("mjx-container").count()
            displayed = page.locator('mjx-container[display="true"]').count()
            tex_errors = page.locator("mjx-merror").count()
            prose = "\n".join(page.locator(".jp-RenderedMarkdown").all_inner_texts())
        finally:
            browser.close()
    assert not requested, f"the page asked the network for {requested}"
    assert not errors, errors
    assert typeset >= expected, f"{typeset} equations typeset, {expected} in the notebook"
    assert displayed > 0
    assert tex_errors == 0
    # no TeX left as text: every delimiter was consumed by MathJax
    assert not re.findall(r"\$[^$\n]+\$|\\\(|\\\[", prose)


def test_kernel_runs_over_unix_sockets(tmp_path, capfd):
    """tools/build_site.py's kernel: IPC transport, so no "running over TCP" warning."""
    import build_site  # tools/ is on pytest's pythonpath (pyproject.toml)

    km = build_site.IPCKernelManager(kernel_name="python3")
    assert km.transport == "ipc" and Path(km.ip).parent == Path(km.connection_file).parent
    shutil.rmtree(Path(km.connection_file).parent)  # never started: only its private folder
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    build_site.execute(nb, tmp_path, timeout=60)
    assert nb.cells[0].outputs[0]["text"].strip() == "42"
    err = capfd.readouterr().err
    assert "running over TCP" not in err, err[-2000:]


def test_missing_mathjax_is_a_clear_error(monkeypatch, tmp_path):
    import build_site  # tools/ is on pytest's pythonpath (pyproject.toml)

    assert (build_site.mathjax_source() / "es5" / build_site.MATHJAX_JS).is_file()
    monkeypatch.setattr(build_site.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SystemExit, match=r"MathJax 3 \(tex-svg-full.js\) is not installed"):
        build_site.copy_mathjax(tmp_path)
    assert not (tmp_path / "mathjax").exists()
