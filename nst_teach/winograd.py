"""Step 8, speed: VGG-19's 3×3 convolutions by Winograd's minimal filtering (NNPACK), on the CPU.

A 3×3 convolution computes each output from 9 inputs per channel: 9 multiply-adds per output,
channel pair. Winograd's algorithm F(m × m, 3 × 3) (Lavin & Gray, *Fast Algorithms for
Convolutional Neural Networks*, 2016) computes a whole m × m tile of outputs at once: transform an
(m + 2) × (m + 2) input tile and the 3 × 3 filter, multiply the two transforms element-wise, and
transform back. For m = 6 (8 × 8 tiles, what NNPACK uses) that is 64 multiplications for 36 outputs
instead of 36 · 9 = 324: about 5× fewer. The element-wise products, summed over the input
channels, become one matrix product per tile position, which is where the time goes.

The result is the same convolution up to rounding: the transforms add and subtract values of
different sizes, so it is less exact than the direct sum (measured at 512 px through the 13
convolutions up to relu5_1: the image's gradient differs from oneDNN's fp32 by about 1e-3 relative;
bf16 differs by far more). The losses are still summed in fp32, and the judge of every benchmark
evaluates the saved image with the direct convolution.

Where it helps: CPUs without bf16 hardware, where oneDNN's fp32 direct convolution is all there is
(measured on an AMD EPYC with AVX2 only, 512 px: see benchmarks/bench_evaluation.py). Where bf16
runs in hardware, bf16 may be faster still. `nst_teach.calibration` times both on the machine at
hand and picks; nothing here is used unless chosen.

The backward pass is a convolution too: for stride 1 and padding 1, ∂L/∂x = conv(∂L/∂y, Wᵀ) with
the filter flipped in space and its input/output channels swapped, so it runs through Winograd as
well. The network is frozen (we optimise the image), so no gradient for W is ever needed.
"""

import contextlib

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from .errors import NSTError


def winograd_available(device="cpu"):
    """True where NNPACK's Winograd convolutions can run: CPU builds of torch with NNPACK
    (x86-64 with AVX2, ARM with NEON). The check also initialises NNPACK, which must happen once
    before its first convolution."""
    return torch.device(device).type == "cpu" and torch.backends.nnpack.is_available()


class _WinogradConv3x3(torch.autograd.Function):
    """y = conv(x, W) + b for a 3×3 filter, stride 1, padding 1, and ∂L/∂x = conv(∂L/∂y, W_flip)."""

    @staticmethod
    def forward(ctx, x, W, b, W_flip):  # x [1, C_in, H, W], W [C_out, C_in, 3, 3], W_flip [C_in, C_out, 3, 3]
        ctx.save_for_backward(W_flip)
        return torch._nnpack_spatial_convolution(x.contiguous(), W, b, [1, 1], [1, 1])

    @staticmethod
    def backward(ctx, grad_y):
        (W_flip,) = ctx.saved_tensors
        grad_x = torch._nnpack_spatial_convolution(grad_y.contiguous(), W_flip, None, [1, 1], [1, 1])
        return grad_x, None, None, None


def flipped(W):
    """The filter of the backward convolution: W [C_out, C_in, 3, 3] → [C_in, C_out, 3, 3], flipped."""
    return W.transpose(0, 1).flip(-2, -1).contiguous()


def _is_winograd_case(x, W, stride, padding, dilation, groups):
    """The convolutions this module handles: VGG's own (3×3, stride 1, padding 1, fp32 on the CPU,
    a frozen filter); anything else goes to torch as usual."""
    ones = (1, (1, 1), [1, 1])
    return (W.dim() == 4 and W.shape[-2:] == (3, 3) and not W.requires_grad and x.dim() == 4
            and x.dtype == W.dtype == torch.float32 and x.device.type == W.device.type == "cpu"
            and stride in ones and padding in ones and dilation in ones and groups == 1)


class _WinogradMode(TorchFunctionMode):
    """Routes `F.conv2d` calls of the cases above to `_WinogradConv3x3` while it is active."""

    def __init__(self):
        super().__init__()
        self.filters = {}  # id(W) → (W, W in the default layout, flipped(W)), computed once per filter

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is F.conv2d or func is torch.conv2d:
            x, W, b, stride, padding, dilation, groups = _conv_arguments(*args, **kwargs)
            if _is_winograd_case(x, W, stride, padding, dilation, groups):
                if id(W) not in self.filters:  # W is kept alongside, so its id cannot be reused
                    self.filters[id(W)] = (W, W.contiguous(), flipped(W))
                _, W_rows, W_flip = self.filters[id(W)]
                return _WinogradConv3x3.apply(x, W_rows, b, W_flip)
        return func(*args, **kwargs)


def _conv_arguments(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return input, weight, bias, stride, padding, dilation, groups


def winograd_convolutions(enabled=True):
    """Context manager: inside it, VGG's 3×3 convolutions on the CPU run by Winograd (NNPACK),
    forward and backward; every other operation is unchanged. ``enabled=False``: does nothing
    (oneDNN's direct convolution, torch's default). The returned object can be entered again and
    again (one per loss function): it keeps each filter's flipped copy, computed at first use, so
    the weights must not change in place while it lives (ours are frozen)."""
    if not enabled:
        return contextlib.nullcontext()
    if not winograd_available():
        raise NSTError("Winograd convolutions need torch's NNPACK (CPU, AVX2 or NEON): use conv='direct'")
    return _WinogradMode()
