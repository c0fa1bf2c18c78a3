"""Speed: the process settings of nst-teach's entry points — the command, `make lab`, the benchmarks.

Two settings make a run faster but change the whole process, so library code never applies them;
an entry point starts its process with them, through `environment` (the one place they are written):

* ``OMP_WAIT_POLICY=PASSIVE``: an OpenMP thread that has finished its share of an operation sleeps
  instead of spinning on its core, waiting for the next one. Between torch's operations, the
  Winograd convolutions (`nst_teach.speed.winograd`) run on NNPACK's own threads, which otherwise
  find both cores busy spinning: on a 2-core AMD EPYC (AVX2) a 512 px loss evaluation took 1.31 s
  instead of 1.59 s (benchmarks/bench_evaluation.py with and without it); torch's direct
  convolutions were not slower with it. OpenMP reads it once, when torch loads.
* glibc's malloc keeps freed memory for reuse (``MALLOC_MMAP_MAX_=0``: every block from the heap;
  ``MALLOC_TRIM_THRESHOLD_``: keep up to 1 GB free). Each evaluation allocates and frees the same
  large feature maps (44.7 MB for relu1_1 at 512×341 px); served by a fresh mmap, each is
  page-faulted and zeroed again at every evaluation. One loss evaluation on the AVX2 EPYC
  (benchmarks/bench_allocator.py): 4.95 → 3.57 s at 1024 px (page faults 980 000 → 8 000), 1.00 →
  0.87 s at 512 px. glibc reads them when a process starts.

Both are read when a process starts, so `restart_with_settings` starts the process again with them
(Linux) before any work is done. A value the user has set is kept. ``--speed plain`` or
``NST_TEACH_SPEED=plain`` asks for none of them. This module does not import torch: the command's
launcher (nst_teach_launch.py) loads it by path, before torch.
"""

import os
import sys

# What each entry point's process runs with, unless the user set the variable.
SETTINGS = {
    "OMP_WAIT_POLICY": "PASSIVE",
    "MALLOC_MMAP_MAX_": "0",
    "MALLOC_TRIM_THRESHOLD_": str(1 << 30),
}
SPEED_ENV = "NST_TEACH_SPEED"


def environment(env=None, settings=SETTINGS):
    """A copy of ``env`` (default: this process's) with each setting added unless already set."""
    env = dict(os.environ if env is None else env)
    for name, value in settings.items():
        env.setdefault(name, value)
    return env


def in_effect(env=None):
    """The settings this process runs with, as {name: value or None}: part of the calibration's key."""
    env = os.environ if env is None else env
    return {name: env.get(name) for name in (*SETTINGS, "MALLOC_MMAP_THRESHOLD_")}


def plain_requested(argv, env=None):
    """True if the command line or $NST_TEACH_SPEED asks for the plain path (no process settings)."""
    env = os.environ if env is None else env
    args = list(argv)
    asked = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--speed"] + [a[8:] for a in args if a.startswith("--speed=")]
    return (asked[-1] if asked else env.get(SPEED_ENV)) == "plain"


def restart_with_settings(command, argv=()):
    """Start this process again as ``command`` (argv list: the interpreter and what it runs) with the
    settings, if any is missing; return if all are in effect (then nothing changes). Call it first
    thing in an entry point's main. On systems without exec's semantics (not Linux), only sets the
    environment variables, which then apply to what loads later (OpenMP, if torch is not loaded yet)."""
    if plain_requested(argv):
        return
    env = environment()
    if env == dict(os.environ):
        return
    if sys.platform.startswith("linux"):
        sys.stdout.flush(), sys.stderr.flush()
        os.execve(command[0], command, env)
    os.environ.update(env)
