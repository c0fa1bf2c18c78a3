"""Peak memory and time to grade all eight exercises of one student, on one core, side by side:

  in-process   `grade_here` on each exercise in one Python process: no isolation (the baseline)
  autograder   the Gradescope autograder's `run` on a submission folder: a parent that writes
               results.json and a limited worker process grading a private copy (what Gradescope runs)

The student is tests/solutions (full marks; the assertion fails otherwise). Each variant runs in a
fresh process pinned to one core; its process tree is sampled every 50 ms for the resident set (RSS,
shared libraries counted once per process) and the proportional set size (PSS, shared pages split
between the processes that map them: what a container's memory limit sees, page cache aside).
The header names the CPU and the load average (the machine may be shared).

Run:  .venv/bin/python benchmarks/bench_grading.py [--repeat 2] [-o benchmarks/results/grading.txt]
"""

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "tests" / "solutions"

IN_PROCESS = """
import sys, torch
torch.set_num_threads(1)
from nst_teach.grading import exercises, grade_here
from nst_teach.grading.inputs import Inputs
inputs = Inputs()
records = [grade_here(sys.argv[1], e, inputs) for e in exercises()]
assert all(r.status == "pass" for r in records), [(r.exercise, r.status, r.message) for r in records]
print(sum(r.points for r in records))
"""

AUTOGRADER = """
import json, sys
from nst_teach.grading import autograder
results = autograder.run(sys.argv[1])
assert results["score"] == sum(t["max_score"] for t in results["tests"]), results["output"]
"""


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            flags = Path("/proc/cpuinfo").read_text()
            return line.split(":", 1)[1].strip() + (" with AMX" if " amx_tile" in flags else "")
    return platform.processor() or "unknown CPU"


def tree(pid):
    """pid and all its descendants (from /proc/*/stat)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
            except (OSError, IndexError):
                pass
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += parents.get(p, [])
    return found


def memory(pid):
    """(RSS, PSS) in bytes of one process, or (0, 0) once it has gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    values = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in text.splitlines()[1:] if line.endswith("kB")}
    return values.get("Rss", 0), values.get("Pss", 0)


def measure(script, argument, core):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # one core, as on Gradescope; the workers run one thread too
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", script, str(argument)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, preexec_fn=lambda: os.sched_setaffinity(0, {core}))
    peak = {"rss_tree": 0, "pss_tree": 0, "rss_one": 0}
    while process.poll() is None:
        sizes = [memory(p) for p in tree(process.pid)]
        peak["rss_tree"] = max(peak["rss_tree"], sum(r for r, _ in sizes))
        peak["pss_tree"] = max(peak["pss_tree"], sum(p for _, p in sizes))
        peak["rss_one"] = max([peak["rss_one"], *(r for r, _ in sizes)])
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    out, err = process.communicate()
    if process.returncode != 0:
        sys.exit(f"{script.splitlines()[1]} … failed:\n{err.decode()[-2000:]}")
    return {"seconds": seconds, **peak}


def autograder_root(tmp):
    root = Path(tmp) / "autograder"
    shutil.copytree(SOLUTIONS, root / "submission", ignore=shutil.ignore_patterns("README.md"))
    (root / "source").mkdir()
    return root


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each variant, interleaved (default 2)")
    parser.add_argument("-o", "--output", default=None, help="also write the table to this file")
    args = parser.parse_args()
    core = min(os.sched_getaffinity(0))
    header = [f"bench_grading: all eight exercises of one student (tests/solutions), one core (#{core})",
              f"CPU: {cpu_model()}, {os.cpu_count()} cores; load average at start {os.getloadavg()[0]:.2f} "
              "(a shared machine: other programs were running)",
              f"python {platform.python_version()}, torch {__import__('importlib.metadata').metadata.version('torch')}"]
    print("\n".join(header), flush=True)
    rows = {"in-process": [], "autograder": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):  # interleaved: load from other programs falls on both alike
            rows["in-process"].append(measure(IN_PROCESS, SOLUTIONS, core))
            root = autograder_root(tempfile.mkdtemp(dir=tmp))
            rows["autograder"].append(measure(AUTOGRADER, root, core))
    lines = [f"{'variant':<12} {'seconds (min)':>13} {'peak RSS, one process':>22} {'peak RSS, all':>14} "
             f"{'peak PSS, all':>14}"]
    for name, runs in rows.items():
        best = min(runs, key=lambda r: r["seconds"])
        lines.append(f"{name:<12} {best['seconds']:>13.1f} {max(r['rss_one'] for r in runs) / 2**20:>19.0f} MB "
                     f"{max(r['rss_tree'] for r in runs) / 2**20:>11.0f} MB {max(r['pss_tree'] for r in runs) / 2**20:>11.0f} MB")
    lines.append(f"({args.repeat} runs each; seconds: the fastest run, memory: the largest peak; load average at the end "
                 f"{os.getloadavg()[0]:.2f})")
    print("\n".join(lines[:]))
    if args.output:
        Path(args.output).write_text("\n".join(header + [""] + lines) + "\n")
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
