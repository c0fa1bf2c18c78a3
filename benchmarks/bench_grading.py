"""Peak memory and time to grade all eight exercises of one student on one core: this tree against a baseline.

Both run the Gradescope autograder's `run` on the same submission folder (tests/solutions, full marks:
the assertion fails otherwise), as Gradescope runs it: the grader, and the student's code in its own
process (here: in a sandbox, bubblewrap or an unprivileged user, under the grader's checks; in the
baseline, whatever that commit did). The baseline is a commit of this repository (``--baseline``,
default the last commit before the grading moved out of the student's process), unpacked with
``git archive`` and put first on PYTHONPATH; the two are interleaved, each in a fresh process pinned
to one core. Each run's process tree is sampled every 50 ms for the resident set (RSS, shared
libraries counted once per process) and the proportional set size (PSS, shared pages split between
the processes that map them: what a container's memory limit sees, page cache aside). The header
names the CPU and the load average.

Run:  .venv/bin/python benchmarks/bench_grading.py [--repeat 2] [--baseline COMMIT] [-o benchmarks/results/…/grading.txt]
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

from nst_teach.grading.sandbox import process_tree  # the grader's own walk of a process tree

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "tests" / "solutions"

BASELINE = "710ed14"  # the grader before the checks left the student's process
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


def memory(pid):
    """(RSS, PSS) in bytes of one process, or (0, 0) once it has gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    values = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in text.splitlines()[1:] if line.endswith("kB")}
    return values.get("Rss", 0), values.get("Pss", 0)


def measure(script, argument, core, tree_path=None):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # one core, as on Gradescope; the workers run one thread too
    if tree_path is not None:
        env["PYTHONPATH"] = str(tree_path)
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", script, str(argument)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, preexec_fn=lambda: os.sched_setaffinity(0, {core}))
    peak = {"rss_tree": 0, "pss_tree": 0, "rss_one": 0}
    while process.poll() is None:
        sizes = [memory(p) for p in process_tree(process.pid)]
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


def unpack(commit, tmp):
    """The package as it was at ``commit`` (git archive), in a folder to put on PYTHONPATH."""
    folder = Path(tmp) / f"baseline-{commit}"
    folder.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "nst_teach", "exercises", "nst_teach_launch.py"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each variant, interleaved (default 2)")
    parser.add_argument("--baseline", default=BASELINE, help=f"the commit to compare with (default {BASELINE})")
    parser.add_argument("-o", "--output", default=None, help="also write the table to this file")
    args = parser.parse_args()
    core = min(os.sched_getaffinity(0))
    header = [f"bench_grading: all eight exercises of one student (tests/solutions) through the autograder, one core (#{core})",
              f"CPU: {cpu_model()}, {os.cpu_count()} cores; load average at start {os.getloadavg()[0]:.2f}",
              f"python {platform.python_version()}, torch {__import__('importlib.metadata').metadata.version('torch')}; "
              f"running as {'root' if os.geteuid() == 0 else 'a user'}"]
    print("\n".join(header), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        trees = {f"baseline {args.baseline}": unpack(args.baseline, tmp), "this tree": ROOT}
        rows = {name: [] for name in trees}
        for _ in range(args.repeat):  # interleaved: load from other programs falls on both alike
            for name, path in trees.items():
                rows[name].append(measure(AUTOGRADER, autograder_root(tempfile.mkdtemp(dir=tmp)), core, path))
    lines = [f"{'variant':<18} {'seconds (min)':>13} {'peak RSS, one process':>22} {'peak RSS, all':>14} "
             f"{'peak PSS, all':>14}"]
    for name, runs in rows.items():
        best = min(runs, key=lambda r: r["seconds"])
        lines.append(f"{name:<18} {best['seconds']:>13.1f} {max(r['rss_one'] for r in runs) / 2**20:>19.0f} MB "
                     f"{max(r['rss_tree'] for r in runs) / 2**20:>11.0f} MB {max(r['pss_tree'] for r in runs) / 2**20:>11.0f} MB")
    base, now = (min(r["seconds"] for r in runs) for runs in rows.values())
    lines.append(f"this tree / baseline: {now / base:.2f}× the time ({args.repeat} runs each; seconds: the fastest run, "
                 f"memory: the largest peak; load average at the end {os.getloadavg()[0]:.2f})")
    print("\n".join(lines))
    if args.output:
        Path(args.output).write_text("\n".join(header + [""] + lines) + "\n")
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
