"""Exercise 5 (style loss) done wrong."""

import torch



def _gram(F):
    F = F[0] if F.dim() == 4 else F
    N = F.shape[0]
    F2 = F.reshape(N, -1)
    return F2 @ F2.T, N, F2.shape[1]


def no_normalisation(F, A):
    G, N, M = _gram(F)
    return ((G - A) ** 2).sum()


def missing_4(F, A):
    G, N, M = _gram(F)
    return ((G - A) ** 2).sum() / (N**2 * M**2)


def not_squared_NM(F, A):
    G, N, M = _gram(F)
    return ((G - A) ** 2).sum() / (4 * N * M)


def mean(F, A):
    G, N, M = _gram(F)
    return ((G - A) ** 2).mean() / (4 * N**2 * M**2)


def gram_normalised(F, A):
    G, N, M = _gram(F)
    return ((G / (N * M) - A) ** 2).sum() / (4 * N**2 * M**2)


def m_all_elements(F, A):
    G, N, _ = _gram(F)
    M = F.numel()
    return ((G - A) ** 2).sum() / (4 * N**2 * M**2)


def diff_not_squared(F, A):
    G, N, M = _gram(F)
    return (G - A).sum() / (4 * N**2 * M**2)


def norm(F, A):
    G, N, M = _gram(F)
    return torch.linalg.norm(G - A) / (4 * N**2 * M**2)


def m_is_n(F, A):
    G, N, _ = _gram(F)
    return ((G - A) ** 2).sum() / (4 * N**2 * N**2)


def style_layer_loss(F, A):
    """The right E_l, written by the student (the style_loss mistakes below are in style_loss only)."""
    G, N, M = _gram(F)
    return ((G - A) ** 2).sum() / (4 * N**2 * M**2)


def last_layer_only(features, targets, weights=None):
    weights = weights or {l: 1.0 / len(targets) for l in targets}
    for l in targets:
        total = weights[l] * style_layer_loss(features[l], targets[l])  # = instead of +=
    return total


def weights_ignored(features, targets, weights=None):
    return sum(style_layer_loss(features[l], targets[l]) for l in targets) / len(targets)


def default_weights_one(features, targets, weights=None):
    weights = weights or {l: 1.0 for l in targets}
    return sum(weights[l] * style_layer_loss(features[l], targets[l]) for l in targets)


def weighted_mean(features, targets, weights=None):
    weights = weights or {l: 1.0 for l in targets}
    return sum(weights[l] * style_layer_loss(features[l], targets[l]) for l in targets) / len(targets)


WRONG = {
    "style_no_normalisation": {"style_layer_loss": no_normalisation},
    "style_missing_4": {"style_layer_loss": missing_4},
    "style_not_squared_NM": {"style_layer_loss": not_squared_NM},
    "style_mean": {"style_layer_loss": mean},  # m_all_elements gives the same number (test_grading's GENERIC_CASES)
    "style_gram_normalised": {"style_layer_loss": gram_normalised},
    "style_diff_not_squared": {"style_layer_loss": diff_not_squared},
    "style_norm": {"style_layer_loss": norm},
    "style_M_is_N": {"style_layer_loss": m_is_n},
    "style_last_layer_only": {"style_loss": last_layer_only},
    "style_weights_ignored": {"style_loss": weights_ignored},
    "style_default_weights_one": {"style_loss": default_weights_one},
    "style_weighted_mean": {"style_loss": weighted_mean},
}
