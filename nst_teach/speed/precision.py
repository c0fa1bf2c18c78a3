"""Speed: running VGG-19 in bfloat16 and in channels-last memory layout, keeping the losses in fp32.

Almost all the time of style transfer is VGG-19's forward and backward pass. Two settings make it
much cheaper on a modern CPU, without changing the maths:

* **channels-last** stores a feature map [B, C, H, W] as B·H·W vectors of C channels, the layout
  oneDNN's convolutions prefer (no reordering around every conv).
* **bfloat16 autocast** runs the convolutions with 16-bit floats (8 exponent bits like fp32, 8
  mantissa bits); CPUs with AVX-512 BF16 / AMX do them in hardware.

Measured on this machine (2-core Xeon with AMX), forward+backward to relu5_1 at 512×341 px: fp32
1.24 s, fp32 channels-last 1.02 s, bf16 channels-last 0.23 s (benchmarks/bench_evaluation.py).

What must stay in fp32: the *losses*. A Gram matrix sums M_l products per entry (M_l = 131 072
positions at relu1_1 for 512×256), and bf16's 8-bit mantissa would lose most of that sum, so the
features are cast back to fp32 before G = F Fᵀ (inside `gram_fast`) and the squared errors. With
that, L-BFGS reached the same loss per iteration in bf16 as in fp32 (60 iterations at 512 px:
4.75e11 vs 4.73e11, judged in fp32 on the saved 8-bit image).
"""

import contextlib

import torch

from .. import private_torch
from ..errors import NSTError

PRECISIONS = ("auto", "fp32", "bf16")


def bf16_is_fast(device):
    """True where bf16 convolutions run in hardware: CPUs with AVX-512 BF16/AMX, CUDA GPUs with bf16."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        # Without native bf16, oneDNN emulates it and it is *slower* than fp32.
        return private_torch.mkldnn_bf16_supported()
    return False


def resolve_precision(precision, device):
    """'auto' → 'bf16' where it is fast on ``device``, else 'fp32'; 'fp32'/'bf16' are returned as given."""
    if precision not in PRECISIONS:
        raise NSTError(f"unknown precision {precision!r}: use auto, fp32 or bf16")
    if precision == "auto":
        return "bf16" if bf16_is_fast(device) else "fp32"
    return precision


def network_precision(device, precision):
    """Context manager for the network's forward pass: bf16 autocast, or nothing for fp32."""
    if precision == "bf16":
        return torch.autocast(torch.device(device).type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
