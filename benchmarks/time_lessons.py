"""Time each lesson at class size, top to bottom, as a student with correct solutions runs it.

Each notebook runs with its parameters cell as written (class size), in a fresh kernel with the
process settings `make lab` gives its kernels (`nst_teach.speed.process`), in a temporary folder,
with the exercises taken from tests/solutions/ ($NST_TEACH_EXERCISES), so every figure that a
student's function draws is drawn by a correct one. Prints one line per lesson: seconds, the 1-minute
load average at the end (2 on this 2-core machine is one job using it fully), and the CPU.

    .venv/bin/python benchmarks/time_lessons.py            # all eight
    .venv/bin/python benchmarks/time_lessons.py 5 7        # some
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import nbclient
import nbformat

from common import cpu_model, load_average, process

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "lessons").glob("0*.ipynb"))


def parameters(nb):
    """The lesson's parameters cell, as written (its SIZE and STEPS)."""
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    return ", ".join(line.split("#")[0].strip() for line in cell.source.splitlines() if line.split("#")[0].strip())


def run(path):
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="nst-lesson-") as tmp:
        os.environ.update(process.environment(), NST_TEACH_EXERCISES=str(ROOT / "tests" / "solutions"),
                          MPLBACKEND="module://matplotlib_inline.backend_inline")
        client = nbclient.NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": tmp}})
        start = time.perf_counter()
        client.execute()
        return time.perf_counter() - start, parameters(nb)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", type=int, help="lesson numbers (default: all)")
    args = parser.parse_args()
    chosen = [p for p in LESSONS if not args.lessons or int(p.name[:2]) in args.lessons]
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; load at the start {load_average()}", flush=True)
    for path in chosen:
        seconds, params = run(path)
        print(f"{path.stem:40s} {seconds:6.0f} s   load {os.getloadavg()[0]:.1f}   {params}", flush=True)


if __name__ == "__main__":
    main()
