"""The output cap (grader.caps), the static scan's budget (grader.scan.scan_code) and the
feedback bounds (grader.feedback): fast unit tests, no kernel, no root.

The cap is driven with the messages a kernel sends, through nbclient's own message handling
(``process_message``), so what is measured is what nbclient would keep.
"""

from __future__ import annotations

import base64
import json

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbgrader import utils

from grader import caps
from grader.caps import NOTE, OutputCap, cap_error, clip, size_of
from grader.feedback import HideHiddenTests, SafeFeedback, clean_html
from grader.scan import TOO_LARGE, scan_code

NOTE_START = NOTE.split("{")[0]


class Capped(OutputCap, NotebookClient):
    """nbclient with the cap, without a kernel: messages are fed by hand."""


def client(cells: int = 2, per_cell: int = 1000, per_notebook: int = 3000) -> Capped:
    nb = new_notebook(cells=[new_code_cell("pass") for _ in range(cells)])
    c = Capped(nb, max_cell_output_bytes=per_cell, max_notebook_output_bytes=per_notebook)
    c.reset_execution_trackers()
    c.clear_before_next_output = False
    return c


def send(c: Capped, index: int, msg_type: str, parent: str = "p", **content):
    msg = {
        "msg_type": msg_type,
        "header": {"msg_type": msg_type},
        "parent_header": {"msg_id": parent},
        "content": content,
        "buffers": [],
    }
    cell = c.nb.cells[index]
    c.process_message(msg, cell, index)
    return cell


def kept(cell) -> int:
    return len(json.dumps(cell.outputs))


def note(cell) -> str:
    notes = [
        o["data"]["text/plain"]
        for o in cell.outputs
        if o.output_type == "display_data" and NOTE_START in o["data"].get("text/plain", "")
    ]
    assert len(notes) <= 1
    return notes[0] if notes else ""


def test_size_and_clip_count_utf8_bytes():
    assert size_of("abc") == 3 and size_of("é") == 2 and size_of(["ab", {"k": "v"}]) == 4
    assert clip("abcdef", 3) == "abc"
    assert clip("ééé", 3) == "é"  # never half a character
    assert clip("x", -5) == ""


def test_streams_are_capped_per_cell_with_a_note():
    c = client()
    for _ in range(100):
        cell = send(c, 0, "stream", name="stdout", text="spam\n" * 20)
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    assert len(text) == 1000
    assert note(cell) == NOTE.format(n=f"{100 * 100 - 1000:,}") + "\n"


@pytest.mark.parametrize(
    "bundle",
    [
        {"text/plain": "x" * 600, "text/html": "<b>" + "y" * 600 + "</b>"},
        {"image/png": base64.b64encode(b"\0" * 600).decode(), "text/plain": "img"},
        {"application/json": {"a": "z" * 700}, "text/plain": "j"},
    ],
    ids=["text", "image", "json"],
)
def test_display_data_of_every_mime_type_is_capped(bundle):
    c = client()
    for _ in range(20):
        cell = send(c, 0, "display_data", data=dict(bundle), metadata={})
    assert kept(cell) < 1000 + 20 * 120  # 1000 bytes of data, plus JSON structure
    assert note(cell)
    for out in cell.outputs:  # images and JSON are kept whole or not at all
        if "image/png" in out.get("data", {}):
            assert out["data"]["image/png"] == bundle["image/png"]


def test_huge_metadata_is_dropped():
    c = client()
    cell = send(c, 0, "display_data", data={"text/plain": "ok"}, metadata={"m": "x" * 5000})
    (out,) = [o for o in cell.outputs if o["data"] == {"text/plain": "ok"}]
    assert out["metadata"] == {} and note(cell)


def test_execute_result_keeps_text_plain():
    # nbgrader reads a test cell's partial score from execute_result's text/plain
    c = client()
    send(c, 0, "stream", name="stdout", text="x" * 1000)
    cell = send(c, 0, "execute_result", data={"text/plain": "1.5"}, metadata={}, execution_count=1)
    results = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert results[0]["data"]["text/plain"] == "1.5"


def test_errors_are_capped_but_always_kept():
    c = client()
    send(c, 0, "stream", name="stdout", text="x" * 1000)  # the cell's budget is used up
    cell = send(c, 0, "error", ename="ValueError", evalue="E" * 10**6, traceback=["T" * 10**6])
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0]["ename"] == "ValueError"
    assert size_of(errors[0]["evalue"]) + size_of(errors[0]["traceback"]) <= caps.TRACE_BYTES
    assert note(cell)
    # a test cell with it scores 0, as the uncapped error would
    test = new_code_cell("x", outputs=cell.outputs)
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "points": 2, "grade_id": "t"}
    assert utils.determine_grade(test) == (0, 2.0)
    # a second error in the same cell past the cap: nothing more kept
    cell = send(c, 0, "error", ename="ValueError", evalue="again", traceback=[])
    assert len([o for o in cell.outputs if o.output_type == "error"]) == 1


def test_stderr_past_the_cap_leaves_a_trace():
    c = client()
    send(c, 0, "stream", name="stdout", text="x" * 1000)
    cell = send(c, 0, "stream", name="stderr", text="W" * 10**6)
    stderr = [o for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
    assert stderr and 0 < len(stderr[0].text) <= caps.TRACE_BYTES


def test_the_error_name_matches_the_reply_after_capping():
    # nbgrader appends the reply's error when no output has the same ename
    ename = "E" * 5000
    out, _ = cap_error({"ename": ename, "evalue": "v", "traceback": []}, 10**6)
    reply, _ = cap_error({"ename": ename, "evalue": "v" * 10**6, "traceback": []}, 0)
    assert out["ename"] == reply["ename"] and len(reply["ename"]) == caps.ENAME_BYTES


def test_the_notebook_cap_spans_cells_and_clearing_gives_room_back():
    c = client(cells=4, per_cell=1000, per_notebook=1500)
    send(c, 0, "stream", name="stdout", text="a" * 1000)
    cell = send(c, 1, "stream", name="stdout", text="b" * 1000)
    assert [o.text for o in cell.outputs if "text" in o] == ["b" * 500] and note(cell)
    cell = send(c, 2, "stream", name="stdout", text="c" * 10)
    assert note(cell) and not [o for o in cell.outputs if o.output_type == "stream"]
    send(c, 0, "clear_output", wait=False)  # cell 0 cleared: its 1000 bytes are free again
    cell = send(c, 3, "stream", name="stdout", text="d" * 900)
    assert cell.outputs[0].text == "d" * 900


def test_clear_output_in_a_loop_does_not_exhaust_the_cap():
    c = client(per_cell=1000, per_notebook=1000)
    for i in range(1000):
        send(c, 0, "clear_output", wait=True)
        cell = send(c, 0, "stream", name="stdout", text=f"{i:09d}\n")
    assert [o.text for o in cell.outputs] == ["000000999\n"]


def test_update_display_counts_every_copy():
    # 50 tiny displays with one id, then one update of 100 bytes: 50 copies in the file
    c = client(per_cell=3000, per_notebook=3000)
    for _ in range(50):
        send(
            c,
            0,
            "display_data",
            data={"text/plain": "."},
            metadata={},
            transient={"display_id": "d"},
        )
    cell = send(
        c,
        0,
        "update_display_data",
        data={"text/plain": "u" * 100},
        metadata={},
        transient={"display_id": "d"},
    )
    assert kept(cell) < 3000 + 50 * 80


def test_check_cells_are_exempt_from_the_notebook_cap():
    c = client(cells=2, per_cell=1000, per_notebook=1000)
    c.nb.cells[1].metadata["vg_integrity"] = True
    send(c, 0, "stream", name="stdout", text="a" * 1000)
    cell = send(c, 1, "stream", name="stdout", text="VG-INTEGRITY []\n")
    assert cell.outputs[0].text == "VG-INTEGRITY []\n"


def test_widget_state_counts_toward_the_notebook_cap():
    c = client(per_cell=1000, per_notebook=1000)
    data = {"state": {"value": "w" * 5000}, "buffer_paths": []}
    send(c, 0, "comm_open", comm_id="c1", target_name="jupyter.widget", data=data)
    assert c.widget_state == {}


def test_the_configured_caps_reach_the_grading_step():
    from traitlets.config import Config

    from grader.sandbox_kernel import GradingExecute

    cfg = Config()
    cfg.GradingExecute.max_cell_output_bytes = 123
    cfg.GradingExecute.sandbox = "off"
    ex = GradingExecute(config=cfg)
    assert ex.max_cell_output_bytes == 123 and ex.max_notebook_output_bytes == 10_000_000


# -- the static scan -------------------------------------------------------------------------
def test_the_scan_passes_ipython_syntax_it_once_took_minutes_on():
    # 99 s and 187 s before; its time against plain cells is a row of bench/bench_budgets.py
    flags = scan_code(["x = 1\n" + "x?\n" * 2000, "y = 1\n" + "z = !ls\n" * 2000])
    assert flags == []


def test_the_scan_still_flags_patches_in_cells_with_much_ipython_syntax():
    src = "x?\n" * 100 + "from vanishing import grading as _g\n_g.check = None\n!cat gradebook\n"
    flags = scan_code([src])
    assert "patches _g.check" in flags
    assert any("refers to 'gradebook'" in f for f in flags)


def test_the_scan_has_a_size_budget():
    flags = scan_code(["a = 1\n" * 1000, "b = 2\n" * 1000], max_bytes=8000)
    assert flags and flags[-1].startswith(TOO_LARGE)


def test_the_scan_has_a_time_budget():
    src = "\n".join(f"np.x{i} = {i}" for i in range(20_000))
    flags = scan_code([src] * 3, max_seconds=0.0)
    assert flags[-1].startswith(TOO_LARGE) and "stopped after" in flags[-1]


def test_deep_nesting_is_flagged_not_a_crash():
    flags = scan_code(["z = x" + ".a" * 10_000, "x = " + "not " * 20_000 + "1"])
    assert flags == ["code too deeply nested to scan"]


def test_flag_messages_are_bounded():
    src = "".join(f"np[{'0 + ' * 300}{i}] = 1\n" for i in range(200))
    flags = scan_code([src])
    assert len(flags) <= 41 and all(len(f) < 200 for f in flags)


# -- feedback ------------------------------------------------------------------------------
def _graded_nb():
    test_source = (
        "assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 4, 'secret check'\n"
        "assert secret_value_42 == 42\n### END HIDDEN TESTS\n"
    )
    test = new_code_cell(test_source)
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "points": 1, "grade_id": "t"}
    test.outputs = [
        new_output("stream", name="stdout", text=test_source),
        new_output("error", ename="ValueError", evalue=repr(test_source), traceback=[]),
    ]
    later = new_code_cell("print(stash)")
    later.outputs = [new_output("stream", name="stdout", text="  assert secret_value_42 == 42\n")]
    answer = new_markdown_cell("[" * 96_000 + "]" * 96_000 + "<script>alert('VG-XSS')</script>")
    answer.metadata["nbgrader"] = {"grade": True, "solution": True, "points": 1, "grade_id": "w"}
    return new_notebook(cells=[test, later, answer])


def test_feedback_removes_hidden_lines_from_every_output():
    nb, _ = HideHiddenTests().preprocess(_graded_nb(), {})
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "secret_value_42" not in text and "secret check" not in text
    assert "assert f(1) == 1" in nb.cells[0].source and "secret" not in nb.cells[0].source


def test_feedback_markdown_is_capped_and_sanitised():
    # its time against a plain answer of the same length is a row of bench/bench_budgets.py
    nb, _ = SafeFeedback().preprocess(_graded_nb(), {})
    shown = nb.cells[2].source
    assert "<script" not in shown and "truncated by the grader" in shown
    assert len(shown) < 200_000


def test_clean_html_removes_script_and_handlers_but_keeps_tables():
    dirty = (
        '<table><tr><td class="x">1</td></tr></table><script>alert(1)</script>'
        '<img src=x onerror="alert(1)"><a href="javascript:alert(1)">a</a>'
        '<img src="data:image/png;base64,iVBORw0KGgo="><a href="data:text/html,<b>">d</a>'
    )
    clean = clean_html(dirty)
    assert "<table>" in clean and '<td class="x">' in clean
    assert "script" not in clean and "onerror" not in clean and "javascript" not in clean
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in clean and "text/html" not in clean


def test_feedback_outputs_are_sanitised():
    cell = new_code_cell("x")
    cell.outputs = [
        new_output("display_data", data={"application/javascript": "alert(1)"}),
        new_output(
            "display_data",
            data={"image/png": '"><script>alert(1)</script>', "text/plain": "img"},
            metadata={"image/png": {"width": "1 onload=alert(1)"}},
        ),
    ]
    nb, _ = SafeFeedback().preprocess(new_notebook(cells=[cell]), {})
    text = json.dumps(nb.cells[0].outputs)
    assert "alert" not in text and "onload" not in text
    assert nbformat.validate(nb) is None
