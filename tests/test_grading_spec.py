"""Tests for `nst_teach.grading.spec`: one grading module per exercise, found in numeric order, and
exercise names as people type them."""

import pytest

from nst_teach.errors import NSTError
from nst_teach.grading.spec import exercise_ids, exercises


def test_every_exercise_module_is_found_in_order_with_its_file_checks_and_mistakes():
    found = exercises()
    assert list(found) == [f"ex{n:02d}" for n in range(1, 9)]
    for exercise_id, exercise in found.items():
        assert exercise.id == exercise_id and exercise.file.startswith(exercise_id) and exercise.file.endswith(".py")
        assert exercise.checks and all(m.hint for m in exercise.mistakes)


@pytest.mark.parametrize("names, ids", [(["ex03"], ["ex03"]), ([5, "ex5", "ex05_style_loss.py"], ["ex05"]),
                                        (["EX08", " 1 "], ["ex08", "ex01"]), (None, [f"ex{n:02d}" for n in range(1, 9)])])
def test_exercise_names_as_people_type_them(names, ids):
    assert exercise_ids(names) == ids


@pytest.mark.parametrize("name", ["ex9", "gram", "ex003"])
def test_an_unknown_exercise_is_a_one_line_error_naming_the_range(name):
    with pytest.raises(NSTError, match="use ex01 … ex08"):
        exercise_ids([name])
