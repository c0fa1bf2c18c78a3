"""Graded exercises: copy the templates, let the student fill them in, grade them and name the mistake.

Student:     edit exercises/ex03_gram.py (a clone), or first `nst-teach exercises init exercises/`
             (in a notebook: start_exercises()); then `nst-teach grade ex03` or, in a notebook, check("ex03")
             reset_exercise("ex03") / `nst-teach exercises reset ex03`: the template back (a dated .bak kept);
             submission_zip() / `nst-teach exercises zip`: the file to upload
Instructor:  nst-teach grade --dir submissions/ --csv grades.csv [--jobs N]   (one folder or zip per student)
             nst-teach autograder -o autograder.zip [--exercises ex01,ex03]  (Gradescope)

Grading is split in two processes, and the split is the layout:

    the grader's side (trusted: decides every grade, writes every file)
        grader.py      the checks of each exercise run here, against the student's process; the records
        remote.py      the student's functions as the grader calls them (in-place changes and gradients too)
        compare.py     the comparison engine: student vs reference on the same inputs, naming the mistake
        review.py      reading the source without running it: flags for the instructor
        inputs.py      the seeded inputs and VGG-19 features the checks share
        exNN_*.py      one per exercise: its checks and its named mistakes together; spec.py: what those are
        gradebook.py, autograder.py, report.py: the class CSV, Gradescope's results.json, what people see
    the channel between them
        channel.py     frames of plain data (JSON and raw tensor bytes): nothing pickled, nothing executed
    the student's side (runs the student's code, decides nothing)
        student_side.py  imports the exercise file, calls its functions on what the grader sends
        referee.py       in that process: the library's and numpy's/torch's ready-made answers refused
    around the student's side
        sandbox.py     bubblewrap, or an unprivileged user: what the student's process can touch
        limits.py      its memory and file-size limits, and the private copy of the files it runs on

    folder.py, submission.py: the student's folder and uploads; notebook.py: check(); student.py:
    student_function(), the student's function for a lesson's figures; commands.py: `nst-teach grade` …

Nothing is imported until it is used: the student's process loads only its own side.
"""

import importlib

_EXPORTS = {
    "check": "notebook", "start_exercises": "folder", "student_function": "student", "grade": "grader",
    "grade_here": "grader", "Record": "grader", "DEFAULT_TIMEOUT": "grader", "init_exercises": "folder",
    "find_folder": "folder", "resolve_directory": "folder", "student_folders": "folder", "reset_exercise": "folder",
    "submission_zip": "folder", "exercise_ids": "spec", "exercises": "spec", "format_table": "report",
    "format_record": "report", "record_html": "report", "show": "report", "run_grade_command": "commands",
    "run_init_command": "commands", "run_reset_command": "commands", "run_zip_command": "commands",
    "run_autograder_command": "commands",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    try:  # a module of the package: grading.folder, grading.grader, …
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
