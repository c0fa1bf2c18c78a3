"""The attack suite: student files that try to get marks they did not earn (tests/attacks/).

Each attack is graded the way a course grades: on Gradescope's layout through ``run_autograder`` (in
a temporary root, as root: the student's process in bubblewrap, or as an unprivileged user), with
``nst-teach grade``, and in a class folder with ``--dir``. What each must get is stated beside it:
below full marks or flagged for the instructor, and results.json, the other exercises' grades and
the classmates' files exactly as an honest run leaves them. Three gradings in all (each of several
attacks at once), so the suite stays under a minute and a half.
"""

import csv
import io
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from nst_teach import cli, grading
from nst_teach.grading import sandbox
from test_autograder import built, by_exercise, run_autograder  # noqa: F401  (built: the zip, a fixture)

HERE = Path(__file__).parent
ATTACKS = HERE / "attacks"
EXERCISES = grading.exercises()
SOLUTIONS = {e: (HERE / "solutions" / spec.file).read_text() for e, spec in EXERCISES.items()}
# ex08 on nst_teach's own pieces (allowed there): its grade cannot depend on the attacked ex01 … ex06
EX08_ON_THE_LIBRARY = SOLUTIONS["ex08"].replace("from ex01_preprocess import preprocess", "from nst_teach.preprocess import preprocess") \
    .replace("from ex02_features import extract_features", "from nst_teach.features import extract_features") \
    .replace("from ex04_content_loss import content_loss", "from nst_teach.losses import content_loss") \
    .replace("from ex05_style_loss import style_loss", "from nst_teach.losses import style_loss") \
    .replace("from ex06_gradient_descent import AdamState, adam_step", "from nst_teach.optim import AdamState, adam_step")
TOKEN = "nst-attack-outlives-613"


def attack(name, **fill):
    text = (ATTACKS / f"{name}.py").read_text()
    for key, value in fill.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def readable_folder(prefix):
    """A temporary folder every user may read (the student's process may run as nobody)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    return folder


def survivors():
    """Processes left running by ex02_outlives_the_exercise.py."""
    found = []
    for pid in sandbox.process_tree(1):
        try:
            if TOKEN in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                found.append(pid)
        except OSError:
            pass
    return found


def flags_of(results, exercise):
    return next(t for t in results["tests"] if t["name"].startswith(exercise))["output"]


# ----------------------------------------------------------------------------- on Gradescope's layout
NO_SANDBOX = "no sandbox here (no bubblewrap, not root): the students' code runs with the grader's rights, as " \
             "nst-teach grade --dir warns"


@pytest.fixture(scope="module")
def gradescope(built):  # noqa: F811
    """mallory's upload: one attack per exercise 1–7, an honest ex08; run as Gradescope runs it."""
    if sandbox.choose().mode == "none":
        pytest.skip(NO_SANDBOX)
    root = readable_folder("nst-attack-gradescope-")
    files = {
        "ex01_preprocess.py": attack("ex01_writes_into_the_channel"),
        "ex02_features.py": attack("ex02_outlives_the_exercise"),
        "ex03_gram.py": attack("ex03_patches_the_comparison"),
        "ex04_content_loss.py": attack("ex04_calls_the_operator"),
        "ex05_style_loss.py": attack("ex05_reads_the_grader_s_frames"),
        "ex06_gradient_descent.py": attack("ex06_patches_the_grader_at_import"),
        "ex07_tv_loss.py": attack("ex07_forges_results_and_kills_the_grader", RESULTS=root / "results" / "results.json"),
        "ex08_style_transfer.py": EX08_ON_THE_LIBRARY,
    }
    try:
        yield run_autograder(built, root, files), root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_results_json_is_the_grader_s_own_with_the_honest_exercise_at_full_marks(gradescope):
    results, root = gradescope
    tests = by_exercise(results)
    assert results["score"] != 999 and results["score"] == sum(t["score"] for t in results["tests"])
    assert sum(t["score"] for t in tests["ex08"]) == EXERCISES["ex08"].max_points  # graded as an honest run grades it
    assert sum(t["score"] for t in tests["ex02"]) == EXERCISES["ex02"].max_points  # a right answer stays right
    assert all(t["score"] == 0 for t in tests["ex07"])  # the forger: its write failed or went nowhere
    assert (root / "results" / "results.json").stat().st_uid == os.geteuid()


def test_patching_the_comparison_or_the_grader_changes_nothing_but_is_flagged(gradescope):
    results, _ = gradescope
    tests = by_exercise(results)
    for exercise in ("ex03", "ex06"):
        assert sum(t["score"] for t in tests[exercise]) < EXERCISES[exercise].max_points / 2
        assert "imports the grader: nst_teach.grading" in flags_of(results, exercise)


def test_the_operator_behind_a_ready_made_loss_is_refused(gradescope):
    tests = by_exercise(gradescope[0])["ex04"]
    assert all(t["score"] == 0 for t in tests)
    assert "torch's ready-made answer to this exercise" in tests[0]["output"]


def test_reading_the_callers_frames_finds_nothing_and_is_flagged(gradescope):
    results, _ = gradescope
    assert sum(t["score"] for t in by_exercise(results)["ex05"]) < EXERCISES["ex05"].max_points
    assert "looks at stack frames: sys._getframe" in flags_of(results, "ex05")


def test_lines_written_into_the_channel_cost_only_that_exercise(gradescope):
    results, _ = gradescope
    tests = by_exercise(results)
    assert sum(t["score"] for t in tests["ex01"]) < EXERCISES["ex01"].max_points
    assert "reads or writes files: os.write" in flags_of(results, "ex01")


def test_a_process_started_by_the_student_does_not_outlive_the_grading(gradescope):
    deadline = time.monotonic() + 5
    while survivors() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert survivors() == []
    assert "sends signals or starts processes" in flags_of(gradescope[0], "ex02")


# ----------------------------------------------------------------------------- nst-teach grade
@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """Another student graded with `nst-teach grade`: more attacks, each beside an exercise graded after it."""
    folder = readable_folder("nst-attack-local-")
    files = {
        "ex01_preprocess.py": attack("ex01_finds_the_original_with_gc"),
        "ex02_features.py": SOLUTIONS["ex02"],
        "ex03_gram.py": attack("ex03_takes_a_default_argument"),
        "ex04_content_loss.py": attack("ex04_returns_a_huge_tensor"),
        "ex05_style_loss.py": attack("ex05_switches_off_the_watch"),
        "ex06_gradient_descent.py": attack("ex06_leaves_a_thread_writing"),
        "ex07_tv_loss.py": attack("ex07_runs_the_reference_s_source"),
        "ex08_style_transfer.py": EX08_ON_THE_LIBRARY,
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    try:
        yield {r.exercise: r for r in grading.grade(None, folder, timeout=60)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_library_s_function_dug_out_of_memory_is_flagged(local):
    assert any(flag.startswith("uses the garbage collector: gc") for flag in local["ex01"].flags)
    assert local["ex03"].flags == ["reaches into functions' internals: nst_teach.losses.style_layer_loss.__defaults__, line 4"]


def test_a_pasted_reference_run_from_nst_teach_s_source_is_flagged(local):
    flags = " | ".join(local["ex07"].flags)
    assert "looks up source files (nst-teach's or its own): nst_teach.losses.__file__, line 6" in flags
    assert "runs code it builds at run time: exec" in flags
    assert local["ex07"].status == "pass"  # it computes the right thing: the instructor decides, from the flags


def test_switching_off_the_operator_watch_is_flagged(local):
    assert any(flag.startswith("switches off torch's watch on operators") for flag in local["ex05"].flags)


def test_a_result_too_large_to_send_is_an_error_and_the_rest_is_graded(local):
    assert local["ex04"].points == 0 and "the result cannot be sent back" in local["ex04"].message
    assert local["ex02"].status == "pass" and local["ex08"].status == "pass"


def test_a_thread_left_writing_does_not_reach_the_next_exercise(local):
    ex06 = local["ex06"]  # right answers, but its own replies may arrive garbled: then the exercise says why
    assert ex06.status == "pass" or (ex06.status == "error" and "write into the grader's pipes" in ex06.message), ex06
    assert local["ex07"].points == EXERCISES["ex07"].max_points  # graded by a fresh process, undisturbed


# ----------------------------------------------------------------------------- a class
@pytest.fixture(scope="module")
def klass():
    """alice (honest) and mallory, whose ex07 rewrites alice's answer while the class is graded, and whose
    ex04 closes its pipes to the grader and runs on."""
    if sandbox.choose().mode == "none":
        pytest.skip(NO_SANDBOX)
    root = readable_folder("nst-attack-class-")
    alice = root / "submissions" / "alice"
    alice.mkdir(parents=True)
    (alice / "ex07_tv_loss.py").write_text(SOLUTIONS["ex07"])
    (alice / "ex04_content_loss.py").write_text(SOLUTIONS["ex04"])
    (root / "submissions" / "mallory").mkdir()
    (root / "submissions" / "mallory" / "ex04_content_loss.py").write_text(attack("ex04_closes_the_grader_s_pipes"))
    (root / "submissions" / "mallory" / "ex07_tv_loss.py").write_text(
        attack("ex07_writes_into_a_classmate_s_folder", CLASSMATE=alice / "ex07_tv_loss.py"))
    try:
        code = cli.main(["grade", "ex04", "ex07", "--dir", str(root / "submissions"), "--csv", str(root / "grades.csv"),
                         "--timeout", "30"])
        yield code, root, list(csv.reader(io.StringIO((root / "grades.csv").read_text())))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_a_classmate_s_folder_cannot_be_written(klass):
    code, root, rows = klass
    assert code == 0
    assert (root / "submissions" / "alice" / "ex07_tv_loss.py").read_text() == SOLUTIONS["ex07"]
    table = {row[0]: row for row in rows[2:]}
    assert table["alice"][1:5] == ["4", "4", "8", "ok"]
    assert "reads or writes files" in table["mallory"][5]  # the CSV's flags column


def test_a_process_that_closes_its_pipes_and_runs_on_is_stopped(klass):
    _, _, rows = klass
    mallory = {row[0]: row for row in rows[2:]}["mallory"]
    assert mallory[1] == "0" and mallory[4].startswith("ex04: ended the grading process (it closed its pipes to the "
                                                       "grader and was stopped)")
