"""The student's folder: where the exercise files are, and how fresh templates get there.

The templates live in the repository's top-level ``exercises/`` folder, the one a student who cloned
the repository works in, and the wheel ships the same files as the package ``nst_teach.exercises``
(pyproject's ``package-dir``): one source. `init_exercises` copies them into any folder without ever
overwriting a file; `start_exercises` does it from a notebook.

Which folder `check()` and ``nst-teach grade`` grade, when none is given (`find_folder`):

1. the folder given explicitly (``directory=…``, ``--dir``);
2. else ``$NST_TEACH_EXERCISES``, if set;
3. else ``.``, if it holds exercise files (``ex01_preprocess.py`` …);
4. else ``./exercises``, if it exists (the repository's root, or wherever `start_exercises` made it);
5. else ``../exercises``, if it exists (a notebook's kernel runs in ``lessons/``, next to ``exercises/``).
"""

import os
import re
from pathlib import Path

from ..errors import NSTError

ENVIRONMENT = "NST_TEACH_EXERCISES"
TEMPLATE = re.compile(r"ex\d\d_\w+\.py")


class NoExerciseFolder(NSTError):
    """No exercise files where the grader looked: the answer is to create them (CLI and notebook say how)."""


def has_exercises(folder):
    return any(TEMPLATE.fullmatch(p.name) for p in Path(folder).glob("ex[0-9][0-9]_*.py"))


def find_folder(directory=None):
    """The exercise folder by the rules above, or None when there is none (nothing given, nothing found)."""
    if directory is not None:
        return Path(directory).expanduser()
    if os.environ.get(ENVIRONMENT):
        return Path(os.environ[ENVIRONMENT]).expanduser()
    here = Path.cwd()
    if has_exercises(here):
        return here
    for candidate in (here / "exercises", here.parent / "exercises"):
        if candidate.is_dir():
            return candidate
    return None


def resolve_directory(directory=None):
    """`find_folder`, checked: the folder to grade (it may hold one student's files or a class's folders)."""
    folder = find_folder(directory)
    if folder is None:
        raise NoExerciseFolder("no exercise files here, in ./exercises or in ../exercises: create them with "
                               "`nst-teach exercises init exercises` (or give --dir)")
    if not folder.exists():
        source = f" (from ${ENVIRONMENT})" if directory is None else ""
        raise NSTError(f"folder not found: {folder}{source}: create it with `nst-teach exercises init {folder}`")
    if not folder.is_dir():
        raise NSTError(f"{folder} is not a folder: give the folder that holds ex01_preprocess.py …")
    return folder


def student_folders(folder):
    """[folder] if it holds exercise files; else its subfolders that do (a class of submissions)."""
    if has_exercises(folder):
        return [folder]
    students = sorted(p for p in folder.iterdir() if p.is_dir() and has_exercises(p))
    if not students:
        raise NoExerciseFolder(f"no exercise files (ex01_preprocess.py …) in {folder} or its subfolders: "
                               f"run `nst-teach exercises init {folder}` first")
    return students


def templates_folder():
    """The folder of the templates: the repository's ``exercises/`` in a source checkout (editable
    install, or a clone on ``PYTHONPATH``); else the installed package ``nst_teach.exercises`` (a wheel)."""
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and has_exercises(checkout / "exercises"):
        return checkout / "exercises"
    from importlib.util import find_spec

    spec = find_spec("nst_teach.exercises")  # a folder of .py files without __init__.py: a namespace package
    for location in (spec.submodule_search_locations or []) if spec else []:
        if has_exercises(location):
            return Path(location)
    raise NSTError("the exercise templates are missing from this installation: reinstall nst-teach")


def templates():
    """The template files, in exercise order."""
    return sorted((p for p in templates_folder().iterdir() if TEMPLATE.fullmatch(p.name)), key=lambda p: p.name)


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
    for template in templates():
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


def start_exercises(directory=None):
    """From a notebook: make sure the exercise folder exists and holds every template; returns its Path.

    The folder is ``directory`` if given, else the one `check()` would grade (`find_folder`: in a clone,
    the repository's ``exercises/``), else a new ``exercises/`` next to the notebook. Existing files are
    never overwritten. Prints what it did, in two lines.
    """
    folder = find_folder(directory) or Path("exercises")
    kept = []
    written = init_exercises(folder, on_skip=kept.append)
    folder = folder.resolve()
    done = f"wrote {len(written)} exercise file{'s' * (len(written) != 1)}"
    print(f"{folder}: {done}" + (f", kept the {len(kept)} already there (never overwritten)" if kept else ""))
    print('next: open ex01_preprocess.py there, replace its `raise NotImplementedError` line, then run check("ex01")')
    return folder


def reset_exercise(exercise, directory=None, *, now=None):
    """Put the template of ``exercise`` ("ex03") back in the exercise folder, keeping the student's file
    as ``ex03_gram.py.YYYYMMDD-HHMMSS.bak`` beside it (a name the grader never reads). Returns
    (the exercise file, the backup or None when there was no file or it was the template already)."""
    import datetime
    import shutil

    from .spec import exercise_ids
    from .spec import exercises as registry

    (exercise,) = exercise_ids([exercise])
    folder = resolve_directory(directory)
    name = registry()[exercise].file
    template, target = (templates_folder() / name).read_bytes(), folder / name
    backup = None
    if target.is_file() and target.read_bytes() != template:
        stamp = (now or datetime.datetime.now()).strftime("%Y%m%d-%H%M%S")
        backup = folder / f"{name}.{stamp}.bak"
        if backup.exists():
            raise NSTError(f"{backup} exists already: wait a second and reset again")
        shutil.copy2(target, backup)
    elif target.exists() and not target.is_file():
        raise NSTError(f"{target} is not a file: move it away, then reset again")
    partial = folder / f".{name}.partial"
    try:
        partial.write_bytes(template)
        os.replace(partial, target)
    except OSError as err:
        raise NSTError(f"cannot write {target} ({err.strerror}): choose a folder you can write to") from None
    return target, backup


def submission_zip(directory=None, output="submission.zip"):
    """Zip the exercise files of the folder (see `find_folder`) into ``output``, to upload (Gradescope,
    an LMS). Returns (the zip's path, [files in it], [exercises still the untouched template])."""
    import zipfile

    from .spec import exercises as registry

    folder, output = resolve_directory(directory), Path(output).expanduser()
    if output.suffix.lower() != ".zip":
        raise NSTError(f"{output}: give a .zip file name, e.g. submission.zip")
    if not output.parent.is_dir():
        raise NSTError(f"folder not found: {output.parent}: create it, or give another output path")
    files, untouched = [], []
    for exercise, spec in registry().items():
        path = folder / spec.file
        if path.is_file():
            files.append(path)
            template = templates_folder() / spec.file
            if template.is_file() and template.read_bytes() == path.read_bytes():
                untouched.append(exercise)
    if not files:
        raise NoExerciseFolder(f"no exercise files in {folder}: run `nst-teach exercises init {folder}` first")
    partial = output.with_name(f".{output.name}.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.name)  # flat: the autograder finds the files by name
    os.replace(partial, output)
    return output, [p.name for p in files], untouched
