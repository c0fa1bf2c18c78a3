"""The grader's side: the checks, the references, the named mistakes, the points and the records.

Everything that decides a grade runs here, in the process that writes the records (and the CSV and
results.json after them); the student's code never runs here. For each student folder the grader

1. reads the submission's source without running it (`review`: flags for the instructor);
2. makes a private copy of the files in a fresh workspace and starts one student process on it, in
   the strongest `sandbox` available (`remote.StudentProcess`);
3. for each exercise: rewrites the copy, has the student's process import the exercise file, and runs
   the exercise's checks *here*, each one calling the student's functions across the channel
   (`remote.StudentModule`) and comparing their outputs with the reference's (`compare`);
4. kills what the student's code started, and scores 0 an exercise whose code changed files it must
   not touch or printed more than `PRINT_LIMIT` characters.

A student process that times out, passes the memory limit, dies or sends a malformed reply costs
that exercise (status "timeout" or "error", with a message saying which) and is replaced by a new one
for the rest. Several folders (a class) are graded ``jobs`` at a time, each with its own student
process; the records come back in the folders' order whatever ``jobs`` is.
"""

import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import NSTError
from . import limits, sandbox
from .compare import Failed, StudentError
from .folder import resolve_directory, student_folders
from .remote import ProcessTrouble, StudentModule, StudentNotImplemented, StudentProcess, StudentRaised
from .review import review
from .spec import exercise_ids
from .spec import exercises as registry

DEFAULT_TIMEOUT = 120.0  # seconds per exercise (the CLI's --timeout default too); the reference solutions take < 2 s each
OUTPUT_LIMIT = 2000  # characters of a student's printed output kept in a record
# An exercise whose code prints more than this while it is graded scores 0: a print left in a loop
# (9 MB per call in tests/hostile/) would otherwise fill the grader's log and the student's page.
PRINT_LIMIT = 1_000_000
GENERIC_NOT_ATTEMPTED = "not attempted yet: replace the `raise NotImplementedError` line with your code"


@dataclass
class Record:
    """The grade of one exercise of one student folder. ``details``: one dict per check
    (check, points, max_points, passed, message, mistake). ``flags``: what the grader's reading of the
    source noticed (`review`), for the instructor to judge; flags take no points."""

    exercise: str
    points: int
    max_points: int
    status: str  # "pass", "fail", "not attempted", "not submitted", "error" or "timeout"
    message: str  # the hint of the first failing check ("" when everything passes)
    details: list = field(default_factory=list)
    output: str = ""  # what the student's code printed (truncated)
    student: str = ""  # the folder's name
    directory: str = ""
    seconds: float = 0.0
    flags: list = field(default_factory=list)


def grade(exercises=None, directory=None, timeout=DEFAULT_TIMEOUT, *, jobs=1, memory=limits.MEMORY, box=None):
    """Grade the exercises (default: all) in ``directory`` (see `folder.resolve_directory`). Returns one
    `Record` per exercise, or per student × exercise when ``directory`` holds students' folders, graded
    ``jobs`` folders at a time (same records, same order, for any ``jobs``). ``box``: the `sandbox.Sandbox`
    (default: the strongest available, the class folder hidden from it)."""
    ids = exercise_ids(exercises)
    check_limits(timeout, jobs, memory)
    where = resolve_directory(directory)
    folders = student_folders(where)
    box = box or sandbox.choose(hidden=[where] if len(folders) > 1 else [])
    results = map_students(lambda folder: grade_folder(folder, ids, timeout, memory, box=box), folders, jobs, "grading")
    return [record for records in results for record in records]


def check_limits(timeout, jobs=1, memory=limits.MEMORY):
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise NSTError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if not (isinstance(jobs, int) and jobs >= 1):
        raise NSTError(f"jobs must be a whole number ≥ 1, got {jobs!r}")
    if not (isinstance(memory, (int, float)) and memory >= 2**28):
        raise NSTError(f"the memory limit must be at least 256 MB, got {memory!r} bytes")


def map_students(grade_one, items, jobs, description):
    """[grade_one(item) for item in items], ``jobs`` at a time (threads that each drive a student
    process), in the items' order, with a progress bar on a terminal when there are several."""
    from concurrent.futures import ThreadPoolExecutor

    from tqdm import tqdm

    items = list(items)
    with tqdm(total=len(items), desc=description, unit="student", disable=None if len(items) > 1 else True,
              leave=False) as bar, ThreadPoolExecutor(max_workers=max(1, min(jobs, len(items) or 1))) as pool:
        futures = [pool.submit(grade_one, item) for item in items]
        for future in futures:
            future.add_done_callback(lambda _: bar.update(1))
        return [future.result() for future in futures]


def grade_folder(folder, ids, timeout=DEFAULT_TIMEOUT, memory=limits.MEMORY, *, files=None, name=None, guard=(),
                 box=None, inputs=None):
    """Grade one student's folder from a private copy (of ``files``, {name: bytes}, if given: a
    submission collected from elsewhere). The records name the original folder. An exercise whose
    code changes the copy or a ``guard`` folder (the autograder's results/ and submission/) scores 0."""
    from .inputs import Inputs

    folder = Path(folder).resolve()
    files = limits.snapshot(folder) if files is None else files
    name = name or folder.name
    box = box or sandbox.choose()
    flags = review(files, [registry()[e] for e in ids])
    with tempfile.TemporaryDirectory(prefix="nst-grade-") as workspace:
        copy, cwd = sandbox.prepare(box, workspace, name)
        records = _grade_copy(box, copy, cwd, ids, timeout, memory, files, [copy, *map(Path, guard)], inputs or Inputs())
    for record in records:
        record.student, record.directory, record.flags = name, str(folder), flags.get(record.exercise, [])
    return records


def _grade_copy(box, copy, cwd, ids, timeout, memory, files, guard, inputs):
    """Each exercise in turn on the private ``copy``, rewritten from ``files`` before each; one student
    process for as long as it behaves, a new one after a timeout, a crash or a malformed reply."""
    records, student = {}, None
    try:
        for exercise in ids:
            spec = registry()[exercise]
            if spec.file not in files:
                records[exercise] = _record(exercise, "not attempted",
                                            f"{spec.file} is missing: run `nst-teach exercises init` to get the template")
                continue
            limits.restore(copy, files)
            sandbox.give(box, copy)
            before = limits.fingerprint(guard)
            if student is None:
                try:
                    student = StudentProcess(box, copy, cwd, memory).start()
                except ProcessTrouble as trouble:  # nothing would go better a second time
                    for rest in ids[ids.index(exercise):]:
                        records.setdefault(rest, _record(rest, "error", trouble.message))
                    break
            try:
                record, threads = grade_exercise(student, exercise, inputs, timeout)
                student.kill_strays()
                if threads:  # threads the student's code left running would write into the next exercise
                    student.stop()
                    student = None
            except ProcessTrouble as trouble:
                message = f"timed out after {timeout:g} s — is there an infinite loop?" if trouble.status == "timeout" \
                    else trouble.message
                record = _record(exercise, trouble.status, message)
                if student is not None:
                    student.stop()
                student = None
            changed = limits.changes(before, limits.fingerprint(guard))
            if changed:  # the checks only call functions: a file written or deleted is the student's code
                record = _zeroed(record, f"your code changed files it must not touch ({changed}): an exercise's "
                                         "functions only compute and return their result")
            records[exercise] = record
    finally:
        if student is not None:
            student.stop()
    return [records[e] for e in ids]


def grade_exercise(student, exercise, inputs, timeout, folder=None):
    """(Record, threads left running): one exercise's checks, run here against the student's process
    (on ``folder``, as that process sees it; default the copy it was started on), whose code may run
    ``timeout`` seconds in all."""
    spec, start = registry()[exercise], time.perf_counter()
    module = StudentModule(student, spec, timeout, folder)
    try:
        problem = module.load()
    except Failed as refusal:  # the file's top level calls a refused function
        problem = refusal
    if isinstance(problem, Failed):
        details = [_detail(check, "fail", problem.hint, problem.mistake) for check in spec.checks]
    elif isinstance(problem, (StudentRaised, StudentNotImplemented)):
        details = [_detail(check, "error", f"{spec.file} cannot be imported: {describe(problem.info)}")
                   for check in spec.checks]
    elif problem:
        message = f"{spec.file} has no function {', '.join(problem)}: keep the names of the template"
        details = [_detail(check, "error", message) for check in spec.checks]
    else:
        details = [_run_check(check, module, inputs, spec.number) for check in spec.checks]
    printed = module.finish()
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
    output = str(printed.get("output", ""))[:OUTPUT_LIMIT + 100]
    record = Record(exercise, points, spec.max_points, status, failed[0]["message"] if failed else "", details, output,
                    seconds=round(time.perf_counter() - start, 3))
    own = printed.get("own") if isinstance(printed.get("own"), int) else 0
    if own > PRINT_LIMIT:
        record = _zeroed(record, f"{spec.file} printed {own:,} characters while it was graded (more than {PRINT_LIMIT:,}): "
                                 "remove the print in a loop; the functions compute and return their result")
    return record, printed.get("threads")


def grade_here(folder, exercise, inputs=None, student=None):
    """Grade one exercise of ``folder`` as it is (no copy): with ``student``, a `StudentProcess` started with
    sandbox "none" that tests share (it may load any folder), else a new one. No timeout."""
    from .inputs import Inputs

    folder, spec = Path(folder).resolve(), registry()[exercise]
    if not (folder / spec.file).is_file():
        return _record(exercise, "not attempted", f"{spec.file} is missing: run `nst-teach exercises init {folder}`",
                       folder)
    with tempfile.TemporaryDirectory(prefix="nst-cwd-") as cwd:
        own = student is None
        student = student or StudentProcess(sandbox.Sandbox("none"), folder, cwd).start()
        try:
            record, _ = grade_exercise(student, exercise, inputs or Inputs(), 3600, str(folder))
        finally:
            if own:
                student.stop()
    record.student, record.directory = folder.name, str(folder)
    record.flags = review(limits.snapshot(folder), [spec]).get(exercise, [])
    return record


def _run_check(check, module, inputs, number):
    try:
        check.run(module, inputs)
    except Failed as failure:  # a verdict, or the referee's refusal
        return _detail(check, "fail", failure.hint, failure.mistake)
    except StudentError as err:  # the student's code raised on one of the check's inputs
        return _detail(check, "error", f"{err}: {describe(getattr(err.__cause__, 'info', None), err.__cause__)}")
    except NotImplementedError as err:
        info = getattr(err, "info", {}) or {}
        other = re.search(r"Exercise (\d+)", str(err))
        if other and int(other.group(1)) != number:
            return _detail(check, "fail", f"uses your exercise {other.group(1)}, which is not attempted yet: do it first",
                           "not_attempted")
        where = f"{info['function']}: " if info.get("function") not in (None, "<module>") else ""
        return _detail(check, "not attempted", where + GENERIC_NOT_ATTEMPTED, "not_attempted")
    except StudentRaised as err:  # raised outside a compared case (an in-place or gradient check)
        return _detail(check, "error", describe(err.info))
    except ProcessTrouble:
        raise
    except Exception as err:  # what the student's function returned broke a check here (e.g. autograd on it)
        return _detail(check, "error", describe(None, err))
    return {"check": check.name, "points": check.points, "max_points": check.points, "passed": True,
            "status": "pass", "message": "", "mistake": None}


def _detail(check, status, message, mistake=None):
    return {"check": check.name, "points": 0, "max_points": check.points, "passed": False, "status": status,
            "message": message, "mistake": mistake}


def describe(info, err=None):
    """'raised ZeroDivisionError at ex03_gram.py line 12: division by zero' (the student's last frame)."""
    if not isinstance(info, dict):
        info = {"type": type(err).__name__ if err is not None else "Exception",
                "message": str(err).strip().splitlines()[0][:300] if err is not None and str(err).strip() else ""}
    where = f" at {info['file']} line {info['line']}" if info.get("file") and info.get("line") else ""
    text = str(info.get("message", ""))[:300]
    if info.get("type") == "MemoryError":  # the address-space limit (`limits`): usually an array far too big
        text = f"{text} — more memory than the grader allows; is an array far bigger than it should be?".lstrip(" —")
    return f"raised {str(info.get('type', 'Exception'))[:60]}{where}" + (f": {text}" if text else "")


def _record(exercise, status, message, folder=None):
    folder = Path(folder) if folder else None
    return Record(exercise, 0, registry()[exercise].max_points, status, message,
                  student=folder.name if folder else "", directory=str(folder) if folder else "")


def _zeroed(record, message):
    """``record`` with every check at 0 points and ``message`` as the reason."""
    details = [{**d, "points": 0, "passed": False, "status": "error", "message": message} for d in record.details]
    return Record(record.exercise, 0, record.max_points, "error", message, details, record.output, record.student,
                  record.directory, record.seconds, record.flags)
