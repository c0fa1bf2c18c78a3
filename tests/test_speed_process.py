"""Tests for `nst_teach.speed.process`: the entry points' process settings, written once, applied by
starting the process again, never by importing nst_teach."""

import os
import subprocess
import sys

import pytest

from nst_teach.speed import process

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_settings_are_added_but_a_users_own_values_are_kept():
    env = process.environment({"PATH": "/bin", "OMP_WAIT_POLICY": "ACTIVE"})
    assert env["OMP_WAIT_POLICY"] == "ACTIVE" and env["PATH"] == "/bin"
    assert env["MALLOC_MMAP_MAX_"] == "0" and int(env["MALLOC_TRIM_THRESHOLD_"]) == 1 << 30
    assert process.in_effect(env)["MALLOC_MMAP_MAX_"] == "0" and process.in_effect({})["OMP_WAIT_POLICY"] is None


@pytest.mark.parametrize("argv, env, plain", [
    (["transfer", "a", "b", "--speed", "plain"], {}, True), (["transfer", "--speed=plain"], {}, True),
    (["transfer", "a", "b"], {"NST_TEACH_SPEED": "plain"}, True), (["transfer", "--speed", "auto"], {"NST_TEACH_SPEED": "plain"}, False),
    (["transfer", "a", "b"], {}, False), (["samples"], {"NST_TEACH_SPEED": "auto"}, False)])
def test_plain_asks_for_no_process_settings(argv, env, plain):
    assert process.plain_requested(argv, env) is plain


def test_restarting_happens_once_with_the_settings(monkeypatch):
    started = []
    monkeypatch.setattr(process.os, "execve", lambda path, argv, env: started.append((path, argv, env)))
    for name in process.SETTINGS:
        monkeypatch.delenv(name, raising=False)
    process.restart_with_settings(["python", "script.py", "--size", "64"], ["--size", "64"])
    if sys.platform.startswith("linux"):
        ((path, argv, env),) = started
        assert path == "python" and argv == ["python", "script.py", "--size", "64"]
        assert all(env[k] == v for k, v in process.SETTINGS.items())
    for name, value in process.SETTINGS.items():
        monkeypatch.setenv(name, value)
    started.clear()
    process.restart_with_settings(["python", "script.py"], [])  # all in effect: no restart
    process.restart_with_settings(["python", "script.py"], ["--speed", "plain"])
    assert started == []


def test_importing_nst_teach_changes_nothing_in_the_environment():
    code = ("import os; before = dict(os.environ)\n"
            "import nst_teach, nst_teach.cli, nst_teach.speed, nst_teach.reconstruct, nst_teach.preview, nst_teach.figures\n"
            "changed = {k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k)}\n"
            "print(sorted(changed))")
    env = {k: v for k, v in os.environ.items() if k not in process.SETTINGS and k != "KMP_DUPLICATE_LIB_OK"}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    assert run.stdout.strip() == "[]"


def test_the_command_starts_itself_again_with_the_settings_before_torch_loads(monkeypatch):
    """nst_teach_launch (the nst-teach command): settings missing → exec with them, torch not loaded yet."""
    code = ("import os, sys, nst_teach_launch\n"
            "def execve(path, argv, env):\n"
            "    print('torch' in sys.modules, argv[1:], env['OMP_WAIT_POLICY'], env['MALLOC_MMAP_MAX_']); sys.exit(0)\n"
            "os.execve = execve\n"
            "sys.argv = ['nst-teach', 'samples']\n"
            "nst_teach_launch.main()")
    env = {k: v for k, v in os.environ.items() if k not in process.SETTINGS}
    run = subprocess.run([sys.executable, "-c", code], env={**env, "OMP_WAIT_POLICY": "ACTIVE"}, capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    if sys.platform.startswith("linux"):
        assert run.stdout.split() == ["False", "['nst-teach',", "'samples']", "ACTIVE", "0"]


_REUSE = """
import resource, torch
torch.ones(64 << 18)  # 64 MB, written (so its pages are mapped), then freed
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
torch.ones(60 << 18)  # 60 MB: fits in the freed block whatever malloc's alignment padding
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc settings")
def test_the_allocator_setting_reuses_large_blocks_without_page_faults():
    """A 64 MB block is above glibc's largest mmap threshold: with mmap on, the next large allocation maps
    fresh pages (15 360 faults of 4 KB for 60 MB, fewer with huge pages); served from the heap, it reuses
    the freed block's pages. The second block is a little smaller because torch asks for aligned memory
    (posix_memalign), whose request is a few bytes larger than the block it returns: when a small object
    has landed just after the freed block, an exactly-equal request no longer fits in it and extends the
    heap instead (16 384 faults on some machines, 0 on others, by layout). The evaluations' maps of many
    sizes fill such holes: benchmarks/bench_allocator.py counts their faults."""
    def faults(settings):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
        out = subprocess.run([sys.executable, "-c", _REUSE], env={**env, **settings}, capture_output=True, text=True, check=True)
        return int(out.stdout.split()[-1])

    heap_only = {k: v for k, v in process.SETTINGS.items() if k.startswith("MALLOC_")}
    assert faults({"MALLOC_MMAP_THRESHOLD_": str(32 << 20)}) > 1000  # mmap on: a fresh mapping each time
    assert faults(heap_only) < 100
