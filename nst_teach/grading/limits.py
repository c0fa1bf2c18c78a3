"""The student's process's limits: memory, file size, and the private copy of the student's files.

A student's code runs in a process of its own (`student_side`, started by `remote.StudentProcess`).
Three limits keep it from hurting the grader:

- **Address space** (``RLIMIT_AS``, set by that process before any student code runs): a request for
  20 GB fails at once with ``MemoryError`` inside the student's function, which the check reports. It is
  generous, because torch reserves far more address space than it touches: a process grading all eight
  exercises peaked at 3.5 GB of address space and 0.72 GB resident (Intel Xeon with AMX).
- **Resident memory**, watched by the grader (Linux ignores ``RLIMIT_RSS``): a process that fills memory
  slowly, within its address space, is killed when the resident set of it and everything it started
  passes ``memory`` bytes.
- **File size** (``RLIMIT_FSIZE``): a student's code cannot fill the disk, nor the grader's stderr file.

And the student's files are graded from a *private copy*: the grader rewrites it before each exercise
(`restore`), so a file that deletes or rewrites the submission spoils nothing but its own exercise, and
the folder a student or instructor gave is never written to. The grader also compares the copy and
the folders it guards (the autograder's results/ and submission/) before and after each exercise
(`fingerprint`, `changes`): an exercise whose code wrote or deleted files there scores 0.
"""

import os
import re
import shutil
from pathlib import Path

ADDRESS_SPACE = 6 * 2**30  # bytes: 1.7× the measured peak of 3.5 GB; a 20 GB request still fails at once
MEMORY = 1536 * 2**20  # bytes resident: 2.1× the measured 0.72 GB (of which ~0.5 GB is torch's shared libraries)
FILE_SIZE = 64 * 2**20  # bytes: the largest file the student's code may write
COPIED = re.compile(r"[\w.-]+\.py")  # the student's Python files (exercise files and helpers) are what is copied


def apply_child_limits(address_space=ADDRESS_SPACE):
    """Called by the student's process before any student code runs: set its resource limits (POSIX; elsewhere
    only the parent's memory watch applies)."""
    try:
        import resource
    except ImportError:  # Windows
        return
    for limit, value in ((resource.RLIMIT_AS, address_space), (resource.RLIMIT_FSIZE, FILE_SIZE),
                         (resource.RLIMIT_CORE, 0)):
        soft, hard = resource.getrlimit(limit)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        try:
            resource.setrlimit(limit, (value, hard))
        except (ValueError, OSError):  # macOS refuses some limits: the parent's memory watch still applies
            pass


def resident_bytes(pid):
    """The resident set of process ``pid`` in bytes (VmRSS), or None once it has gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def snapshot(folder):
    """{file name: bytes} of the Python files directly in ``folder`` (what a private copy holds)."""
    files = {}
    for path in sorted(Path(folder).iterdir()):
        if COPIED.fullmatch(path.name) and path.is_file():
            files[path.name] = path.read_bytes()
    return files


def restore(folder, files):
    """Make ``folder`` hold exactly ``files`` ({name: bytes}) again, whatever the last exercise did to it."""
    folder = Path(folder)
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        folder.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        if path.name not in files or path.is_symlink() or not path.is_file():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    for name, data in files.items():
        target = folder / name
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)
    os.utime(folder)


def gigabytes(n):
    return f"{n / 2**30:.1f} GB"


def fingerprint(folders, ignore=("stdout",)):
    """{"results/results.json": (size, mtime), …} for every file under ``folders`` (at most 2,000 each),
    named from the folder's own name: to see what an exercise changed."""
    seen = {}
    for folder in map(Path, folders):
        if not folder.exists():
            seen[folder.name] = None
            continue
        for path in [folder, *sorted(folder.rglob("*"))][:2000]:
            if path.name in ignore:
                continue
            try:
                info = path.lstat()
            except OSError:
                continue
            name = (Path(folder.name) / path.relative_to(folder)).as_posix()
            seen[name] = (info.st_size, info.st_mtime_ns) if path.is_file() else "folder"
    return seen


def changes(before, after, limit=4):
    """'wrote results/results.json; deleted submission/ex03_gram.py (and 3 more)' ("" when nothing changed)."""
    wrote = [f"wrote {p}" for p in after if after[p] not in (None, "folder") and before.get(p) != after[p]]
    made = [f"made {p}" for p in after if after[p] == "folder" and p not in before]
    deleted = [f"deleted {p}" for p in before if before[p] is not None and after.get(p) is None]
    said = wrote + made + deleted
    return "; ".join(said[:limit]) + (f" (and {len(said) - limit} more)" if len(said) > limit else "")
