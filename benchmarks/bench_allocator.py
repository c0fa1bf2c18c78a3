"""What does glibc's allocator cost an evaluation? Side by side, in one run, three settings:

  default     glibc as it comes: blocks above a (dynamic, ≤ 32 MB) threshold are mapped afresh and
              unmapped when freed
  mmap on     MALLOC_MMAP_THRESHOLD_ at its 32 MB maximum, 1 GB of free heap kept
  heap only   no mmap at all (MALLOC_MMAP_MAX_=0), 1 GB of free heap kept: the setting of the
              command and the benchmarks (`nst_teach.speed.process`)

glibc reads these settings when a process starts, so each setting runs in a fresh subprocess, and the settings alternate over ``--rounds`` rounds (load from elsewhere falls
on all of them alike). Each subprocess times, after one warm-up pair, ``--repeat`` interleaved pairs
of one loss evaluation (`StyleTransferLoss`, the arithmetic `auto` picks, forward + backward at the
photo) and one bare forward + backward of VGG-19, and counts the page faults per pair. The table
gives, per size and setting, the median over all rounds.

Run:  .venv/bin/python benchmarks/bench_allocator.py [--sizes 512,1024] [--rounds 2] [--repeat 3]
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

from nst_teach.speed import process

MALLOC = {"MALLOC_MMAP_MAX_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"}
SETTINGS = {
    "default": {},
    "mmap on": {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)},
    "heap only": {k: v for k, v in process.SETTINGS.items() if k in MALLOC},
}


def child_environment(setting):
    """This process's environment with the command's OpenMP setting and only ``setting``'s allocator."""
    env = {k: v for k, v in process.environment().items() if k not in MALLOC}
    return {**env, **SETTINGS[setting]}


def measure(setting, size, repeat):
    """{'loss': [s], 'bare': [s], 'faults': [per pair]} in this process (started with ``setting``)."""
    import torch

    import nst_teach as nt
    from common import bare_pass, calibrated
    from nst_teach.transfer import StyleTransferLoss, TransferConfig, initial_image

    content, style = nt.load_image("cat", size), nt.load_image("starry_night", size)
    model = nt.load_vgg19(last_layer="relu5_1", device="cpu")
    choice = calibrated(model, "cpu", size)
    config = TransferConfig().validate()
    loss_fn = StyleTransferLoss(model, content, style, config, choice)
    x0 = initial_image(content, style, config.init, config.seed)

    def loss():
        x = x0.clone().requires_grad_(True)
        total, _ = loss_fn(x)
        total.backward()

    bare = bare_pass(model, content, choice)
    out = {"loss": [], "bare": [], "faults": [], "choice": choice.describe(), "threads": torch.get_num_threads()}
    for round_ in range(repeat + 1):
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for name, fn in (("loss", loss), ("bare", bare)):
            start = time.perf_counter()
            fn()
            if round_:
                out[name].append(time.perf_counter() - start)
        if round_:
            out["faults"].append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults)
    return out


def cpu_model():
    from nst_teach.speed.calibration import cpu_model

    return cpu_model()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="512,1024")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("SETTING", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child[0], int(args.child[1]), args.repeat)))
        return None
    sizes = [int(s) for s in args.sizes.split(",")]
    import torch

    print(f"machine: {cpu_model()} (torch uses {torch.backends.cpu.get_cpu_capability()}), {platform.machine()}, "
          f"{torch.get_num_threads()} torch threads, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}, "
          f"torch {torch.__version__}; {args.rounds} rounds × {args.repeat} pairs; load {os.getloadavg()[0]:.2f}")
    results = {}
    for size in sizes:
        for _ in range(args.rounds):
            for setting in SETTINGS:
                cmd = [sys.executable, __file__, "--child", setting, str(size), "--repeat", str(args.repeat)]
                run = subprocess.run(cmd, capture_output=True, text=True, check=True, env=child_environment(setting))
                child = json.loads(run.stdout.splitlines()[-1])
                entry = results.setdefault((size, setting), {"loss": [], "bare": [], "faults": []})
                for key in entry:
                    entry[key] += child[key]
                choice = child["choice"]
        print(f"{size} px: {choice}")
    print(f"{'size':>5} {'setting':>10} {'loss s':>7} {'bare s':>7} {'loss ÷ bare':>11} {'faults/pair':>12} {'loss ÷ default':>15}")
    for size in sizes:
        default = statistics.median(results[size, "default"]["loss"])
        for setting in SETTINGS:
            r = {k: statistics.median(v) for k, v in results[size, setting].items()}
            print(f"{size:>5} {setting:>10} {r['loss']:>7.3f} {r['bare']:>7.3f} {r['loss'] / r['bare']:>11.2f} "
                  f"{r['faults']:>12.0f} {r['loss'] / default:>15.2f}")
    print(f"load {os.getloadavg()[0]:.2f} at the end")
    return results


if __name__ == "__main__":
    main()  # each child is started with its own settings
