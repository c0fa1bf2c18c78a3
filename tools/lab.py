"""Start JupyterLab on the lessons: `make lab` runs this, and so does tests/test_browser.py.

    .venv/bin/python tools/lab.py [ROOT] [jupyter lab options, e.g. --port=8899]

One working folder that everything agrees on:

- ROOT (default: the repo) is JupyterLab's root and the server's working folder: the file browser
  shows lessons/ and exercises/, and new terminals open there.
- Kernels run in the notebook's folder (lessons/), Jupyter's default; check() finds exercises/ from there.
- PATH starts with the bin folder of the Python running this script (the venv), for the server and
  everything it starts — kernels, terminals, `!nst-teach` in a cell — so `nst-teach` is found.
- The process settings of the `nst-teach` command (`nst_teach.speed.process`: OpenMP threads that
  sleep between operations, glibc keeping freed memory), unless set: the server and every kernel it
  starts inherit them, so a lesson's run is as fast as the command's.
- The settings (non-login terminals, allow root, no browser when headless) are in
  tools/jupyter/jupyter_server_config.py, added to JUPYTER_CONFIG_PATH.
"""

import argparse
import os
import sys
from pathlib import Path

from nst_teach.speed import process

REPO = Path(__file__).resolve().parent.parent
CONFIG = Path(__file__).resolve().parent / "jupyter"


def lab_command(root, options=()):
    """The command line, working folder and environment that start JupyterLab on ``root``."""
    bin_dir = Path(sys.executable).parent  # the venv's bin: not resolved, a venv's python is a symlink
    env = process.environment()  # read when the server and each kernel start: they inherit them
    env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", os.defpath)])
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
