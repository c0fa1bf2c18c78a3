"""Step 8, speed: running VGG-19 in bfloat16 and in channels-last memory layout, keeping the losses in fp32.

Almost all the time of style transfer is VGG-19's forward and backward pass. Two settings make it
much cheaper on a modern CPU, without changing the maths:

* **channels-last** stores a feature map [B, C, H, W] as B·H·W vectors of C channels, the layout
  oneDNN's convolutions prefer (no reordering around every conv).
* **bfloat16 autocast** runs the convolutions with 16-bit floats (8 exponent bits like fp32, 8
  mantissa bits); CPUs with AVX-512 BF16 / AMX do them in hardware.

Measured on this machine (2-core Xeon with AMX), forward+backward to relu5_1 at 512×341 px: fp32
1.24 s, fp32 channels-last 1.02 s, bf16 channels-last 0.23 s (DEVELOPERS.md, "The fast path").

The Gram matrices are the other big cost: at 512 px, G = F Fᵀ at relu1_1 multiplies a 64 × 174 592
matrix by its transpose. `gram_fast` computes the same G without copying F (a channels-last map *is*
Fᵀ in memory) and its gradient with one matrix product instead of autograd's two plus a sum.

What must stay in fp32: the *losses*. A Gram matrix sums M_l products per entry (M_l = 131 072
positions at relu1_1 for 512×256), and bf16's 8-bit mantissa would lose most of that sum, so the
features are cast back to fp32 before G = F Fᵀ (inside `gram_fast`) and the squared errors. With
that, L-BFGS reached the same loss per iteration in bf16 as in fp32 (60 iterations at 512 px:
4.75e11 vs 4.73e11, judged in fp32 on the saved 8-bit image).
"""

import contextlib
import ctypes
import sys

import torch

from .errors import NSTError

PRECISIONS = ("auto", "fp32", "bf16")
GRAMS = ("auto", "fast", "autograd")  # how G = F Fᵀ is computed: gram_fast, or autograd's; auto: measured (calibration)
CONVS = ("auto", "direct", "winograd")  # VGG's 3×3 convolutions: oneDNN's, or Winograd's (nst_teach.winograd); auto: measured


def bf16_is_fast(device):
    """True where bf16 convolutions run in hardware: CPUs with AVX-512 BF16/AMX, CUDA GPUs with bf16."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        # Without native bf16, oneDNN emulates it and it is *slower* than fp32.
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
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


def channels_last(t):
    """A [B, C, H, W] tensor (or a model) in channels-last layout; the values are unchanged."""
    return t.to(memory_format=torch.channels_last) if isinstance(t, torch.nn.Module) else t.contiguous(memory_format=torch.channels_last)


class _GramFast(torch.autograd.Function):
    """G = F Fᵀ in fp32, with the backward pass written out: ∂L/∂F = (∂L/∂G + ∂L/∂Gᵀ) F."""

    @staticmethod
    def forward(ctx, Ft):  # Ft: (M, N), the transposed feature matrix, bf16 or fp32
        ctx.save_for_backward(Ft)
        Ft32 = Ft.float()  # G sums M products per entry: in fp32 (bf16 values are exact in fp32)
        return Ft32.T @ Ft32  # (N, M) @ (M, N) → (N, N)

    @staticmethod
    def backward(ctx, dG):
        (Ft,) = ctx.saved_tensors
        # One product, in Ft's own dtype and layout: a bf16 network gets its bf16 gradient directly
        # (it would be rounded to bf16 on the way back anyway), without an fp32 copy of size M × N.
        S = (dG + dG.T).to(Ft.dtype)  # (N, N), symmetric
        if Ft.T.is_contiguous():  # F was [N, H, W] contiguous (not channels-last): Ft is F's transpose
            return (S @ Ft.T).T  # (N, N) @ (N, M) → (N, M), returned as its transpose (M, N): F's layout
        return Ft @ S  # (M, N) @ (N, N) → (M, N)


def gram_fast(F):
    """The Gram matrix G = F Fᵀ of one image's features F [1, N, H, W] or [N, H, W] → [N, N], fp32,
    as `nst_teach.gram.gram_matrix` (unnormalised), but faster for the optimisation loop. F may be
    bf16: G is still summed in fp32.

    For a channels-last F, the (M = H·W) × N matrix Fᵀ is read in place (no copy), and the gradient
    comes back in the same layout, so it adds to the network's own gradient without reordering.
    Measured at 512 px (relu1_1 … relu5_1, bf16 network): see `benchmarks/bench_transfer.py`.
    """
    # No F[0]: its backward would build a zero tensor in the default layout and copy into it.
    N = F.shape[-3]
    if F.is_contiguous():  # [N, H, W] rows (e.g. from the Winograd convolutions): Fᵀ as a view
        return _GramFast.apply(F.reshape(N, -1).T)
    Ft = F.movedim(-3, -1).reshape(-1, N)  # (…, H, W, N) → (M, N): a view when F is channels-last
    return _GramFast.apply(Ft)


def keep_freed_memory(heap_only=True):
    """Ask glibc's malloc to keep freed memory for reuse instead of returning it to the system.

    Each evaluation allocates and frees the same large feature maps (44.7 MB for relu1_1 at
    512×341 px, 179 MB at 1024 px). glibc serves a request above its mmap threshold with a fresh
    mapping and unmaps it on free, so the next evaluation pays a page fault per 4 KB page, and the
    kernel's zeroing of it, to map the same memory again. The threshold cannot be raised above
    32 MB, so we also turn mmap off for allocations (M_MMAP_MAX = 0): every block then comes from the
    heap, where freed blocks are reused, and up to 1 GB of free heap is kept (M_TRIM_THRESHOLD).
    Measured on a 2-core AMD EPYC (AVX2, Winograd; benchmarks/bench_allocator.py), one loss
    evaluation at 1024 px: 4.95 s → 3.57 s (page faults: 980 000 → 8 000), at 512 px 1.00 → 0.87 s.
    It changes the whole process's allocator, so only the command line and the benchmarks call it.
    heap_only=False leaves mmap on (the setting before, for benchmarks/bench_allocator.py's comparison).
    Returns True if it was applied (Linux with glibc), else False and nothing changes.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_MMAP_MAX = -1, -3, -4  # glibc's mallopt parameter numbers
    # 32 MB is glibc's largest allowed mmap threshold on 64-bit; keep up to 1 GB of free heap.
    settings = [(M_MMAP_THRESHOLD, 32 << 20), (M_TRIM_THRESHOLD, 1 << 30)] + [(M_MMAP_MAX, 0)] * heap_only
    return all([bool(libc.mallopt(parameter, value)) for parameter, value in settings])
