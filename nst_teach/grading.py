"""Graded exercises: copy the templates, let the student fill them in, grade them and name the mistake.

Student:     nst-teach exercises init exercises/   → exercises/ex01_preprocess.py … ex08_style_transfer.py
             (edit one, replacing its `raise NotImplementedError`)
             nst-teach grade ex03 --dir exercises/   or, in a notebook:  check("ex03")
Instructor:  nst-teach grade --dir submissions/ --json > gradebook.json
             (submissions/ holds one folder per student, each with the ex*.py files)

How grading runs. Each graded folder gets one fresh Python process (``python -m nst_teach.grading
--worker …``, started in an empty temporary folder) that imports torch, then puts the student's folder
first on ``sys.path`` (so a scratch file such as random.py there cannot shadow the standard library
while torch loads), imports the exercise files and runs the
checks of `nst_teach.checks` on them, exercise by exercise. Student code therefore never runs in the
caller's process: an infinite loop, a crash, ``sys.exit()`` or a megabyte of prints cannot take the
grader down, and nothing leaks from one student's folder into another's. The worker reports each
exercise as it starts and finishes; the parent kills it when one exercise exceeds ``timeout``
seconds, records "timeout" for that exercise, and starts a new worker for the rest. `check()` (for
notebooks) and `grade()` (for the CLI) are the same code path.
"""

import html
import importlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import NSTError

DEFAULT_TIMEOUT = 60.0  # seconds per exercise; the reference solutions take < 2 s each
STARTUP_TIMEOUT = 180.0  # seconds for the worker to import torch before its first exercise
OUTPUT_LIMIT = 2000  # characters of a student's printed output kept in a record


@dataclass
class Record:
    """The grade of one exercise of one student folder. ``details``: one dict per check
    (check, points, max_points, passed, message, mistake)."""

    exercise: str
    points: int
    max_points: int
    status: str  # "pass", "fail", "not attempted", "error" or "timeout"
    message: str  # the hint of the first failing check ("" when everything passes)
    details: list = field(default_factory=list)
    output: str = ""  # what the student's code printed (truncated)
    student: str = ""  # the folder's name
    directory: str = ""
    seconds: float = 0.0


# ----------------------------------------------------------------------------- exercises and folders
def exercise_ids(exercises=None):
    """["ex03", 5, "ex5", "ex05_style_loss.py"] → ["ex03", "ex05"]; None → all eight, in order."""
    from .checks import EXERCISES

    if exercises is None or len(exercises) == 0:
        return list(EXERCISES)
    ids = []
    for name in exercises:
        match = re.fullmatch(r"(?:ex)?0?([1-9])(?:_\w+)?(?:\.py)?", str(name).strip().lower())
        exercise = f"ex0{match.group(1)}" if match else None
        if exercise not in EXERCISES:
            raise NSTError(f"unknown exercise {name!r}: use ex01 … ex08 (e.g. nst-teach grade ex03)")
        if exercise not in ids:
            ids.append(exercise)
    return ids


def _has_exercises(folder):
    return any(folder.glob("ex0[1-8]_*.py"))


def resolve_directory(directory=None):
    """The folder to grade. None or ".": the current folder if it holds ex*.py files, else its
    ``exercises/`` subfolder if that exists, else the current folder."""
    if directory is None or str(directory) == ".":
        here = Path.cwd()
        if not _has_exercises(here) and _has_exercises(here / "exercises"):
            return here / "exercises"
        return here
    folder = Path(directory).expanduser()
    if not folder.exists():
        raise NSTError(f"folder not found: {folder}: create it with `nst-teach exercises init {folder}`")
    if not folder.is_dir():
        raise NSTError(f"{folder} is not a folder: give the folder that holds ex01_preprocess.py …")
    return folder


def student_folders(folder):
    """[folder] if it holds exercise files; else its subfolders that do (a class of submissions)."""
    if _has_exercises(folder):
        return [folder]
    students = sorted(p for p in folder.iterdir() if p.is_dir() and _has_exercises(p))
    if not students:
        raise NSTError(f"no exercise files (ex01_preprocess.py …) in {folder} or its subfolders: "
                       f"run `nst-teach exercises init {folder}` first")
    return students


def _templates():
    from importlib.resources import files

    folder = files("nst_teach") / "exercises"
    return sorted((p for p in folder.iterdir() if re.fullmatch(r"ex0[1-8]_\w+\.py", p.name)), key=lambda p: p.name)


def init_exercises(directory, *, on_skip=None):
    """Copy fresh exercise templates into ``directory`` (created if needed). Returns the files written.

    A file that already exists is never overwritten: it is skipped and ``on_skip(path)`` is called,
    so nothing the student wrote is ever lost.
    """
    folder = Path(directory).expanduser()
    if folder.exists() and not folder.is_dir():
        raise NSTError(f"{folder} is a file: give a folder for the exercises (e.g. exercises/)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise NSTError(f"cannot create {folder} ({err.strerror}): choose a folder you can write to") from None
    written = []
    for template in _templates():
        target = folder / template.name
        try:
            with open(target, "x", encoding="utf-8") as out:  # "x": fails if it exists, even in a race
                out.write(template.read_text(encoding="utf-8"))
        except FileExistsError:
            if on_skip is not None:
                on_skip(target)
            continue
        except OSError as err:
            raise NSTError(f"cannot write {target} ({err.strerror}): choose a folder you can write to") from None
        written.append(target)
    return written


# ----------------------------------------------------------------------------- grading
def grade(exercises=None, directory=None, timeout=DEFAULT_TIMEOUT):
    """Grade the exercises (default: all) in ``directory`` (see `resolve_directory`). Returns one
    `Record` per exercise, or per student × exercise when ``directory`` holds students' folders."""
    ids = exercise_ids(exercises)
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise NSTError(f"timeout must be a positive number of seconds, got {timeout!r}")
    from tqdm import tqdm

    records, folders = [], student_folders(resolve_directory(directory))
    # A class takes a few seconds per student: show progress (on a terminal only, and only for a class).
    for folder in tqdm(folders, desc="grading", unit="student", disable=None if len(folders) > 1 else True, leave=False):
        records += _grade_folder(folder.resolve(), ids, timeout)
    return records


def _grade_folder(folder, ids, timeout):
    """Run the worker on one folder; on a timeout or crash, record it and restart for the rest."""
    records, pending = {}, list(ids)
    while pending:
        with tempfile.TemporaryDirectory(prefix="nst-grade-") as tmp:
            log, errors = Path(tmp) / "events.jsonl", Path(tmp) / "stderr.txt"
            log.touch()
            with open(errors, "w+b") as stderr:
                command = [sys.executable, "-m", "nst_teach.grading", "--worker", str(log), str(folder), *pending]
                env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1"}
                # cwd: `-m` puts the working folder first on sys.path, before torch is imported.
                process = subprocess.Popen(command, cwd=tmp, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                           stderr=stderr, env=env)
                lost, current = _watch(process, folder, log, records, pending, timeout)
                stderr.seek(0)
                tail = " ".join(stderr.read().decode("utf-8", "replace").strip().splitlines()[-3:])
        if current is not None:  # the worker died while grading this exercise
            why = (f"ended the grading process (exit code {process.returncode}) — does it call sys.exit(), "
                   f"os._exit() or crash Python? {tail}")
            records[current] = _record(folder, current, "error", why.strip())
            pending.remove(current)
        else:  # it died (or hung) before its first exercise: nothing would go better a second time
            for exercise in lost:
                why = f"the grading process did not start (exit code {process.returncode}): {tail}"
                records[exercise] = _record(folder, exercise, "error", why.strip())
                pending.remove(exercise)
    return [records[e] for e in ids]


def _watch(process, folder, log, records, pending, timeout):
    """Follow the worker's event log until it exits or times out. Returns (exercises without a
    record, the exercise running when the worker stopped)."""
    offset, current, started, seen = 0, None, time.monotonic(), False
    deadline = started + STARTUP_TIMEOUT
    while True:
        finished = process.poll() is not None
        with open(log, "rb") as events:
            events.seek(offset)
            data = events.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line still being written waits for the next round
        offset += len(complete)
        for line in complete.decode("utf-8").splitlines():
            event = json.loads(line)
            if event["event"] == "start":
                current, started, seen = event["exercise"], time.monotonic(), True
            else:
                record = Record(**event["record"])
                records[record.exercise] = record
                pending.remove(record.exercise)
                current = None
        if finished:
            return list(pending), current
        now = time.monotonic()
        if current is not None and now - started > timeout:
            process.kill()
            process.wait()
            records[current] = _record(folder, current, "timeout",
                                       f"timed out after {timeout:g} s — is there an infinite loop?")
            pending.remove(current)
            return [], None
        if not seen and now > deadline:
            process.kill()
            process.wait()
            return list(pending), None
        time.sleep(0.02)


def _record(folder, exercise, status, message):
    from .checks import EXERCISES

    return Record(exercise, 0, EXERCISES[exercise].max_points, status, message, student=folder.name, directory=str(folder))


class _Capped(io.TextIOBase):
    """A stdout replacement that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit=OUTPUT_LIMIT):
        self.limit, self.kept, self.total = limit, [], 0

    def writable(self):
        return True

    def write(self, text):
        room = self.limit - sum(len(t) for t in self.kept)
        if room > 0:  # a lone surrogate ("\ud800") cannot be written as UTF-8: keep it escaped
            self.kept.append(text[:room].encode("utf-8", "backslashreplace").decode("utf-8"))
        self.total += len(text)
        return len(text)

    def text(self):
        kept = "".join(self.kept)
        return kept + (f"\n… [output truncated: {self.total:,} characters in all]" if self.total > len(kept) else "")


def grade_here(folder, exercise, inputs=None):
    """Grade one exercise in *this* process (no timeout, no isolation): what the worker runs.

    Tests use it directly; everyone else goes through `grade`, which runs it in a fresh process.
    """
    from .checks import EXERCISES, Inputs

    folder, spec, inputs = Path(folder).resolve(), EXERCISES[exercise], inputs or Inputs()
    if not (folder / spec.file).is_file():
        return _record(folder, exercise, "not attempted", f"{spec.file} is missing: run `nst-teach exercises init {folder}`")
    start, capture = time.perf_counter(), _Capped()
    saved = sys.stdout, sys.stderr, list(sys.path)
    sys.stdout = sys.stderr = capture
    sys.path.insert(0, str(folder))
    try:
        details = _run_checks(folder, spec, inputs)
    finally:
        sys.stdout, sys.stderr = saved[0], saved[1]
        sys.path[:] = saved[2]
    points = sum(d["points"] for d in details)
    failed = [d for d in details if not d["passed"]]
    if not failed:
        status = "pass"
    elif all(d["status"] == "not attempted" for d in details):
        status = "not attempted"
    elif any(d["status"] == "error" for d in details):
        status = "error"
    else:
        status = "fail"
    message = failed[0]["message"] if failed else ""
    return Record(exercise, points, spec.max_points, status, message, details, capture.text(), folder.name, str(folder),
                  round(time.perf_counter() - start, 3))


def _run_checks(folder, spec, inputs):
    for name in [m for m in sys.modules if re.match(r"ex0[1-8]_", m)]:
        del sys.modules[name]  # another folder's (or an older) version of the student's files
    importlib.invalidate_caches()
    try:
        module = importlib.import_module(spec.file[:-3])
        missing = [f for f in spec.functions if not callable(getattr(module, f, None))]
        problem = f"{spec.file} has no function {', '.join(missing)}: keep the names of the template" if missing else None
    except BaseException as err:  # SyntaxError, ImportError, or anything the file does when imported
        problem = f"{spec.file} cannot be imported: {_describe(err, folder)}"
    if problem:
        return [_detail(check, "error", problem) for check in spec.checks]
    return [_run_check(check, module, inputs, folder, spec.number) for check in spec.checks]


def _run_check(check, module, inputs, folder, number):
    from .checks import Failed, StudentError
    from .mistakes import GENERIC

    try:
        check.run(module, inputs)
    except Failed as failure:
        return _detail(check, "fail", failure.hint, failure.mistake)
    except StudentError as err:  # the student's code raised on one of the check's inputs
        return _detail(check, "error", f"{err}: {_describe(err.__cause__, folder)}")
    except NotImplementedError as err:
        other = re.search(r"Exercise (\d+)", str(err))
        if other and int(other.group(1)) != number:
            return _detail(check, "fail", f"uses your exercise {other.group(1)}, which is not attempted yet: do it first",
                           "not_attempted")
        return _detail(check, "not attempted", _raised_in(err, folder) + GENERIC["not_attempted"], "not_attempted")
    except BaseException as err:  # the student's code raised (or called exit): report where, keep going
        if isinstance(err, KeyboardInterrupt):
            raise
        return _detail(check, "error", _describe(err, folder))
    return {"check": check.name, "points": check.points, "max_points": check.points, "passed": True,
            "status": "pass", "message": "", "mistake": None}


def _detail(check, status, message, mistake=None):
    return {"check": check.name, "points": 0, "max_points": check.points, "passed": False, "status": status,
            "message": message, "mistake": mistake}


def _raised_in(err, folder):
    """'momentum_step: ' — the student's function that raised ``err`` ("" if not raised in the folder)."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename).parent == folder]
    return f"{frames[-1].name}: " if frames and frames[-1].name != "<module>" else ""


def _describe(err, folder):
    """'raised ZeroDivisionError at ex03_gram.py line 12: division by zero' (the student's last frame)."""
    where = ""
    if isinstance(err, SyntaxError) and err.filename:
        where = f" at {Path(err.filename).name} line {err.lineno}"
    else:
        frames = [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename).parent == folder]
        if frames:
            where = f" at {Path(frames[-1].filename).name} line {frames[-1].lineno}"
    text = str(err).strip().splitlines()[0][:300] if str(err).strip() else ""
    return f"raised {type(err).__name__}{where}" + (f": {text}" if text else "")


def _worker(log_path, folder, exercises):
    """The grading process: grade each exercise, reporting 'start' and the record as JSON lines."""
    import torch

    from .checks import Inputs

    sys.dont_write_bytecode = True  # leave no __pycache__ in the student's folder
    torch.set_num_threads(1)  # small inputs: threads only add contention when graders run in parallel
    inputs = Inputs()
    with open(log_path, "a", encoding="utf-8") as log:
        for exercise in exercises:
            log.write(json.dumps({"event": "start", "exercise": exercise}) + "\n")
            log.flush()
            record = grade_here(folder, exercise, inputs)
            log.write(json.dumps({"event": "record", "record": asdict(record)}, ensure_ascii=False) + "\n")
            log.flush()


# ----------------------------------------------------------------------------- reporting
def format_table(records):
    """Exercise | points | status | message, and the total. Several students: a points grid instead."""
    students = list(dict.fromkeys(r.directory for r in records))
    if len(students) > 1:
        return _class_table(records, students)
    rows = [("exercise", "points", "status", "message")]
    rows += [(r.exercise, f"{r.points}/{r.max_points}", r.status, r.message.replace("\n", " ")) for r in records]
    w0, w1, w2 = (max(len(row[i]) for row in rows) for i in range(3))
    lines = [f"{a:<{w0}}  {b:>{w1}}  {c:<{w2}}  {d}".rstrip() for a, b, c, d in rows]
    lines.insert(1, "-" * min(100, max(len(line) for line in lines)))
    total, top = sum(r.points for r in records), sum(r.max_points for r in records)
    lines.append(f"{'total':<{w0}}  {f'{total}/{top}':>{w1}}")
    return "\n".join(lines)


def _class_table(records, students):
    exercises = list(dict.fromkeys(r.exercise for r in records))
    grid = {(r.directory, r.exercise): r for r in records}
    names = {r.directory: r.student for r in records}
    w = max(len("student"), *(len(names[s]) for s in students))
    lines = [f"{'student':<{w}}  " + "  ".join(f"{e:>5}" for e in exercises) + "   total"]
    for s in students:
        row = [grid[s, e] for e in exercises]
        cells = "  ".join(f"{r.points:>2}/{r.max_points:<2}" if r.status != "timeout" else "   T " for r in row)
        lines.append(f"{names[s]:<{w}}  {cells}   {sum(r.points for r in row)}/{sum(r.max_points for r in row)}")
    lines.append("(T: timed out; `--json` has every record with its hint)")
    return "\n".join(lines)


def format_record(record):
    """A few lines for one exercise: the verdict, then each check with ✓ / ✗ and its hint."""
    from .checks import EXERCISES

    title = f" ({EXERCISES[record.exercise].title})" if record.exercise in EXERCISES else ""
    lines = [f"{record.exercise}{title}: {record.points}/{record.max_points} — {record.status}"]
    if record.status == "timeout" or (record.message and not record.details):
        lines.append(f"  {record.message}")
    for d in record.details:
        mark = "✓" if d["passed"] else "✗"
        lines.append(f"  {mark} {d['check']} ({d['points']}/{d['max_points']})" + (f": {d['message']}" if d["message"] else ""))
    if record.output:
        lines.append("  your code printed: " + record.output[:300].replace("\n", "\n    "))
    return "\n".join(lines)


def _record_html(record):
    colour = {"pass": "#1a7f37", "fail": "#b35900", "not attempted": "#555", "error": "#cf222e", "timeout": "#cf222e"}[record.status]
    items = "".join(
        f"<li>{'✓' if d['passed'] else '✗'} {html.escape(d['check'])} ({d['points']}/{d['max_points']})"
        + (f": {html.escape(d['message'])}" if d["message"] else "") + "</li>" for d in record.details)
    extra = f"<div>{html.escape(record.message)}</div>" if record.message and not record.details else ""
    return (f"<div style='border-left:4px solid {colour};padding:4px 8px'><b>{record.exercise}: "
            f"{record.points}/{record.max_points} — <span style='color:{colour}'>{record.status}</span></b>{extra}"
            f"<ul style='margin:2px 0'>{items}</ul></div>")


def check(exercise, directory=None, timeout=DEFAULT_TIMEOUT):
    """Grade one exercise from a notebook and show the verdict inline; returns its `Record`.

    directory: the folder with your ex*.py files; None means the current folder, or its
    ``exercises/`` subfolder if the current folder has no exercise files (see `resolve_directory`).
    Same code path as ``nst-teach grade``: a fresh process, so edits are picked up without restarting.
    """
    if len(student_folders(resolve_directory(directory))) > 1:  # before grading anyone
        raise NSTError("that folder holds several students' folders: give one of them as directory=…")
    (record,) = grade([exercise], directory, timeout)
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display

        in_notebook = get_ipython() is not None
    except ImportError:
        in_notebook = False
    if in_notebook:
        display(HTML(_record_html(record)))
    else:
        print(format_record(record))
    return record


# ----------------------------------------------------------------------------- command-line entry points
def run_grade_command(exercises=None, directory=None, as_json=False, timeout=DEFAULT_TIMEOUT):
    """`nst-teach grade`: print the table (or JSON, one record per student × exercise). Exit code:
    0 if every graded exercise passes, 1 otherwise, 2 for bad input (unknown exercise, missing folder)."""
    try:
        records = grade(exercises, directory, timeout)
    except NSTError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps([asdict(r) for r in records], indent=2, ensure_ascii=False))
    else:
        print(format_table(records))
        _print_failed_checks(records)
    return 0 if all(r.status == "pass" for r in records) else 1


def _print_failed_checks(records):
    """For one student: every failed check with its hint, so a second mistake is not hidden behind the first."""
    if len({r.directory for r in records}) > 1:
        return
    for record in records:
        failed = [d for d in record.details if not d["passed"]]
        if record.status in ("fail", "error") and len(failed) > 1:
            print(f"\n{record.exercise}:")
            for d in failed:
                print(f"  ✗ {d['check']} ({d['points']}/{d['max_points']}): {d['message']}")


def run_init_command(directory):
    """`nst-teach exercises init DIR`: copy the templates; existing files are kept and listed."""
    def kept(path):
        print(f"kept {path} (already there; not overwritten)")

    try:
        written = init_exercises(directory, on_skip=kept)
    except NSTError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    print(f"next: edit a file, then run `nst-teach grade ex01 --dir {directory}`")
    return 0


if __name__ == "__main__" and len(sys.argv) >= 4 and sys.argv[1] == "--worker":
    _worker(sys.argv[2], Path(sys.argv[3]), sys.argv[4:])
