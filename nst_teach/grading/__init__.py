"""Graded exercises: copy the templates, let the student fill them in, grade them and name the mistake.

Student:     edit exercises/ex03_gram.py (a clone), or first `nst-teach exercises init exercises/`
             (in a notebook: start_exercises()); then `nst-teach grade ex03` or, in a notebook, check("ex03")
             reset_exercise("ex03") / `nst-teach exercises reset ex03`: the template back (a dated .bak kept);
             submission_zip() / `nst-teach exercises zip`: the file to upload
Instructor:  nst-teach grade --dir submissions/ --csv grades.csv [--jobs N]   (one folder or zip per student)
             nst-teach autograder -o autograder.zip [--exercises ex01,ex03]  (Gradescope)

The parts, one module each:

    folder.py    the student's folder: where it is (find_folder), copying templates into it
    runner.py    each folder graded in its own process, with a time limit and captured output
    limits.py    that process's memory and file-size limits, and the private copy it grades
    submission.py  the exercise files of an upload: loose, in folders, in a zip
    autograder.py  the Gradescope zip, and what it runs per submission; gradebook.py: a class to CSV
    referee.py   a student function that is, or calls, the library's reference scores 0
    compare.py   the comparison engine: student vs reference on the same inputs, naming the mistake
    inputs.py    the seeded inputs and VGG-19 features the checks share
    report.py    the table, the notebook verdict, JSON
    notebook.py  check(); student.py: student_function(), the student's function for a lesson's figures
                 (the reference while the exercise does not pass); commands.py: `nst-teach grade` and `nst-teach exercises init`
    spec.py      what an exercise is, and the registry that discovers the exercise modules
    exNN_*.py    one per exercise: its checks and its named mistakes together

The exercise modules (and the checks' inputs) load when grading starts, not when this package is imported.
"""

from .commands import run_autograder_command, run_grade_command, run_init_command, run_reset_command, run_zip_command
from .folder import (find_folder, init_exercises, reset_exercise, resolve_directory, start_exercises, student_folders,
                     submission_zip)
from .notebook import check
from .report import format_record, format_table, record_html, show
from .runner import DEFAULT_TIMEOUT, Record, grade, grade_here
from .spec import exercise_ids, exercises
from .student import student_function

__all__ = [
    "check", "start_exercises", "student_function", "grade", "grade_here", "init_exercises", "find_folder", "resolve_directory",
    "student_folders", "exercise_ids", "exercises", "Record", "DEFAULT_TIMEOUT", "format_table", "format_record",
    "record_html", "show", "run_grade_command", "run_init_command", "reset_exercise", "submission_zip",
    "run_reset_command", "run_zip_command", "run_autograder_command",
]
