"""`make site`: the static HTML rendering, built here for notebook 00 only (seconds).

The page must show the figures the answers produce (embedded PNGs), the release's stubs in
place of the answers, the visible tests passing, and none of the solution code nor the hidden
tests.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]

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
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{NB}.html", "index.html"])
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
