"""The runner: each student's code in its own process, with a time limit, its output captured.

Each graded folder gets one fresh Python process (``python -m nst_teach.grading --worker …``, started
in an empty temporary folder) that imports torch, then puts the student's folder first on ``sys.path``
(so a scratch file such as random.py there cannot shadow the standard library while torch loads),
imports the exercise files and runs each exercise's checks on them (`grade_here`). Student code
therefore never runs in the caller's process: an infinite loop, a crash, ``sys.exit()`` or a megabyte
of prints cannot take the grader down, and nothing leaks from one student's folder into another's.
The worker reports each exercise as it starts and finishes; the parent kills it (and anything it
started) when one exercise exceeds ``timeout`` seconds or its memory passes ``memory`` bytes, records
that exercise as "timeout" or "error", and starts a new worker for the rest. The worker grades a
private copy of the folder, rewritten before each exercise, under the resource limits of `limits`.
While an exercise runs, a `Referee` makes sure the student's functions are not the library's own.
Several folders (a class) are graded ``jobs`` at a time, each in its own worker; the records come
back in the folders' order whatever ``jobs`` is.
"""

import importlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import NSTError
from . import limits
from .folder import resolve_directory, student_folders
from .spec import exercise_ids
from .spec import exercises as registry

DEFAULT_TIMEOUT = 120.0  # seconds per exercise (the CLI's --timeout default too); the reference solutions take < 2 s each
STARTUP_TIMEOUT = 180.0  # seconds for the worker to import torch before its first exercise
OUTPUT_LIMIT = 2000  # characters of a student's printed output kept in a record
# An exercise whose code prints more than this while it is graded scores 0: a print left in a loop
# (9 MB per call in tests/hostile/) would otherwise fill the grader's log and the student's page.
PRINT_LIMIT = 1_000_000
ADDRESS_SPACE_VARIABLE = "NST_TEACH_GRADER_ADDRESS_SPACE"  # how the parent gives the worker its limit (bytes)
GUARD_VARIABLE = "NST_TEACH_GRADER_GUARD"  # folders the student's code must not change (os.pathsep-separated)


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


def grade(exercises=None, directory=None, timeout=DEFAULT_TIMEOUT, *, jobs=1, memory=limits.MEMORY):
    """Grade the exercises (default: all) in ``directory`` (see `folder.resolve_directory`). Returns one
    `Record` per exercise, or per student × exercise when ``directory`` holds students' folders, graded
    ``jobs`` folders at a time (same records, same order, for any ``jobs``)."""
    ids = exercise_ids(exercises)
    check_limits(timeout, jobs, memory)
    folders = student_folders(resolve_directory(directory))
    results = map_students(lambda folder: grade_folder(folder, ids, timeout, memory), folders, jobs, "grading")
    return [record for records in results for record in records]


def check_limits(timeout, jobs=1, memory=limits.MEMORY):
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise NSTError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if not (isinstance(jobs, int) and jobs >= 1):
        raise NSTError(f"jobs must be a whole number ≥ 1, got {jobs!r}")
    if not (isinstance(memory, (int, float)) and memory >= 2**28):
        raise NSTError(f"the memory limit must be at least 256 MB, got {memory!r} bytes")


def map_students(grade_one, items, jobs, description):
    """[grade_one(item) for item in items], ``jobs`` at a time (threads that each wait on a worker
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


def grade_folder(folder, ids, timeout=DEFAULT_TIMEOUT, memory=limits.MEMORY, *, files=None, name=None, guard=()):
    """Grade one student's folder from a private copy (of ``files``, {name: bytes}, if given: a
    submission collected from elsewhere). The records name the original folder. An exercise whose
    code changes the copy or a ``guard`` folder (the autograder's results/ and submission/) scores 0."""
    folder = Path(folder).resolve()
    files = limits.snapshot(folder) if files is None else files
    name = name or folder.name
    with tempfile.TemporaryDirectory(prefix="nst-copy-") as tmp:
        copy = Path(tmp) / name
        limits.restore(copy, files)
        guarded = [copy, *map(str, guard)]
        records = _grade_folder(copy, ids, timeout, memory, files, guarded)
    for record in records:
        record.student, record.directory = name, str(folder)
    return records


def _grade_folder(folder, ids, timeout, memory=limits.MEMORY, files=None, guard=()):
    """Run the worker on one folder; on a timeout or crash, record it and restart for the rest (on
    ``files`` again, if given: what the last worker left in the folder is not trusted)."""
    records, pending = {}, list(ids)
    while pending:
        if files is not None:
            limits.restore(folder, files)
        with tempfile.TemporaryDirectory(prefix="nst-grade-") as tmp:
            log, errors = Path(tmp) / "events.jsonl", Path(tmp) / "stderr.txt"
            log.touch()
            with open(errors, "w+b") as stderr:
                command = [sys.executable, "-m", "nst_teach.grading", "--worker", str(log), str(folder), *pending]
                env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1",
                       ADDRESS_SPACE_VARIABLE: str(limits.ADDRESS_SPACE), GUARD_VARIABLE: os.pathsep.join(map(str, guard))}
                # cwd: `-m` puts the working folder first on sys.path, before torch is imported.
                # A session of its own: a timeout kills whatever the student's code started, too.
                process = subprocess.Popen(command, cwd=tmp, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                           stderr=stderr, env=env, start_new_session=True)
                try:
                    lost, current, why = _watch(process, folder, log, records, pending, timeout, memory)
                finally:
                    _kill(process)
                stderr.seek(0, os.SEEK_END)
                stderr.seek(max(0, stderr.tell() - 4096))  # the end says why it died; it may be megabytes long
                tail = " ".join(stderr.read().decode("utf-8", "replace").strip().splitlines()[-3:])[-600:]
        if why is not None:  # killed by the parent: over the time or memory limit
            status, message = why
            records[current] = _record(folder, current, status, message)
            pending.remove(current)
        elif current is not None:  # the worker died while grading this exercise
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


def _kill(process):
    """Kill the worker and everything in its session (a student's code may start processes)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # Windows: no sessions
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _watch(process, folder, log, records, pending, timeout, memory=limits.MEMORY):
    """Follow the worker's event log until it exits, times out or uses too much memory. Returns
    (exercises without a record, the exercise running when the worker stopped, (status, message) if
    the parent stopped it)."""
    offset, current, started, seen, polls = 0, None, time.monotonic(), False, 0
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
            return list(pending), current, None
        now, polls = time.monotonic(), polls + 1
        if current is not None and now - started > timeout:
            return [], current, ("timeout", f"timed out after {timeout:g} s — is there an infinite loop?")
        if current is not None and polls % 5 == 0 and (limits.resident_bytes(process.pid) or 0) > memory:
            return [], current, ("error", f"used more than {limits.gigabytes(memory)} of memory, the grader's limit "
                                          "— does it build a huge array or keep every step's result?")
        if not seen and now > deadline:
            return list(pending), None, None
        time.sleep(0.02)


def _record(folder, exercise, status, message):
    return Record(exercise, 0, registry()[exercise].max_points, status, message, student=folder.name, directory=str(folder))


class _Capped(io.TextIOBase):
    """A stdout replacement that keeps the first ``limit`` characters and counts the rest, and counts
    apart what code in the file named ``own`` printed (exercise 8 also runs exercise 1's file)."""

    def __init__(self, limit=OUTPUT_LIMIT, own=None):
        self.limit, self.kept, self.total, self.own, self.own_total = limit, [], 0, own, 0

    def writable(self):
        return True

    def write(self, text):
        room = self.limit - sum(len(t) for t in self.kept)
        if room > 0:  # a lone surrogate ("\ud800") cannot be written as UTF-8: keep it escaped
            self.kept.append(text[:room].encode("utf-8", "backslashreplace").decode("utf-8"))
        self.total += len(text)
        caller = sys._getframe(1)  # print() writes from C: the frame above is the code that printed
        if self.own and Path(caller.f_code.co_filename).name == self.own:
            self.own_total += len(text)
        return len(text)

    def text(self):
        kept = "".join(self.kept)
        return kept + (f"\n… [output truncated: {self.total:,} characters in all]" if self.total > len(kept) else "")


def grade_here(folder, exercise, inputs=None):
    """Grade one exercise in *this* process (no timeout, no isolation): what the worker runs.

    Tests use it directly; everyone else goes through `grade`, which runs it in a fresh process.
    """
    from .inputs import Inputs

    folder, spec, inputs = Path(folder).resolve(), registry()[exercise], inputs or Inputs()
    if not (folder / spec.file).is_file():
        return _record(folder, exercise, "not attempted", f"{spec.file} is missing: run `nst-teach exercises init {folder}`")
    start, capture = time.perf_counter(), _Capped(own=spec.file)
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
    record = Record(exercise, points, spec.max_points, status, message, details, capture.text(), folder.name, str(folder),
                    round(time.perf_counter() - start, 3))
    if capture.own_total > PRINT_LIMIT:
        return _zeroed(record, f"{spec.file} printed {capture.own_total:,} characters while it was graded (more than "
                               f"{PRINT_LIMIT:,}): remove the print in a loop; the functions compute and return their result")
    return record


def _run_checks(folder, spec, inputs):
    """Import the student's file with the referee's stand-ins in place, then run each check; a check
    during which the student's code called the library's reference scores 0 (see `referee`)."""
    from .referee import Referee

    _forget_student_modules(folder)
    importlib.invalidate_caches()
    with Referee(spec.references) as referee:
        try:
            module = importlib.import_module(spec.file[:-3])
            missing = [f for f in spec.functions if not callable(getattr(module, f, None))]
            problem = f"{spec.file} has no function {', '.join(missing)}: keep the names of the template" if missing else None
        except BaseException as err:  # SyntaxError, ImportError, or anything the file does when imported
            problem = f"{spec.file} cannot be imported: {_describe(err, folder)}"
        if problem:
            return [_detail(check, "error", problem) for check in spec.checks]
        for name in spec.functions:  # the student's own functions call each other through these too
            setattr(module, name, referee.watch(name, getattr(module, name)))
        details = []
        for check in spec.checks:
            referee.clear()
            detail = _run_check(check, module, inputs, folder, spec.number)
            cheat = referee.verdict()
            details.append(_detail(check, "fail", cheat, "reference") if cheat else detail)
        return details


def _forget_student_modules(folder):
    """Drop imported student modules (ex01_preprocess, …, and anything imported from ``folder``) from
    sys.modules: another folder's or an older version, or imported before the referee was in place."""
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if re.fullmatch(r"ex\d\d_\w+", name) or (file and folder in Path(file).resolve().parents):
            del sys.modules[name]


def _run_check(check, module, inputs, folder, number):
    from .compare import GENERIC, Failed, StudentError

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
    if isinstance(err, MemoryError):  # the address-space limit (`limits`): usually an array far too big
        text = f"{text} — more memory than the grader allows; is an array far bigger than it should be?".lstrip(" —")
    return f"raised {type(err).__name__}{where}" + (f": {text}" if text else "")


def _tampered(record, changed):
    return _zeroed(record, f"your code changed files it must not touch ({changed}): an exercise's functions only "
                           "compute and return their result")


def _zeroed(record, message):
    """``record`` with every check at 0 points and ``message`` as the reason."""
    details = [{**d, "points": 0, "passed": False, "status": "error", "message": message} for d in record.details]
    return Record(record.exercise, 0, record.max_points, "error", message, details, record.output, record.student,
                  record.directory, record.seconds)


def _worker(log_path, folder, exercises):
    """The grading process: grade each exercise, reporting 'start' and the record as JSON lines.
    ``folder`` is a private copy: it is rewritten before each exercise (`limits.restore`)."""
    import torch

    from .inputs import Inputs

    if os.environ.get(ADDRESS_SPACE_VARIABLE):
        limits.apply_child_limits(int(os.environ[ADDRESS_SPACE_VARIABLE]))
    sys.dont_write_bytecode = True  # leave no __pycache__ in the student's folder
    torch.set_num_threads(1)  # small inputs: threads only add contention when graders run in parallel
    inputs, files = Inputs(), limits.snapshot(folder)
    guard = [p for p in os.environ.get(GUARD_VARIABLE, "").split(os.pathsep) if p]
    with open(log_path, "a", encoding="utf-8") as log:
        for exercise in exercises:
            log.write(json.dumps({"event": "start", "exercise": exercise}) + "\n")
            log.flush()
            limits.restore(folder, files)
            before = limits.fingerprint(guard)
            record = grade_here(folder, exercise, inputs)
            changed = limits.changes(before, limits.fingerprint(guard))
            if changed:  # the checks only call functions: a file written or deleted is the student's code
                record = _tampered(record, changed)
            log.write(json.dumps({"event": "record", "record": asdict(record)}, ensure_ascii=False) + "\n")
            log.flush()
