"""Hidden tests leave the feedback: nbgrader's ClearHiddenTests rule (a block runs from the
line holding the begin delimiter to the line holding the end one), with its configurable
delimiters, and a note where a block was. Fast, in memory, no kernel."""

from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.preprocessors import ClearHiddenTests
from traitlets.config import Config

from grader.feedback import NOTE, HideHiddenTests, hidden_lines


def _test_cell(source: str, outputs=()):
    cell = new_code_cell(source, outputs=list(outputs))
    cell.metadata["nbgrader"] = {
        "grade": True,
        "solution": False,
        "locked": True,
        "grade_id": "t",
        "points": 1,
    }
    return cell


SOURCE = (
    "assert f(1) == 1\n"
    "    ### BEGIN HIDDEN TESTS\n"
    "assert f(2) == secret_value_42\n"
    "### END HIDDEN TESTS\n"
    "grading.passed('t')\n"
)


def test_it_is_nbgraders_clear_hidden_tests_with_a_note():
    assert issubclass(HideHiddenTests, ClearHiddenTests)
    echo = new_output("stream", name="stdout", text="assert f(2) == secret_value_42\nok\n")
    nb = new_notebook(cells=[_test_cell(SOURCE, [echo])])
    assert hidden_lines(nb) == {"assert f(2) == secret_value_42"}
    out, _ = HideHiddenTests().preprocess(nb, {})
    source = out.cells[0].source
    assert source == "assert f(1) == 1\n" + NOTE + "grading.passed('t')\n"
    assert "secret_value_42" not in out.cells[0].outputs[0]["text"]


def test_the_delimiters_are_the_configurable_ones():
    source = SOURCE.replace("BEGIN HIDDEN TESTS", "BEGIN SECRET").replace(
        "END HIDDEN TESTS", "END SECRET"
    )
    cfg = Config()
    cfg.HideHiddenTests.begin_test_delimeter = "BEGIN SECRET"
    cfg.HideHiddenTests.end_test_delimeter = "END SECRET"
    out, _ = HideHiddenTests(config=cfg).preprocess(new_notebook(cells=[_test_cell(source)]), {})
    assert "secret_value_42" not in out.cells[0].source and NOTE in out.cells[0].source
    # with the default delimiters the same cell shows everything: the traits are what is used
    plain, _ = HideHiddenTests().preprocess(new_notebook(cells=[_test_cell(source)]), {})
    assert "secret_value_42" in plain.cells[0].source


@pytest.mark.parametrize("blocks", [1, 3])
def test_every_block_goes_and_an_unterminated_one_hides_the_rest(blocks):
    body = "".join(
        f"check({i})\n### BEGIN HIDDEN TESTS\nhidden_{i}()\n### END HIDDEN TESTS\n"
        for i in range(blocks)
    )
    body += "tail()\n### BEGIN HIDDEN TESTS\nnever_shown()\n"
    out, _ = HideHiddenTests().preprocess(new_notebook(cells=[_test_cell(body)]), {})
    source = out.cells[0].source
    assert "hidden_" not in source and "never_shown" not in source
    assert source.count(NOTE) == blocks + 1 and "tail()" in source
    assert all(f"check({i})" in source for i in range(blocks))


def test_error_outputs_of_test_cells_are_reduced_to_their_message():
    err = new_output(
        "error", ename="AssertionError", evalue="f: wrong", traceback=["\x1b[31mlong", "trace"]
    )
    out, _ = HideHiddenTests().preprocess(new_notebook(cells=[_test_cell(SOURCE, [err])]), {})
    assert out.cells[0].outputs[0]["traceback"] == ["AssertionError: f: wrong"]


def test_delimiters_set_for_the_release_apply_to_the_feedback_too():
    # one setting for both: c.ClearHiddenTests.* (what `nbgrader generate_assignment` reads)
    # reaches HideHiddenTests through traitlets' class hierarchy
    cfg = Config()
    cfg.ClearHiddenTests.begin_test_delimeter = "BEGIN SECRET"
    assert HideHiddenTests(config=cfg).begin_test_delimeter == "BEGIN SECRET"
