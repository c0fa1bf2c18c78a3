"""VGG-19's 3×3 convolutions, layer by layer, forward + backward to the input, three ways, side by side:

  direct      oneDNN's direct convolution on channels-last tensors (torch's default on the CPU)
  torch WT    Winograd F(6×6, 3×3) through torch's own NNPACK call (`torch._nnpack_spatial_convolution`),
              which transforms the filters afresh at every call; the backward pass is the same call
              with the flipped filter
  ours        `nst_teach.speed.winograd`: NNPACK's single-image call with each filter transformed once

at one image size (``--size``: the longest side; the cat photo's 3:2 shape), with VGG-19's own
weights. The timings are interleaved (every way once per round, the median of ``--repeat`` rounds
after a warm-up) so that other load falls on all three alike. The header gives the CPU, the vector
instructions torch uses and the process settings: run as a script, it runs with the ``nst-teach``
command's (`nst_teach.speed.process`).

Run:  .venv/bin/python benchmarks/bench_convolutions.py [--size 512] [--repeat 5]
"""

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

import nst_teach as nt
from common import load_average, machine, with_process_settings
from nst_teach.speed.winograd import MIN_INPUT_CHANNELS, flipped, winograd_available, winograd_convolutions


def conv_inputs(model, img):
    """[(name, W, b, input shape)] for each 3×3 convolution of the model, as it runs on img."""
    shapes, hooks = {}, []
    convs = [(name, m) for name, m in model.named_modules() if isinstance(m, torch.nn.Conv2d)]
    for name, m in convs:
        hooks.append(m.register_forward_hook(lambda m, inp, out, name=name: shapes.__setitem__(name, inp[0].shape)))
    with torch.no_grad():
        model(nt.preprocess(img, model.convention))
    for h in hooks:
        h.remove()
    return [(name, m.weight.detach(), m.bias.detach(), shapes[name]) for name, m in convs]


def ways(W, b, shape, mode):
    """{way: function running one forward + backward pass} for one convolution."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(shape, generator=g)
    grad_y = torch.randn(shape[0], W.shape[0], *shape[2:], generator=g)
    W_flip = flipped(W)
    cl = torch.channels_last
    x_cl, g_cl, W_cl = x.contiguous(memory_format=cl), grad_y.contiguous(memory_format=cl), W.contiguous(memory_format=cl)

    x, x_cl = x.requires_grad_(True), x_cl.requires_grad_(True)  # leaves: the gradient is returned, not kept

    def through_autograd(x, W, grad_y):
        y = F.conv2d(x, W, b, padding=1)
        return torch.autograd.grad(y, x, grad_y)

    def direct():
        return through_autograd(x_cl, W_cl, g_cl)

    def torch_nnpack():
        torch._nnpack_spatial_convolution(x, W, b, [1, 1], [1, 1])
        return torch._nnpack_spatial_convolution(grad_y, W_flip, None, [1, 1], [1, 1])

    def ours():
        with mode:
            return through_autograd(x, W, grad_y)

    return {"direct": direct, "torch WT": torch_nnpack, "ours": ours}


def measure(size, repeat):
    model = nt.load_vgg19(last_layer="relu5_1", device="cpu")
    img = nt.load_image("cat", size)
    mode = winograd_convolutions()
    layers = [(name, ways(W, b, shape, mode), shape, W.shape[0]) for name, W, b, shape in conv_inputs(model, img)]
    times = {(name, way): [] for name, fns, _, _ in layers for way in fns}
    for round_ in range(repeat + 1):
        for name, fns, _, _ in layers:
            for way, fn in fns.items():
                start = time.perf_counter()
                fn()
                if round_:  # round 0 warms up (and transforms our filters once)
                    times[(name, way)].append(time.perf_counter() - start)
    return [(name, shape, C_out, {way: statistics.median(times[(name, way)]) for way in fns})
            for name, fns, shape, C_out in layers]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if not winograd_available():
        raise SystemExit("this torch has no NNPACK: nothing to compare")
    print(f"machine: {machine()}; load {load_average()}")
    rows = measure(args.size, args.repeat)
    print(f"forward + backward seconds, median of {args.repeat} interleaved rounds; "
          f"'ours' runs for layers with ≥ {MIN_INPUT_CHANNELS} input channels (the others stay direct)")
    print(f"{'layer':<12} {'C_in → C_out':>13} {'map':>9} {'direct':>8} {'torch WT':>9} {'ours':>8}")
    total = {"direct": 0.0, "torch WT": 0.0, "ours": 0.0}
    for name, shape, C_out, t in rows:
        print(f"{name:<12} {f'{shape[1]} → {C_out}':>13} {f'{shape[2]}×{shape[3]}':>9} "
              f"{t['direct']:>8.4f} {t['torch WT']:>9.4f} {t['ours']:>8.4f}")
        for way in total:
            total[way] += t[way]
    print(f"{'all':<12} {'':>13} {'':>9} {total['direct']:>8.3f} {total['torch WT']:>9.3f} {total['ours']:>8.3f}")
    return rows


if __name__ == "__main__":
    with_process_settings()
    main()
