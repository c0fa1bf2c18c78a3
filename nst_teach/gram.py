"""Step 3: the Gram matrix, and its cousins the covariance and correlation matrices.

A layer's response is a stack of N_l feature maps of M_l = H·W positions each. Flatten it to
F ∈ ℝ^{N_l × M_l} (row i = filter i, column k = position k). Then

    Gram:         G_ij = Σ_k F_ik F_jk                       (G = F Fᵀ, Gatys et al.)
    covariance:   C_ij = 1/(M−1) Σ_k (F_ik − F̄_i)(F_jk − F̄_j)   (like np.cov, rows = variables)
    correlation:  R_ij = C_ij / sqrt(C_ii C_jj)              (like np.corrcoef)

All three are N_l × N_l and *ignore where* a feature occurs: permuting the columns (positions) of F
leaves them unchanged. That is why they describe style (texture, colour) and not content.

Every function accepts a numpy array [N, M], or a torch tensor [N, M], [C, H, W] (→ [C, C]) or
[B, C, H, W] (→ [B, C, C]), and returns the same library's type.
"""

import numpy as np
import torch

from .errors import NSTError

NORMALIZATIONS = {
    None: "G = F Fᵀ (Gatys et al.; the default)",
    "M": "G = F Fᵀ / M   (mean over positions; TensorFlow tutorial)",
    "NM": "G = F Fᵀ / (N·M)   (PyTorch tutorial: gram / (C·H·W))",
}


def flatten_features(F):
    """[N, M] → [N, M];  [C, H, W] → [C, H·W];  [B, C, H, W] → [B, C, H·W]. numpy: only [N, M]."""
    if isinstance(F, np.ndarray):
        if F.ndim != 2:
            raise NSTError(f"a numpy feature matrix must be 2-D [N filters, M positions], got shape {F.shape}")
        return F
    if F.dim() == 2:
        return F
    if F.dim() == 3:
        C, H, W = F.shape
        return F.reshape(C, H * W)  # (N_l, M_l)
    if F.dim() == 4:
        B, C, H, W = F.shape
        return F.reshape(B, C, H * W)  # (B, N_l, M_l)
    raise NSTError(f"features must be [N, M], [C, H, W] or [B, C, H, W], got shape {tuple(F.shape)}")


def _transpose(F):
    return F.T if isinstance(F, np.ndarray) else F.transpose(-1, -2)


def gram_matrix(F, normalize=None):
    """G = F Fᵀ, i.e. G_ij = Σ_k F_ik F_jk: how much filters i and j fire together, summed over space.

    F: [N, M] (numpy or torch), [C, H, W] or [B, C, H, W] (torch). Returns [N, N] / [B, N, N].
    normalize: None (default, the paper's unnormalised Gram), "M" (divide by the number of positions
    M = H·W, as in the TensorFlow tutorial) or "NM" (divide by N·M = C·H·W, as in the PyTorch
    tutorial). The style loss in `losses.style_layer_loss` uses the unnormalised G and puts the
    1/(4N²M²) factor in the loss instead.
    """
    if normalize not in NORMALIZATIONS:
        raise NSTError(f"unknown Gram normalisation {normalize!r}: use None, 'M' or 'NM'")
    F = flatten_features(F)
    N, M = F.shape[-2], F.shape[-1]
    G = F @ _transpose(F)  # (N, M) @ (M, N) → (N, N)
    if normalize == "M":
        G = G / M
    elif normalize == "NM":
        G = G / (N * M)
    return G


def covariance_matrix(F):
    """C = 1/(M−1) (F − F̄)(F − F̄)ᵀ: the Gram matrix of the mean-centred features, per position.

    F̄_i is the mean of row i over the M positions. Same 1/(n−1) convention as ``np.cov(F)``.
    """
    F = flatten_features(F)
    M = F.shape[-1]
    if M < 2:
        raise NSTError("covariance needs at least 2 positions (M ≥ 2)")
    centred = F - F.mean(axis=-1, keepdims=True)  # (…, N, M), each row now has mean 0
    # Not gram_matrix(centred): a batched (B, N, M) would be flattened again as if it were [C, H, W].
    return centred @ _transpose(centred) / (M - 1)  # (…, N, M) @ (…, M, N) → (…, N, N)


def correlation_matrix(F):
    """R_ij = C_ij / sqrt(C_ii · C_jj): the covariance rescaled so the diagonal is 1 (``np.corrcoef``).

    A filter that never varies (C_ii = 0) has no defined correlation; its row and column are NaN,
    exactly as with np.corrcoef.
    """
    C = covariance_matrix(F)
    if isinstance(C, np.ndarray):
        d = np.sqrt(np.diagonal(C, axis1=-2, axis2=-1))
        return C / (d[..., :, None] * d[..., None, :])
    d = torch.diagonal(C, dim1=-2, dim2=-1).sqrt()  # (…, N) standard deviations
    return C / (d.unsqueeze(-1) * d.unsqueeze(-2))  # (…, N, 1) * (…, 1, N) → (…, N, N)
