"""Where does one loss evaluation spend its time? Side by side, in one run, at one size:

  bare      forward + backward of VGG-19 to relu5_1 alone (the network's own cost)
  autograd  StyleTransferLoss with the Gram matrix of `nst_teach.gram.gram_matrix` on fp32 features
            (autograd's backward)
  fast      StyleTransferLoss as `style_transfer` runs it (`precision.gram_fast`)

each in fp32 and in bf16 (if this machine runs bf16 fast), all with channels-last inputs, the mean
of ``--repeat`` evaluations after 2 warm-ups. ``--keep-freed-memory`` applies glibc's setting first
(`nst_teach.precision.keep_freed_memory`); run once with and once without to see its effect.

Run:  .venv/bin/python benchmarks/bench_evaluation.py [--size 512] [--repeat 4] [--keep-freed-memory]
"""

import argparse
import time

import torch

import nst_teach as nt
from nst_teach import losses, transfer
from nst_teach.precision import bf16_is_fast, channels_last, keep_freed_memory, network_precision
from nst_teach.transfer import StyleTransferLoss, TransferConfig


def seconds_per_call(fn, repeat):
    for _ in range(2):
        fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def measure(content, style, model, precision, repeat):
    x = channels_last(nt.preprocess(content)).requires_grad_(True)

    def bare():
        x.grad = None
        with network_precision("cpu", precision):
            y = model(x)
        y.float().sum().backward()

    config = TransferConfig(style_weight=1000.0, weighting="paper")
    loss_fn = StyleTransferLoss(model, content, style, config, precision)
    img = content.clone().requires_grad_(True)

    def evaluation():
        img.grad = None
        total, _ = loss_fn(img.clamp(0, 1))
        total.backward()

    out = {"bare": seconds_per_call(bare, repeat), "fast": seconds_per_call(evaluation, repeat)}
    # The same loss with autograd's Gram: swap the style loss `transfer` calls, then restore it.
    real_style_loss = losses.style_loss

    def autograd_gram(F):
        return nt.gram_matrix(F.float())  # in fp32, as gram_fast sums it

    def autograd_style_loss(features, targets, weights=None, gram=None):
        return real_style_loss(features, targets, weights, gram=autograd_gram)

    transfer.style_loss = autograd_style_loss
    try:
        out["autograd"] = seconds_per_call(evaluation, repeat)
    finally:
        transfer.style_loss = real_style_loss
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--keep-freed-memory", action="store_true")
    args = parser.parse_args()
    applied = keep_freed_memory() if args.keep_freed_memory else False
    content, style = nt.load_image("cat", args.size), nt.load_image("starry_night", args.size)
    model = channels_last(nt.load_vgg19(last_layer="relu5_1", device="cpu"))
    print(f"{tuple(content.shape[-2:])} px, {torch.get_num_threads()} threads, keep freed memory: {applied}")
    print(f"{'precision':>9} {'bare s':>8} {'autograd s':>11} {'fast s':>8} {'fast ÷ bare':>12}")
    for precision in ("fp32", "bf16") if bf16_is_fast("cpu") else ("fp32",):
        r = measure(content, style, model, precision, args.repeat)
        print(f"{precision:>9} {r['bare']:>8.3f} {r['autograd']:>11.3f} {r['fast']:>8.3f} {r['fast'] / r['bare']:>12.2f}", flush=True)


if __name__ == "__main__":
    main()
