"""`check()`: grade one exercise from a notebook and show the verdict where the student is looking.

Same code path as ``nst-teach grade`` (a fresh process, so edits are picked up without restarting the
kernel, and an infinite loop gives "timed out" instead of a hung notebook). A notebook is no place for
a traceback: a mistake in the call (an unknown exercise, no exercise folder yet) is one printed line
that says what to do, and the cell's value is None unless ``record=True`` asks for the `Record`.
"""

from ..errors import NSTError
from .folder import NoExerciseFolder, resolve_directory, student_folders
from .report import show
from .grader import DEFAULT_TIMEOUT, grade
from .spec import exercise_ids


def check(exercise, directory=None, timeout=DEFAULT_TIMEOUT, *, record=False):
    """Grade ``exercise`` ("ex03", "3", …) and display the verdict; returns None, or the `Record` if ``record``.

    directory: the folder with your ex*.py files; None finds it as `folder.find_folder` says (explicit,
    $NST_TEACH_EXERCISES, ., ./exercises, ../exercises). No folder yet: it says to run `start_exercises()`.
    """
    try:
        exercise_ids([exercise])
        folders = student_folders(resolve_directory(directory))
        if len(folders) > 1:  # before grading anyone
            raise NSTError("that folder holds several students' folders: give one of them as directory=…")
        (result,) = grade([exercise], folders[0], timeout)
    except NoExerciseFolder:
        where = "" if directory is None else repr(str(directory))
        print(f"no exercise files found{' in ' + where if where else ''}: run "
              f"`from nst_teach.grading import start_exercises; start_exercises({where})` to create them")
        return None
    except NSTError as err:
        print(f"error: {err}")
        return None
    show(result)
    return result if record else None
