"""Exercise 3, Gram, covariance and correlation matrices (numpy): its checks and named mistakes.

G = F Fᵀ, C = (F − F̄)(F − F̄)ᵀ / (M − 1) = np.cov(F), R_ij = C_ij / sqrt(C_ii C_jj) = np.corrcoef(F).
Checked on the lecture's own numbers (G of [[19, 20], [9, 8]] and a 3×3 covariance/correlation
example), random matrices and VGG-19 features of a photo. Reference: `nst_teach.gram`.
numpy's and torch's own covariance and correlation (np.cov, np.corrcoef, torch.cov, torch.corrcoef)
are refused like the reference: the exercise is to write them.
"""

import numpy as np
import torch

from .. import gram
from .compare import judge, judge_cases, unchanged
from .spec import Check, Exercise, mistakes


# ----------------------------------------------------------------------------- named mistakes
def _nm(F):
    return F.shape[0], F.shape[1]


def _centred(F):
    return F - F.mean(axis=1, keepdims=True)  # (N, M), each row mean 0


def _scaled_corr(C, d):
    return C / (d[:, None] * d[None, :])  # (N, 1) * (1, N) → (N, N)


def _errstate(fn):
    """Run a numpy variant quietly: the variants divide by zero where the student's code would."""
    def quiet(F):
        with np.errstate(divide="ignore", invalid="ignore"):
            return fn(F)
    return quiet


MISTAKES = mistakes([
    ("gram_transposed", "gram_matrix", "transposed: you computed Fᵀ F (M×M, positions × positions); the Gram matrix is "
     "F Fᵀ (N×N, filters × filters): F @ F.T",
     lambda F: F.T @ F),
    ("gram_elementwise", "gram_matrix", "elementwise product: F * F multiplies entry by entry; the Gram matrix is the "
     "matrix product F @ F.T",
     lambda F: F * F),
    ("gram_div_M", "gram_matrix", "normalised by M (the number of positions, as in the TensorFlow tutorial): this course "
     "uses the paper's unnormalised G = F Fᵀ (the 1/(4N²M²) belongs to the style loss)",
     lambda F: (F @ F.T) / _nm(F)[1]),
    ("gram_div_NM", "gram_matrix", "normalised by N·M (as in the PyTorch tutorial): this course uses the paper's "
     "unnormalised G = F Fᵀ (the 1/(4N²M²) belongs to the style loss)",
     lambda F: (F @ F.T) / (_nm(F)[0] * _nm(F)[1])),
    ("gram_centred", "gram_matrix", "you centred F first: that is (M − 1) times the covariance; the Gram matrix "
     "uses the raw features, G = F @ F.T",
     lambda F: _centred(F) @ _centred(F).T),
    ("gram_div_4N2M2", "gram_matrix", "divided by 4N²M²: that factor belongs to the style loss E_l, not to the Gram matrix G = F Fᵀ",
     lambda F: (F @ F.T) / (4.0 * _nm(F)[0] ** 2 * _nm(F)[1] ** 2)),
    ("cov_biased", "covariance_matrix", "divided by n = M instead of n − 1 = M − 1: the lecture's formula (and np.cov) "
     "use 1/(n − 1)",
     lambda F: _centred(F) @ _centred(F).T / _nm(F)[1]),
    ("cov_not_centred", "covariance_matrix", "mean not subtracted: centre each row first, F − F.mean(axis=1, keepdims=True)",
     lambda F: F @ F.T / (_nm(F)[1] - 1)),
    ("cov_centred_wrong_axis", "covariance_matrix", "subtracted the mean over filters (axis 0): subtract each filter's "
     "mean over positions, F.mean(axis=1, keepdims=True)",
     lambda F: (F - F.mean(axis=0, keepdims=True)) @ (F - F.mean(axis=0, keepdims=True)).T / (_nm(F)[1] - 1)),
    ("cov_transposed", "covariance_matrix", "transposed: rows of F are the variables (filters), columns the observations "
     "(positions); the result is N×N, like np.cov(F) (not np.cov(F.T))",
     lambda F: np.cov(F.T)),
    ("cov_global_mean", "covariance_matrix", "centred with one global mean F.mean() for the whole matrix: each filter "
     "(row) has its own mean over positions, F − F.mean(axis=1, keepdims=True)",
     lambda F: (F - F.mean()) @ (F - F.mean()).T / (_nm(F)[1] - 1)),
    ("cov_div_N", "covariance_matrix", "divided by N − 1 (the number of filters, minus 1): the average runs over the "
     "M positions (the columns), so divide by M − 1",
     lambda F: _centred(F) @ _centred(F).T / (_nm(F)[0] - 1)),
    ("cov_centred_by_sum", "covariance_matrix", "subtracted each row's sum instead of its mean: F̄_i = Σ_k F_ik / M, "
     "F.mean(axis=1, keepdims=True)",
     lambda F: (F - F.sum(axis=1, keepdims=True)) @ (F - F.sum(axis=1, keepdims=True)).T / (_nm(F)[1] - 1)),
    ("cov_not_divided", "covariance_matrix", "not divided by n − 1: C = (F − F̄)(F − F̄)ᵀ / (M − 1)",
     lambda F: _centred(F) @ _centred(F).T),
    ("corr_is_cov", "correlation_matrix", "not normalised: divide the covariance by the standard deviations, "
     "R_ij = C_ij / sqrt(C_ii · C_jj), so the diagonal is 1",
     lambda F: np.cov(F)),
    ("corr_by_variance", "correlation_matrix", "divided by the variances C_ii · C_jj: divide by their square root "
     "(the standard deviations), R_ij = C_ij / sqrt(C_ii · C_jj)",
     _errstate(lambda F: _scaled_corr(np.cov(F), np.diagonal(np.cov(F)).copy()))),
    ("corr_not_centred", "correlation_matrix", "no centring (that is the cosine similarity G_ij / sqrt(G_ii G_jj)): "
     "correlation normalises the *covariance*, whose rows have their mean subtracted",
     _errstate(lambda F: _scaled_corr(F @ F.T, np.sqrt(np.diagonal(F @ F.T))))),
    ("corr_ddof_mixed", "correlation_matrix", "n and n − 1 mixed: np.cov divides by M − 1 but F.std() by M (ddof=0), "
     "so the diagonal is M/(M − 1) instead of 1: take both from the same covariance, R_ij = C_ij / sqrt(C_ii · C_jj)",
     _errstate(lambda F: _scaled_corr(np.cov(F), F.std(axis=1)))),
    ("corr_global_mean", "correlation_matrix", "centred with one global mean F.mean(): each filter (row) has its own "
     "mean, F − F.mean(axis=1, keepdims=True), before the covariance is normalised",
     _errstate(lambda F: _scaled_corr((F - F.mean()) @ (F - F.mean()).T, np.sqrt(np.diagonal((F - F.mean()) @ (F - F.mean()).T))))),
    ("corr_std_sum", "correlation_matrix", "divided by σ_i + σ_j: the correlation divides by the *product* of the standard "
     "deviations, sqrt(C_ii · C_jj)",
     _errstate(lambda F: np.cov(F) / (np.sqrt(np.diagonal(np.cov(F)))[:, None] + np.sqrt(np.diagonal(np.cov(F)))[None, :]))),
    ("corr_transposed", "correlation_matrix", "transposed: rows of F are the variables (filters); the result is N×N "
     "like np.corrcoef(F), not np.corrcoef(F.T)",
     _errstate(lambda F: np.corrcoef(F.T))),
])


# numpy's and torch's answers to the exercise, refused as answers (see `referee`): a student who calls
# them has not written the covariance. @, mean, sum, einsum, sqrt, outer, diag stay allowed.
READY_MADE = (np.cov, np.corrcoef, torch.cov, torch.corrcoef, torch.Tensor.cov, torch.Tensor.corrcoef)


# ----------------------------------------------------------------------------- checks
LECTURE_F = np.array([[19.0, 20.0], [9.0, 8.0]])
LECTURE_GRAM = np.array([[761.0, 331.0], [331.0, 145.0]])
LECTURE_COV = np.array([[3.16, 4.13, 2.79], [4.13, 11.79, 4.32], [2.79, 4.32, 9.31]])
LECTURE_CORR = np.array([[1.0, 0.67, 0.51], [0.67, 1.0, 0.41], [0.51, 0.41, 1.0]])  # rounded in the lecture


def lecture_cov_features():
    """F [3 filters, 8 positions] whose covariance is exactly the lecture's 3×3 example."""
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(3, 8))
    Y -= Y.mean(axis=1, keepdims=True)
    Z = np.linalg.solve(np.linalg.cholesky(np.cov(Y)), Y)  # whitened: cov(Z) = I
    return np.linalg.cholesky(LECTURE_COV) @ Z + np.array([[1.0], [2.0], [3.0]])  # cov = L I Lᵀ = C


def _matrices(inputs):
    rng = np.random.default_rng(3)
    random = [rng.normal(size=shape) for shape in ((3, 5), (8, 20), (2, 7), (5, 2))]
    relu2_1 = inputs.vgg("cat", ["relu2_1"])["relu2_1"][0]  # (128, H, W)
    return random + [relu2_1.reshape(relu2_1.shape[0], -1).double().numpy()]  # (N, M) = (128, H·W)


def _matrix_cases(inputs, name, lecture=None):
    """(what, run) for the lecture's F (if given), the random matrices and VGG-19 features."""
    cases = [(f"{name}(F) for the lecture's 3×3 example", lambda f: f(lecture.copy()))] if lecture is not None else []
    return cases + [(f"{name}(F) for F of shape {F.shape}", lambda f, F=F: f(F.copy())) for F in _matrices(inputs)]


def _ex03_lecture(s, inputs):
    judge("gram_matrix([[19, 20], [9, 8]]), the lecture's example", lambda f: f(LECTURE_F.copy()), s.gram_matrix,
          lambda F: LECTURE_GRAM, EXERCISE.mistakes_of("gram_matrix"), rtol=1e-9, atol=1e-6)


def _ex03_gram(s, inputs):
    judge_cases(_matrix_cases(inputs, "gram_matrix"), s.gram_matrix, gram.gram_matrix,
                EXERCISE.mistakes_of("gram_matrix"), rtol=1e-7, atol=1e-9)


def _lecture_or(reference, lecture_answer):
    """The reference, except on the lecture's F where the lecture's own numbers are the answer."""
    F0 = lecture_cov_features()
    return lambda F: lecture_answer if F.shape == F0.shape and np.array_equal(F, F0) else reference(F)


def _ex03_covariance(s, inputs):
    judge_cases(_matrix_cases(inputs, "covariance_matrix", lecture_cov_features()), s.covariance_matrix,
                _lecture_or(gram.covariance_matrix, LECTURE_COV), EXERCISE.mistakes_of("covariance_matrix"), rtol=1e-6, atol=1e-9)


def _ex03_correlation(s, inputs):
    F = lecture_cov_features()
    with np.errstate(all="ignore"):  # dead VGG filters: 0/0 → NaN, as in np.corrcoef
        judge_cases([("correlation_matrix(F) for the lecture's 3×3 example (rounded to 2 decimals there)", lambda f: f(F.copy()))],
                    s.correlation_matrix, lambda F: LECTURE_CORR, EXERCISE.mistakes_of("correlation_matrix"), rtol=0, atol=0.011)
        judge_cases(_matrix_cases(inputs, "correlation_matrix"), s.correlation_matrix, gram.correlation_matrix,
                    EXERCISE.mistakes_of("correlation_matrix"), rtol=1e-6, atol=1e-9)


def _ex03_unchanged(s, inputs):
    for name in ("gram_matrix", "covariance_matrix", "correlation_matrix"):
        F = np.random.default_rng(4).normal(size=(4, 6))
        unchanged(name, lambda: getattr(s, name)(F), F)


EXERCISE = Exercise("ex03", "ex03_gram.py", "Gram, covariance, correlation", ("gram_matrix", "covariance_matrix", "correlation_matrix"), (
    Check("lecture example: Gram of [[19, 20], [9, 8]]", 1, _ex03_lecture),
    Check("Gram: random and VGG-19 features", 2, _ex03_gram),
    Check("covariance: lecture, random, VGG-19", 2, _ex03_covariance),
    Check("correlation: lecture, random, VGG-19", 2, _ex03_correlation),
    Check("inputs unchanged", 1, _ex03_unchanged)),
    mistakes=MISTAKES, references=(gram.gram_matrix, gram.covariance_matrix, gram.correlation_matrix,
                                   *READY_MADE))
