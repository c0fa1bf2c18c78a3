"""Exercise 3 — the Gram matrix, and its cousins the covariance and correlation matrices (numpy).

A layer's response is N feature maps of M = H·W positions, flattened to F ∈ ℝ^{N×M}
(row i = filter i, column k = position k). All three results are N×N:

    Gram:         G_ij = Σ_k F_ik F_jk                              (G = F Fᵀ, Gatys et al.)
    covariance:   C_ij = 1/(M−1) Σ_k (F_ik − F̄_i)(F_jk − F̄_j)       (F̄_i = mean of row i; like np.cov(F))
    correlation:  R_ij = C_ij / sqrt(C_ii · C_jj)                   (like np.corrcoef(F))

Lecture example: F = [[19, 20], [9, 8]] → G = [[761, 331], [331, 145]]. A filter that never varies
(C_ii = 0) has an undefined correlation: NaN, as with np.corrcoef. Do not modify F.
Write them yourself with numpy operations (@, mean, sum, sqrt, einsum …); your results must equal
np.cov(F) / np.corrcoef(F), but calling those (or torch.cov / torch.corrcoef) earns 0 for that function:
use them only to check your answer in a notebook.

Reference: `nst_teach.gram.gram_matrix`, `covariance_matrix`, `correlation_matrix`.

Check your work:  nst-teach grade ex03   (or in a notebook: check("ex03"))
"""

import numpy as np


def gram_matrix(F):
    """G = F Fᵀ, i.e. G_ij = Σ_k F_ik F_jk: how much filters i and j fire together, summed over space.

    F: numpy array [N filters, M positions]. Returns a numpy array [N, N] (unnormalised, as in the paper).
    """
    # TODO: Exercise 3 — implement this.
    raise NotImplementedError("Exercise 3: not attempted yet")


def covariance_matrix(F):
    """C = 1/(M−1) (F − F̄)(F − F̄)ᵀ: the Gram matrix of the mean-centred rows, divided by M − 1.

    F: numpy array [N, M] (rows are variables, columns observations). Returns [N, N], equal to np.cov(F).
    """
    # TODO: Exercise 3 — implement this.
    raise NotImplementedError("Exercise 3: not attempted yet")


def correlation_matrix(F):
    """R_ij = C_ij / sqrt(C_ii · C_jj): the covariance rescaled so the diagonal is 1.

    F: numpy array [N, M]. Returns [N, N], equal to np.corrcoef(F) (NaN rows/columns for constant rows).
    """
    # TODO: Exercise 3 — implement this.
    raise NotImplementedError("Exercise 3: not attempted yet")
