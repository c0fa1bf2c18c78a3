"""How much does style transfer cost on top of the network itself?

For each size, in a fresh subprocess (so that peak memory is per size), with the arithmetic
`style_transfer` uses (``--speed auto``: the fastest measured on this machine; ``plain``: fp32, the
textbook's), this prints:
  fwd+bwd   seconds for one bare forward + backward pass of VGG-19 truncated at relu5_1 (the baseline),
            with the convolutions chosen (direct: oneDNN; winograd: `nst_teach.speed.winograd`)
  lbfgs/it  seconds per L-BFGS iteration of `style_transfer` at one scale (and evaluations per iteration),
            over the ``--steps`` iterations after the first
  lbfgs/ev  seconds per loss evaluation inside L-BFGS (one fwd+bwd + losses + bookkeeping), the same way
  adam/it   seconds per Adam iteration (exactly one evaluation each), the same way
  1st s     the first L-BFGS step: the run's setup (targets P and A, the starting image) and the first
            line search; a cost per run, not per evaluation
  ratio     lbfgs/it, lbfgs/ev and adam/it ÷ fwd+bwd: the overhead of the losses and the optimiser
  direct    the bare pass with oneDNN's direct convolutions, when auto chose Winograd (what it saves)
  peak MB   peak resident memory of the process (CPU) or peak CUDA memory (GPU), whole run included

The default sizes are the scales of a 512 px run (256, 512) and the 1024 px memory check.
Run:  .venv/bin/python benchmarks/bench_transfer.py [--sizes 128,256,512,1024] [--steps 10] [--speed auto]
"""

import argparse
import json
import resource
import subprocess
import sys
import time

from common import bare_pass, calibrated, load_average, machine, with_process_settings


def measure(size, steps, speed="auto"):
    import dataclasses

    import torch

    import nst_teach as nt

    device = nt.vgg.default_device()
    content = nt.load_image("cat", size).to(device)
    style = nt.load_image("starry_night", size).to(device)
    model = nt.load_vgg19(last_layer="relu5_1", device=device)
    # what style_transfer will use: 'auto' is measured on this machine (cached)
    choice = calibrated(model, device, size) if speed == "auto" else nt.speed.choose(speed, device, size=size)
    precision = choice.precision

    def bare_seconds(conv):
        """The baseline: the network alone, same input size, depth, precision and convolutions."""
        forward_backward = bare_pass(model, content, dataclasses.replace(choice, conv=conv))
        for _ in range(2):  # warm-up
            forward_backward()
        start = time.perf_counter()
        for _ in range(steps):
            forward_backward()
        return (time.perf_counter() - start) / steps

    bare = bare_seconds(choice.conv)
    out = {"size": size, "hw": list(content.shape[-2:]), "bare": bare, "precision": precision, "gram": choice.gram_path,
           "conv": choice.conv, "choice": choice.describe(),
           # the classic arithmetic's bare network, when the choice is another: what the choice saves
           "bare_direct": bare if choice.conv == "direct" else bare_seconds("direct")}
    arithmetic = "plain" if choice.plain else f"{choice.precision}+{choice.gram_path}+{choice.conv}"
    one_scale = dict(model=model, device=device, speed=arithmetic, size=None, scales=(1.0,))
    evaluations = [0]

    def count(module, inputs):  # forward passes with autograd on: the evaluations (the targets are no_grad)
        if torch.is_grad_enabled():
            evaluations[0] += 1

    hook = next(iter(model.layers.children())).register_forward_pre_hook(count)
    for optimizer in ("lbfgs", "adam"):
        # Warm-up: the first passes at a new shape are slow (oneDNN picks its kernels), for both paths.
        nt.style_transfer(content, style, steps=2, optimizer=optimizer, **one_scale)
        marks = []  # (seconds, evaluations) at the end of each step
        start, evaluations[0] = time.perf_counter(), 0
        nt.style_transfer(content, style, steps=steps + 1, optimizer=optimizer,
                          callback=lambda step, image, losses: marks.append((time.perf_counter(), evaluations[0])), **one_scale)
        # Steps 2 … steps + 1: what each further step costs. The first step also pays the run's setup
        # (the targets P and A, the starting image) and L-BFGS's first line search: reported apart.
        (t1, e1), (tn, en) = marks[0], marks[-1]
        out[optimizer] = {"per_it": (tn - t1) / steps, "evals_per_it": (en - e1) / steps, "per_eval": (tn - t1) / (en - e1),
                          "first_step": t1 - start}
    hook.remove()
    if device.type == "cuda":
        out["peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    else:
        out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="256,512,1024")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--speed", default="auto", help="auto, plain or precision+gram+conv (nst_teach.speed)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.steps, args.speed)))
        return

    import torch

    print(f"machine: {machine()}, {'cuda' if torch.cuda.is_available() else 'cpu'}; content cat, style starry_night, "
          f"{args.steps} iterations per measurement, speed {args.speed}; load {load_average()}")
    header = (f"{'size':>9} {'prec':>5} {'gram':>8} {'conv':>8} {'fwd+bwd s':>10} {'lbfgs s/it':>11} {'evals/it':>9} {'lbfgs s/ev':>11} {'adam s/it':>10} "
              f"{'ratio lbfgs/it':>15} {'ratio lbfgs/ev':>15} {'ratio adam':>11} {'1st s':>6} {'direct fwd+bwd s':>17} {'peak MB':>8}")
    sizes = [int(s) for s in args.sizes.split(",")]
    first = sizes[0]
    for size in sizes:
        raw = subprocess.run([sys.executable, __file__, "--one", str(size), "--steps", str(args.steps), "--speed", args.speed],
                             check=True, capture_output=True, text=True).stdout
        r = json.loads(raw.strip().splitlines()[-1])
        h, w = r["hw"]
        if size == first:
            print(f"choice: {r['choice']}")
            print(header)
        print(f"{w:>4}×{h:<4} {r['precision']:>5} {r['gram']:>8} {r['conv']:>8} {r['bare']:>10.3f} {r['lbfgs']['per_it']:>11.3f} {r['lbfgs']['evals_per_it']:>9.2f} "
              f"{r['lbfgs']['per_eval']:>11.3f} {r['adam']['per_it']:>10.3f} {r['lbfgs']['per_it'] / r['bare']:>15.2f} "
              f"{r['lbfgs']['per_eval'] / r['bare']:>15.2f} {r['adam']['per_it'] / r['bare']:>11.2f} {r['lbfgs']['first_step']:>6.2f} "
              f"{r['bare_direct']:>17.3f} "
              f"{r['peak_mb']:>8.0f}", flush=True)


if __name__ == "__main__":
    with_process_settings()
    main()
