"""Tests for the grader (`nst_teach.grading`: its checks, comparison engine, referee, report, exercises).

Most tests grade with `grade_here`: the checks run in this process against one student process that
the module's tests share (sandbox "none", so it can load each test's folder), which is fast; a few
go through the full path (`grade`, `check`, the command functions: a private copy, a sandboxed
process per student) to test isolation, timeouts, crashes and exit codes. Wrong implementations live
in tests/wrong/, written the way students write them, independently of the catalogue's own variants;
hand-written right answers in tests/solutions/ (the reference itself would be refused by the referee).
"""

import importlib
import json
import sys
from pathlib import Path

import pytest

from nst_teach import grading
from nst_teach.errors import NSTError
from nst_teach.grading.compare import GENERIC
from nst_teach.grading.inputs import Inputs

WRONG_DIR = Path(__file__).parent / "wrong"
SOLUTIONS_DIR = Path(__file__).parent / "solutions"

EXERCISES = grading.exercises()
CATALOGUE = {e: spec.mistakes for e, spec in EXERCISES.items()}
SOLUTIONS = {e: (SOLUTIONS_DIR / spec.file).read_text() for e, spec in EXERCISES.items()}  # written by hand
MARK = {e: getattr(pytest.mark, e) for e in EXERCISES}


def write_solutions(folder, overrides=None):
    """Reference solutions for every exercise; overrides: {exercise: extra source appended}."""
    folder.mkdir(parents=True, exist_ok=True)
    for exercise, spec in EXERCISES.items():
        (folder / spec.file).write_text(SOLUTIONS[exercise] + (overrides or {}).get(exercise, ""))
    return folder


def write_one(folder, exercise, source):
    """Every solution, then ``source`` as the student's file of ``exercise`` (ex08 imports the others)."""
    write_solutions(folder)
    (folder / EXERCISES[exercise].file).write_text(source)


def wrong_source(exercise, module, key):
    """Source of a student file: the reference, then the functions of tests/wrong/<module>.py WRONG[key]."""
    return (SOLUTIONS[exercise] + f"import sys\nsys.path.insert(0, {str(WRONG_DIR)!r})\n"
            f"from {module} import WRONG as _WRONG\nglobals().update(_WRONG[{key!r}])\n")


class Shared:
    """What the module's `grade_here` tests share: the grader's inputs and one student process."""

    def __init__(self, inputs, student):
        self.inputs, self.student = inputs, student


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The VGG-19 model and photos, built once, and one student process for all `grade_here` tests."""
    from nst_teach.grading.remote import StudentProcess
    from nst_teach.grading.sandbox import Sandbox

    cwd = tmp_path_factory.mktemp("cwd")
    with StudentProcess(Sandbox("none"), cwd, cwd) as student:
        yield Shared(Inputs(), student)


def grade_here(folder, exercise, shared):
    return grading.grade_here(folder, exercise, shared.inputs, shared.student)


@pytest.fixture(scope="module")
def solutions(tmp_path_factory):
    return write_solutions(tmp_path_factory.mktemp("alice") / "alice")


# ----------------------------------------------------------------------------- templates and reference
def test_untouched_templates_score_zero_and_say_not_attempted(tmp_path, inputs):
    written = grading.init_exercises(tmp_path / "mine")
    assert [p.name for p in written] == [spec.file for spec in EXERCISES.values()]
    for exercise in EXERCISES:
        record = grade_here(tmp_path / "mine", exercise, inputs)
        assert (record.points, record.status) == (0, "not attempted"), record
        assert "not attempted yet" in record.message
        assert all(d["status"] == "not attempted" for d in record.details)


def test_templates_keep_the_spec_and_the_fixed_todo_lines():
    for spec in EXERCISES.values():
        text = (grading.folder.templates_folder() / spec.file).read_text()
        n = spec.number
        for function in spec.functions:
            assert f"def {function}(" in text
        assert text.count(f"# TODO: Exercise {n} — implement this.") == len(spec.functions)
        assert text.count(f'raise NotImplementedError("Exercise {n}: not attempted yet")') == len(spec.functions)


@pytest.mark.parametrize("exercise", [pytest.param(e, marks=MARK[e]) for e in EXERCISES])
def test_reference_solution_gets_full_points(exercise, solutions, inputs):
    record = grade_here(solutions, exercise, inputs)
    assert (record.status, record.points, record.message) == ("pass", record.max_points, ""), record.details
    assert record.max_points == EXERCISES[exercise].max_points > 0


# ----------------------------------------------------------------------------- the mistake catalogue
CATALOGUE_CASES = [pytest.param(e, m.id, f"wrong_{e}", m.id, id=m.id, marks=MARK[e])
                   for e, mistakes in CATALOGUE.items() for m in mistakes]


def test_every_catalogue_mistake_has_a_handwritten_wrong_implementation():
    sys.path.insert(0, str(WRONG_DIR))
    try:
        for exercise, mistakes in CATALOGUE.items():
            wrong = importlib.import_module(f"wrong_{exercise}").WRONG
            assert sorted(wrong) == sorted(m.id for m in mistakes)
            for m in mistakes:
                assert set(wrong[m.id]) == {m.function} and m.function in EXERCISES[exercise].functions
    finally:
        sys.path.remove(str(WRONG_DIR))


@pytest.mark.parametrize("exercise, mistake, module, key", CATALOGUE_CASES)
def test_catalogue_mistake_is_named(exercise, mistake, module, key, tmp_path, inputs):
    """The wrong implementation loses the points of the check that names it, and the hint is shown."""
    write_one(tmp_path, exercise, wrong_source(exercise, module, key))
    record = grade_here(tmp_path, exercise, inputs)
    named = [d for d in record.details if d["mistake"] == mistake]
    assert named and all(d["points"] == 0 for d in named), record.details
    hint = next(m.hint for m in CATALOGUE[exercise] if m.id == mistake)
    assert hint in named[0]["message"]
    assert record.status == "fail" and record.points < record.max_points
    assert record.message == next(d["message"] for d in record.details if not d["passed"])


GENERIC_CASES = [
    ("ex04", "number_for_tensor", "def content_loss(F, P):\n    return (0.5 * ((F - P) ** 2).sum()).item()\n"),
    ("ex04", "detached", "import torch\ndef content_loss(F, P):\n    return torch.tensor((0.5 * ((F - P) ** 2).sum()).item())\n"),
    ("ex04", "wrong_dtype", "def content_loss(F, P):\n    return 0.5 * ((F.double() - P.double()) ** 2).sum()\n"),
    ("ex04", "wrong_shape", "def content_loss(F, P):\n    return 0.5 * ((F - P) ** 2).sum().reshape(1)\n"),
    ("ex07", "numpy_for_tensor", "_tv = tv_loss\ndef tv_loss(x):\n    return _tv(x).detach().numpy()\n"),
    ("ex07", "returns_none", "def tv_loss(x):\n    total = ((x[..., 1:, :] - x[..., :-1, :]) ** 2).sum()\n"),
    ("ex03", "tensor_for_numpy", "import torch\ndef gram_matrix(F):\n    F = torch.from_numpy(F)\n    return F @ F.T\n"),
    ("ex03", "in_place", "def covariance_matrix(F):\n    F -= F.mean(axis=1, keepdims=True)\n"
                         "    return F @ F.T / (F.shape[1] - 1)\n"),
    ("ex06", "in_place", "def momentum_step(x, grad, velocity, lr, momentum=0.9):\n"
                         "    velocity.mul_(momentum).add_(grad)\n    return x - lr * velocity, velocity\n"),
    ("ex02", "detached", "import torch\n_ef = extract_features\n"
                         "def extract_features(model, x, layers):\n    with torch.no_grad():\n        return _ef(model, x, layers)\n"),
    ("ex04", "numpy_for_tensor", "import numpy as np\ndef content_loss(F, P):\n"
                                 "    return 0.5 * np.sum((F.detach().numpy() - P.detach().numpy()) ** 2)\n"),  # np.float32
    ("ex05", "style_mean", f"import sys\nsys.path.insert(0, {str(WRONG_DIR)!r})\n"
                           "from wrong_ex05 import m_all_elements as style_layer_loss\n"),
]


@pytest.mark.parametrize("exercise, mistake, source", [pytest.param(*c, id=f"{c[0]}-{c[1]}", marks=MARK[c[0]]) for c in GENERIC_CASES])
def test_generic_mistake_is_named(exercise, mistake, source, tmp_path, inputs):
    write_one(tmp_path, exercise, SOLUTIONS[exercise] + source)
    record = grade_here(tmp_path, exercise, inputs)
    named = [d for d in record.details if d["mistake"] == mistake]
    assert named and all(d["points"] == 0 for d in named), record.details
    hint = GENERIC.get(mistake) or next(m.hint for m in CATALOGUE[exercise] if m.id == mistake)
    if mistake not in ("wrong_shape", "wrong_dtype"):
        assert hint in named[0]["message"]


@pytest.mark.ex03
def test_lecture_numbers_are_what_the_checks_expect():
    from nst_teach.grading import ex03_gram as checks

    assert (checks.LECTURE_F @ checks.LECTURE_F.T == checks.LECTURE_GRAM).all()  # the lecture's 761, 331, 145
    F = checks.lecture_cov_features()
    import numpy as np

    assert np.allclose(np.cov(F), checks.LECTURE_COV, atol=1e-12)
    assert np.allclose(np.corrcoef(F), checks.LECTURE_CORR, atol=0.011)  # the lecture rounds .677 down to .67


@pytest.mark.ex06
def test_partly_attempted_exercise_fails_with_the_missing_function_named(tmp_path, inputs):
    source = SOLUTIONS["ex06"] + "def adam_step(x, grad, state, lr, betas=(0.9, 0.999), eps=1e-8):\n" \
                                 "    raise NotImplementedError('Exercise 6: not attempted yet')\n"
    (tmp_path / "ex06_gradient_descent.py").write_text(source)
    record = grade_here(tmp_path, "ex06", inputs)
    adam = [d for d in record.details if "adam" in d["check"]]
    assert record.status == "fail" and record.points == record.max_points - sum(d["max_points"] for d in adam) - 1
    assert all(d["status"] == "not attempted" for d in adam)
    assert all(d["message"].startswith("adam_step: not attempted yet") for d in adam)  # which function is missing


# ----------------------------------------------------------------------------- bugs found in review
@pytest.mark.ex04
def test_a_loss_of_shape_1_gets_the_shape_hint_but_the_right_gradient(tmp_path, inputs):
    (tmp_path / "ex04_content_loss.py").write_text("def content_loss(F, P):\n    return 0.5 * ((F - P) ** 2).sum().reshape(1)\n")
    details = {d["check"]: d for d in grade_here(tmp_path, "ex04", inputs).details}
    assert details["gradient, inputs unchanged"]["passed"], details  # ∂L/∂F = F − P, not 2L (F − P)
    assert details["hand example"]["mistake"] == "wrong_shape" and "(1,) instead of ()" in details["hand example"]["message"]


@pytest.mark.ex06
def test_adam_step_returning_a_tuple_state_is_told_to_return_an_adam_state(tmp_path, inputs):
    source = SOLUTIONS["ex06"] + ("_adam = adam_step\n"
                                  "def adam_step(x, grad, state, lr, betas=(0.9, 0.999), eps=1e-8):\n"
                                  "    x, new = _adam(x, grad, state, lr, betas, eps)\n    return x, (new.m, new.s, new.t)\n")
    (tmp_path / "ex06_gradient_descent.py").write_text(source)
    record = grade_here(tmp_path, "ex06", inputs)
    adam = [d for d in record.details if d["check"].startswith("adam_step")]
    assert record.status == "fail" and all(d["status"] == "fail" and d["mistake"] == "wrong_type" for d in adam), adam
    assert "returns (x, tuple) instead of (x, AdamState): return (x, AdamState(m, s, t))" in adam[0]["message"]


@pytest.mark.ex07
def test_a_crash_on_one_input_names_that_input(tmp_path, inputs):
    (tmp_path / "ex07_tv_loss.py").write_text("def tv_loss(x):\n    dh = x[:, :, 1:, :] - x[:, :, :-1, :]\n"
                                              "    dw = x[:, :, :, 1:] - x[:, :, :, :-1]\n    return (dh**2).sum() + (dw**2).sum()\n")
    record = grade_here(tmp_path, "ex07", inputs)
    values = next(d for d in record.details if d["check"] == "random images and a photo")
    assert record.status == "error" and values["status"] == "error"
    assert values["message"].startswith("tv_loss(x) for x of shape (3, 4, 6): raised IndexError at ex07_tv_loss.py line 2")


def test_value_hints_are_one_line_say_how_far_off_and_which_side_has_nan():
    import numpy as np

    from nst_teach.grading.compare import difference

    _, message = difference(2 * np.eye(3), np.eye(3), 1e-6, 1e-9)
    assert "\n" not in message and "expected [[1. 0. 0.] [0. 1. 0.] [0. 0. 1.]]" in message
    _, message = difference(np.array([19.64661]), np.array([19.64662]), 1e-9, 0.0)  # equal to 6 digits
    assert "largest difference 1e-05, allowed 1.96e-08" in message
    _, message = difference(np.full(20, 19.64661), np.full(20, 19.64662), 1e-9, 0.0)
    assert "expected 19.64662, got 19.64661" in message
    dead = np.array([[1.0, np.nan], [np.nan, np.nan]])  # np.corrcoef's answer when filter 2 never varies
    _, message = difference(np.array([[1.0, 0.0], [0.0, 0.0]]), dead, 1e-6, 1e-9)
    assert message.startswith("expected NaN at index (0, 1)") and message.endswith("got 0")
    _, message = difference(dead, np.eye(2), 1e-6, 1e-9)
    assert message == "NaN at index (0, 1), where 0 is expected"
    table = grading.format_table([grading.Record("ex03", 0, 8, "fail", "values differ:\n[[1 2]\n [3 4]]")])
    assert len(table.splitlines()) == 4  # header, rule, one row, total


def _student_ex08(style_features):
    """An ex08 written from the template, built on the student's own ex01, ex02, ex04, ex05, ex06."""
    return (
        "import torch\nfrom ex01_preprocess import preprocess\nfrom ex02_features import extract_features\n"
        "from ex04_content_loss import content_loss\nfrom ex05_style_loss import style_loss\n"
        "from ex06_gradient_descent import AdamState, adam_step\nfrom nst_teach.gram import gram_matrix\n"
        "def style_transfer_by_hand(model, content, style, *, steps, lr, content_weight, style_weight, content_layer,\n"
        "                           style_layers):\n"
        "    with torch.no_grad():\n"
        "        P = extract_features(model, preprocess(content), [content_layer])[content_layer]\n"
        "        A = {l: gram_matrix(F[0]) for l, F in extract_features(model, preprocess(style), list(style_layers)).items()}\n"
        "    x, state, losses = content.clone(), AdamState.zeros_like(content), []\n"
        "    for _ in range(steps):\n"
        "        x.requires_grad_(True)\n"
        "        F = extract_features(model, preprocess(x), [content_layer, *style_layers])\n"
        f"        L = content_weight * content_loss(F[content_layer], P) + style_weight * style_loss({style_features}, A)\n"
        "        losses.append(L.item())\n"
        "        (g,) = torch.autograd.grad(L, x)\n"
        "        x, state = adam_step(x.detach(), g, state, lr)\n"
        "        x = x.clamp(0, 1)\n"
        "    return x, losses\n")


STYLE_LAYER_LOSS = ("def style_layer_loss(F, A):\n    F = F[0]\n    N, M = F.shape[0], F.shape[1] * F.shape[2]\n"
                    "    G = F.reshape(N, M) @ F.reshape(N, M).T\n    return ((G - A) ** 2).sum() / (4 * N**2 * M**2)\n")


@pytest.mark.ex08
def test_style_loss_over_all_features_is_caught_and_ex08_blames_ex05(tmp_path, inputs):
    """style_loss iterating over `features` (not `targets`), with an ex08 that hands it every feature
    (the content layer too): a check whose content layer is also a style layer would pass both."""
    over_features = STYLE_LAYER_LOSS + ("def style_loss(features, targets, weights=None):\n"
                                        "    return sum((weights[l] if weights else 1 / len(features)) * "
                                        "style_layer_loss(features[l], targets[l]) for l in features)\n")
    write_solutions(tmp_path, {"ex05": over_features, "ex08": _student_ex08("F")})
    ex05 = grade_here(tmp_path, "ex05", inputs)
    assert ex05.status in ("fail", "error") and not next(d for d in ex05.details if d["check"] == "style_loss: layer weights")["passed"]
    ex08 = grade_here(tmp_path, "ex08", inputs)
    assert ex08.points == 0 and "your ex05 style_loss differs from the reference" in ex08.message
    assert "fix ex05 first" in ex08.message


@pytest.mark.ex08
def test_ex08_names_the_earlier_exercise_at_fault_or_lists_the_ones_it_uses(tmp_path, inputs):
    # ex05 with the 4 missing from E_l: blamed in ex05's style_layer_loss checks only, and named by ex08.
    no_4 = STYLE_LAYER_LOSS.replace("(4 * N**2", "(N**2") + (
        "def style_loss(features, targets, weights=None):\n    weights = weights or {l: 1 / len(targets) for l in targets}\n"
        "    return sum(weights[l] * style_layer_loss(features[l], A) for l, A in targets.items())\n")
    good = _student_ex08("{l: F[l] for l in style_layers}")
    write_solutions(tmp_path / "a", {"ex05": no_4, "ex08": good})
    ex05 = {d["check"]: d for d in grade_here(tmp_path / "a", "ex05", inputs).details}
    assert ex05["style_loss: layer weights"]["passed"] and ex05["hand example"]["mistake"] == "style_missing_4"
    ex08 = grade_here(tmp_path / "a", "ex08", inputs)
    assert ex08.points < ex08.max_points and "your ex05 style_loss differs from the reference" in ex08.message
    # ex08 itself wrong (no clamp) on the student's own, correct ex04: the hint, plus what ex08 relies on.
    own_ex04 = "def content_loss(F, P):\n    return 0.5 * ((F - P) ** 2).sum()\n"
    write_solutions(tmp_path / "b", {"ex04": own_ex04, "ex08": good.replace("        x = x.clamp(0, 1)\n", "")})
    ex08 = grade_here(tmp_path / "b", "ex08", inputs)
    assert "x = x.clamp(0, 1)" in ex08.message
    assert ex08.message.endswith("(ex08 uses your ex01, ex02, ex04, ex05, ex06: check those pass first)")


@pytest.mark.ex08
def test_exercise_8_names_the_unattempted_piece_it_uses(tmp_path, inputs):
    grading.init_exercises(tmp_path)
    (tmp_path / "ex08_style_transfer.py").write_text(
        "from ex04_content_loss import content_loss\n"
        "def style_transfer_by_hand(model, content, style, **options):\n    return content_loss(content, content)\n")
    record = grade_here(tmp_path, "ex08", inputs)
    assert record.status == "fail" and record.points == 0
    assert "uses your exercise 4, which is not attempted yet" in record.message


def test_missing_function_and_syntax_error_are_reported(tmp_path, inputs):
    (tmp_path / "ex04_content_loss.py").write_text("def content_los(F, P):\n    return 0\n")
    (tmp_path / "ex07_tv_loss.py").write_text("def tv_loss(x):\n    return (x\n")
    record = grade_here(tmp_path, "ex04", inputs)
    assert record.status == "error" and "has no function content_loss" in record.message
    record = grade_here(tmp_path, "ex07", inputs)
    assert record.status == "error" and "SyntaxError at ex07_tv_loss.py line" in record.message


# ----------------------------------------------------------------------------- the subprocess path
def test_scratch_files_and_odd_characters_in_the_students_folder_do_not_stop_grading(tmp_path):
    write_solutions(tmp_path)
    (tmp_path / "random.py").write_text("x = 1\n")  # would shadow the standard module while torch is imported
    (tmp_path / "ex07_tv_loss.py").write_text(SOLUTIONS["ex07"] + "print('\\ud800')\n")  # a lone surrogate
    records = grading.grade(["ex04", "ex07"], tmp_path, timeout=30)
    assert [(r.status, r.points) for r in records] == [("pass", 4), ("pass", 4)], records
    assert records[1].output == "\\ud800\n"  # escaped: the record can be written as UTF-8


FAULTY = {
    "ex01_preprocess.py": "def preprocess(img):\n    scale = 255\n    return img * scale / 0 if False else 1 / 0\n"
                          "def deprocess(x):\n    return 1 / 0\n",
    "ex03_gram.py": "def gram_matrix(F):\n    while True:\n        pass\n"
                    "covariance_matrix = correlation_matrix = gram_matrix\n",
    "ex04_content_loss.py": "def content_loss(F, P):\n    return 'a loss'\n",
    "ex05_style_loss.py": "import os\ndef style_layer_loss(F, A):\n    os._exit(3)\nstyle_loss = style_layer_loss\n",
    "ex07_tv_loss.py": SOLUTIONS["ex07"].replace("def tv_loss(x):\n", "def tv_loss(x):\n    print('x' * 20_000)\n"),  # chatty, under grading.grader.PRINT_LIMIT
    "ex02_features.py": "from nst_teach.features import extract_features\n",  # the reference: refused
}


def test_raising_hanging_crashing_wrong_type_and_chatty_code_is_reported(tmp_path):
    for name, source in FAULTY.items():
        (tmp_path / name).write_text(source)
    records = {r.exercise: r for r in grading.grade(["ex01", "ex02", "ex03", "ex04", "ex05", "ex07"], tmp_path, timeout=3)}
    assert records["ex01"].status == "error"
    assert records["ex01"].message == ("preprocess(orange pixel RGB (1, 0.5, 0)): raised ZeroDivisionError at "
                                       "ex01_preprocess.py line 3: division by zero")  # which input, then where
    assert records["ex03"].status == "timeout" and records["ex03"].message.startswith("timed out after 3 s")
    assert records["ex04"].status == "fail" and "returns a str where a torch tensor is expected" in records["ex04"].message
    assert records["ex05"].status == "error" and "ended the grading process (exit code 3)" in records["ex05"].message
    assert records["ex02"].message == ("extract_features calls the library's reference "
                                       "nst_teach.features.extract_features: write it yourself")
    assert records["ex07"].status == "pass" and records["ex07"].points == records["ex07"].max_points
    assert len(records["ex07"].output) < 3000 and "characters in all]" in records["ex07"].output
    assert all(r.points == 0 for e, r in records.items() if e != "ex07")
    assert not (tmp_path / "__pycache__").exists()  # nothing written into the student's folder


def test_grade_command_passes_the_reference_with_exit_code_0(solutions, capsys):
    assert grading.run_grade_command(None, solutions, as_json=True) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["exercise"] for r in records] == list(EXERCISES)
    assert all(r["status"] == "pass" and r["points"] == r["max_points"] for r in records)
    assert all(r["student"] == "alice" and r["directory"] == str(solutions.resolve()) for r in records)


def test_class_folder_gives_one_record_per_student_and_exercise(tmp_path, capsys):
    write_solutions(tmp_path / "class" / "alice")
    grading.init_exercises(tmp_path / "class" / "bob")
    (tmp_path / "class" / "notes").mkdir()  # a folder without exercises is not a student
    assert grading.run_grade_command(["ex04", "7"], tmp_path / "class", as_json=True) == 1
    records = json.loads(capsys.readouterr().out)
    assert [(r["student"], r["exercise"], r["status"]) for r in records] == [
        ("alice", "ex04", "pass"), ("alice", "ex07", "pass"), ("bob", "ex04", "not attempted"), ("bob", "ex07", "not attempted")]
    assert set(records[0]) == {"exercise", "points", "max_points", "status", "message", "details", "output", "student",
                               "directory", "seconds", "flags"}
    assert set(records[0]["details"][0]) == {"check", "points", "max_points", "passed", "status", "message", "mistake"}
    table = grading.format_table([grading.Record(**r) for r in records])
    assert "alice" in table and "bob" in table and "8/8" in table and "0/8" in table


def test_grade_command_bad_input_exits_2(tmp_path, capsys):
    assert grading.run_grade_command(None, tmp_path / "missing") == 2
    assert "folder not found" in capsys.readouterr().err
    assert grading.run_grade_command(["ex9"], tmp_path) == 2
    assert "unknown exercise 'ex9'" in capsys.readouterr().err
    assert grading.run_grade_command(None, tmp_path) == 2  # empty: no exercise files anywhere
    assert "nst-teach exercises init" in capsys.readouterr().err


def test_format_table_lists_each_exercise_and_the_total():
    records = [grading.Record("ex03", 6, 8, "fail", "covariance_matrix(F): divided by n"), grading.Record("ex04", 4, 4, "pass", "")]
    lines = grading.format_table(records).splitlines()
    assert lines[0].split() == ["exercise", "points", "status", "message"]
    assert lines[2].split()[:3] == ["ex03", "6/8", "fail"] and lines[2].endswith("divided by n")
    assert lines[-1].split() == ["total", "10/12"]


@pytest.mark.ex04
def test_check_uses_the_grading_path_shows_the_verdict_and_returns_none(solutions, capsys):
    assert grading.check("ex04", directory=solutions) is None  # a notebook cell shows no Record repr
    assert capsys.readouterr().out.startswith("ex04 (content loss): 4/4 — pass")
    record = grading.check("ex04", directory=solutions, record=True)
    assert isinstance(record, grading.Record) and record.status == "pass"
    assert "ex04: 4/4" in grading.record_html(record) and "✓ hand example" in grading.record_html(record)


def test_check_refuses_a_class_folder_before_grading_anyone(tmp_path, monkeypatch, capsys):
    write_solutions(tmp_path / "alice")
    write_solutions(tmp_path / "bob")
    monkeypatch.setattr(grading.grader, "_grade_copy", lambda *args: pytest.fail("graded a student"))
    assert grading.check("ex04", directory=tmp_path) is None
    assert capsys.readouterr().out == "error: that folder holds several students' folders: give one of them as directory=…\n"


def test_exercise_names_are_normalised():
    assert grading.exercise_ids(["ex3", "4", 5, "ex07_tv_loss.py", "ex03"]) == ["ex03", "ex04", "ex05", "ex07"]
    assert grading.exercise_ids(None) == [f"ex0{i}" for i in range(1, 9)]
    with pytest.raises(NSTError, match="unknown exercise"):
        grading.exercise_ids(["ex10"])


# ----------------------------------------------------------------------------- init
def test_init_never_overwrites_and_says_so(tmp_path, capsys):
    folder = tmp_path / "deep" / "exercises"
    assert grading.run_init_command(folder) == 0
    assert len(list(folder.glob("ex0*.py"))) == 8
    mine = folder / "ex03_gram.py"
    mine.write_text("# my work\n")
    (folder / "ex05_style_loss.py").unlink()
    capsys.readouterr()
    assert grading.run_init_command(folder) == 0
    out = capsys.readouterr().out
    assert mine.read_text() == "# my work\n"
    assert f"kept {mine}" in out and f"wrote {folder / 'ex05_style_loss.py'}" in out
    assert out.count("kept ") == 7


def test_init_rejects_a_file(tmp_path, capsys):
    path = tmp_path / "file.txt"
    path.write_text("x")
    with pytest.raises(NSTError, match="is a file"):
        grading.init_exercises(path)
    assert grading.run_init_command(path) == 2
    assert path.read_text() == "x"


# ----------------------------------------------------------------------------- the folder, from a notebook
def test_folder_is_explicit_then_environment_then_here_then_exercises_then_parent(tmp_path, monkeypatch):
    monkeypatch.delenv("NST_TEACH_EXERCISES", raising=False)
    lessons = tmp_path / "repo" / "lessons"
    lessons.mkdir(parents=True)
    monkeypatch.chdir(lessons)
    assert grading.find_folder() is None
    with pytest.raises(NSTError, match="no exercise files here, in ./exercises or in ../exercises"):
        grading.resolve_directory()
    (tmp_path / "repo" / "exercises").mkdir()
    assert grading.find_folder() == tmp_path / "repo" / "exercises"  # a notebook kernel in lessons/
    (lessons / "exercises").mkdir()
    assert grading.find_folder() == lessons / "exercises"
    grading.init_exercises(lessons)
    assert grading.find_folder() == lessons  # "." holds exercise files
    monkeypatch.setenv("NST_TEACH_EXERCISES", str(tmp_path / "mine"))
    assert grading.find_folder() == tmp_path / "mine"
    with pytest.raises(NSTError, match=r"folder not found: .*mine \(from \$NST_TEACH_EXERCISES\)"):
        grading.resolve_directory()
    assert grading.find_folder(tmp_path / "given") == tmp_path / "given"


def test_check_without_an_exercise_folder_says_to_run_start_exercises(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("NST_TEACH_EXERCISES", raising=False)
    monkeypatch.chdir(tmp_path)
    assert grading.check("ex03") is None
    assert capsys.readouterr().out == ("no exercise files found: run `from nst_teach.grading import start_exercises; "
                                       "start_exercises()` to create them\n")
    assert grading.check("ex3O") is None  # a typo: one line, before looking for a folder
    assert capsys.readouterr().out == "error: unknown exercise 'ex3O': use ex01 … ex08 (e.g. nst-teach grade ex03)\n"


def test_start_exercises_makes_the_folder_never_overwrites_and_check_then_finds_it(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("NST_TEACH_EXERCISES", raising=False)
    monkeypatch.chdir(tmp_path)
    folder = grading.start_exercises()
    assert folder == tmp_path / "exercises" and len(list(folder.glob("ex0*.py"))) == len(EXERCISES)
    assert capsys.readouterr().out.startswith(f"{folder}: wrote {len(EXERCISES)} exercise files\nnext: ")
    (folder / "ex04_content_loss.py").write_text(SOLUTIONS["ex04"])
    assert grading.start_exercises() == folder
    assert (folder / "ex04_content_loss.py").read_text() == SOLUTIONS["ex04"]
    assert f"wrote 0 exercise files, kept the {len(EXERCISES)} already there" in capsys.readouterr().out
    assert grading.check("ex04", record=True).status == "pass"
    # A notebook in a clone's lessons/ uses the repository's exercises/ (../exercises).
    (tmp_path / "lessons").mkdir()
    monkeypatch.chdir(tmp_path / "lessons")
    assert grading.start_exercises() == folder and not (tmp_path / "lessons" / "exercises").exists()


# ----------------------------------------------------------------------------- the referee
CHEATS = {
    "import": "from nst_teach.losses import tv_loss\n",
    "package attribute": "import nst_teach as nt\ntv_loss = nt.tv_loss\n",
    "star import": "from nst_teach.losses import *\n",
    "importlib": "import importlib\ntv_loss = importlib.import_module('nst_teach.losses').tv_loss\n",
    "thin wrapper": "import nst_teach as nt\ndef tv_loss(x):\n    return nt.tv_loss(x)\n",
    "wrapper of another module's copy": "from nst_teach import transfer, losses\n"
                                        "def tv_loss(x):\n    return getattr(losses, 'tv_loss')(x)\n",
}


@pytest.mark.ex07
@pytest.mark.parametrize("source", CHEATS.values(), ids=list(CHEATS))
def test_the_reference_itself_or_a_wrapper_of_it_scores_0(source, tmp_path, inputs):
    import nst_teach.losses

    original = nst_teach.losses.tv_loss
    (tmp_path / "ex07_tv_loss.py").write_text(source)
    record = grade_here(tmp_path, "ex07", inputs)
    assert (record.points, record.status) == (0, "fail"), record.details
    assert record.message == "tv_loss calls the library's reference nst_teach.losses.tv_loss: write it yourself"
    assert all(d["mistake"] == "reference" for d in record.details)
    assert nst_teach.losses.tv_loss is original and nst_teach.tv_loss is original  # the stand-ins are gone


@pytest.mark.ex05
def test_only_the_function_that_uses_the_reference_loses_its_points(tmp_path, inputs):
    own_style_loss = SOLUTIONS["ex05"][SOLUTIONS["ex05"].index("def style_loss"):]
    write_one(tmp_path, "ex05", "from nst_teach.losses import style_layer_loss\n" + own_style_loss)
    details = {d["check"]: d for d in grade_here(tmp_path, "ex05", inputs).details}
    assert details["style_loss: layer weights"]["passed"]  # the grader's own swap to the reference is not the student's
    assert all(d["points"] == 0 and d["message"].startswith("style_layer_loss calls the library's reference "
                                                            "nst_teach.losses.style_layer_loss")
               for name, d in details.items() if name != "style_loss: layer weights")


@pytest.mark.ex08
def test_ex08_may_use_library_helpers_but_not_the_reference_loop(tmp_path, inputs):
    helpers = SOLUTIONS["ex08"].replace("from ex04_content_loss import content_loss\n",
                                        "from nst_teach.losses import content_loss\n")
    write_one(tmp_path, "ex08", helpers)
    record = grade_here(tmp_path, "ex08", inputs)
    assert (record.status, record.points) == ("pass", record.max_points), record.details
    write_one(tmp_path, "ex08", "import nst_teach.transfer as t\n"
                                "def style_transfer_by_hand(*args, **kwargs):\n    return t.style_transfer_by_hand(*args, **kwargs)\n")
    record = grade_here(tmp_path, "ex08", inputs)
    assert record.points == 0 and "the library's reference nst_teach.transfer.style_transfer_by_hand" in record.message


# ----------------------------------------------------------------------------- one source for the templates
def test_the_wheel_ships_the_top_level_exercises_as_the_templates(tmp_path):
    """A wheel built from this tree holds exercises/ as nst_teach/exercises, and the installed grader uses them."""
    import os
    import shutil
    import subprocess
    import zipfile

    root = Path(__file__).parents[1]
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, tree / name)
    for name in ("nst_teach", "exercises"):
        shutil.copytree(root / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "whl"),
                    str(tree)], check=True, capture_output=True)
    (wheel,) = (tmp_path / "whl").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site")
    templates = sorted((root / "exercises").glob("ex*.py"))
    assert [p.name for p in templates] == [spec.file for spec in EXERCISES.values()]
    for template in templates:
        assert (tmp_path / "site" / "nst_teach" / "exercises" / template.name).read_text() == template.read_text()
    script = "from nst_teach.grading import folder; print(folder.templates_folder())"
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(tmp_path / "site")}).stdout
    assert Path(out.strip()) == tmp_path / "site" / "nst_teach" / "exercises"
    # and the rest of the package: every module of the tree is in the wheel (pyproject lists packages by hand)
    modules = {p.relative_to(root).as_posix() for p in (root / "nst_teach").rglob("*.py")}
    assert modules <= {p.relative_to(tmp_path / "site").as_posix() for p in (tmp_path / "site" / "nst_teach").rglob("*.py")}


# ----------------------------------------------------------------------------- student_function (lessons draw with it)


def test_student_function_yours_when_it_passes_then_the_reference_with_the_hint(tmp_path, capsys, monkeypatch):
    """Through the real grader: a passing file is used; an edit (no restart) to a named mistake or a
    syntax error falls back to the reference with a one-line note; a fixed file is used again."""
    import numpy as np

    from nst_teach.grading import student_function
    from nst_teach.gram import gram_matrix as reference

    folder = write_solutions(tmp_path / "bob")
    monkeypatch.setenv("NST_TEACH_EXERCISES", str(folder))
    F = np.array([[19.0, 20.0], [9.0, 8.0]])

    gram = student_function("ex03", "gram_matrix")
    assert gram.source == "yours" and capsys.readouterr().out.startswith("✓ using your gram_matrix")
    assert gram.__wrapped__.__module__ == "ex03_gram" and np.array_equal(gram(F), [[761, 331], [331, 145]])

    (folder / "ex03_gram.py").write_text(wrong_source("ex03", "wrong_ex03", "gram_div_M"))
    gram = student_function("ex03", "gram_matrix")
    out = capsys.readouterr().out
    assert gram.source == "reference" and gram.__wrapped__ is reference
    assert len(out.strip().splitlines()) == 1 and "does not pass ex03 yet" in out and "normalised by M" in out
    assert np.array_equal(gram(F), [[761, 331], [331, 145]])  # the lesson goes on with the right numbers

    (folder / "ex03_gram.py").write_text("def gram_matrix(F:\n")
    gram = student_function("ex03", "gram_matrix")
    assert gram.source == "reference" and "SyntaxError" in capsys.readouterr().out

    (folder / "ex03_gram.py").write_text(SOLUTIONS["ex03"] + "\nMARK = 'edited'\n")  # no kernel restart needed
    gram = student_function("ex03", "gram_matrix")
    assert gram.source == "yours" and sys.modules["ex03_gram"].MARK == "edited"
    assert not list(folder.glob("__pycache__"))


def test_student_function_falls_back_when_not_attempted_or_no_folder(tmp_path, capsys, monkeypatch):
    from nst_teach.grading import init_exercises, student_function
    from nst_teach.losses import tv_loss

    monkeypatch.chdir(tmp_path)  # no exercises here, in ./exercises or in ../exercises
    monkeypatch.delenv("NST_TEACH_EXERCISES", raising=False)
    tv = student_function("ex07", "tv_loss")
    assert tv.source == "reference" and tv.__wrapped__ is tv_loss
    assert "start_exercises()" in capsys.readouterr().out

    init_exercises(tmp_path / "exercises")  # the untouched templates
    tv = student_function("ex07", "tv_loss")
    assert tv.source == "reference" and "not attempted" in capsys.readouterr().out
    with pytest.raises(NSTError, match="gram_matrix"):
        student_function("ex03", "gram")
