"""Where the student's code runs (`grading.sandbox`): what it can see, write and reach in each sandbox."""

import os
import socket
import tempfile
from pathlib import Path

import pytest
import torch

from nst_teach.errors import NSTError
from nst_teach.grading import remote, sandbox
from nst_teach.grading.spec import Check, Exercise

PROBE = '''
import os, socket


def tv_loss(x):
    found = {"uid": os.getuid(), "pid": os.getpid(), "parent": os.getppid(), "home": os.environ.get("HOME", "")}
    for name, path in (("hidden", os.path.join(HIDDEN, "probe.txt")), ("own", os.path.join(os.path.dirname(__file__), "probe.txt"))):
        try:
            with open(path, "w") as out:
                out.write("x")
            found["write_" + name] = True
        except OSError:
            found["write_" + name] = False
    found["sees_hidden"] = os.path.exists(os.path.join(HIDDEN, "alice.txt"))
    found["environment"] = sorted(os.environ)
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=1).close()
        found["network"] = "connected"
    except OSError as err:
        found["network"] = type(err).__name__
    try:
        os.kill(GRADER, 0)
        found["signal_grader"] = True
    except OSError:
        found["signal_grader"] = False
    return found
'''
PROBE_SPEC = Exercise("ex07", "ex07_tv_loss.py", "probe", ("tv_loss",), (Check("probe", 1, lambda s, i: None),))
MODES = ["none"] + [m for m in ("bwrap", "user") if os.geteuid() == 0 or m == "bwrap"]


def available(mode):
    try:
        return sandbox.choose(mode).mode == mode
    except NSTError:
        return False


@pytest.fixture(scope="module", params=MODES)
def probed(request):
    """What the probe finds from inside each sandbox this machine has (hidden: a folder like a class folder)."""
    if not available(request.param):
        pytest.skip(f"no {request.param} sandbox here (bwrap missing, or not root, or Python unreadable for nobody)")
    hidden = Path(tempfile.mkdtemp(prefix="nst-hidden-", dir=os.path.expanduser("~") if os.geteuid() else "/var/tmp"))
    (hidden / "alice.txt").write_text("a classmate's work\n")
    box = sandbox.choose(request.param, hidden=[hidden])
    with tempfile.TemporaryDirectory(prefix="nst-probe-") as workspace:
        copy, cwd = sandbox.prepare(box, workspace, "probe")
        (copy / "ex07_tv_loss.py").write_text(PROBE.replace("HIDDEN", repr(str(hidden))).replace("GRADER", str(os.getpid())))
        sandbox.give(box, copy)
        with remote.StudentProcess(box, copy, cwd) as student:
            module = remote.StudentModule(student, PROBE_SPEC, 60)
            assert module.load() is None
            found = module.tv_loss(torch.zeros(1))
            module.finish()
        yield box, found, hidden
    for path in hidden.iterdir():
        path.unlink()
    hidden.rmdir()


def test_the_student_s_code_writes_only_its_own_copy_and_cannot_signal_the_grader(probed):
    box, found, hidden = probed
    assert found["write_own"] is True
    if box.mode == "none":
        pytest.skip("no sandbox: the student's code has the grader's rights (the warning says so)")
    assert not (hidden / "probe.txt").exists()  # a class folder's file: not written (under bwrap not even seen)
    assert found["signal_grader"] is False
    assert found["uid"] != 0 or box.mode == "bwrap"  # under bwrap run by root, uid 0 is an unprivileged namespace's


def test_bwrap_hides_the_class_folder_and_the_network_and_has_its_own_processes(probed):
    box, found, _ = probed
    if box.mode != "bwrap":
        pytest.skip("bubblewrap only")
    assert found["sees_hidden"] is False
    assert found["network"] in ("OSError", "ConnectionRefusedError") and found["network"] != "connected"
    assert found["pid"] < 10 and found["uid"] == sandbox.NOBODY  # a pid namespace of its own; nobody inside
    assert found["home"] == "/tmp"


def test_the_student_s_code_sees_no_secret_of_the_grader_s_environment(probed, monkeypatch):
    _, found, _ = probed
    assert set(found["environment"]) <= {*sandbox.KEPT_ENVIRONMENT, "HOME", "PYTHONDONTWRITEBYTECODE", "OMP_NUM_THREADS",
                                         "MPLCONFIGDIR", "NST_TEACH_GRADER_ADDRESS_SPACE", "LC_CTYPE", "PWD", "SHLVL", "_"}


def test_modes_are_chosen_forced_and_refused_in_one_line(monkeypatch):
    assert sandbox.choose("none").mode == "none" and "bubblewrap" in sandbox.warning(sandbox.Sandbox("none"))
    assert sandbox.warning(sandbox.Sandbox("bwrap")) is None and sandbox.warning(sandbox.Sandbox("user", 65534, 65534)) is None
    monkeypatch.setenv(sandbox.SANDBOX_VARIABLE, "none")
    assert sandbox.choose().mode == "none"
    monkeypatch.setenv(sandbox.SANDBOX_VARIABLE, "docker")
    with pytest.raises(NSTError, match="unknown sandbox 'docker'"):
        sandbox.choose()
