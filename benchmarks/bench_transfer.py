"""How much does style transfer cost on top of the network itself?

For each size, in a fresh subprocess (so that peak memory is per size), with the network in the
precision and memory layout `style_transfer` uses (``--precision auto``: bf16 channels-last where the
CPU has fast bf16, else fp32), this prints:
  fwd+bwd   seconds for one bare forward + backward pass of VGG-19 truncated at relu5_1 (the baseline),
            with the convolutions `auto` chose (direct: oneDNN; winograd: `nst_teach.winograd`)
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
Run:  .venv/bin/python benchmarks/bench_transfer.py [--sizes 128,256,512,1024] [--steps 10] [--precision auto]
"""

import os

from nst_teach_launch import let_openmp_threads_sleep

let_openmp_threads_sleep()  # as the nst-teach command does: before torch loads

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402


def measure(size, steps, precision):
    import torch

    import nst_teach as nt
    from nst_teach.precision import channels_last, keep_freed_memory

    keep_freed_memory()  # glibc keeps freed memory for reuse, as the nst-teach command does
    device = nt.vgg.default_device()
    content = nt.load_image("cat", size).to(device)
    style = nt.load_image("starry_night", size).to(device)
    model = channels_last(nt.load_vgg19(last_layer="relu5_1", device=device))
    # what style_transfer will use: 'auto' is measured on this machine (cached; nst_teach.calibration)
    choice = nt.calibration.choose(device, precision, "auto", evaluate=nt.transfer.loss_evaluator(model, device), size=size)
    precision = choice.precision

    def bare_seconds(conv):
        """The baseline: the network alone, same input size, depth, precision and convolutions."""
        forward_backward = nt.transfer.bare_pass(model, content, precision, conv)
        for _ in range(2):  # warm-up
            forward_backward()
        start = time.perf_counter()
        for _ in range(steps):
            forward_backward()
        return (time.perf_counter() - start) / steps

    bare = bare_seconds(choice.conv)
    out = {"size": size, "hw": list(content.shape[-2:]), "bare": bare, "precision": precision, "gram": choice.gram,
           "conv": choice.conv, "choice": choice.describe(),
           # the classic arithmetic's bare network, when the choice is another: what the choice saves
           "bare_direct": bare if choice.conv == "direct" else bare_seconds("direct")}
    one_scale = dict(model=model, device=device, precision=precision, gram=choice.gram, conv=choice.conv, size=None, scales=(1.0,))
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


def cpu_name():
    try:
        lines = open("/proc/cpuinfo").read().splitlines()
        name = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
        amx = any(line.startswith("flags") and " amx_tile" in line for line in lines)
        import torch

        return f"{name} (AMX: {'yes' if amx else 'no'}, torch uses {torch.backends.cpu.get_cpu_capability()})"
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="256,512,1024")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.steps, args.precision)))
        return

    import torch

    print(f"machine: {cpu_name()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}, "
          f"torch {torch.__version__}, {'cuda' if torch.cuda.is_available() else 'cpu'}; content cat, style starry_night, "
          f"{args.steps} iterations per measurement, precision {args.precision}; "
          f"load {' '.join(open('/proc/loadavg').read().split()[:3])}")
    header = (f"{'size':>9} {'prec':>5} {'gram':>8} {'conv':>8} {'fwd+bwd s':>10} {'lbfgs s/it':>11} {'evals/it':>9} {'lbfgs s/ev':>11} {'adam s/it':>10} "
              f"{'ratio lbfgs/it':>15} {'ratio lbfgs/ev':>15} {'ratio adam':>11} {'1st s':>6} {'direct fwd+bwd s':>17} {'peak MB':>8}")
    sizes = [int(s) for s in args.sizes.split(",")]
    first = sizes[0]
    for size in sizes:
        raw = subprocess.run([sys.executable, __file__, "--one", str(size), "--steps", str(args.steps), "--precision", args.precision],
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
    main()
