"""A class to CSV (`grade --csv`, `--jobs`), what students hand in (`submission.collect`), and the
students' `reset_exercise` / `submission_zip`. Only the class runs start grading processes."""

import csv
import datetime
import io
import zipfile
from pathlib import Path

import pytest

from nst_teach import cli, grading
from nst_teach.grading import gradebook, limits
from nst_teach.grading.submission import collect

SOLUTIONS_DIR = Path(__file__).parent / "solutions"
EXERCISES = grading.exercises()
SOLUTIONS = {e: (SOLUTIONS_DIR / spec.file).read_text() for e, spec in EXERCISES.items()}
CLASS_EXERCISES = ["ex04", "ex07"]  # two quick exercises: the class runs are about rows, not checks


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """alice (a folder, right), bob (a zip, ex07 missing), carol (a folder whose ex04 crashes Python), and
    dave (a folder of notes only)."""
    root = tmp_path_factory.mktemp("class") / "submissions"
    (root / "alice").mkdir(parents=True)
    for e in CLASS_EXERCISES:
        (root / "alice" / EXERCISES[e].file).write_text(SOLUTIONS[e])
    with zipfile.ZipFile(root / "bob.zip", "w") as archive:
        archive.writestr("bob/ex04_content_loss.py", SOLUTIONS["ex04"])
    (root / "carol").mkdir()
    (root / "carol" / "ex04_content_loss.py").write_text("import os\n\ndef content_loss(F, P):\n    os._exit(7)\n")
    (root / "carol" / "ex07_tv_loss.py").write_text(SOLUTIONS["ex07"])
    (root / "dave").mkdir()
    (root / "dave" / "notes.txt").write_text("I will do it tomorrow\n")
    return root


@pytest.fixture(scope="module")
def graded(klass, tmp_path_factory):
    """The class graded by the command line with --jobs 2 and with --jobs 1: {jobs: (exit code, CSV text)}."""
    out = {}
    for jobs in (2, 1):
        path = tmp_path_factory.mktemp(f"jobs{jobs}") / "grades.csv"
        code = cli.main(["grade", "ex04", "ex07", "--dir", str(klass), "--csv", str(path), "--jobs", str(jobs), "--timeout", "60"])
        out[jobs] = (code, path.read_text())
    return out


def test_class_csv_has_a_row_per_student_even_when_one_crashes(graded, klass):
    code, text = graded[2]
    rows = list(csv.reader(io.StringIO(text)))
    assert code == 0
    assert rows[0] == ["student", "ex04", "ex07", "total", "status", "flags"]
    assert rows[1] == ["Points Possible", "4", "4", "8", "", ""]
    table = {row[0]: row[1:] for row in rows[2:]}
    assert list(table) == ["alice", "bob", "carol", "dave"]
    assert table["alice"] == ["4", "4", "8", "ok", ""]
    assert table["bob"] == ["4", "0", "4", "ok", ""]  # from his zip; ex07 not submitted
    assert table["carol"][:3] == ["0", "4", "4"] and table["carol"][3].startswith("ex04: ended the grading process (exit code 7)")
    assert table["carol"][4] == "ex04: ends the process: os._exit, line 4"  # what the instructor reads
    assert table["dave"] == ["0", "0", "0", "no exercise files found", ""]
    assert not list(klass.parent.glob("**/.grades.csv.partial"))


def test_jobs_2_gives_the_same_csv_as_jobs_1(graded):
    assert graded[2] == graded[1]


def test_grade_csv_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    assert cli.main(["grade", "--dir", str(tmp_path / "missing"), "--csv", str(tmp_path / "g.csv")]) == 2
    assert capsys.readouterr().err.startswith("error: class folder not found")
    assert cli.main(["grade", "--dir", str(tmp_path), "--csv", str(tmp_path / "no" / "g.csv")]) == 2
    assert "folder not found" in capsys.readouterr().err
    assert cli.main(["grade", "--dir", str(tmp_path), "--csv", str(tmp_path / "g.csv"), "--jobs", "0"]) == 2
    err = capsys.readouterr().err
    assert "--jobs" in err and len(err.strip().splitlines()) == 1
    assert cli.main(["grade", "--dir", str(tmp_path), "--csv", str(tmp_path / "g.csv")]) == 2  # an empty class
    assert "no student folders or zips" in capsys.readouterr().err
    assert not (tmp_path / "g.csv").exists()


def test_to_csv_orders_columns_and_totals():
    book = {"ids": ["ex03", "ex05"], "points": {"ex03": 8, "ex05": 6},
            "rows": [{"student": "zoë, the second", "ex03": 6, "ex05": 0, "total": 6, "status": "ex05: timed out",
                      "flags": "ex03: uses ctypes: ctypes, line 1"}]}
    rows = list(csv.reader(io.StringIO(gradebook.to_csv(book))))
    assert rows == [["student", "ex03", "ex05", "total", "status", "flags"], ["Points Possible", "8", "6", "14", "", ""],
                    ["zoë, the second", "6", "0", "6", "ex05: timed out", "ex03: uses ctypes: ctypes, line 1"]]


def test_a_worker_over_its_memory_limit_is_stopped_and_the_next_exercise_graded(tmp_path):
    """1 GiB held on top of the student's process's ~0.7 GB, under a 1.2 GiB limit: stopped by the parent, not by the timeout."""
    (tmp_path / "ex07_tv_loss.py").write_text("import time\nimport numpy as np\n\n\ndef tv_loss(x):\n"
                                              "    hog = np.ones(2**27)  # 1 GiB, touched\n    time.sleep(60)\n")
    (tmp_path / "ex04_content_loss.py").write_text(SOLUTIONS["ex04"])
    hog, fine = grading.grade(["ex07", "ex04"], tmp_path, timeout=50, memory=int(1.2 * 2**30))
    assert (hog.status, hog.points) == ("error", 0) and hog.message.startswith("used more than 1.2 GB of memory")
    assert fine.status == "pass"  # a new worker, after the one that was stopped


# ----------------------------------------------------------------------------- what a student hands in
def test_collect_finds_files_loose_nested_and_zipped_and_says_what_it_ignored(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "ex03_gram.py").write_text("top = 1\n")
    (tmp_path / "a" / "b" / "ex03_gram.py").write_text("deeper = 1\n")
    (tmp_path / "ex04.py").write_text("x = 1\n")
    (tmp_path / "helpers.py").write_text("h = 1\n")
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "__MACOSX" / "ex05_style_loss.py").write_text("junk\n")
    with zipfile.ZipFile(tmp_path / "upload.zip", "w") as archive:
        archive.writestr("work/ex07_tv_loss.py", "z = 1\n")
        archive.writestr("../../evil/ex01_preprocess.py", "escape\n")
    sub = collect(tmp_path, EXERCISES)
    assert sub.files["ex03_gram.py"] == b"top = 1\n" and sub.files["ex07_tv_loss.py"] == b"z = 1\n"
    assert sub.files["helpers.py"] == b"h = 1\n"  # a helper module goes along, but is not an exercise
    assert set(sub.exercise_files(EXERCISES)) == {"ex03", "ex07"}
    assert "ex07_tv_loss.py ← upload.zip/work/ex07_tv_loss.py" in sub.found
    assert any("ex04.py: not an exercise file name (rename it ex04_content_loss.py)" in i for i in sub.ignored)
    assert any("a/b/ex03_gram.py: a second ex03_gram.py" in i for i in sub.ignored)
    assert "ex05_style_loss.py" not in sub.files and "ex01_preprocess.py" not in sub.files


def test_restore_puts_back_exactly_the_files(tmp_path):
    files = {"ex03_gram.py": b"a\n", "helpers.py": b"b\n"}
    limits.restore(tmp_path / "copy", files)
    (tmp_path / "copy" / "ex03_gram.py").unlink()
    (tmp_path / "copy" / "helpers.py").write_text("changed\n")
    (tmp_path / "copy" / "junk").mkdir()
    limits.restore(tmp_path / "copy", files)
    assert {p.name: p.read_bytes() for p in (tmp_path / "copy").iterdir()} == files


# ----------------------------------------------------------------------------- reset and zip
def test_reset_keeps_a_dated_backup_and_restores_the_template(tmp_path, capsys):
    grading.init_exercises(tmp_path)
    template = (tmp_path / "ex03_gram.py").read_text()
    (tmp_path / "ex03_gram.py").write_text("# my attempt\n")
    target, backup = grading.reset_exercise("ex03", tmp_path, now=datetime.datetime(2026, 3, 1, 9, 30, 5))
    assert target.read_text() == template
    assert backup == tmp_path / "ex03_gram.py.20260301-093005.bak" and backup.read_text() == "# my attempt\n"
    assert grading.reset_exercise("3", tmp_path)[1] is None  # the template already: nothing to keep
    assert cli.main(["exercises", "reset", "ex9", "--dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: unknown exercise 'ex9'")
    (tmp_path / "ex04_content_loss.py").write_text("# mine\n")
    assert cli.main(["exercises", "reset", "ex04", "--dir", str(tmp_path)]) == 0
    assert "kept your file as" in capsys.readouterr().out
    assert len(list(tmp_path.glob("ex04_content_loss.py.*.bak"))) == 1


def test_submission_zip_holds_the_exercise_files_flat_and_names_untouched_templates(tmp_path, capsys):
    folder = tmp_path / "exercises"
    grading.init_exercises(folder)
    (folder / "ex03_gram.py").write_text(SOLUTIONS["ex03"])
    (folder / "scratch.py").write_text("x = 1\n")
    out = tmp_path / "up.zip"
    assert cli.main(["exercises", "zip", "--dir", str(folder), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == sorted(spec.file for spec in EXERCISES.values())
        assert archive.read("ex03_gram.py").decode() == SOLUTIONS["ex03"]
    assert "ex01, ex02, ex04" in printed and "ex03" not in printed.split("note:")[1]
    assert collect(out, EXERCISES).files["ex03_gram.py"].decode() == SOLUTIONS["ex03"]  # what the autograder reads
    assert cli.main(["exercises", "zip", "--dir", str(folder), "-o", str(tmp_path / "up.txt")]) == 2
    assert "give a .zip file name" in capsys.readouterr().err


def test_autograder_command_bad_input_exits_2(tmp_path, capsys):
    assert cli.main(["autograder", "-o", str(tmp_path / "a.tar")]) == 2
    assert "is a .zip file" in capsys.readouterr().err
    assert cli.main(["autograder", "-o", str(tmp_path / "a.zip"), "--exercises", "ex01,ex12"]) == 2
    assert "unknown exercise 'ex12'" in capsys.readouterr().err
    assert not (tmp_path / "a.zip").exists()
