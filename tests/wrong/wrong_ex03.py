"""Exercise 3 (Gram, covariance, correlation in numpy) done wrong."""

import numpy as np


def _cov(F):
    Fc = F - F.mean(axis=1, keepdims=True)
    return Fc @ Fc.T / (F.shape[1] - 1)


def corr_by_variance(F):
    C = _cov(F)
    return C / np.outer(np.diag(C), np.diag(C))


def corr_not_centred(F):
    G = F @ F.T
    return G / np.sqrt(np.outer(np.diag(G), np.diag(G)))


def corr_ddof_mixed(F):
    s = F.std(axis=1)  # ddof=0, while np.cov uses ddof=1
    return np.cov(F) / np.outer(s, s)


def cov_wrong_axis(F):
    Fc = F - F.mean(axis=0)
    return Fc @ Fc.T / (F.shape[1] - 1)


WRONG = {
    "gram_transposed": {"gram_matrix": lambda F: F.T @ F},
    "gram_elementwise": {"gram_matrix": lambda F: F * F},
    "gram_div_M": {"gram_matrix": lambda F: F @ F.T / F.shape[1]},
    "gram_div_NM": {"gram_matrix": lambda F: np.dot(F, F.T) / F.size},
    "gram_div_4N2M2": {"gram_matrix": lambda F: F @ F.T / (4 * F.shape[0] ** 2 * F.shape[1] ** 2)},
    "cov_biased": {"covariance_matrix": lambda F: np.cov(F, bias=True)},
    "cov_not_centred": {"covariance_matrix": lambda F: F @ F.T / (F.shape[1] - 1)},
    "cov_centred_wrong_axis": {"covariance_matrix": cov_wrong_axis},
    "cov_transposed": {"covariance_matrix": lambda F: np.cov(F, rowvar=False)},
    "cov_not_divided": {"covariance_matrix": lambda F: (F - F.mean(axis=1, keepdims=True)) @ (F - F.mean(axis=1, keepdims=True)).T},
    "corr_is_cov": {"correlation_matrix": _cov},
    "corr_by_variance": {"correlation_matrix": corr_by_variance},
    "corr_not_centred": {"correlation_matrix": corr_not_centred},
    "corr_transposed": {"correlation_matrix": lambda F: np.corrcoef(F.T)},
    "corr_ddof_mixed": {"correlation_matrix": corr_ddof_mixed},
}
