"""Writing files without losing anything: check first, write to a temporary file, then rename.

Every file nst-teach writes (results, GIFs, figures, cached samples, benchmark numbers) goes through
`atomic_write`, so a reader never sees half a file, a failed write leaves the old file as it was,
and the new file gets the permissions a normally created one would.
"""

import os
import stat
import tempfile
from pathlib import Path

from .errors import NSTError


def check_writable(path):
    """Fail early, with advice, if ``path`` cannot be written (before any long computation).

    Tried for real: a temporary file is created in the folder and removed again, because permission
    bits are not the whole story (``/proc``, read-only mounts, full disks, root ignoring the bits)."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise NSTError(f"output {path} is a directory: give a file name such as {path / 'out.png'}")
    if not parent.is_dir():
        raise NSTError(f"output folder {parent} does not exist: create it or choose another -o path")
    if path.exists() and not os.access(path, os.W_OK):
        raise NSTError(f"cannot write to {path}: choose a path in a folder you can write to")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".probe", dir=parent)
        os.close(fd)
        os.remove(probe)
    except OSError as err:
        raise NSTError(f"cannot write to {path} ({err.strerror}): choose a path in a folder you can write to") from None


def _mode_for(path):
    """Permission bits for the file we are about to write: an existing file's own (replacing it keeps
    them), else what a normally created file gets, 0666 minus the umask (mkstemp's 0600 is not that)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)  # the only portable way to read the umask is to set it and put it back
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path, write):
    """Call ``write(tmp_path)``, then rename tmp → path: readers never see a half-written file.
    The result has the permissions of the file it replaces, or the umask's for a new file."""
    path = Path(path)
    check_writable(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent or ".")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path
