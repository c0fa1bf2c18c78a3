"""Speed: the Gram matrix of the optimisation loop, G = F Fᵀ with its gradient written out.

The Gram matrices are the second big cost after VGG-19 itself: at 512 px, G = F Fᵀ at relu1_1
multiplies a 64 × 174 592 matrix by its transpose. `gram_fast` computes the same G as
`nst_teach.gram.gram_matrix` without copying F (a channels-last map *is* Fᵀ in memory), summed in
fp32 even for bf16 features, and its gradient with one matrix product instead of autograd's two plus
a sum. `autograd_gram` is the lessons' `gram_matrix` on an fp32 copy; which is faster depends on the
CPU's BLAS (`nst_teach.speed.calibration` measures it).
"""

import torch

from ..gram import gram_matrix

GRAMS = ("auto", "fast", "autograd")  # gram_fast, or autograd's; auto: measured (calibration)


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


def autograd_gram(F):
    """G = F Fᵀ by `gram_matrix` on an fp32 copy of F [N, H, W] (autograd differentiates it)."""
    return gram_matrix(F.float())
