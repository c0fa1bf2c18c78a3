import numpy as np


def gram_matrix(F):
    return F @ F.T


def covariance_matrix(F):
    centred = F - F.mean(axis=1, keepdims=True)
    return centred @ centred.T / (F.shape[1] - 1)


def correlation_matrix(F):
    C = covariance_matrix(F)
    d = np.sqrt(np.diag(C))
    with np.errstate(divide="ignore", invalid="ignore"):
        return C / np.outer(d, d)
