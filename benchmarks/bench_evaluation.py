"""Where does one loss evaluation spend its time? Side by side, in one run, at one size:

  bare      forward + backward of VGG-19 to relu5_1 alone (the network's own cost, same arithmetic)
  fast      StyleTransferLoss with `nst_teach.speed.gram_fast` (gram "fast")
  autograd  StyleTransferLoss with autograd's Gram on fp32 copies of the features (gram="autograd")

in each arithmetic this machine can run: fp32 with oneDNN's direct convolutions (channels-last),
fp32 with Winograd's (NNPACK, `nst_teach.speed.winograd`) where torch has NNPACK, and bf16 (direct,
channels-last) where the hardware has it.
The measurements are *interleaved*: round after round, every configuration once (bare, fast,
autograd, in fp32 then bf16), and the median of ``--repeat`` rounds after a warm-up round, so that
load from other programs on a shared machine falls on all of them alike. The header gives the CPU
model, whether it has AMX, the process settings, the load average, and what ``speed="auto"`` picks
here. Run as a script, it runs with the `nst-teach` command's process settings
(`nst_teach.speed.process`); ``NST_TEACH_SPEED=plain`` runs it without them.

Run:  .venv/bin/python benchmarks/bench_evaluation.py [--size 512] [--repeat 5]
"""

import argparse
import statistics
import time

import nst_teach as nt
from common import bare_pass, bf16_is_fast, calibrated, load_average, machine, with_process_settings
from nst_teach.speed import Speed
from nst_teach.speed.winograd import winograd_available
from nst_teach.transfer import StyleTransferLoss, TransferConfig


def evaluations(content, style, model, precision, conv):
    """{'bare', 'fast', 'autograd'}: functions that each run one forward + backward pass, with the
    network in ``precision`` and its convolutions ``conv`` ('direct': oneDNN, channels-last;
    'winograd': NNPACK, `nst_teach.speed.winograd`)."""
    config = TransferConfig(style_weight=1000.0, weighting="paper")
    fns = {"bare": bare_pass(model, content, Speed(precision, "fast", conv, "given"))}
    for gram in ("fast", "autograd"):
        loss_fn = StyleTransferLoss(model, content, style, config, Speed(precision, gram, conv, "given"))
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
    args = parser.parse_args(argv)
    content, style = nt.load_image("cat", args.size), nt.load_image("starry_night", args.size)
    model = nt.load_vgg19(last_layer="relu5_1", device="cpu")
    choice = calibrated(model, "cpu", args.size)
    arithmetics = [("fp32", "direct")] + [("fp32", "winograd")] * winograd_available() + [("bf16", "direct")] * bf16_is_fast("cpu")
    print(f"machine: {machine()}; {tuple(content.shape[-2:])} px; load {load_average()}")
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
    with_process_settings()
    main()
