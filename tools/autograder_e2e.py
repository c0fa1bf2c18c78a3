"""The Gradescope autograder for real: the built zip's setup.sh and run_autograder, as root, on a fresh Debian.

Run before a release, as root, on a machine with `debootstrap` and `bwrap` (Debian packages
debootstrap, bubblewrap) and the package mirror (about 10 minutes and 7 GB here, most of it torch):

    sudo .venv/bin/python tools/autograder_e2e.py -o benchmarks/results/epyc-avx2/autograder_e2e.txt

It builds the zip from this tree (`nst-teach autograder`), makes a clean Debian 12 root with
``debootstrap --variant=minbase bookworm`` (no Python packages; pip refuses the system Python there,
PEP 668, as on newer Ubuntus), unpacks the zip into /autograder/source and runs setup.sh in it as root
(entered with bwrap: a mount and pid namespace of its own, the network of the host), with the package
indexes set for this machine: ``NST_TEACH_TORCH_INDEX`` empty and ``NST_TEACH_FIND_LINKS`` the local
folder of torch wheels (on Gradescope both stay at their defaults: PyPI and PyTorch's CPU index).
Then it grades, each through /autograder/run_autograder as Gradescope does:

1. the correct solutions: 45/45;
2. tests/attacks' Gradescope submission (an attack in each of ex01 … ex07, an honest ex08), with the
   expectations of tests/test_attacks.py: results.json is the grader's, ex08 at full marks, the
   attacked exercises below full marks or flagged, nothing of the student's left running.

It samples the memory of everything the grading runs (grader and student processes) and prints the
peak, from which the README's recommended Gradescope memory comes, and the CPU it ran on.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]
import bench_grading  # noqa: E402  (its memory sampling)

from nst_teach.grading.sandbox import process_tree  # noqa: E402
MIRROR = "http://deb.debian.org/debian"
WHEELS = "/opt/pypi-more/files"  # this machine's local torch 2.14.1 wheels (and its CUDA libraries)
CERTIFICATES = os.environ.get("PIP_CERT") or "/etc/ssl/certs/ca-certificates.crt"


def log(lines, text):
    print(text, flush=True)
    lines.append(text)


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def inside(rootfs, command, env=(), wheels=None):
    """Run ``command`` (a shell line) as root in ``rootfs``; returns (exit code, output, peak memory)."""
    args = ["bwrap", "--bind", str(rootfs), "/", "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp",
            "--ro-bind", "/etc/resolv.conf", "/etc/resolv.conf", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--die-with-parent", "--clearenv", "--setenv", "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "--setenv", "HOME", "/root", "--setenv", "LANG", "C.UTF-8"]  # a fresh machine's environment, not this one's
    if wheels:
        args += ["--ro-bind", wheels, "/wheels"]
    if Path(CERTIFICATES).is_file():  # this machine reaches PyPI through a proxy with its own certificate authority
        for variable in ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
            args += ["--setenv", variable, "/host-certificates.crt"]
        args += ["--ro-bind", CERTIFICATES, "/host-certificates.crt"]
    for key, value in env:
        args += ["--setenv", key, value]
    process = subprocess.Popen(args + ["/bin/bash", "-c", command], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = {"rss": 0, "pss": 0}
    watcher = threading.Thread(target=_watch, args=(process, peak), daemon=True)
    watcher.start()
    out = process.communicate()[0].decode("utf-8", "replace")
    watcher.join()
    return process.returncode, out, peak


def _watch(process, peak):
    """The largest RSS and PSS of ``process`` and everything under it, sampled every 50 ms (bench_grading's way)."""
    while process.poll() is None:
        sizes = [bench_grading.memory(pid) for pid in process_tree(process.pid)]
        peak["rss"] = max(peak["rss"], sum(r for r, _ in sizes))
        peak["pss"] = max(peak["pss"], sum(p for _, p in sizes))
        time.sleep(0.05)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", help="also write the report to this file")
    parser.add_argument("--keep", help="make the Debian root here and keep it (default: a temporary folder)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: debootstrap and setup.sh need it, as on Gradescope")
    lines = []
    log(lines, f"autograder_e2e: {cpu_model()}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    work = Path(args.keep or tempfile.mkdtemp(prefix="nst-e2e-", dir="/var/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    rootfs = work / "rootfs"
    try:
        start = time.monotonic()
        zip_path = work / "autograder.zip"
        subprocess.run([str(Path(sys.executable).parent / "nst-teach"), "autograder", "-o", str(zip_path)], check=True,
                       cwd=ROOT, capture_output=True)
        if not (rootfs / "etc").is_dir():
            subprocess.run(["debootstrap", "--variant=minbase", "bookworm", str(rootfs), MIRROR], check=True,
                           capture_output=True)
        log(lines, f"debootstrap --variant=minbase bookworm: {time.monotonic() - start:.0f} s, "
                   f"{sum(f.stat().st_size for f in rootfs.rglob('*') if f.is_file() and not f.is_symlink()) / 2**20:.0f} MB; "
                   f"python3 in it: {'no' if not (rootfs / 'usr/bin/python3').exists() else 'yes'}")
        source = rootfs / "autograder" / "source"
        shutil.rmtree(rootfs / "autograder", ignore_errors=True)
        source.mkdir(parents=True)
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(source)
            for info in archive.infolist():  # zipfile drops the execute bits
                (source / info.filename).chmod(info.external_attr >> 16 or 0o644)
        refused = inside(rootfs, "apt-get update -qq >/dev/null && apt-get install -y -qq python3-pip >/dev/null && "
                                 "python3 -m pip install uv 2>&1 | tail -3")[1]
        log(lines, "pip into the system Python (what setup.sh must not do): " + " ".join(refused.split())[-160:])
        start = time.monotonic()
        code, out, peak = inside(rootfs, "bash /autograder/source/setup.sh 2>&1 | tail -40; exit ${PIPESTATUS[0]}",
                                 env=[("NST_TEACH_TORCH_INDEX", ""), ("NST_TEACH_FIND_LINKS", "/wheels")], wheels=WHEELS)
        log(lines, f"setup.sh: exit code {code} in {time.monotonic() - start:.0f} s")
        log(lines, "  " + "\n  ".join(line for line in out.splitlines() if "ok" in line or "rror" in line)[-2000:])
        if code != 0:
            log(lines, out[-4000:])
            raise SystemExit("setup.sh failed")
        shutil.copy(source / "run_autograder", rootfs / "autograder" / "run_autograder")
        peaks = []
        for name, files, check in submissions():
            submission = rootfs / "autograder" / "submission"
            shutil.rmtree(submission, ignore_errors=True)
            submission.mkdir()
            for file, text in files.items():
                (submission / file).write_text(text)
            start = time.monotonic()
            code, out, peak = inside(rootfs, "/autograder/run_autograder; cd /proc; grep -l 'nst-attack-outlive[s]' */cmdline "
                                             "2>/dev/null | wc -l")
            results = json.loads((rootfs / "autograder" / "results" / "results.json").read_text())
            left = int(out.strip().splitlines()[-1])
            peaks.append(peak)
            log(lines, f"\n{name}: run_autograder exit {code} in {time.monotonic() - start:.0f} s; results.json owner uid "
                       f"{(rootfs / 'autograder/results/results.json').stat().st_uid}; score {results['score']}; "
                       f"student processes left afterwards: {left}; peak memory of the grading: RSS "
                       f"{peak.get('rss', 0) / 2**20:.0f} MB, PSS {peak.get('pss', 0) / 2**20:.0f} MB")
            log(lines, "  " + results["output"].replace("\n", "\n  "))
            for problem in check(results, left):
                log(lines, f"  FAILED: {problem}")
        top = max(p.get("pss", 0) for p in peaks)
        log(lines, f"\npeak PSS of grader and student processes: {top / 2**30:.2f} GB; recommended Gradescope memory: "
                   f"{max(2, round(top * 1.5 / 2**30 + 0.49))} GB (1.5× the peak, rounded up)")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if args.output:
        Path(args.output).write_text("\n".join(lines) + "\n")
        print(f"wrote {args.output}")
    if any("FAILED" in line for line in lines):
        sys.exit(1)


def submissions():
    """(name, {file: text}, check(results, processes left) → [problems]) for each run."""
    import test_attacks as attacks

    exercises = attacks.EXERCISES
    total = sum(spec.max_points for spec in exercises.values())

    def correct(results, left):
        return [] if results["score"] == total else [f"score {results['score']}, not {total}"]

    def attacked(results, left):
        tests = attacks.by_exercise(results)
        problems = []
        points = {e: sum(t["score"] for t in tests[e]) for e in tests}
        if results["score"] == 999 or results["score"] != sum(t["score"] for t in results["tests"]):
            problems.append("results.json is not the grader's")
        if points["ex08"] != exercises["ex08"].max_points or points["ex02"] != exercises["ex02"].max_points:
            problems.append("an honest exercise lost points")
        for e in ("ex01", "ex03", "ex04", "ex05", "ex06", "ex07"):
            flagged = "flagged for your instructor" in tests[e][0]["output"]
            if points[e] >= exercises[e].max_points and not flagged:
                problems.append(f"{e}: full marks, unflagged")
        if left:
            problems.append(f"{left} of the student's processes outlived the grading")
        return problems

    solutions = {spec.file: attacks.SOLUTIONS[e] for e, spec in exercises.items()}
    mallory = {
        "ex01_preprocess.py": attacks.attack("ex01_writes_into_the_channel"),
        "ex02_features.py": attacks.attack("ex02_outlives_the_exercise"),
        "ex03_gram.py": attacks.attack("ex03_patches_the_comparison"),
        "ex04_content_loss.py": attacks.attack("ex04_calls_the_operator"),
        "ex05_style_loss.py": attacks.attack("ex05_reads_the_grader_s_frames"),
        "ex06_gradient_descent.py": attacks.attack("ex06_patches_the_grader_at_import"),
        "ex07_tv_loss.py": attacks.attack("ex07_forges_results_and_kills_the_grader",
                                          RESULTS="/autograder/results/results.json"),
        "ex08_style_transfer.py": attacks.EX08_ON_THE_LIBRARY,
    }
    return [("correct solutions", solutions, correct), ("tests/attacks (Gradescope submission)", mallory, attacked)]


if __name__ == "__main__":
    main()
