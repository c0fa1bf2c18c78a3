"""The grader's command-line entry points: ``nst-teach grade``, ``nst-teach exercises init / reset /
zip`` and ``nst-teach autograder``.

Bad input (an unknown exercise, a missing folder) is one ``error: …`` line on stderr and exit code 2.
"""

import os
import sys

from ..errors import NSTError
from . import sandbox
from .folder import find_folder, init_exercises, reset_exercise, resolve_directory, student_folders, submission_zip
from .report import format_table, print_failed_checks, to_json
from .grader import DEFAULT_TIMEOUT, grade
from .spec import exercise_ids


def default_jobs():
    """The cores this process may use (one grading process per core)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def run_grade_command(exercises=None, directory=None, as_json=False, timeout=DEFAULT_TIMEOUT, *, csv=None, jobs=None):
    """`nst-teach grade`: print the table (or JSON, one record per student × exercise), or with ``csv``
    write the class's gradebook. Exit code: 0 if every graded exercise passes (with ``csv``: the CSV
    was written), 1 otherwise, 2 for bad input (unknown exercise, missing folder). With ``--dir`` (an
    instructor grading others' code), the first line on stderr says if their code runs unsandboxed."""
    jobs = default_jobs() if jobs is None else jobs
    try:
        exercise_ids(exercises)  # a typo first, before looking for any folder
        box = None
        if csv is not None or (directory is not None and len(student_folders(resolve_directory(directory))) > 1):
            box = sandbox.choose(hidden=[directory])  # a class: others' code; say at once if nothing contains it
            if sandbox.warning(box):
                print(sandbox.warning(box), file=sys.stderr)
        if csv is not None:
            return _grade_to_csv(exercises, directory, timeout, csv, jobs, box)
        records = grade(exercises, directory, timeout, jobs=jobs, box=box)
    except NSTError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if as_json:
        print(to_json(records))
    else:
        print(format_table(records))
        print_failed_checks(records)
    return 0 if all(r.status == "pass" for r in records) else 1


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


def _grade_to_csv(exercises, directory, timeout, csv, jobs, box=None):
    from .gradebook import check_csv_path, grade_class, write_csv

    if directory is None:
        raise NSTError("give the class folder: nst-teach grade --dir CLASS --csv grades.csv")
    check_csv_path(csv)
    book = grade_class(directory, exercises, timeout, jobs, box=box)
    path = write_csv(book, csv)
    trouble = [row for row in book["rows"] if row["status"] != "ok"]
    top = sum(book["points"].values())
    print(f"wrote {path}: {len(book['rows'])} students, {len(book['ids'])} exercises, {top} points possible")
    for row in trouble:
        print(f"  {row['student']}: {row['total']}/{top} — {row['status']}")
    return 0


def run_reset_command(exercise, directory=None):
    """`nst-teach exercises reset ex03`: the template back, the student's file kept as a dated .bak."""
    try:
        target, backup = reset_exercise(exercise, directory)
    except NSTError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"kept your file as {backup}" if backup else f"{target.name} was the template already (nothing to keep)")
    print(f"wrote a fresh {target}")
    return 0


def run_zip_command(directory=None, output="submission.zip"):
    """`nst-teach exercises zip`: the exercise files in one zip, to upload."""
    try:
        path, files, untouched = submission_zip(directory, output)
    except NSTError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {path} ({len(files)} files from {find_folder(directory)})")
    if untouched:
        print(f"note: {', '.join(untouched)} {'is' if len(untouched) == 1 else 'are'} still the template (0 points)")
    return 0


def run_autograder_command(output, exercises=None, timeout=None):
    """`nst-teach autograder -o autograder.zip`: the Gradescope autograder."""
    from .autograder import TIMEOUT, build_autograder

    try:
        built = build_autograder(output, exercises, TIMEOUT if timeout is None else timeout)
    except NSTError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {built['path']}: {', '.join(built['exercises'])}, {built['points']} points "
          f"(set the Gradescope assignment to {built['points']} points)")
    print(f"  {', '.join(built['files'])}")
    return 0
