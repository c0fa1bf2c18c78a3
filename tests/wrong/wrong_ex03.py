"""Exercise 3 (Gram, covariance, correlation in numpy) done wrong, without numpy's np.cov / np.corrcoef
(those are refused as ready-made answers, so a wrong answer that used them would not reach its hint)."""

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
    s = F.std(axis=1)  # ddof=0, while the covariance divides by M − 1
    return _cov(F) / np.outer(s, s)


def corr_transposed(F):
    C = _cov(F.T)
    d = np.sqrt(np.diag(C))
    return C / np.outer(d, d)


def corr_global_mean(F):
    Fc = F - F.mean()
    C = Fc @ Fc.T / (F.shape[1] - 1)
    d = np.sqrt(np.diag(C))
    return C / np.outer(d, d)


def corr_std_sum(F):
    C = _cov(F)
    d = np.sqrt(np.diag(C))
    return C / (d[:, None] + d[None, :])


def cov_wrong_axis(F):
    Fc = F - F.mean(axis=0)
    return Fc @ Fc.T / (F.shape[1] - 1)


def cov_global_mean(F):
    Fc = F - np.mean(F)  # one mean for the whole matrix
    return Fc @ Fc.T / (F.shape[1] - 1)


def cov_biased(F):
    Fc = F - F.mean(axis=1, keepdims=True)
    return Fc @ Fc.T / F.shape[1]


def cov_div_N(F):
    N, M = F.shape
    Fc = F - F.mean(axis=1, keepdims=True)
    return Fc @ Fc.T / (N - 1)


def cov_by_sum(F):
    Fc = F - F.sum(axis=1, keepdims=True)
    return Fc @ Fc.T / (F.shape[1] - 1)


def gram_centred(F):
    Fc = F - F.mean(axis=1, keepdims=True)
    return Fc @ Fc.T


WRONG = {
    "gram_transposed": {"gram_matrix": lambda F: F.T @ F},
    "gram_elementwise": {"gram_matrix": lambda F: F * F},
    "gram_div_M": {"gram_matrix": lambda F: F @ F.T / F.shape[1]},
    "gram_div_NM": {"gram_matrix": lambda F: np.dot(F, F.T) / F.size},
    "gram_centred": {"gram_matrix": gram_centred},
    "gram_div_4N2M2": {"gram_matrix": lambda F: F @ F.T / (4 * F.shape[0] ** 2 * F.shape[1] ** 2)},
    "cov_biased": {"covariance_matrix": cov_biased},
    "cov_not_centred": {"covariance_matrix": lambda F: F @ F.T / (F.shape[1] - 1)},
    "cov_centred_wrong_axis": {"covariance_matrix": cov_wrong_axis},
    "cov_global_mean": {"covariance_matrix": cov_global_mean},
    "cov_div_N": {"covariance_matrix": cov_div_N},
    "cov_centred_by_sum": {"covariance_matrix": cov_by_sum},
    "cov_transposed": {"covariance_matrix": lambda F: _cov(F.T)},
    "cov_not_divided": {"covariance_matrix": lambda F: (F - F.mean(axis=1, keepdims=True)) @ (F - F.mean(axis=1, keepdims=True)).T},
    "corr_is_cov": {"correlation_matrix": _cov},
    "corr_by_variance": {"correlation_matrix": corr_by_variance},
    "corr_not_centred": {"correlation_matrix": corr_not_centred},
    "corr_global_mean": {"correlation_matrix": corr_global_mean},
    "corr_std_sum": {"correlation_matrix": corr_std_sum},
    "corr_transposed": {"correlation_matrix": corr_transposed},
    "corr_ddof_mixed": {"correlation_matrix": corr_ddof_mixed},
}
