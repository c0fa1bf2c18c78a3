"""Speed: VGG-19's 3×3 convolutions by Winograd's minimal filtering (NNPACK), on the CPU.

A 3×3 convolution computes each output from 9 inputs per channel: 9 multiply-adds per output,
channel pair. Winograd's algorithm F(m × m, 3 × 3) (Lavin & Gray, *Fast Algorithms for
Convolutional Neural Networks*, 2016) computes a whole m × m tile of outputs at once: transform an
(m + 2) × (m + 2) input tile d and the 3 × 3 filter g, multiply the two transforms element-wise,
and transform back:

    Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A

For m = 6 (8 × 8 tiles, what NNPACK uses) that is 64 multiplications for 36 outputs instead of
36 · 9 = 324: about 5× fewer. The element-wise products, summed over the input channels, become one
matrix product per tile position, which is where the time goes.

The filter's transform U = G g Gᵀ depends only on the filter, and VGG's filters are frozen (we
optimise the image), so it is computed once per loss function and reused at every evaluation
(NNPACK's "precompute" and "reuse" strategies). torch's own NNPACK call transforms the filters
afresh at each call, a fixed cost that small images do not amortise. The 12 convolutions after
the first, forward and backward (benchmarks/bench_convolutions.py, AMD EPYC with AVX2): at 512 px
0.95 s this way, 1.23 s through torch's NNPACK call, 1.95 s direct; at 256 px 0.23 / 0.39 / 0.43 s.
The price is memory:
U has 64 numbers per 9 weights, ≈ 370 MB per direction for VGG-19 up to conv5_1.

The result is the same convolution up to rounding: the transforms add and subtract values of
different sizes, so it is less exact than the direct sum (measured at 512 px through the 13
convolutions up to relu5_1: the image's gradient differs from oneDNN's fp32 by about 1e-3 relative;
bf16 differs by far more). The losses are still summed in fp32, and the judge of every benchmark
evaluates the saved image with the direct convolution.

Where it helps: CPUs without bf16 hardware, where oneDNN's fp32 direct convolution is all there is
(measured on an AMD EPYC with AVX2 only). Where bf16 runs in hardware, bf16 may be faster still.
`nst_teach.speed.calibration` times both on the machine at hand and picks; nothing here is used unless
chosen. The first convolution (3 input channels) stays direct: with so few channels the
transforms cost more than they save (a whole 512 px forward + backward pass took 1.28 s with it
through Winograd, 1.19 s without).

The backward pass is a convolution too: for stride 1 and padding 1, ∂L/∂x = conv(∂L/∂y, Wᵀ) with
the filter flipped in space and its input/output channels swapped, so it runs through Winograd as
well. The network is frozen, so no gradient for W is ever needed.

How it is wired: torch ships NNPACK inside its CPU library, with its C functions exported, but
calls only NNPACK's batch API, which cannot reuse a transformed filter. We call NNPACK's
single-image API (`nnp_convolution_inference`) through ctypes, on a thread pool of our own.
"""

import contextlib
import ctypes

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from .. import private_torch
from ..errors import NSTError
from ..private_torch import _Padding, _Size

MIN_INPUT_CHANNELS = 16  # fewer (VGG's first convolution: 3) run direct, which is faster there

# NNPACK's enums (include/nnpack.h)
_WT8X8 = 3  # nnp_convolution_algorithm_wt8x8: Winograd F(6×6, 3×3)
_PRECOMPUTE, _REUSE = 2, 3  # nnp_convolution_transform_strategy
_IDENTITY = 0  # nnp_activation_identity


def winograd_available(device="cpu"):
    """True where these Winograd convolutions can run: Linux CPU builds of torch with NNPACK
    (x86-64 with AVX2, ARM with NEON), whose C functions `nst_teach.private_torch` could open."""
    return torch.device(device).type == "cpu" and private_torch.nnpack_library() is not None


class _NNPACK:
    """NNPACK's single-image convolution with a thread pool and one scratch buffer, reused by every
    convolution of a loss function (they run one after another)."""

    def __init__(self, threads):
        self.lib = private_torch.nnpack_library()
        self.pool = self.lib.pthreadpool_create(threads)
        self.scratch = torch.empty(0, dtype=torch.uint8)

    def __del__(self):
        if getattr(self, "pool", None):
            self.lib.pthreadpool_destroy(self.pool)
            self.pool = None

    def _call(self, strategy, x, kernel, bias, y, size, buffer, buffer_bytes):
        C, H, W = size
        status = self.lib.nnp_convolution_inference(
            _WT8X8, strategy, C, bias.numel(), _Size(W, H), _Padding(1, 1, 1, 1), _Size(3, 3), _Size(1, 1),
            x.data_ptr(), kernel, bias.data_ptr(), y.data_ptr(), buffer, ctypes.byref(buffer_bytes),
            _IDENTITY, None, self.pool, None)
        if status != 0:
            raise NSTError(f"NNPACK's Winograd convolution failed (status {status}): use conv='direct'")

    def transform(self, W):
        """U = G W Gᵀ for every filter of W [C_out, C_in, 3, 3], in NNPACK's layout (bytes)."""
        C_out, C_in = W.shape[:2]
        x, y, bias, W = torch.zeros(C_in, 8, 8), torch.empty(C_out, 8, 8), torch.zeros(C_out), W.contiguous()
        n = ctypes.c_size_t(0)
        self._call(_PRECOMPUTE, x, W.data_ptr(), bias, y, (C_in, 8, 8), None, n)  # asks for U's size
        U = torch.empty(n.value, dtype=torch.uint8)  # torch aligns to 64 bytes, as NNPACK needs
        self._call(_PRECOMPUTE, x, W.data_ptr(), bias, y, (C_in, 8, 8), U.data_ptr(), n)
        return U

    def conv(self, x, U, bias):
        """y = conv(x, W) + bias for x [1, C_in, H, W] (contiguous fp32) and W's transform U."""
        _, C_in, H, W = x.shape
        y = torch.empty(1, bias.numel(), H, W)
        n = ctypes.c_size_t(0)
        self._call(_REUSE, x, U.data_ptr(), bias, y, (C_in, H, W), None, n)  # asks for the scratch size
        if self.scratch.numel() < n.value:
            self.scratch = torch.empty(n.value, dtype=torch.uint8)
        n = ctypes.c_size_t(self.scratch.numel())
        self._call(_REUSE, x, U.data_ptr(), bias, y, (C_in, H, W), self.scratch.data_ptr(), n)
        return y


class _Filter:
    """One frozen filter W and what its convolutions need: U for y = conv(x, W) + b, and the
    transform of the flipped filter for ∂L/∂x = conv(∂L/∂y, W_flip)."""

    def __init__(self, nnpack, W, b):
        # W is kept so that its id cannot be reused; its version tells an in-place change (None: cannot tell)
        self.nnpack, self.W, self.version = nnpack, W, private_torch.tensor_version(W)
        self.U, self.U_flip = nnpack.transform(W), nnpack.transform(flipped(W))
        self.b = torch.zeros(W.shape[0]) if b is None else b.detach().float().contiguous()
        self.zero = torch.zeros(W.shape[1])  # no bias in the backward pass

    def forward(self, x):
        return self.nnpack.conv(x.contiguous(), self.U, self.b)

    def backward(self, grad_y):
        return self.nnpack.conv(grad_y.contiguous(), self.U_flip, self.zero)


class _WinogradConv3x3(torch.autograd.Function):
    """y = conv(x, W) + b for a 3×3 filter, stride 1, padding 1, and ∂L/∂x = conv(∂L/∂y, W_flip)."""

    @staticmethod
    def forward(ctx, x, filter_):  # x [1, C_in, H, W] → y [1, C_out, H, W]
        ctx.filter = filter_
        return filter_.forward(x)

    @staticmethod
    def backward(ctx, grad_y):
        return ctx.filter.backward(grad_y), None


def flipped(W):
    """The filter of the backward convolution: W [C_out, C_in, 3, 3] → [C_in, C_out, 3, 3], flipped."""
    return W.transpose(0, 1).flip(-2, -1).contiguous()


def _is_vgg_convolution(x, W, b, stride, padding, dilation, groups):
    """VGG's own convolutions: 3×3, stride 1, padding 1, fp32 on the CPU, a frozen filter, one
    image. Anything else goes to torch as usual."""
    ones = (1, (1, 1), [1, 1])
    return (W.dim() == 4 and W.shape[-2:] == (3, 3) and not W.requires_grad and x.dim() == 4
            and x.shape[0] == 1 and x.dtype == W.dtype == torch.float32
            and x.device.type == W.device.type == "cpu" and (b is None or not b.requires_grad)
            and stride in ones and padding in ones and dilation in ones and groups == 1)


class _WinogradMode(TorchFunctionMode):
    """Routes `F.conv2d` calls of the cases above to `_WinogradConv3x3` while it is active."""

    def __init__(self):
        super().__init__()
        self.nnpack = _NNPACK(torch.get_num_threads())
        self.filters = {}  # id(W) → _Filter, transformed at first use

    def __deepcopy__(self, memo):  # a copied model gets its own (its thread pool is not shareable)
        return _WinogradMode()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is F.conv2d or func is torch.conv2d:
            x, W, b, stride, padding, dilation, groups = _conv_arguments(*args, **kwargs)
            if _is_vgg_convolution(x, W, b, stride, padding, dilation, groups):
                if W.shape[1] < MIN_INPUT_CHANNELS:  # the first layer: oneDNN's direct convolution, on rows
                    # (a channels-last W would make oneDNN answer in channels-last, copied back to rows
                    # for the next layer, and the gradient the other way: 3% of a 512 px evaluation)
                    return func(x, W.contiguous(), b, stride, padding, dilation, groups)
                filter_ = self.filters.get(id(W))
                if filter_ is None or filter_.version != private_torch.tensor_version(W):  # new, or changed in place
                    filter_ = self.filters[id(W)] = _Filter(self.nnpack, W, b)
                return _WinogradConv3x3.apply(x, filter_)
        return func(*args, **kwargs)


def _conv_arguments(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return input, weight, bias, stride, padding, dilation, groups


def winograd_convolutions(enabled=True, model=None):
    """Context manager: inside it, VGG's 3×3 convolutions on the CPU run by Winograd (NNPACK),
    forward and backward; every other operation is unchanged. ``enabled=False``: does nothing
    (oneDNN's direct convolution, torch's default). The returned object can be entered again and
    again: it keeps each filter's transforms, computed at first use (a filter changed in place is
    transformed again). With ``model``, the model keeps one such object for all its users (every
    loss function of a run, the calibration, the live preview's changes), so its filters are
    transformed once per process and held once in memory (≈ 740 MB for VGG-19 up to conv5_1)."""
    if not enabled:
        return contextlib.nullcontext()
    if not winograd_available():
        raise NSTError("Winograd convolutions need torch's NNPACK (Linux, CPU, AVX2 or NEON): use conv='direct'")
    if model is None:
        return _WinogradMode()
    if getattr(model, "_winograd_convolutions", None) is None:
        model._winograd_convolutions = _WinogradMode()  # lives and dies with the model
    return model._winograd_convolutions


def release(model):
    """Drop the transformed filters ``model`` keeps (≈ 740 MB up to conv5_1): the calibration calls
    it when Winograd lost, so that the run does not carry the loser's memory."""
    if getattr(model, "_winograd_convolutions", None) is not None:
        model._winograd_convolutions = None
