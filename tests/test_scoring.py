"""Marking rules (pure functions in studyapp.scoring)."""
import pytest

from studyapp.scoring import mark_multiple, mark_single, mark_text, normalise_answer


def test_normalise_folds_width_case_and_spaces():
    """Full-width and half-width forms agree, case is folded and spaces collapse."""
    assert normalise_answer("  ＨＡＲＢＩＮ  ") == "harbin"
    assert normalise_answer("Heilongjiang\u3000 Province") == "heilongjiang province"
    assert normalise_answer("Straße") == normalise_answer("STRASSE")


def test_single_choice_marks():
    """One key chosen is 1, a distractor 0, nothing chosen is 'not answered'."""
    assert mark_single([3], [3]).mark == 1.0
    assert mark_single([4], [3]).mark == 0.0
    empty = mark_single([], [3])
    assert empty.mark == 0.0 and not empty.answered and empty.label == "not answered"


@pytest.mark.parametrize("chosen, expected", [
    ({1, 2}, 1.0),          # both keys, no distractor
    ({1}, 0.5),             # one of two keys
    ({1, 3}, 0.0),          # 1/2 - 1/2
    ({1, 2, 3}, 0.5),       # 1 - 1/2
    ({1, 2, 3, 4}, 0.0),    # everything chosen earns nothing
    ({3}, 0.0),             # clamped at 0, not negative
])
def test_multiple_response_partial_credit(chosen, expected):
    """Each key earns 1/k, each distractor costs 1/d, clamped to 0-1."""
    assert mark_multiple(chosen, keys={1, 2}, options={1, 2, 3, 4}).mark == pytest.approx(expected)


def test_multiple_response_labels():
    """A half mark is 'partially correct'."""
    assert mark_multiple({1}, {1, 2}, {1, 2, 3, 4}).label == "partially correct"


def test_text_marks_per_gap():
    """Each gap is worth an equal share; blanks are wrong; 'None' and 'False' are answers like any other."""
    assert mark_text(["harbin"], [["Harbin"]]).mark == 1.0
    assert mark_text(["Harbin", "x"], [["Harbin"], ["2023"]]).mark == 0.5
    assert mark_text(["", "2023"], [["Harbin"], ["2023"]]).mark == 0.5
    assert mark_text(["None"], [["None"]]).mark == 1.0
    assert mark_text(["False"], [["True"]]).mark == 0.0
    assert not mark_text(["  "], [["Harbin"]]).answered


def test_invisible_characters_do_not_count():
    """A pasted answer with a zero-width space or direction mark matches the key."""
    assert mark_text(["Xi Jinping\u200b"], [["Xi Jinping"]]).mark == 1.0
    assert normalise_answer("\u200eHarbin") == "harbin"
