"""A class's gradebook as CSV: ``nst-teach grade --dir CLASS --csv grades.csv [--jobs N]``.

CLASS holds one folder or one .zip per student, as Gradescope's "export submissions" or an LMS
download gives them (a folder that holds the exercise files itself is one student). The CSV has one
row per student, always, even when their grading crashed, timed out or their zip is unreadable:

    student,          ex01, …, ex08, total, status, flags
    Points Possible,     6, …,    4,    45,       ,
    alice,               6, …,    4,    45, ok,
    bob,                 6, …,    0,    41, ex08: timed out after 120 s — is there an infinite loop?,
    carol,               6, …,    4,    45, ok, ex07: reads nst-teach's source files: __file__, line 4; …

``status`` is ``ok`` when every exercise was graded (right or wrong), else why not; ``flags`` is what
the grader's reading of the source noticed (`review`), for the instructor to judge (flags take no
points). Students are graded ``jobs`` at a time, each with their own sandboxed process
(`grader.grade_folder`), the class folder hidden from it; the rows are the same for any ``jobs``. The
file is written atomically: a half-written gradebook never replaces a good one.
"""

import csv
import io
import os
from pathlib import Path

from ..errors import NSTError
from . import limits, sandbox
from .grader import DEFAULT_TIMEOUT, check_limits, grade_folder, map_students
from .spec import exercise_ids
from .spec import exercises as registry

TROUBLE = ("error", "timeout")  # statuses that say the grading itself could not finish normally


def class_members(folder):
    """[(student, path)]: each subfolder and .zip of ``folder``, by name (or ``folder`` itself, if it
    holds exercise files)."""
    from .folder import has_exercises

    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise NSTError(f"class folder not found: {folder}: give the folder that holds one folder or zip per student")
    if has_exercises(folder):
        return [(folder.resolve().name, folder)]
    members = [(p.stem if p.is_file() else p.name, p) for p in sorted(folder.iterdir(), key=lambda p: p.name)
               if not p.name.startswith((".", "__")) and (p.is_dir() or p.suffix.lower() == ".zip")]
    if not members:
        raise NSTError(f"no student folders or zips in {folder}: give the folder that holds one per student")
    return members


def grade_class(folder, exercises=None, timeout=DEFAULT_TIMEOUT, jobs=1, memory=limits.MEMORY, box=None):
    """{"ids": [...], "rows": [{"student", "ex01", …, "total", "status", "flags"}], "records": {student: [Record]},
    "sandbox": the `sandbox.Sandbox` the students' code ran in (the class folder hidden from it)}."""
    ids = exercise_ids(exercises)
    check_limits(timeout, jobs, memory)
    members = class_members(folder)
    known = registry()
    box = box or sandbox.choose(hidden=[folder])
    graded = map_students(lambda member: _grade_member(member, ids, known, timeout, memory, box), members, jobs,
                          "grading")
    rows = [_row(student, records, status, ids) for (student, _), (records, status) in zip(members, graded)]
    return {"ids": ids, "points": {e: known[e].max_points for e in ids}, "rows": rows,
            "records": {student: records for (student, _), (records, _) in zip(members, graded)}, "sandbox": box}


def _grade_member(member, ids, known, timeout, memory, box):
    """(records, status) for one student; never raises (a broken submission is a row that says so)."""
    from .grader import _record
    from .submission import collect

    student, path = member
    try:
        submission = collect(path, known)
        if not any(known[e].file in submission.files for e in known):
            records = [_record(e, "not submitted", "no exercise files", path) for e in ids]
            return records, "no exercise files found"
        records = grade_folder(path, ids, timeout, memory, files=submission.files, name=student, box=box)
    except Exception as err:  # our side failed for this student: their row says why, the others go on
        return [_record(e, "error", str(err), path) for e in ids], f"not graded: {type(err).__name__}: {err}"
    trouble = [f"{r.exercise}: {_short(r.message)}" for r in records if r.status in TROUBLE and _is_crash(r)]
    return records, "; ".join(trouble) or "ok"


def _is_crash(record):
    """A timeout, a killed or crashed process, an unimportable file: the grading of it did not finish."""
    return record.status == "timeout" or not record.details or any(
        "cannot be imported" in d["message"] for d in record.details)


def _short(text, n=160):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _row(student, records, status, ids):
    points = {r.exercise: r.points for r in records}
    flags = "; ".join(f"{r.exercise}: {flag}" for r in records for flag in r.flags)
    return {"student": student, **{e: points.get(e, 0) for e in ids}, "total": sum(points.get(e, 0) for e in ids),
            "status": status, "flags": flags}


def to_csv(gradebook):
    """The CSV text: a header, the ``Points Possible`` row, then one row per student."""
    ids, out = gradebook["ids"], io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", *ids, "total", "status", "flags"])
    writer.writerow(["Points Possible", *(gradebook["points"][e] for e in ids), sum(gradebook["points"].values()), "", ""])
    for row in gradebook["rows"]:
        writer.writerow([row["student"], *(row[e] for e in ids), row["total"], row["status"], row["flags"]])
    return out.getvalue()


def write_csv(gradebook, path):
    """Write the CSV to ``path`` atomically (a temporary file beside it, then a rename)."""
    path = check_csv_path(path)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(to_csv(gradebook), encoding="utf-8")
    os.replace(partial, path)
    return path


def check_csv_path(path):
    """The CSV's path, checked before grading a whole class rather than after: its folder must exist."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise NSTError(f"{path} is a folder: give a file name for the gradebook, e.g. --csv grades.csv")
    if not path.parent.is_dir():
        raise NSTError(f"folder not found: {path.parent}: create it, or write the CSV somewhere else")
    return path
