"""What does glibc's allocator cost an evaluation? Side by side, in one run, three settings:

  default     glibc as it comes: blocks above a (dynamic, ≤ 32 MB) threshold are mapped afresh and
              unmapped when freed
  mmap on     `keep_freed_memory(heap_only=False)`: the threshold at its 32 MB maximum, 1 GB of free
              heap kept (the command's setting until the fifth session of issue 13)
  heap only   `keep_freed_memory()`: the same, and no mmap at all (M_MMAP_MAX = 0), what the command
              and the benchmarks use now

A process's allocator cannot be switched back once blocks live in its heap, so each setting runs in
a fresh subprocess, and the settings alternate over ``--rounds`` rounds (load from elsewhere falls
on all of them alike). Each subprocess times, after one warm-up pair, ``--repeat`` interleaved pairs
of one loss evaluation (`StyleTransferLoss`, the arithmetic `auto` picks, forward + backward at the
photo) and one bare forward + backward of VGG-19, and counts the page faults per pair. The table
gives, per size and setting, the median over all rounds.

Run:  .venv/bin/python benchmarks/bench_allocator.py [--sizes 512,1024] [--rounds 2] [--repeat 3]
"""

import os

from nst_teach_launch import let_openmp_threads_sleep

let_openmp_threads_sleep()  # as the nst-teach command does: before torch loads

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

SETTINGS = ("default", "mmap on", "heap only")


def measure(setting, size, repeat):
    """{'loss': [s], 'bare': [s], 'faults': [per pair]} in this process, under ``setting``."""
    import torch

    import nst_teach as nt
    from nst_teach.precision import channels_last, keep_freed_memory
    from nst_teach.transfer import StyleTransferLoss, TransferConfig, bare_pass, initial_image

    if setting != "default":
        keep_freed_memory(heap_only=setting == "heap only")
    content, style = nt.load_image("cat", size), nt.load_image("starry_night", size)
    model = channels_last(nt.load_vgg19(last_layer="relu5_1", device="cpu"))
    choice = nt.calibration.choose("cpu", evaluate=nt.transfer.loss_evaluator(model, "cpu"), size=size)
    config = TransferConfig().validate()
    loss_fn = StyleTransferLoss(model, content, style, config, choice.precision, choice.gram, choice.conv)
    x0 = initial_image(content, style, config.init, config.seed)

    def loss():
        x = x0.clone().requires_grad_(True)
        total, _ = loss_fn(x)
        total.backward()

    bare = bare_pass(model, content, choice.precision, choice.conv)
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
    from nst_teach.calibration import cpu_model

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
                child = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()[-1])
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
    main()
