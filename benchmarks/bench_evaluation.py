"""Where does one loss evaluation spend its time? Side by side, in one run, at one size:

  bare      forward + backward of VGG-19 to relu5_1 alone (the network's own cost, same arithmetic)
  fast      StyleTransferLoss with `precision.gram_fast` (gram="fast")
  autograd  StyleTransferLoss with autograd's Gram on fp32 copies of the features (gram="autograd")

in each arithmetic this machine can run: fp32 with oneDNN's direct convolutions (channels-last),
fp32 with Winograd's (NNPACK, `nst_teach.winograd`) where torch has NNPACK, and bf16 (direct,
channels-last) where the hardware has it.
The measurements are *interleaved*: round after round, every configuration once (bare, fast,
autograd, in fp32 then bf16), and the median of ``--repeat`` rounds after a warm-up round, so that
load from other programs on a shared machine falls on all of them alike. The header gives the CPU
model, whether it has AMX, the load average, and what `nst_teach.calibration` picks here (the
``auto`` choice of `style_transfer`). ``--keep-freed-memory`` applies glibc's setting first
(`nst_teach.precision.keep_freed_memory`), as the CLI does.

Run:  .venv/bin/python benchmarks/bench_evaluation.py [--size 512] [--repeat 5] [--keep-freed-memory]
"""

import os

from nst_teach_launch import let_openmp_threads_sleep

let_openmp_threads_sleep()  # as the nst-teach command does: before torch loads

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

import nst_teach as nt  # noqa: E402
from nst_teach.calibration import choose, cpu_model  # noqa: E402
from nst_teach.precision import bf16_is_fast, channels_last, keep_freed_memory  # noqa: E402
from nst_teach.transfer import StyleTransferLoss, TransferConfig, bare_pass  # noqa: E402
from nst_teach.winograd import winograd_available  # noqa: E402


def load_average():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "unknown"


def has_amx():
    try:
        return any(line.startswith("flags") and " amx_tile" in line for line in open("/proc/cpuinfo"))
    except OSError:
        return False


def evaluations(content, style, model, precision, conv):
    """{'bare', 'fast', 'autograd'}: functions that each run one forward + backward pass, with the
    network in ``precision`` and its convolutions ``conv`` ('direct': oneDNN, channels-last;
    'winograd': NNPACK, `nst_teach.winograd`)."""
    config = TransferConfig(style_weight=1000.0, weighting="paper")
    fns = {"bare": bare_pass(model, content, precision, conv)}
    for gram in ("fast", "autograd"):
        loss_fn = StyleTransferLoss(model, content, style, config, precision, gram=gram, conv=conv)
        img = content.clone().requires_grad_(True)

        def evaluation(loss_fn=loss_fn, img=img):
            img.grad = None
            total, _ = loss_fn(img.clamp(0, 1))
            total.backward()

        fns[gram] = evaluation
    return fns


def measure(content, style, model, arithmetics, repeat):
    """Median seconds {(precision, conv, kind): s}, interleaved over ``repeat`` rounds after one warm-up round."""
    fns = {(p, c, kind): fn for p, c in arithmetics for kind, fn in evaluations(content, style, model, p, c).items()}
    seconds = {key: [] for key in fns}
    for round_ in range(repeat + 1):
        for key, fn in fns.items():
            start = time.perf_counter()
            fn()
            if round_:
                seconds[key].append(time.perf_counter() - start)
    return {key: statistics.median(v) for key, v in seconds.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep-freed-memory", action="store_true")
    args = parser.parse_args(argv)
    applied = keep_freed_memory() if args.keep_freed_memory else False
    content, style = nt.load_image("cat", args.size), nt.load_image("starry_night", args.size)
    model = channels_last(nt.load_vgg19(last_layer="relu5_1", device="cpu"))
    choice = choose("cpu", evaluate=nt.transfer.loss_evaluator(model, "cpu"), size=args.size)
    arithmetics = [("fp32", "direct")] + [("fp32", "winograd")] * winograd_available() + [("bf16", "direct")] * bf16_is_fast("cpu")
    print(f"machine: {cpu_model()} (AMX: {'yes' if has_amx() else 'no'}, torch uses {torch.backends.cpu.get_cpu_capability()}), {torch.get_num_threads()} torch threads, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}, "
          f"torch {torch.__version__}; {tuple(content.shape[-2:])} px; keep freed memory: {applied}; load {load_average()}")
    print(f"auto picks: {choice.describe()}")
    r = measure(content, style, model, arithmetics, args.repeat)
    print(f"median of {args.repeat} interleaved rounds; load {load_average()} at the end")
    direct = r["fp32", "direct", "bare"]
    print(f"{'precision':>9} {'conv':>9} {'bare s':>8} {'fast s':>8} {'autograd s':>11} {'fast ÷ bare':>12} "
          f"{'autograd ÷ bare':>16} {'fast ÷ fp32 direct bare':>24}")
    for p, c in arithmetics:
        bare = r[p, c, "bare"]
        print(f"{p:>9} {c:>9} {bare:>8.3f} {r[p, c, 'fast']:>8.3f} {r[p, c, 'autograd']:>11.3f} {r[p, c, 'fast'] / bare:>12.2f} "
              f"{r[p, c, 'autograd'] / bare:>16.2f} {r[p, c, 'fast'] / direct:>24.2f}")
    return r


if __name__ == "__main__":
    main()
