"""The grading helpers, each made to fail on purpose (and to pass when it should)."""

import logging
import re
import warnings

import numpy as np
import pytest

import vanishing.functional as F
from vanishing import grading, nn
from vanishing.functional import sigmoid_grad as imported_early


def failure(fn, *args, **kwargs) -> str:
    """The message of the AssertionError that ``fn(*args, **kwargs)`` must raise."""
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


# --- check / assert_close: values -----------------------------------------------------------
def test_check_returns_the_students_value_when_right():
    got = grading.check(
        "square", lambda v: v**2, np.array([1.0, 2.0]), expected=np.array([1.0, 4.0])
    )
    np.testing.assert_array_equal(got, [1.0, 4.0])


def test_check_fails_on_a_wrong_value_naming_exercise_expected_received_and_index():
    msg = failure(
        grading.check,
        "square",
        lambda v: v * 2,
        np.array([1.0, 3.0]),
        expected=np.array([1.0, 9.0]),
    )
    first = msg.splitlines()[0]
    assert first.startswith(
        "square: return value differs from the expected value at 2 of 2 entries"
    )
    assert "expected: array of shape (2,), dtype float64" in msg
    assert re.search(r"\(1,\)\s+9\s+6", msg), msg  # index, expected, received
    assert "largest absolute difference 3 at (1,)" in msg


def test_assert_close_lists_only_the_first_few_differences():
    msg = failure(grading.assert_close, "ex", np.zeros(20), np.ones(20))
    assert "... and 15 more" in msg
    assert msg.count("\n  (") == grading.MAX_SHOWN


def test_tolerances_are_honoured_both_ways():
    grading.assert_close("ex", 1.0 + 1e-9, 1.0, rtol=1e-8)
    failure(grading.assert_close, "ex", 1.0 + 1e-7, 1.0, rtol=1e-8)
    grading.assert_close("ex", 1e-12, 0.0, atol=1e-10)
    failure(grading.assert_close, "ex", 1e-9, 0.0, atol=1e-10)
    failure(grading.assert_close, "ex", 1e-300, 0.0)  # default atol is 0: exact at zero


def test_mistake_hint_is_the_last_line_only_when_the_answer_matches_it():
    wrong = "did you return σ(x) instead of σ(x)(1-σ(x))?"
    msg = failure(
        grading.check, "sigmoid_grad", F.sigmoid, 0.0, expected=0.25, mistakes=[(0.5, wrong)]
    )
    assert (
        msg.splitlines()[0]
        == "sigmoid_grad: return value is 0.5, expected 0.25 (rtol=1e-07, atol=0)"
    )
    assert msg.splitlines()[-1] == f"Hint: {wrong}"
    msg = failure(
        grading.check, "sigmoid_grad", lambda x: 0.3, 0.0, expected=0.25, mistakes=[(0.5, wrong)]
    )
    assert "Hint" not in msg


def test_mistake_hint_also_follows_a_shape_failure_in_a_tuple():
    dW = np.arange(6.0).reshape(3, 2)
    got = (np.ones(2), dW.T)
    msg = failure(
        grading.assert_close,
        "linear_backward",
        got,
        (np.ones(2), dW),
        mistakes=[((np.ones(2), dW.T), "transposed dW")],
    )
    assert (
        msg.splitlines()[0]
        == "linear_backward: return value[1] has shape (2, 3), expected shape (3, 2)"
    )
    assert msg.endswith("Hint: transposed dW")


# --- assert_close: type, shape, dtype, finiteness ---------------------------------------------
@pytest.mark.parametrize(
    ("got", "expected", "fragment"),
    [
        (None, np.ones(2), "is None; did you forget a `return` statement?"),
        ([1.0, 1.0], np.ones(2), "should be a numpy array, got list"),
        (np.ones(2), 1.0, "should be a single number, got array of shape (2,)"),
        ("1.0", 1.0, "should be a single number, got str"),
        (np.array(["a", "b"]), np.ones(2), "should hold numbers"),
        (np.ones(3), np.ones(2), "has shape (3,), expected shape (2,)"),
        (np.ones((2, 1)), np.ones(2), "has shape (2, 1), expected shape (2,)"),
        (np.ones(2, np.float32), np.ones(2), "has dtype float32, expected float64"),
        (np.ones(2, int), np.ones(2), "has dtype int64, expected float64"),
        (np.array([1, 2]), [1.0, 2.0], "should be a list of 2 items"),
        (np.array([np.nan, 1.0]), np.ones(2), "1 non-finite value(s) (nan or inf) at (0,)"),
        (np.inf, 1.0, "non-finite"),
        ((1.0, 2.0), (1.0, 2.0, 3.0), "should have 3 items, got 2"),
        (
            np.ones(3),
            (np.ones(3), np.ones(3)),
            "should be a tuple of 2 items, got array of shape (3,)",
        ),
        ((1.0, 5.0), (1.0, 2.0), "return value[1] is 5, expected 2"),
        (True, 1.0, "should hold floating-point numbers, got booleans"),
    ],
)
def test_assert_close_rejects(got, expected, fragment):
    msg = failure(grading.assert_close, "ex", got, expected)
    assert msg.startswith("ex: ")
    assert fragment in msg, msg


def test_assert_close_compares_lists_item_by_item():
    msg = failure(grading.assert_close, "ex", [1.0, 2.5], [1.0, 2.0])
    assert msg.startswith("ex: return value[1] is 2.5, expected 2")


@pytest.mark.parametrize(
    ("got", "expected"),
    [
        (np.float64(0.25), 0.25),
        (np.array(0.25), 0.25),
        (0, 0.0),  # a Python int where a float is expected is fine for a single number
        (np.array([np.nan, 1.0]), np.array([np.nan, 1.0])),  # nan where nan is expected
        ((np.ones(2), 3.0), (np.ones(2), 3.0)),
        ([1.0, 2.0], [1.0, 2.0]),
    ],
)
def test_assert_close_accepts(got, expected):
    grading.assert_close("ex", got, expected)


def test_what_names_the_value_under_test():
    msg = failure(grading.assert_close, "bn", np.ones(2), np.zeros(2), what="running_mean")
    assert msg.startswith("bn: running_mean differs")


# --- call: not implemented, exceptions, warnings ----------------------------------------------
def test_call_reports_not_implemented_yet():
    def stub(x):
        raise NotImplementedError()

    msg = failure(grading.call, "relu_grad", stub, 1.0)
    assert msg.startswith("relu_grad: not implemented yet")
    msg = failure(grading.check, "relu_grad", stub, 1.0, expected=1.0)
    assert msg.startswith("relu_grad: not implemented yet")


def test_call_turns_other_errors_into_a_failure_naming_exercise_exception_and_case():
    def broken(x):
        return x @ np.ones((3, 3))

    with pytest.raises(AssertionError) as info:
        grading.call("linear_forward", broken, np.ones((2, 2), dtype=np.float32))
    message = str(info.value)
    assert message.startswith("linear_forward: your function raised ValueError: matmul")
    assert "case: linear_forward(array(2, 2) float32 [1, 1, 1, 1])" in message
    assert "(raised while testing linear_forward" in message  # kept in evalue, so in feedback
    assert isinstance(info.value.__cause__, ValueError)  # the traceback is kept


def test_call_fails_when_an_input_is_changed_in_place_and_names_it():
    def scale(x, params):
        params["W"] *= 2  # inside a dict
        return x

    x, params = np.ones(3), {"W": np.ones(2)}
    msg = failure(grading.call, "scale", scale, x, params)
    assert msg.startswith("scale: your function changed its input `params['W']` in place")
    # a function whose job is to change its input may be allowed to
    grading.call("scale", scale, x, params, inputs_may_change=True)


def test_check_names_the_case_in_a_value_failure():
    x = np.array([-1000.0, 0.0, 2.0], dtype=np.float32)
    msg = failure(grading.check, "sq", lambda v: v * 3, x, expected=x * 2)
    assert msg.splitlines()[1] == "  case: sq(array(3,) float32 [-1000, 0, 2])"
    big = np.linspace(-5, 5, 100)
    assert grading.describe(big) == "array(100,) float64 in [-5, 5]"
    assert grading.describe_call("f", (big,), {"alpha": 0.1}) == (
        "f(array(100,) float64 in [-5, 5], alpha=0.1)"
    )


def test_tolerance_comes_from_the_float_type_and_the_conditioning():
    assert grading.tolerance(np.float32) == 64 * np.finfo(np.float32).eps
    assert grading.tolerance(np.float64, condition=10) == 640 * np.finfo(np.float64).eps
    with pytest.raises(ValueError, match="condition must be"):
        grading.tolerance(np.float64, condition=0.5)


def test_assert_gradient_passes_a_right_gradient_and_fails_a_planted_bug():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    grading.assert_gradient("sq", 2 * x, lambda v: (v**2).sum(), x)
    msg = failure(grading.assert_gradient, "sq", x, lambda v: (v**2).sum(), x, case="sq(x)")
    assert "does not match centred differences" in msg and "case: sq(x)" in msg
    assert "relative error 3.33e-01" in msg  # a factor of 2 gives exactly 1/3
    msg = failure(grading.assert_gradient, "sq", (2 * x).T, lambda v: (v**2).sum(), x)
    assert "has shape (4, 3), expected shape (3, 4)" in msg


def test_call_rejects_something_that_is_not_a_function():
    assert failure(grading.call, "ex", 3.0).startswith("ex: expected a function, got float")


def noisy(x):
    warnings.warn("something odd", RuntimeWarning, stacklevel=1)
    logging.getLogger("matplotlib.font_manager").warning("findfont: Font family not found")
    return np.log(x)  # divide by zero at 0


def test_call_silences_warnings_numpy_errors_and_logged_warnings(caplog):
    with warnings.catch_warnings(record=True) as seen, np.errstate(all="raise"):
        warnings.simplefilter("always")
        got = grading.call("log", noisy, np.array([0.0, 1.0]))
    assert seen == []
    assert caplog.records == []
    np.testing.assert_array_equal(got, [-np.inf, 0.0])
    assert logging.root.manager.disable == logging.NOTSET  # restored afterwards


def test_call_can_leave_warnings_alone():
    with pytest.warns(RuntimeWarning, match="something odd"):
        grading.call("log", noisy, np.array([1.0]), silence_warnings=False)


# --- forbid ---------------------------------------------------------------------------------
def uses_early_import(x):
    return imported_early(x)


def test_forbid_catches_a_name_imported_before_the_check():
    msg = failure(
        grading.check,
        "sigmoid_grad",
        uses_early_import,
        0.0,
        expected=0.25,
        forbid=[F.sigmoid_grad],
    )
    assert msg == (
        "sigmoid_grad: write this yourself; vanishing.functional.sigmoid_grad is off "
        "limits in this exercise"
    )
    # and the function works again afterwards
    assert uses_early_import(0.0) == 0.25
    grading.check("sigmoid_grad", uses_early_import, 0.0, expected=0.25)


def test_forbid_accepts_dotted_names_and_methods():
    layer = nn.Linear(3, 2, rng=np.random.default_rng(0))
    layer(np.ones((4, 3)))
    with (
        grading.forbid("vanishing.nn.Linear.backward"),
        pytest.raises(grading.ForbiddenCall) as info,
    ):
        layer.backward(np.ones((4, 2)))
    assert "vanishing.nn.Linear.backward is off limits" in str(info.value)
    with grading.forbid(nn.Linear.backward), pytest.raises(grading.ForbiddenCall):
        layer.backward(np.ones((4, 2)))
    with grading.forbid(layer.backward), pytest.raises(grading.ForbiddenCall):  # bound method
        layer.backward(np.ones((4, 2)))
    assert layer.backward(np.ones((4, 2))).shape == (4, 3)


def test_forbid_reaches_calls_made_inside_the_package():
    layer = nn.Linear(3, 2, rng=np.random.default_rng(0))
    layer(np.ones((4, 3)))
    # Linear.backward calls nn.linear_backward: forbidding the function blocks the method too
    msg = failure(
        grading.call,
        "linear_backward",
        layer.backward,
        np.ones((4, 2)),
        forbid=[nn.linear_backward],
    )
    assert "vanishing.nn.linear_backward is off limits" in msg


def test_forbid_notices_a_forbidden_call_the_student_swallowed():
    def sneaky(x):
        try:
            return F.sigmoid_grad(x)
        except Exception:
            return 0.25

    msg = failure(
        grading.check,
        "sigmoid_grad",
        sneaky,
        0.0,
        expected=0.25,
        forbid=["vanishing.functional.sigmoid_grad"],
    )
    assert "vanishing.functional.sigmoid_grad is off limits" in msg


def test_forbid_restores_everything_after_an_error():
    original = F.sigmoid_grad.__code__
    with pytest.raises(KeyError), grading.forbid(F.sigmoid_grad, "numpy.gradient"):
        raise KeyError("an error inside the block")
    assert F.sigmoid_grad.__code__ is original
    assert F.sigmoid_grad(0.0) == 0.25
    np.testing.assert_array_equal(np.gradient(np.array([1.0, 3.0])), [2.0, 2.0])


def test_forbid_nests_and_handles_closures():
    def make(k):
        def add(x):
            return x + k

        return add

    add3 = make(3)
    with grading.forbid(add3):
        with grading.forbid(add3), pytest.raises(grading.ForbiddenCall):
            add3(1)
        with pytest.raises(grading.ForbiddenCall):
            add3(1)
    assert add3(1) == 4


def test_forbid_replaces_non_python_callables_by_dotted_name_only():
    with grading.forbid("numpy.linalg.norm"), pytest.raises(grading.ForbiddenCall):
        np.linalg.norm(np.ones(2))
    assert np.linalg.norm(np.array([3.0, 4.0])) == 5.0
    with pytest.raises(TypeError, match="dotted-name string"), grading.forbid(np.add):
        pass
    with pytest.raises(ValueError, match="cannot find"), grading.forbid("vanishing.nope.nothing"):
        pass


def test_unforbidden_functions_are_untouched():
    got = grading.check("sigmoid_grad", uses_early_import, 0.0, expected=0.25, forbid=[F.tanh_grad])
    assert got == 0.25


# --- the small assertions -------------------------------------------------------------------
def test_assert_shape():
    grading.assert_shape("ex", np.ones((2, 3)), (2, 3))
    assert failure(grading.assert_shape, "ex", np.ones((3, 2)), (2, 3), what="dW") == (
        "ex: dW has shape (3, 2), expected shape (2, 3)"
    )
    assert "is None" in failure(grading.assert_shape, "ex", None, (2,))


def test_assert_dtype():
    grading.assert_dtype("ex", np.ones(2, np.float32), np.float32)
    assert failure(grading.assert_dtype, "ex", np.ones(2), np.float32) == (
        "ex: return value has dtype float64, expected float32"
    )
    assert "should be a numpy array of dtype float32, got list" in failure(
        grading.assert_dtype, "ex", [1.0], "float32"
    )


def test_assert_true():
    grading.assert_true("ex", np.all(np.ones(3) > 0), "never shown")
    assert failure(grading.assert_true, "ex", 0, "x was changed") == "ex: x was changed"


def test_assert_in():
    grading.assert_in("q1", "b", ["a", "b"])
    assert failure(grading.assert_in, "q1", "c", ["a", "b"]) == (
        "q1: answer should be one of 'a', 'b'; got 'c'"
    )
    failure(grading.assert_in, "q1", np.ones(2), [1.0])  # an array is never "in" a list of answers


def test_passed_prints_a_line_and_returns_nothing(capsys):
    assert grading.passed("relu") is None
    assert capsys.readouterr().out == "✔ relu: all tests in this cell passed\n"


# --- autograding ----------------------------------------------------------------------------
def test_budget_follows_nbgrader_execution(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert not grading.under_autograding()
    assert grading.budget(200, 5) == 200
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert grading.under_autograding()
    assert grading.budget(200, 5) == 5
    monkeypatch.setenv("NBGRADER_EXECUTION", "")
    assert not grading.under_autograding()


def test_boolean_arrays_compare_and_hint():
    expected = np.array([True, False, True])
    grading.assert_close("mask", expected.copy(), expected)
    with pytest.raises(AssertionError) as info:
        grading.assert_close(
            "mask", ~expected, expected, mistakes=[(~expected, "you inverted the mask")]
        )
    text = str(info.value)
    assert "differs from the expected value at 3 of 3" in text
    assert "True" in text and "False" in text
    assert text.endswith("Hint: you inverted the mask")


def test_tiny_values_are_printed_with_significant_digits():
    with pytest.raises(AssertionError, match=r"1e-12.*\n.*\n.*2e-12|is 2e-12, expected 1e-12"):
        grading.assert_close("tiny", 2e-12, 1e-12, rtol=1e-9)
