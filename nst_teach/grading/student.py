"""The student's own function, for a lesson to draw its figures with: `student_function`.

A lesson explains, lets the student write a function in ``exercises/``, checks it with ``check()``,
and then redraws its figure *with the student's function*. Until the exercise passes its checks the
lesson uses nst_teach's reference instead and says so in one line, so nobody is stuck::

    gram = student_function("ex03", "gram_matrix")
    # ✓ using your gram_matrix (ex03 passes)
    # ✗ your gram_matrix does not pass ex03 yet (normalised by M …): showing the reference

Every call grades the exercise with the same grader as ``check()`` (a fresh process; the verdict is
kept only while the folder's exercise files stay byte for byte the same) and imports the student's
file afresh, so an edit is picked up without restarting the kernel. Nothing the student wrote can
stop the lesson: a syntax error, an exception while importing, a missing folder or function all give
the reference and a note. The returned function is a thin wrapper with two attributes: ``source``
("yours" or "reference") and ``note`` (the line that was printed).
"""

import functools
import hashlib
import importlib.util
import re
import sys
from pathlib import Path

from ..errors import NSTError
from .folder import NoExerciseFolder, resolve_directory, student_folders
from .grader import DEFAULT_TIMEOUT, grade
from .spec import exercise_ids
from .spec import exercises as registry

HINT_LENGTH = 160  # characters of the grader's hint kept in the one-line note

_verdicts = {}  # (exercise, folder, hash of the folder's ex*.py files) → Record: a file changes, the key changes


def student_function(exercise, name, directory=None, *, timeout=DEFAULT_TIMEOUT, quiet=False):
    """The student's ``name`` from exercise ``exercise`` if that exercise passes, else the reference.

    exercise: "ex03" (or 3, "ex3"); name: one of the exercise's functions ("gram_matrix").
    directory: the exercise folder; None finds it as ``check()`` does (`folder.find_folder`).
    Prints one line saying which function the lesson uses and why (unless ``quiet``).
    Returns a callable with attributes ``source`` ("yours" / "reference") and ``note``.
    """
    (exercise,) = exercise_ids([exercise])
    spec = registry()[exercise]
    references = {fn.__name__: fn for fn in spec.references}
    if name not in spec.functions or name not in references:
        raise NSTError(f"{exercise} has no function {name!r}: use one of {', '.join(spec.functions)}")
    reference, mine = references[name], None
    try:
        folders = student_folders(resolve_directory(directory))
        if len(folders) != 1:
            raise NSTError("that folder holds several students' folders: give one of them as directory=…")
        record = _verdict(exercise, folders[0].resolve(), timeout)
        if record.status == "pass":
            mine = getattr(_import_fresh(folders[0].resolve(), spec.file), name)
            note = f"✓ using your {name} ({exercise} passes)"
        elif record.status == "not attempted":
            note = f"✗ your {name} is not written yet ({exercise} not attempted): showing the reference"
        else:
            note = f"✗ your {name} does not pass {exercise} yet ({_short(record.message or record.status)}): showing the reference"
    except NoExerciseFolder:
        note = f"✗ no exercise folder yet (run start_exercises()): showing the reference {name}"
    except Exception as err:  # a broken file, an unreadable folder…: the lesson goes on with the reference
        note = f"✗ could not use your {name} ({_short(f'{type(err).__name__}: {err}')}): showing the reference"
        mine = None
    if not quiet:
        print(note)
    return _labelled(mine or reference, "yours" if mine else "reference", note)


def _short(text):
    text = " ".join(str(text).split())
    return text if len(text) <= HINT_LENGTH else text[: HINT_LENGTH - 1] + "…"


def _folder_hash(folder):
    """A digest of every exercise file in ``folder`` (ex08 imports ex01, ex02…: any of them may change a verdict)."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("ex[0-9][0-9]_*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _verdict(exercise, folder, timeout):
    key = (exercise, str(folder), _folder_hash(folder))
    if key not in _verdicts:
        (_verdicts[key],) = grade([exercise], folder, timeout)
    return _verdicts[key]


def _import_fresh(folder, file):
    """Import ``folder/file`` as a new module (and, afresh, the student's files it imports)."""
    for loaded in [m for m in sys.modules if re.fullmatch(r"ex\d\d_\w+", m)]:
        del sys.modules[loaded]  # an older version, or another folder's
    importlib.invalidate_caches()
    stem = Path(file).stem
    saved_path, saved_bytecode = list(sys.path), sys.dont_write_bytecode
    sys.path.insert(0, str(folder))
    sys.dont_write_bytecode = True  # no __pycache__ in the student's folder
    try:
        loader_spec = importlib.util.spec_from_file_location(stem, folder / file)
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[stem] = module
        loader_spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved_path
        sys.dont_write_bytecode = saved_bytecode
    return module


def _labelled(fn, source, note):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    wrapper.source, wrapper.note = source, note
    return wrapper
