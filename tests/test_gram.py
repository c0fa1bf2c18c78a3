"""Tests for `nst_teach.gram`: Gram, covariance and correlation matrices.

Compared with the lecture's worked examples, with numpy (np.cov, np.corrcoef) and with properties:
symmetric, positive semi-definite, unchanged when the positions (columns of F) are permuted.
"""

import numpy as np
import pytest
import torch

from nst_teach.errors import NSTError
from nst_teach.gram import correlation_matrix, covariance_matrix, gram_matrix

pytestmark = pytest.mark.ex03

# The lecture's 3×3 worked example: a covariance matrix and its correlation matrix (rounded to 2 d.p.).
LECTURE_COV = np.array([[3.16, 4.13, 2.79], [4.13, 11.79, 4.32], [2.79, 4.32, 9.31]])
LECTURE_CORR = np.array([[1, 0.67, 0.51], [0.67, 1, 0.41], [0.51, 0.41, 1]])


def rng(seed=0):
    return np.random.default_rng(seed)


def data_with_covariance(C, M=50, seed=0):
    """F [N, M] whose sample covariance (1/(M−1), like np.cov) is exactly C.

    Whiten random data (so its sample covariance is I), then colour it with the Cholesky factor of C:
    cov(L Z) = L cov(Z) Lᵀ = L Lᵀ = C.
    """
    Z = rng(seed).normal(size=(C.shape[0], M))
    Z = Z - Z.mean(axis=1, keepdims=True)  # (N, M), rows centred
    Z = np.linalg.solve(np.linalg.cholesky(np.cov(Z)), Z)  # whitened: np.cov(Z) = I
    return np.linalg.cholesky(C) @ Z + 5.0  # (N, M); the shift must not matter


# ----------------------------------------------------------------------------- Gram


def test_lecture_gram_example():
    F = np.array([[19.0, 20.0], [9.0, 8.0]])
    np.testing.assert_array_equal(gram_matrix(F), [[761, 331], [331, 145]])
    G = gram_matrix(torch.tensor(F))
    assert isinstance(G, torch.Tensor)
    torch.testing.assert_close(G, torch.tensor([[761.0, 331.0], [331.0, 145.0]], dtype=torch.float64))


def test_gram_by_explicit_loops():
    F = rng(1).normal(size=(4, 6))
    G = np.zeros((4, 4))
    for i in range(4):
        for j in range(4):
            for k in range(6):
                G[i, j] += F[i, k] * F[j, k]
    np.testing.assert_allclose(gram_matrix(F), G, rtol=1e-12)


def test_gram_of_chw_and_bchw_tensors():
    x = torch.randn(2, 5, 3, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    F0 = x[0].reshape(5, 12).numpy()  # (N, M)
    torch.testing.assert_close(gram_matrix(x[0]), torch.from_numpy(F0 @ F0.T))
    G = gram_matrix(x)
    assert G.shape == (2, 5, 5)
    for b in range(2):
        Fb = x[b].reshape(5, 12).numpy()
        np.testing.assert_allclose(G[b].numpy(), Fb @ Fb.T, rtol=1e-12)


def test_gram_unchanged_when_positions_are_permuted():
    x = torch.randn(6, 5, 7, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    F = x.reshape(6, 35)
    perm = torch.randperm(35, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(gram_matrix(F[:, perm]), gram_matrix(x))
    # …but permuting the filters (rows) permutes G accordingly: G'_ij = G_{p(i) p(j)}.
    rows = torch.tensor([2, 0, 5, 1, 4, 3])
    torch.testing.assert_close(gram_matrix(F[rows]), gram_matrix(F)[rows][:, rows])


def test_gram_symmetric_and_positive_semidefinite():
    F = torch.randn(8, 3, generator=torch.Generator().manual_seed(4), dtype=torch.float64)  # N > M: rank ≤ 3
    G = gram_matrix(F)
    torch.testing.assert_close(G, G.T)
    eigenvalues = torch.linalg.eigvalsh(G)
    assert eigenvalues.min() > -1e-10
    assert (eigenvalues > 1e-8).sum() == 3  # rank M, as G = F Fᵀ with F of rank 3


@pytest.mark.parametrize("normalize, divisor", [("M", 12), ("NM", 5 * 12)])
def test_gram_normalisations(normalize, divisor):
    x = torch.randn(5, 3, 4, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(gram_matrix(x, normalize=normalize), gram_matrix(x) / divisor)
    xb = x.unsqueeze(0)  # [1, C, H, W]: N and M are the last two axes of the flattened F, not the batch
    torch.testing.assert_close(gram_matrix(xb, normalize=normalize), (gram_matrix(x) / divisor).unsqueeze(0))


def test_gram_keeps_autograd():
    F = torch.randn(3, 4, dtype=torch.float64, requires_grad=True, generator=torch.Generator().manual_seed(6))
    assert torch.autograd.gradcheck(lambda f: gram_matrix(f), (F,))


# ----------------------------------------------------------------------------- covariance, correlation


@pytest.mark.parametrize("shape", [(3, 10), (6, 4), (1, 5)])
def test_covariance_and_correlation_match_numpy(shape):
    F = rng(7).normal(size=shape)
    np.testing.assert_allclose(covariance_matrix(F), np.atleast_2d(np.cov(F)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(correlation_matrix(F), np.atleast_2d(np.corrcoef(F)), rtol=1e-12, atol=1e-12)


def test_covariance_and_correlation_of_tensors_match_numpy():
    x = torch.randn(2, 4, 3, 5, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
    C, R = covariance_matrix(x), correlation_matrix(x)
    assert C.shape == R.shape == (2, 4, 4)
    for b in range(2):
        Fb = x[b].reshape(4, 15).numpy()  # (N, M)
        np.testing.assert_allclose(C[b].numpy(), np.cov(Fb), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(R[b].numpy(), np.corrcoef(Fb), rtol=1e-12, atol=1e-12)
        # [C, H, W] alone gives the same as the batch entry
        np.testing.assert_allclose(covariance_matrix(x[b]).numpy(), np.cov(Fb), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(correlation_matrix(x[b]).numpy(), np.corrcoef(Fb), rtol=1e-12, atol=1e-12)


def test_covariance_is_gram_of_centred_features():
    F = rng(9).normal(size=(3, 8)) + 2.0
    centred = F - F.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(covariance_matrix(F), gram_matrix(centred) / 7, rtol=1e-12)


def test_lecture_covariance_to_correlation_example():
    F = data_with_covariance(LECTURE_COV)
    np.testing.assert_allclose(covariance_matrix(F), LECTURE_COV, atol=1e-10)  # the construction worked
    R = correlation_matrix(F)
    np.testing.assert_allclose(R, LECTURE_CORR, atol=0.01)
    # By hand: R_12 = 4.13 / sqrt(3.16 · 11.79)
    assert R[0, 1] == pytest.approx(4.13 / np.sqrt(3.16 * 11.79), abs=1e-10)


def test_correlation_properties():
    F = rng(10).normal(size=(5, 30))
    R = correlation_matrix(F)
    np.testing.assert_allclose(np.diag(R), 1.0, atol=1e-12)
    np.testing.assert_allclose(R, R.T, atol=1e-12)
    assert np.abs(R).max() <= 1 + 1e-12
    assert np.linalg.eigvalsh(R).min() > -1e-10
    # Invariant to scaling a filter by a positive number and shifting it; covariance is not.
    G = F.copy()
    G[0] = 3.0 * G[0] + 7.0
    np.testing.assert_allclose(correlation_matrix(G), R, atol=1e-12)
    assert covariance_matrix(G)[0, 0] == pytest.approx(9.0 * covariance_matrix(F)[0, 0])


def test_covariance_permutation_invariant():
    x = torch.randn(4, 6, generator=torch.Generator().manual_seed(11), dtype=torch.float64)
    perm = torch.randperm(6, generator=torch.Generator().manual_seed(12))
    torch.testing.assert_close(covariance_matrix(x[:, perm]), covariance_matrix(x))
    torch.testing.assert_close(correlation_matrix(x[:, perm]), correlation_matrix(x))


def test_constant_filter_gives_nan_like_numpy():
    F = np.vstack([np.ones(6), rng(13).normal(size=6)])
    with np.errstate(invalid="ignore", divide="ignore"):
        R = correlation_matrix(F)
    assert np.isnan(R[0]).all() and np.isnan(R[:, 0]).all()
    assert R[1, 1] == pytest.approx(1.0)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("function", [gram_matrix, covariance_matrix, correlation_matrix])
@pytest.mark.parametrize("bad", [np.zeros(5), np.zeros((2, 3, 4)), torch.zeros(5), torch.zeros(1, 2, 3, 4, 5)])
def test_bad_shapes_raise(function, bad):
    with pytest.raises(NSTError, match="shape"):
        function(bad)


def test_unknown_normalisation_raises():
    with pytest.raises(NSTError, match="normalisation"):
        gram_matrix(np.zeros((2, 2)), normalize="N")


def test_covariance_needs_two_positions():
    with pytest.raises(NSTError, match="M ≥ 2"):
        covariance_matrix(np.zeros((3, 1)))
