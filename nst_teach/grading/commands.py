"""The grader's command-line entry points: ``nst-teach grade`` and ``nst-teach exercises init``.

Bad input (an unknown exercise, a missing folder) is one ``error: …`` line on stderr and exit code 2.
"""

import sys

from ..errors import NSTError
from .folder import init_exercises
from .report import format_table, print_failed_checks, to_json
from .runner import DEFAULT_TIMEOUT, grade


def run_grade_command(exercises=None, directory=None, as_json=False, timeout=DEFAULT_TIMEOUT):
    """`nst-teach grade`: print the table (or JSON, one record per student × exercise). Exit code:
    0 if every graded exercise passes, 1 otherwise, 2 for bad input (unknown exercise, missing folder)."""
    try:
        records = grade(exercises, directory, timeout)
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
