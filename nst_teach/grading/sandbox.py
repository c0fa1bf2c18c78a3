"""Where the student's process runs and with what rights: bubblewrap, an unprivileged user, or neither.

The grader starts the student's side (`student_side`) in the strongest of three sandboxes it can:

- **bwrap** (Debian/Ubuntu package ``bubblewrap``), when it works here: a read-only view of the whole
  file system, no network, a private /tmp (64 MB), its own pid namespace, no capabilities, the class
  folder and the grader's working folder hidden, its own copy of the student's files as the only
  writable folder, and it dies with the grader. Run by root, it runs as an unprivileged user too.
- **user**: the grader is root (Gradescope's container, where bwrap cannot make namespaces) and the
  student's process runs as an unprivileged user (``nst-student``, which the autograder's setup.sh
  creates; else ``nobody``): it cannot write the grader's files, read its folders (mode 0700), or
  signal it. What it starts is killed by user at the end of each exercise when the user is nst-student.
- **none**: neither is possible (no bwrap, not root). The student's code runs with the grader's
  rights; `warning` says so in one line and the README says what that means: grading untrusted code
  needs one of the two.

``NST_TEACH_SANDBOX=bwrap|user|none`` forces one (``auto``, the default, takes the strongest).
`start` returns a `Started` process; `Started.strays` lists what the student's code started, and
`Started.kill` ends it all.
"""

import functools
import os
import pwd
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import NSTError

SANDBOX_VARIABLE = "NST_TEACH_SANDBOX"
MODES = ("auto", "bwrap", "user", "none")
STUDENT_USER = "nst-student"  # the autograder's setup.sh creates this user
NOBODY = 65534
TMP_BYTES = 64 * 2**20  # the student's private /tmp under bwrap (it lives in memory)
INSIDE = "/tmp/student"  # where bwrap shows the student's copy
KEPT_ENVIRONMENT = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT")
WARNING = ("warning: no sandbox for the students' code (bubblewrap is not installed and this is not root): it runs with "
           "your rights and can read and change your files; install bubblewrap (apt install bubblewrap) before "
           "grading code you do not trust")


@dataclass(frozen=True)
class Sandbox:
    mode: str  # "bwrap", "user" or "none"
    uid: int = None  # the unprivileged user the student's process runs as (when the grader is root)
    gid: int = None
    hidden: tuple = field(default=())  # folders the student's process must not see (bwrap)
    alone: bool = False  # one student at a time (the autograder): every process of ``uid`` is that student's

    @property
    def dedicated_user(self):
        """True when everything ``uid`` runs is the one student's being graded: nst-student, one at a time."""
        try:
            return self.alone and self.uid is not None and pwd.getpwuid(self.uid).pw_name == STUDENT_USER
        except KeyError:
            return False

    def describe(self):
        who = f" as {_user_name(self.uid)}" if self.uid is not None else ""
        return {"bwrap": f"bubblewrap{who}: read-only files, no network, private /tmp, its own processes",
                "user": f"an unprivileged user{who}", "none": "none"}[self.mode]


def choose(mode=None, hidden=()):
    """The `Sandbox` to use: ``mode`` (or $NST_TEACH_SANDBOX, or "auto": the strongest that works here)."""
    mode = mode or os.environ.get(SANDBOX_VARIABLE) or "auto"
    if mode not in MODES:
        raise NSTError(f"unknown sandbox {mode!r} in ${SANDBOX_VARIABLE}: use {', '.join(MODES)}")
    uid, gid = student_ids() if os.geteuid() == 0 else (None, None)
    hidden = tuple(str(Path(h).resolve()) for h in hidden if Path(h).is_dir())
    if mode in ("auto", "bwrap"):
        # As root, bwrap runs as the unprivileged user when it can run this Python; else as root, its rights
        # bounded by the namespaces (read-only files, no capabilities, nothing else to see or signal).
        for who in ([(uid, gid)] if uid is not None else []) + [(None, None)]:
            if runs(*who, bwrap=True):
                return Sandbox("bwrap", *who, hidden)
        if mode == "bwrap":
            raise NSTError("bubblewrap is not installed or cannot make namespaces here: install it (apt install "
                           f"bubblewrap), or set {SANDBOX_VARIABLE}=auto")
    if mode in ("auto", "user") and uid is not None:
        if runs(uid, gid, bwrap=False):
            return Sandbox("user", uid, gid)
        if mode == "user":
            raise NSTError(f"the unprivileged user {_user_name(uid)} cannot run {sys.executable} and nst_teach: "
                           "install them where every user may read them")
    if mode == "user":
        raise NSTError(f"{SANDBOX_VARIABLE}=user needs the grader to run as root (it switches to an unprivileged user)")
    return Sandbox("none")


def warning(sandbox):
    """The one line `nst-teach grade --dir` prints when students' code runs unsandboxed (else None)."""
    return WARNING if sandbox.mode == "none" else None


def student_ids():
    """(uid, gid) of nst-student if it exists, else nobody's."""
    try:
        entry = pwd.getpwnam(STUDENT_USER)
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return NOBODY, NOBODY


def _user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


@functools.lru_cache(maxsize=None)
def runs(uid=None, gid=None, bwrap=False):
    """True if this Python and nst_teach start as ``uid`` (None: as the grader), in bwrap if ``bwrap``.
    Probed once per process and sandbox (bwrap may be missing, or unable to make namespaces here)."""
    if bwrap and shutil.which("bwrap") is None:
        return False
    command = [sys.executable, "-c", "import nst_teach.grading.channel"]
    if bwrap:
        command = _bwrap(Sandbox("bwrap", uid, gid), None, None) + command
    try:
        done = subprocess.run(command, capture_output=True, timeout=60, stdin=subprocess.DEVNULL, env=_environment(),
                              **_as_user(uid, gid))
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _as_user(uid, gid):
    return {} if uid is None else {"user": uid, "group": gid, "extra_groups": []}


def prepare(sandbox, workspace, name):
    """The student's private copy and an empty working folder, inside ``workspace`` (the grader's own
    temporary folder). Returns (copy, cwd): the copy belongs to the student's user (0700), the rest
    stays the grader's (0711: passable, not listable)."""
    workspace = Path(workspace)
    os.chmod(workspace, 0o711 if sandbox.uid is not None else 0o700)
    copy, cwd = workspace / name, workspace / "cwd"
    copy.mkdir(exist_ok=True)
    cwd.mkdir(exist_ok=True)
    if sandbox.uid is not None:
        os.chown(copy, sandbox.uid, sandbox.gid)
        os.chmod(copy, 0o700)
        os.chmod(cwd, 0o711)
    return copy, cwd


def give(sandbox, folder):
    """Make every file in ``folder`` (the private copy, just rewritten) the student's user's."""
    if sandbox.uid is None:
        return
    for path in [folder, *Path(folder).iterdir()]:
        try:
            os.lchown(path, sandbox.uid, sandbox.gid)
        except OSError:
            pass


def start(sandbox, copy, cwd, fds, stderr, environment):
    """Start the student's side on ``copy`` with the channel's two descriptors ``fds`` (read, write).
    Returns a `Started`; the folder the process sees is `Started.folder`."""
    folder = f"{INSIDE}/{copy.name}" if sandbox.mode == "bwrap" else str(copy)
    command = [sys.executable, "-m", "nst_teach.grading.student_side", str(fds[0]), str(fds[1]), folder]
    if sandbox.mode == "bwrap":
        command = _bwrap(sandbox, copy, folder) + command
    env = _environment()
    env.update(environment, HOME="/tmp" if sandbox.mode == "bwrap" else str(cwd), PYTHONDONTWRITEBYTECODE="1",
               OMP_NUM_THREADS="1", MPLCONFIGDIR="/tmp" if sandbox.mode == "bwrap" else str(cwd))
    # A session of its own: a timeout kills whatever the student's code started, too.
    process = subprocess.Popen(command, cwd=cwd if sandbox.mode != "bwrap" else None, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=stderr, env=env, pass_fds=fds,
                               start_new_session=True, **_as_user(sandbox.uid, sandbox.gid))
    return Started(process, sandbox, folder)


def _environment():
    """The grader's environment, without what the student's code has no business seeing (tokens, keys)."""
    return {k: v for k, v in os.environ.items() if k in KEPT_ENVIRONMENT or k.startswith("LC_")}


def _bwrap(sandbox, copy, folder):
    args = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--size", str(TMP_BYTES),
            "--tmpfs", "/tmp", "--size", str(TMP_BYTES), "--tmpfs", "/dev/shm"]
    for hidden in sandbox.hidden:  # other students' folders, the grader's workspace
        if not str(Path(sys.executable).resolve()).startswith(hidden + os.sep):
            args += ["--tmpfs", hidden]
    for path in os.environ.get("PYTHONPATH", "").split(os.pathsep):  # the installed package, wherever it is
        if path and Path(path).is_dir():
            args += ["--ro-bind", str(Path(path).resolve()), str(Path(path).resolve())]
    if copy is not None:
        args += ["--dir", INSIDE, "--bind", str(copy), folder]
    args += ["--dir", "/tmp/cwd", "--chdir", "/tmp/cwd", "--unshare-all", "--unshare-user", "--uid", str(NOBODY),
             "--gid", str(NOBODY), "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--"]
    return args


class Started:
    """A started student process: its pid (bwrap's, under bwrap), and what the student's code started."""

    def __init__(self, process, sandbox, folder):
        self.process, self.sandbox, self.folder, self.worker = process, sandbox, folder, None

    @property
    def pid(self):
        return self.process.pid

    def found(self, inner_pid):
        """Note the student process's pid (as it reported it: under bwrap, a pid of its own namespace)."""
        tree = process_tree(self.pid)
        if self.sandbox.mode != "bwrap":
            self.worker = self.pid
            return
        for pid in tree:
            spaces = _status(pid).get("NSpid", "").split()
            if len(spaces) > 1 and spaces[-1] == str(inner_pid):
                self.worker = pid
                return

    def strays(self):
        """The processes the student's code started that still run (never that process itself or bwrap)."""
        tree = process_tree(self.pid)
        keep = {self.pid, self.worker}
        if self.sandbox.mode == "bwrap":
            keep |= {p for p in tree if _status(p).get("NSpid", "").split()[-1:] == ["1"]}  # bwrap's init
        found = [p for p in tree if p not in keep]
        if self.sandbox.mode == "user" and self.sandbox.dedicated_user:
            found += [p for p in processes_of(self.sandbox.uid) if p not in keep and p not in found]
        return found

    def kill_strays(self):
        for pid in self.strays():
            _kill(pid)

    def kill(self):
        """Kill the student's process and everything it started."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for pid in process_tree(self.pid):
            _kill(pid)
        if self.sandbox.mode == "user" and self.sandbox.dedicated_user:
            for pid in processes_of(self.sandbox.uid):
                _kill(pid)
        self.process.wait()

    def alive(self):
        return self.process.poll() is None

    def resident_bytes(self):
        """Resident memory of the process and everything it started (what the memory limit counts)."""
        from .limits import resident_bytes

        return sum(resident_bytes(pid) or 0 for pid in process_tree(self.pid))


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _status(pid):
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            return dict(line.rstrip("\n").split(":\t", 1) for line in status if ":\t" in line)
    except OSError:
        return {}


def _parents():
    """{pid: parent pid} of every process (Linux's /proc)."""
    found = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    found[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    return found


def process_tree(root):
    """``root`` and all its descendants."""
    children = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def processes_of(uid):
    """Every process whose real user is ``uid``."""
    found = []
    for pid in _parents():
        real = _status(pid).get("Uid", "").split()[:1]
        if real == [str(uid)]:
            found.append(pid)
    return found
