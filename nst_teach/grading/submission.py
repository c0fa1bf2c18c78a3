"""What a student handed in: the exercise files found in a folder, a zip, or a mix of both.

Students upload their ``exNN_*.py`` files loose, in a folder, or in a zip (Gradescope, an LMS, or
`folder.submission_zip`). `collect` finds them wherever they are and returns their bytes, flattened
into one folder's worth of files, with a list of what was found and what was ignored and why, so the
student can see it. Nothing is extracted to disk: the grader writes the files into a private copy.
"""

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ..errors import NSTError
from .limits import COPIED

LOOKS_LIKE_EXERCISE = re.compile(r"ex0?(\d{1,2})\b.*\.py", re.IGNORECASE)  # "ex03.py", "ex03_gram (1).py"
MAX_FILE = 1 * 2**20  # bytes: a student's Python file is a few kB; bigger is not code to grade
MAX_TOTAL = 16 * 2**20  # bytes read from one submission, zips included


@dataclass
class Submission:
    files: dict = field(default_factory=dict)  # {"ex03_gram.py": bytes, "helpers.py": bytes}: what is graded
    found: list = field(default_factory=list)  # where each graded file came from: "ex03_gram.py ← work/ex03_gram.py"
    ignored: list = field(default_factory=list)  # "ex03.py: not an exercise file name (expected ex03_gram.py)"

    def exercise_files(self, known):
        """The exercises ({"ex03": Exercise}) whose file is in the submission."""
        return [e for e, spec in known.items() if spec.file in self.files]


def collect(path, known):
    """The submission at ``path`` (a folder, a .zip or one .py file). ``known``: {"ex03": Exercise}."""
    from pathlib import Path

    path = Path(path)
    entries = []  # (relative path, reader)
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink()):
            entries.append((file.relative_to(path).as_posix(), file.read_bytes, file.stat().st_size))
    elif path.is_file():
        entries.append((path.name, path.read_bytes, path.stat().st_size))
    else:
        raise NSTError(f"submission not found: {path}")
    return _gather(entries, known)


def _gather(entries, known):
    names = {spec.file for spec in known.values()}
    by_number = {spec.number: spec.file for spec in known.values()}
    candidates, submission, budget = [], Submission(), [MAX_TOTAL]
    for relative, read, size in _expand(entries, submission, budget):
        name = PurePosixPath(relative).name
        depth = relative.count("/")
        if name in names:
            candidates.append((depth, relative, name, read))
        elif COPIED.fullmatch(name) and not name.startswith("."):
            match = LOOKS_LIKE_EXERCISE.fullmatch(name)
            if match and int(match.group(1)) in by_number:
                submission.ignored.append(f"{relative}: not an exercise file name (rename it "
                                          f"{by_number[int(match.group(1))]})")
            candidates.append((depth + 100, relative, name, read))  # a helper module: after the exercise files
        elif name.endswith(".py") or LOOKS_LIKE_EXERCISE.fullmatch(name):
            submission.ignored.append(f"{relative}: not a Python module name")
        elif name.endswith((".ipynb",)):
            submission.ignored.append(f"{relative}: notebooks are not graded (upload the exNN_*.py files)")
    for depth, relative, name, read in sorted(candidates, key=lambda c: (c[0], c[1])):
        if name in submission.files:
            if depth < 100:
                submission.ignored.append(f"{relative}: a second {name} (graded the one nearer the top)")
            continue
        submission.files[name] = read()
        if depth < 100:
            submission.found.append(name if relative == name else f"{name} ← {relative}")
    return submission


def _expand(entries, submission, budget):
    """The entries, with the members of each .zip among them (one level) in their place."""
    for relative, read, size in entries:
        parts = PurePosixPath(relative).parts
        if any(p.startswith(".") or p in ("__MACOSX", "__pycache__") for p in parts):
            continue
        if relative.lower().endswith(".zip"):
            yield from _zip_members(relative, read, size, submission, budget)
        elif relative.endswith(".py") or relative.endswith(".ipynb"):
            if size > MAX_FILE or size > budget[0]:
                submission.ignored.append(f"{relative}: too big to be graded ({size:,} bytes)")
                continue
            budget[0] -= size
            yield relative, read, size


def _zip_members(relative, read, size, submission, budget):
    if size > budget[0]:
        submission.ignored.append(f"{relative}: too big to be read ({size:,} bytes)")
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(read()))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        submission.ignored.append(f"{relative}: not a readable zip ({err})")
        return
    for member in members:
        inner = PurePosixPath(member.filename)
        if inner.is_absolute() or ".." in inner.parts or not member.filename.endswith((".py", ".ipynb")):
            continue
        if member.file_size > MAX_FILE or member.file_size > budget[0]:
            submission.ignored.append(f"{relative}/{member.filename}: too big to be graded ({member.file_size:,} bytes)")
            continue
        budget[0] -= member.file_size
        yield f"{relative}/{member.filename}", _reader(archive, member), member.file_size


def _reader(archive, member):
    def read():
        try:
            return archive.read(member)[:MAX_FILE]
        except (zipfile.BadZipFile, OSError, ValueError, RuntimeError):  # corrupt, or encrypted
            return b"raise SyntaxError('this file could not be read from its zip')\n"
    return read
