"""Start JupyterLab on the lessons: `make lab` runs this, and so does tests/test_browser.py.

    .venv/bin/python tools/lab.py [ROOT] [jupyter lab options, e.g. --port=8899]

One working folder that everything agrees on:

- ROOT (default: the repo) is JupyterLab's root and the server's working folder: the file browser
  shows lessons/ and exercises/, and new terminals open there.
- Kernels run in the notebook's folder (lessons/), Jupyter's default; check() finds exercises/ from there.
- PATH starts with the bin folder of the Python running this script (the venv), for the server and
  everything it starts — kernels, terminals, `!nst-teach` in a cell — so `nst-teach` is found.
- OMP_WAIT_POLICY=PASSIVE unless set, as the `nst-teach` command does (nst_teach_launch.py):
  kernels then load torch with OpenMP threads that sleep rather than spin between operations,
  which leaves the cores to NNPACK's threads in the Winograd convolutions (the live preview).
- glibc serves every block from its heap and keeps up to 1 GB freed (MALLOC_MMAP_MAX_=0,
  MALLOC_TRIM_THRESHOLD_), unless set: what `nst_teach.precision.keep_freed_memory` does for the
  command, so that a lesson's 512 px run does not page-fault its large feature maps in again at
  every evaluation (12% of a 512 px evaluation, 28% at 1024 px, benchmarks/bench_allocator.py).
- The settings (non-login terminals, allow root, no browser when headless) are in
  tools/jupyter/jupyter_server_config.py, added to JUPYTER_CONFIG_PATH.
"""

import argparse
import os
import sys
from pathlib import Path

from nst_teach_launch import let_openmp_threads_sleep

REPO = Path(__file__).resolve().parent.parent
CONFIG = Path(__file__).resolve().parent / "jupyter"


def lab_command(root, options=()):
    """The command line, working folder and environment that start JupyterLab on ``root``."""
    let_openmp_threads_sleep()  # read when a kernel loads torch: kernels inherit it
    bin_dir = Path(sys.executable).parent  # the venv's bin: not resolved, a venv's python is a symlink
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", os.defpath)])
    # glibc reads these when a process starts (mallopt(3)): for the server and every kernel it starts
    env.setdefault("MALLOC_MMAP_MAX_", "0")
    env.setdefault("MALLOC_TRIM_THRESHOLD_", str(1 << 30))
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(p for p in (str(CONFIG), env.get("JUPYTER_CONFIG_PATH")) if p)
    return [sys.executable, "-m", "jupyterlab", *options], Path(root).resolve(), env


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=REPO, help="JupyterLab's root folder (default: the repo)")
    args, options = parser.parse_known_args(argv)
    command, cwd, env = lab_command(args.root, options)
    if not (cwd / "lessons").is_dir():
        sys.exit(f"error: {cwd} has no lessons/ folder: give the repo (or a copy of it) as ROOT")
    os.chdir(cwd)
    os.execve(command[0], command, env)


if __name__ == "__main__":
    main()
