"""How much does style transfer cost on top of the network itself?

For each size, in a fresh subprocess (so that peak memory is per size), this prints:
  fwd+bwd   seconds for one bare forward + backward pass of VGG-19 truncated at relu5_1 (the baseline)
  lbfgs/it  seconds per L-BFGS-B iteration of `style_transfer` (and evaluations per iteration)
  lbfgs/ev  seconds per loss evaluation inside L-BFGS-B (one fwd+bwd + losses + bookkeeping)
  adam/it   seconds per Adam iteration (exactly one evaluation each)
  ratio     adam/it ÷ fwd+bwd and lbfgs/ev ÷ fwd+bwd: the overhead of the losses and bookkeeping
  peak MB   peak resident memory of the process (CPU) or peak CUDA memory (GPU)

Run:  .venv/bin/python benchmarks/bench_transfer.py [--sizes 256,384,512] [--steps 10]
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time


def measure(size, steps):
    import torch

    import nst_teach as nt
    from nst_teach import transfer

    device = nt.vgg.default_device()
    content = nt.load_image("cat", size).to(device)
    style = nt.load_image("starry_night", size).to(device)
    model = nt.load_vgg19(last_layer="relu5_1", device=device)

    # Baseline: the network alone, same input size, same depth.
    x = nt.preprocess(content).requires_grad_(True)
    for _ in range(2):  # warm-up
        model(x).sum().backward()
    start = time.perf_counter()
    for _ in range(steps):
        x.grad = None
        model(x).sum().backward()
    bare = (time.perf_counter() - start) / steps

    evaluations = {"n": 0}
    forward = transfer.StyleTransferLoss.forward

    def counted(self, img):
        evaluations["n"] += 1
        return forward(self, img)

    transfer.StyleTransferLoss.forward = counted
    out = {"size": size, "hw": list(content.shape[-2:]), "bare": bare}
    for optimizer in ("lbfgs", "adam"):
        # Warm-up: the first passes at a new shape are slow (oneDNN picks its kernels), for both paths.
        nt.style_transfer(content, style, steps=2, optimizer=optimizer, model=model, device=device)
        evaluations["n"] = 0
        result = nt.style_transfer(content, style, steps=steps, optimizer=optimizer, model=model, device=device)
        iterations = len(result.history)
        out[optimizer] = {"per_it": result.seconds / iterations, "evals_per_it": evaluations["n"] / iterations,
                          "per_eval": result.seconds / evaluations["n"]}
    if device.type == "cuda":
        out["peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    else:
        out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    return out


def cpu_name():
    try:
        lines = open("/proc/cpuinfo").read().splitlines()
        return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="256,384,512")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.steps)))
        return

    import torch

    print(f"machine: {cpu_name()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads, "
          f"torch {torch.__version__}, {'cuda' if torch.cuda.is_available() else 'cpu'}; content cat, style starry_night, "
          f"{args.steps} iterations per measurement")
    header = f"{'size':>9} {'fwd+bwd s':>10} {'lbfgs s/it':>11} {'evals/it':>9} {'lbfgs s/ev':>11} {'adam s/it':>10} {'ratio adam':>11} {'ratio lbfgs/ev':>15} {'peak MB':>8}"
    print(header)
    for size in (int(s) for s in args.sizes.split(",")):
        raw = subprocess.run([sys.executable, __file__, "--one", str(size), "--steps", str(args.steps)],
                             check=True, capture_output=True, text=True).stdout
        r = json.loads(raw.strip().splitlines()[-1])
        h, w = r["hw"]
        print(f"{w:>4}×{h:<4} {r['bare']:>10.3f} {r['lbfgs']['per_it']:>11.3f} {r['lbfgs']['evals_per_it']:>9.2f} "
              f"{r['lbfgs']['per_eval']:>11.3f} {r['adam']['per_it']:>10.3f} {r['adam']['per_it'] / r['bare']:>11.2f} "
              f"{r['lbfgs']['per_eval'] / r['bare']:>15.2f} {r['peak_mb']:>8.0f}", flush=True)


if __name__ == "__main__":
    main()
