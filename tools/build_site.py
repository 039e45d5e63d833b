"""Build a static HTML rendering of the course (``make site``): site/index.html and one page
per notebook, every figure embedded, no JavaScript widgets, nothing fetched at build time
and nothing fetched when a page is read: the equations are typeset by a copy of MathJax 3
(``site/mathjax/``, from the ``django-static-mathjax`` package of the development extras)
instead of nbconvert's default MathJax from a CDN, so the site works offline and from
``file://``.

Each notebook of ``solutions/`` is executed as a learner who finished it would have run it
(full-size demonstrations: ``NBGRADER_EXECUTION`` is not set), *then* the answers and hidden
tests are removed with nbgrader's own ``ClearSolutions`` and ``ClearHiddenTests``
preprocessors (the same ones that make ``notebooks/``), so the page shows the release's stubs
with the outputs, figures included, that the answers produce. Interactive widgets are
rendered as the PNG snapshot they carry (``vanishing.widgets``) or as what their Output widgets
captured (``@interact``), so pages need no kernel.

    python tools/build_site.py                         # every notebook, into site/
    python tools/build_site.py --only 00_backprop_refresher --out /tmp/site
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jinja2 import DictLoader
from jupyter_client.manager import AsyncKernelManager
from nbconvert import HTMLExporter
from nbconvert.preprocessors import ExecutePreprocessor
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

# a sibling module: tools/ is sys.path[0] when run as a script, and on pytest's pythonpath
from kernel_transport import ipc_problem

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
# MathJax 3's single-file TeX-to-SVG build with every TeX extension: nothing else to load
# (no fonts, no extensions fetched on demand), so it also works from file://
MATHJAX_JS = "tex-svg-full.js"
MATHJAX_DIR = "mathjax"

# nbconvert's lab template with the CDN scripts replaced: MathJax 3 from the site's own
# folder, configured as nbconvert configures MathJax 2 ($...$ and \(...\) inline, $$...$$
# and \[...\] displayed, \$ for a dollar, AMS environments and numbering); no require.js
# and no mermaid (the pages have no widgets and no diagrams).
PAGE_TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}
<script>
window.MathJax = {
  tex: {
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
    tags: "ams"
  },
  svg: { fontCache: "global" }
};
</script>
<script defer src="MATHJAX_SRC"></script>
{%- endblock html_head_js_mathjax -%}
""".replace("MATHJAX_SRC", f"{MATHJAX_DIR}/{MATHJAX_JS}")


def course_config() -> Config:
    """The course's nbgrader settings (the release's code and text stubs)."""
    path = ROOT / "grader" / "nbgrader_config.py"
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def assignments() -> list[str]:
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


class IPCKernelManager(AsyncKernelManager):
    """A local kernel that talks ZMQ over unix sockets in a private folder, not over TCP.

    Nothing listens on a port, and ipykernel (>= 7) has no reason to print its warning that
    the kernel "is running over TCP without encryption". Where unix sockets cannot be used
    (no IPC in ZMQ, or a temporary folder whose path is too long for a socket) the kernel
    talks TCP on 127.0.0.1, Jupyter's default.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._ipc_dir = tempfile.mkdtemp(prefix="vg-kernel-")
        self.connection_file = os.path.join(self._ipc_dir, "kernel.json")
        if ipc_problem(self._ipc_dir, suffix=len("/k-5")) is None:
            self.transport = "ipc"
            self.ip = os.path.join(self._ipc_dir, "k")  # sockets k-1 ... k-5

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)


def execute(nb: nbformat.NotebookNode, workdir: Path, timeout: int) -> None:
    """Run every cell in a fresh kernel started in ``workdir``; raise on the first error."""
    env_before = os.environ.pop("NBGRADER_EXECUTION", None)
    try:
        ExecutePreprocessor(
            timeout=timeout, kernel_name="python3", kernel_manager_class=IPCKernelManager
        ).preprocess(nb, {"metadata": {"path": str(workdir)}})
    finally:
        if env_before is not None:
            os.environ["NBGRADER_EXECUTION"] = env_before


def strip_for_release(nb: nbformat.NotebookNode, config: Config) -> nbformat.NotebookNode:
    """Answers and hidden tests out (as in the release), outputs kept; widgets as images."""
    resources: dict = {}
    nb, resources = ClearSolutions(config=config).preprocess(nb, resources)
    nb, resources = ClearHiddenTests(config=config).preprocess(nb, resources)
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE_MIME, {}).get("state", {})
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.outputs:
            data = out.get("data", {})
            if WIDGET_MIME not in data:
                outputs.append(out)
            elif any(k.startswith("image/") for k in data):
                del data[WIDGET_MIME]  # the widget's own static snapshot is shown instead
                outputs.append(out)
            else:  # e.g. @interact: show what its Output widgets captured at execution
                outputs += captured_outputs(data[WIDGET_MIME]["model_id"], state)
        cell.outputs = outputs
        cell.metadata.pop("nbgrader", None)
    nb.metadata.pop("widgets", None)
    text = nbformat.writes(nb)
    leaked = [m for m in MARKERS if m in text]
    if leaked:
        raise RuntimeError(f"markers {leaked} are still in the stripped notebook")
    return nb


def captured_outputs(model_id: str, state: dict, seen: set | None = None) -> list:
    """The outputs captured by the Output widgets inside widget ``model_id``, in order."""
    seen = set() if seen is None else seen
    if model_id in seen or model_id not in state:
        return []
    seen.add(model_id)
    model = state[model_id].get("state", {})
    found = [nbformat.from_dict(o) for o in model.get("outputs", [])]
    for child in model.get("children", []):
        if isinstance(child, str) and child.startswith("IPY_MODEL_"):
            found += captured_outputs(child[len("IPY_MODEL_") :], state, seen)
    return found


def title_of(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if m:
                return m.group(1).strip()
    return fallback


def mathjax_source() -> Path:
    """The folder of the installed MathJax 3 distribution (``django-static-mathjax``)."""
    spec = importlib.util.find_spec("mathjax")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        dist = Path(folder) / "static" / "mathjax"
        if (dist / "es5" / MATHJAX_JS).is_file():
            return dist
    raise SystemExit(
        f"MathJax 3 ({MATHJAX_JS}) is not installed: the site's equations need it offline; "
        "install the development extras (pip install -e '.[dev]', or make site)"
    )


def copy_mathjax(out: Path) -> Path:
    """``out/mathjax/``: MathJax's TeX-to-SVG script and its licence; returns the script."""
    dist = mathjax_source()
    target = out / MATHJAX_DIR
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(dist / "es5" / MATHJAX_JS, target / MATHJAX_JS)
    shutil.copy2(dist / "LICENSE", target / "LICENSE")
    return target / MATHJAX_JS


def render(nb: nbformat.NotebookNode) -> str:
    exporter = HTMLExporter(
        template_name="lab",
        template_file="vanishing-site.html.j2",
        extra_loaders=[DictLoader({"vanishing-site.html.j2": PAGE_TEMPLATE})],
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    return body


INDEX = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vanishing Gradients: the notebooks</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 3rem auto; padding: 0 1rem;
       line-height: 1.5; color: #222; }}
li {{ margin: 0.4rem 0; }}
small {{ color: #666; }}
</style>
</head>
<body>
<h1>Vanishing Gradients</h1>
<p>A static rendering of the course notebooks, executed when this site was built. The exercises
show the stubs learners start from; to run and answer them, open the course in JupyterLab
(laptop, Binder or a JupyterHub: see the repository's README).</p>
<ol start="0">
{items}
</ol>
<p><small>Built {built} from <code>solutions/</code> with nbconvert and nbgrader.</small></p>
</body>
</html>
"""


def build(out: Path, only: list[str] | None = None, timeout: int = 900) -> list[Path]:
    """Execute, strip and render each notebook into ``out``; write ``out/index.html``."""
    names = only or assignments()
    unknown = sorted(set(names) - set(assignments()))
    if unknown:
        raise SystemExit(f"no notebook in solutions/ for: {', '.join(unknown)}")
    config = course_config()
    out.mkdir(parents=True, exist_ok=True)
    copy_mathjax(out)
    pages, items = [], []
    for name in names:
        start = time.perf_counter()
        src = SOLUTIONS / name / f"{name}.ipynb"
        nb = nbformat.read(src, as_version=4)
        with tempfile.TemporaryDirectory(prefix=f"site-{name}-") as tmp:
            # run in a copy of the assignment folder: the repository stays untouched
            work = Path(tmp) / name
            shutil.copytree(src.parent, work, ignore=shutil.ignore_patterns("*.ipynb", ".*"))
            execute(nb, work, timeout)
        nb = strip_for_release(nb, config)
        page = out / f"{name}.html"
        page.write_text(render(nb), encoding="utf-8")
        pages.append(page)
        title = title_of(nb, name)
        items.append(f'<li><a href="{html.escape(page.name)}">{html.escape(title)}</a></li>')
        print(f"{name}: {page} ({time.perf_counter() - start:.0f} s)", flush=True)
    (out / "index.html").write_text(
        INDEX.format(items="\n".join(items), built=time.strftime("%Y-%m-%d")), encoding="utf-8"
    )
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "site"), help="output folder (default: site/)")
    parser.add_argument("--only", nargs="+", metavar="ID", help="only these notebooks")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    args = parser.parse_args(argv)
    build(Path(args.out), args.only, args.timeout)
    print(f"open {Path(args.out) / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
