"""Feedback without the hidden tests, bounded in size and time, and safe to open.

nbgrader's ``generate_feedback`` renders the autograded notebook into HTML that the student
and the instructor open in a browser. Two preprocessors run first in ``GenerateFeedback``
(``grader/nbgrader_config.py``), in this order:

:class:`HideHiddenTests`
    A :class:`~nbgrader.preprocessors.ClearHiddenTests` that keeps a note where it cuts:
    the hidden blocks are found with its configurable delimiters
    (``c.HideHiddenTests.begin_test_delimeter``, default ``BEGIN HIDDEN TESTS``).
    In each test cell the hidden block is replaced by a one-line note and every error
    output is reduced to its message (``AssertionError: rel_error: return value is ...``),
    which is written for students. Student code runs while the hidden tests do and can
    echo them (``print(In[-1])``, ``raise ValueError(In[-1])``, a global kept for a later
    cell): in the outputs of *every* cell, each line that is a line of a hidden block (the
    non-trivial ones, compared stripped) is removed, and each hidden line found inside a
    longer text (an error value, a ``repr``) is redacted.

:class:`SafeFeedback`
    Bounds and sanitises what the student controls before nbconvert renders it:

    * outputs (first in :class:`HideHiddenTests`, which runs first): at most
      :data:`CELL_OUTPUT_BYTES` per cell and :data:`NOTEBOOK_OUTPUT_BYTES`
      per notebook (a notebook graded before the output cap of ``grader.caps`` may hold
      hundreds of MB), with the grader's note where some were dropped;
    * HTML in outputs is cleaned with ``nh3`` (the Ammonia sanitiser): no script, no event
      handler, no ``javascript:`` link, no style; JavaScript and widget outputs are dropped,
      images must be base64 and their metadata numbers;
    * markdown cells (written answers) and markdown outputs: at most :data:`MARKDOWN_CHARS`
      characters per cell and :data:`NOTEBOOK_MARKDOWN_CHARS` per notebook (markdown
      rendering is quadratic on some inputs: 96,000 brackets took over 45 s), rendered here
      within :data:`MARKDOWN_SECONDS` per notebook (then the rest is shown as plain text),
      and cleaned with ``nh3``; nbgrader's feedback template then passes the cleaned HTML
      through unchanged;
    * code shown: at most :data:`CODE_CHARS` per cell.
"""

from __future__ import annotations

import functools
import html
import re
import time

import nh3
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode, from_dict
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor

from grader.ansi import strip_ansi
from grader.caps import NOTE as CAP_NOTE
from grader.caps import cap_outputs, size_of

BEGIN = ClearHiddenTests.begin_test_delimeter.default_value
END = ClearHiddenTests.end_test_delimeter.default_value


@functools.lru_cache(maxsize=8)
def hidden_block(begin: str = BEGIN, end: str = END) -> re.Pattern:
    """A hidden block: from a line holding ``begin`` to the next line holding ``end``, both
    lines included (the rule of nbgrader's ``ClearHiddenTests``)."""
    b, e = re.escape(begin), re.escape(end)
    return re.compile(rf"^[^\n]*{b}[^\n]*\n.*?^[^\n]*{e}[^\n]*(?:\n|\Z)", re.S | re.M)


NOTE = "# (hidden tests: not shown in feedback)\n"
REDACTED = "[hidden test line removed from the feedback]"
#: lines too common to be worth hiding (a hidden block's ``)`` or ``else:``)
_TRIVIAL = {"pass", "else:", "try:", "finally:", "return", "break", "continue", "except:"}
#: shorter hidden lines are only removed when they are a whole output line
SUBSTRING_MIN = 12

# -- bounds of what one student's feedback renders -------------------------------------------
CELL_OUTPUT_BYTES = 1_000_000
NOTEBOOK_OUTPUT_BYTES = 5_000_000
MARKDOWN_CHARS = 20_000  # the course's longest markdown cell has 6,000
NOTEBOOK_MARKDOWN_CHARS = 200_000
MARKDOWN_SECONDS = 10.0
CODE_CHARS = 50_000  # the course's longest code cell has 10,000


# -- hidden tests ------------------------------------------------------------------------------
def _is_test(cell) -> bool:
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def _split_hidden(source: str, begin: str, end: str) -> tuple[str, list[str]]:
    """``(visible, hidden blocks)``: an unterminated block hides all of the rest."""
    pattern = hidden_block(begin, end)
    blocks = [m.group(0) for m in pattern.finditer(source)]
    rest = pattern.sub(NOTE, source)
    if begin in rest:
        head, tail = rest.split(begin, 1)
        blocks.append(tail)
        rest = head[: head.rfind("\n") + 1] + NOTE
    return rest, blocks


def hidden_lines(nb: NotebookNode, begin: str = BEGIN, end: str = END) -> set[str]:
    """The non-trivial lines (stripped) of every hidden block of the notebook's test cells."""
    out: set[str] = set()
    for cell in nb.cells:
        if not _is_test(cell):
            continue
        for block in _split_hidden(cell.source, begin, end)[1]:
            for line in block.splitlines():
                s = line.strip()
                if len(s) >= 4 and s not in _TRIVIAL and any(ch.isalnum() for ch in s):
                    if begin not in s and end not in s:
                        out.add(s)
    return out


class Redactor:
    """Removes a notebook's hidden test lines from output text."""

    def __init__(self, lines: set[str]) -> None:
        self.lines = lines
        subs: set[str] = set()
        for s in lines:
            if len(s) >= SUBSTRING_MIN:
                subs.update({s, repr(s)[1:-1], html.escape(s), html.escape(s, quote=False)})
        self.subs = sorted(subs, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        if not self.lines or not text:
            return text
        text = strip_ansi(text)
        out: list[str] = []
        for line in text.split("\n"):
            if strip_ansi(line).strip() in self.lines:
                if not out or out[-1] != REDACTED:
                    out.append(REDACTED)
                continue
            out.append(line)
        text = "\n".join(out)
        for s in self.subs:
            if s in text:
                text = text.replace(s, REDACTED)
        return text


def _redact_output(out: NotebookNode, redact: Redactor) -> None:
    kind = out.get("output_type")
    if kind == "stream":
        out["text"] = redact(str(out.get("text", "")))
    elif kind == "error":
        out["ename"] = redact(str(out.get("ename", "")))
        out["evalue"] = redact(str(out.get("evalue", "")))
        out["traceback"] = [redact(str(line)) for line in out.get("traceback", [])]
    else:
        data = out.get("data") or {}
        for mime, value in list(data.items()):
            if isinstance(value, str) and (mime.startswith("text/") or mime.endswith("+xml")):
                data[mime] = redact(value)
            elif isinstance(value, list):  # a mime value split in lines
                data[mime] = redact("".join(str(v) for v in value))


class HideHiddenTests(ClearHiddenTests):
    """Strip hidden tests and tracebacks from test cells, and hidden test lines from every
    output, before feedback is rendered (nbgrader's ``ClearHiddenTests``, with its
    delimiters, leaving a note where a block was)."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        redact = Redactor(hidden_lines(nb, self.begin_test_delimeter, self.end_test_delimeter))
        cap_cells(nb)  # redacting 200 MB of output would take long: bound it first
        for index, cell in enumerate(nb.cells):
            nb.cells[index], resources = self.preprocess_cell(cell, resources, index)
            if cell.cell_type == "code":
                for out in cell.get("outputs", []):
                    _redact_output(out, redact)
        return nb, resources

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict, index: int):
        if not _is_test(cell):
            return cell, resources
        cell.source = _split_hidden(
            cell.source, self.begin_test_delimeter, self.end_test_delimeter
        )[0]
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                message = strip_ansi(f"{out.get('ename', 'Error')}: {out.get('evalue', '')}")
                out["traceback"] = [message]
        return cell, resources


def cap_cells(nb: NotebookNode) -> None:
    """Outputs fitted into :data:`CELL_OUTPUT_BYTES` per cell and
    :data:`NOTEBOOK_OUTPUT_BYTES` per notebook (with the grader's note where some were
    dropped); code shown cut at :data:`CODE_CHARS` per cell."""
    left = NOTEBOOK_OUTPUT_BYTES
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if len(cell.source) > CODE_CHARS and not _is_test(cell):
            dropped = len(cell.source) - CODE_CHARS
            cell.source = (
                cell.source[:CODE_CHARS]
                + f"\n# [code truncated by the grader: {dropped:,} characters not shown]\n"
            )
        cell.outputs, _ = cap_outputs(list(cell.get("outputs", [])), min(CELL_OUTPUT_BYTES, left))
        left = max(left - size_of(cell.outputs), 0)


# -- sanitising ----------------------------------------------------------------------------
_ATTRIBUTES = {
    "*": {"class", "id", "title", "align", "lang", "dir"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start", "type"},
}
_IMAGE_DATA = re.compile(r"data:image/(?:png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]*")


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr in {"href", "src"} and value.strip().lower().startswith("data:"):
        # data: URLs only as images (an image cannot run script)
        return value if tag == "img" and attr == "src" and _IMAGE_DATA.fullmatch(value) else None
    return value


def clean_html(text: str) -> str:
    """Student HTML made safe to show: nh3 (Ammonia) with a safelist for notebook output
    (tables, images, code highlighting classes); scripts, event handlers, styles, forms,
    frames and ``javascript:`` links are removed."""
    return nh3.clean(
        text,
        tags=set(nh3.ALLOWED_TAGS),
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "data"},
        attribute_filter=_attribute_filter,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _markdown_html(source: str, attachments: dict | None = None) -> str:
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    renderer = IPythonRenderer(escape=False, attachments=attachments or {}, anchor_link_text="¶")
    return MarkdownWithMath(renderer=renderer).render(source)


def as_raw_html(cleaned: str) -> str:
    """Cleaned HTML in a form the template's markdown renderer passes through unchanged: one
    HTML block (a ``<div>`` with no blank line; blank lines become empty comments, which
    show as the same blank line inside ``<pre>``). Brackets become character references:
    the template's ``strip_files_prefix`` runs a regular expression that is quadratic in the
    number of ``[`` (20,000 of them took 9 s)."""
    cleaned = cleaned.replace("[", "&#91;").replace("]", "&#93;")
    lines = [line if line.strip() else "<!-- -->" for line in cleaned.strip("\n").split("\n")]
    return '<div class="vg-feedback-markdown">\n' + "\n".join(lines) + "\n</div>\n"


def _plain_html(text: str) -> str:
    return '<pre class="vg-feedback-plain">' + html.escape(text) + "</pre>"


_B64 = re.compile(r"[A-Za-z0-9+/=\s]*")
_IMAGES = ("image/png", "image/jpeg", "image/gif")
_KEEP = {"text/plain", "text/html", "text/latex", "image/svg+xml", *_IMAGES}


class SafeFeedback(NbGraderPreprocessor):
    """Bound and sanitise what the student controls before the feedback is rendered (see
    the module's docstring)."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        self._markdown_left = NOTEBOOK_MARKDOWN_CHARS
        self._deadline = time.monotonic() + MARKDOWN_SECONDS
        cap_cells(nb)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = self._markdown(cell.source, cell.get("attachments"))
                cell.pop("attachments", None)
            elif cell.cell_type == "code":
                cell.outputs = [o for o in (self._output(o) for o in cell.outputs) if o]
            elif cell.cell_type == "raw":
                cell.source = ""  # raw cells are not rendered for students
            meta = cell.get("metadata", {})
            meta["tags"] = [str(t) for t in meta.get("tags", []) if re.fullmatch(r"[\w-]+", str(t))]
        nb.metadata.pop("widgets", None)  # no widget state (it is rendered as a script)
        return nb, resources

    def _markdown(self, source: str, attachments: dict | None = None) -> str:
        note = ""
        limit = min(MARKDOWN_CHARS, self._markdown_left)
        if len(source) > limit:
            note = f"[text truncated by the grader: {len(source) - limit:,} characters not shown]"
            source = source[:limit]
        self._markdown_left -= len(source)
        if time.monotonic() > self._deadline:
            rendered = _plain_html(source)
        else:
            rendered = clean_html(_markdown_html(source, attachments))
        if note:
            rendered += f"\n<p><em>{html.escape(note)}</em></p>"
        return as_raw_html(rendered)

    def _output(self, out: NotebookNode) -> NotebookNode | None:
        if out.get("output_type") not in {"display_data", "execute_result"}:
            return out  # streams and errors are escaped by the template
        data = dict(out.get("data") or {})
        for key, value in list(data.items()):
            if isinstance(value, list):
                data[key] = "".join(str(v) for v in value)
        kept: dict = {}
        if "text/markdown" in data and isinstance(data["text/markdown"], str):
            if "text/html" not in data:
                kept["text/html"] = self._markdown(data["text/markdown"])
        for mime, value in data.items():
            if mime not in _KEEP or not isinstance(value, str):
                continue
            if mime == "text/html":
                kept[mime] = clean_html(value)
            elif mime in _IMAGES:
                if _B64.fullmatch(value):
                    kept[mime] = value
            else:
                kept[mime] = value
        if not kept and data:
            kept["text/plain"] = "[output not shown in feedback: " + ", ".join(sorted(data)) + "]"
        metadata: dict = {}
        for mime, value in (out.get("metadata") or {}).items():
            if mime in kept and isinstance(value, dict):
                sizes = {
                    k: v
                    for k, v in value.items()
                    if k in {"width", "height"}
                    and isinstance(v, (int, float))
                    and not isinstance(v, bool)
                }
                if sizes:
                    metadata[mime] = sizes
        new = {"output_type": out["output_type"], "data": kept, "metadata": metadata}
        if out["output_type"] == "execute_result":
            new["execution_count"] = out.get("execution_count")
        return from_dict(new)


__all__ = ["CAP_NOTE", "HideHiddenTests", "SafeFeedback", "clean_html", "hidden_lines"]
