"""The wrong answers we expect, named: each is a wrong implementation derived from the reference.

A mistake is recognised by *behaviour*, not by reading code: the grader runs the same check on the
student's function, on the reference and on every wrong variant below. If the student's output is
wrong but matches a variant's output (within the check's tolerance, and the variant really differs
from the reference on that input), the hint of that variant is shown. E.g. a Gram matrix that is
off by exactly the factor M matches ``gram_div_M``, whose variant is ``gram_matrix(F) / M``.

`CATALOGUE[exercise]` lists the mistakes of one exercise; `GENERIC` holds the ones any exercise
can make (found by looking at the result's type, dtype, shape, gradient, or the inputs afterwards).
"""

from dataclasses import dataclass
from typing import Callable

import math

import numpy as np
import torch

from . import features as _features
from . import gram as _gram
from . import losses as _losses
from . import optim as _optim
from .preprocess import CAFFE_MEAN_BGR, _channel_constant, preprocess as _preprocess
from .vgg import LAYER_NAMES, TORCHVISION_INDEX, canonical_layer_name


@dataclass(frozen=True)
class Mistake:
    """One named wrong answer: ``variant`` has the signature of the student's function ``function``."""

    exercise: str
    id: str
    function: str
    hint: str
    variant: Callable


GENERIC = {
    "not_attempted": "not attempted yet: replace the `raise NotImplementedError` line with your code",
    "returns_none": "returns None: did you forget the `return` statement?",
    "numpy_for_tensor": "returns a numpy array where a torch tensor is expected: stay in torch (no .numpy()), so autograd still works",
    "tensor_for_numpy": "returns a torch tensor where a numpy array is expected: use numpy (np.…) for this exercise",
    "number_for_tensor": "returns a Python number where a tensor is expected: drop the .item() / float(), autograd needs the tensor",
    "wrong_type": "returns the wrong type of object: see the docstring for what to return",
    "wrong_dtype": "returns the wrong dtype: keep the input's dtype (float32); avoid .double() and torch.tensor(…, dtype=…)",
    "wrong_device": "returns a tensor on another device: keep everything on the input's device (x.device)",
    "wrong_shape": "returns the wrong shape: check which axes you sum over, flatten or transpose",
    "detached": "the result is detached from the autograd graph (.item(), .detach(), .numpy(), torch.tensor(…) or "
                "torch.no_grad() cut it): compute it with torch operations on the inputs so gradients reach the image",
    "wrong_gradient": "the gradient of your loss is wrong although autograd works: check the formula in the docstring",
    "in_place": "modifies its input in place (e.g. x -= …, x.mul_(…), x[…] = …): work on a copy or write y = x - …, "
                "the caller still needs the original",
}

_c = _channel_constant  # (3, 1, 1) constant on x's device and dtype
_MEAN_BGR, _MEAN_RGB = CAFFE_MEAN_BGR, CAFFE_MEAN_BGR[::-1]


# ----------------------------------------------------------------------------- ex01 preprocess
def _preprocess_inverse(x):
    return (x + _c(_MEAN_BGR, x)).flip(-3) / 255.0  # the right deprocess (Caffe)


_EX01 = [
    ("pre_no_bgr", "preprocess", "RGB→BGR swap missing: Caffe's VGG was trained on BGR images, so channel 0 must be blue: "
     "flip the channel axis (img.flip(-3)) before subtracting the mean",
     lambda img: img * 255.0 - _c(_MEAN_BGR, img)),
    ("pre_mean_rgb_order", "preprocess", "mean subtracted in RGB order: after the flip the channels are B, G, R, so subtract "
     "(103.939, 116.779, 123.68), blue's mean first",
     lambda img: img.flip(-3) * 255.0 - _c(_MEAN_RGB, img)),
    ("pre_no_255", "preprocess", "×255 forgotten: Caffe's means are on the 0–255 scale; multiply the [0, 1] image by 255 first",
     lambda img: img.flip(-3) - _c(_MEAN_BGR, img)),
    ("pre_no_mean", "preprocess", "mean not subtracted: Caffe's convention is x = BGR(255·img) − (103.939, 116.779, 123.68)",
     lambda img: img.flip(-3) * 255.0),
    ("pre_torchvision", "preprocess", "that is the torchvision convention (img − mean) / std; this exercise is Caffe's: "
     "x = BGR(255·img) − (103.939, 116.779, 123.68)",
     lambda img: _preprocess(img, "torchvision")),
    ("pre_flip_last_axis", "preprocess", "flipped the last axis (the image's width): in [B, 3, H, W] the channels are axis −3, "
     "not the last axis as in numpy/PIL's H×W×3 images",
     lambda img: img.flip(-1) * 255.0 - _c(_MEAN_BGR, img)),
    ("pre_flip_axis1", "preprocess", "flipped axis 1, which is the channel axis only when there is a batch axis: use axis −3 "
     "so [3, H, W] images work too",
     lambda img: img.flip(1) * 255.0 - _c(_MEAN_BGR, img)),
    ("de_no_flip", "deprocess", "deprocess does not flip BGR back to RGB: reds and blues come out swapped",
     lambda x: (x + _c(_MEAN_BGR, x)) / 255.0),
    ("de_mean_sign", "deprocess", "deprocess subtracts the mean again: to undo preprocess, *add* it back",
     lambda x: (x - _c(_MEAN_BGR, x)).flip(-3) / 255.0),
    ("de_no_255", "deprocess", "deprocess does not divide by 255: the result must be back in [0, 1]",
     lambda x: (x + _c(_MEAN_BGR, x)).flip(-3)),
    ("de_clamped", "deprocess", "deprocess clips to [0, 1]: no clipping — during optimisation x leaves the image range, "
     "and deprocess must give back exactly the image preprocess received",
     lambda x: _preprocess_inverse(x).clamp(0.0, 1.0)),
    ("de_mean_rgb_order", "deprocess", "deprocess adds the mean in the wrong channel order: x is BGR, so add "
     "(103.939, 116.779, 123.68) *before* flipping back to RGB (or add it in R, G, B order after)",
     lambda x: (x.flip(-3) + _c(_MEAN_BGR, x)) / 255.0),
]


# ----------------------------------------------------------------------------- ex02 features
def _features_at(model, x, names):
    """{name: output of the layer called name} for canonical layer names, one pass."""
    out, last = {}, max(TORCHVISION_INDEX[n] for n in names)
    for name, layer in model.layers.named_children():
        x = layer(x)
        if name in names:
            out[name] = x
        if TORCHVISION_INDEX[name] == last:
            break
    return out


def _shifted(model, x, layers, shift):
    """Each requested layer's output replaced by that of the layer ``shift`` positions later/earlier."""
    moved = {name: LAYER_NAMES[TORCHVISION_INDEX[canonical_layer_name(name)] + shift] for name in layers}
    found = _features_at(model, x, set(moved.values()))
    return {name: found[moved[name]] for name in layers}


def _same_tensor(model, x, layers):
    ref = _features.extract_features(model, x, layers)
    deepest = max(layers, key=lambda n: TORCHVISION_INDEX[canonical_layer_name(n)])
    return {name: ref[deepest] for name in layers}


def _keras_names_missing(model, x, layers):
    """Only the canonical names (relu2_1) are found; a Keras alias (block2_conv1) is left out."""
    found = [name for name in layers if canonical_layer_name(name) == name]
    return _features.extract_features(model, x, found) if found else {}


_EX02 = [
    ("feat_before_relu", "extract_features", "you kept the convolution's output before its ReLU: relu1_1 (Keras block1_conv1) "
     "is the output *after* the ReLU; take the output of the layer with exactly the requested name",
     lambda model, x, layers: _shifted(model, x, layers, -1)),
    ("feat_one_layer_late", "extract_features", "off by one: each feature is taken one layer too late (after the next layer "
     "has run); store x right after the layer with the requested name",
     lambda model, x, layers: _shifted(model, x, layers, +1)),
    ("feat_same_tensor", "extract_features", "every layer got the same tensor (the deepest one): store each requested layer's "
     "output as you pass it, not the final x at the end",
     _same_tensor),
    ("feat_preprocessed_again", "extract_features", "x is already preprocessed: do not call preprocess inside extract_features",
     lambda model, x, layers: _features.extract_features(model, _preprocess(x, model.convention), layers)),
    ("feat_canonical_keys", "extract_features", "the dict keys must be the names as given (asked for 'block2_conv1', return "
     "the key 'block2_conv1', not 'relu2_1')",
     lambda model, x, layers: {canonical_layer_name(k): v for k, v in _features.extract_features(model, x, layers).items()}),
    ("feat_keras_not_translated", "extract_features", "Keras names such as 'block2_conv1' are not found: translate each "
     "requested name with canonical_layer_name(name) ('block2_conv1' → 'relu2_1') to find its layer, and keep the name "
     "as given for the key",
     _keras_names_missing),
]


# ----------------------------------------------------------------------------- ex03 gram (numpy)
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


_EX03 = [
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
    ("corr_transposed", "correlation_matrix", "transposed: rows of F are the variables (filters); the result is N×N "
     "like np.corrcoef(F), not np.corrcoef(F.T)",
     _errstate(lambda F: np.corrcoef(F.T))),
]


# ----------------------------------------------------------------------------- ex04 content loss
_EX04 = [
    ("content_mean", "content_loss", "mean instead of sum: the lecture's MSE (1/n Σ) differs from Gatys' "
     "L = ½ Σ (F − P)², which this course uses (a sum over all filters and positions)",
     lambda F, P: ((F - P) ** 2).mean()),
    ("content_half_mean", "content_loss", "½ · mean: use a sum, L = ½ Σ (F − P)², not a mean",
     lambda F, P: 0.5 * ((F - P) ** 2).mean()),
    ("content_no_half", "content_loss", "the ½ is missing: L = ½ Σ (F − P)² (the ½ makes the gradient exactly F − P)",
     lambda F, P: ((F - P) ** 2).sum()),
    ("content_norm", "content_loss", "you took the square root (the norm ‖F − P‖): the loss is the squared error, "
     "½ Σ (F − P)², with no square root",
     lambda F, P: ((F - P) ** 2).sum().sqrt()),
    ("content_abs", "content_loss", "absolute instead of squared differences: L = ½ Σ (F − P)²",
     lambda F, P: 0.5 * (F - P).abs().sum()),
    ("content_not_squared", "content_loss", "the differences are not squared: positive and negative errors cancel; "
     "L = ½ Σ (F − P)²",
     lambda F, P: 0.5 * (F - P).sum()),
]


# ----------------------------------------------------------------------------- ex05 style loss
def _style_variant(formula):
    """A wrong style_layer_loss(F, A) = formula(G, A, N, M), with G = F Fᵀ, N filters and M = H·W positions."""
    def variant(F, A):
        F = F[0] if F.dim() == 4 else F  # (N, H, W)
        N, H, W = F.shape
        return formula(_gram.gram_matrix(F), A, N, H * W)  # G: (N, N)
    return variant


def _weighted(features, targets, weights, divide_by_layers=False):
    total = sum(weights[l] * _losses.style_layer_loss(features[l], A) for l, A in targets.items())
    return total / len(targets) if divide_by_layers else total


_EX05 = [
    ("style_no_normalisation", "style_layer_loss", "the factor 1/(4 N_l² M_l²) is missing: E_l = Σ (G − A)² / (4 N_l² M_l²)",
     _style_variant(lambda G, A, N, M: ((G - A) ** 2).sum())),
    ("style_missing_4", "style_layer_loss", "the 4 is missing: E_l = Σ (G − A)² / (4 N_l² M_l²)",
     _style_variant(lambda G, A, N, M: ((G - A) ** 2).sum() / (N**2 * M**2))),
    ("style_not_squared_NM", "style_layer_loss", "N and M are not squared: E_l = Σ (G − A)² / (4 N_l² M_l²)",
     _style_variant(lambda G, A, N, M: ((G - A) ** 2).sum() / (4.0 * N * M))),
    ("style_mean", "style_layer_loss", "off by a factor N_l²: a mean over the N×N entries instead of a sum, or M counted as "
     "N·H·W (F.numel()) instead of H·W positions: E_l = Σ_ij (G_ij − A_ij)² / (4 N_l² M_l²)",
     _style_variant(lambda G, A, N, M: ((G - A) ** 2).mean() / (4.0 * N**2 * M**2))),
    ("style_gram_normalised", "style_layer_loss", "your G is normalised (divided by N·M) but the target A is not: use the "
     "unnormalised G = F Fᵀ, like A, and keep the 1/(4N²M²) in the loss",
     _style_variant(lambda G, A, N, M: ((G / (N * M) - A) ** 2).sum() / (4.0 * N**2 * M**2))),
    ("style_weights_ignored", "style_loss", "the layer weights are ignored: L_style = Σ_l w_l E_l with the given w_l "
     "(only when weights is None is w_l = 1/L)",
     lambda features, targets, weights=None: _weighted(features, targets, {l: 1.0 / len(targets) for l in targets})),
    ("style_default_weights_one", "style_loss", "with weights=None each layer must get w_l = 1/L (L = number of layers), not 1",
     lambda features, targets, weights=None: _weighted(features, targets, weights or {l: 1.0 for l in targets})),
    ("style_weighted_mean", "style_loss", "divided by the number of layers although weights are given: "
     "L_style = Σ_l w_l E_l, no extra 1/L",
     lambda features, targets, weights=None: _weighted(features, targets, weights or {l: 1.0 / len(targets) for l in targets},
                                                        divide_by_layers=weights is not None)),
]


# ----------------------------------------------------------------------------- ex07 total variation
def _dh(x):
    return x[..., 1:, :] - x[..., :-1, :]  # (…, H−1, W)


def _dw(x):
    return x[..., :, 1:] - x[..., :, :-1]  # (…, H, W−1)


_EX07 = [
    ("tv_mean", "tv_loss", "mean instead of sum: L_tv = Σ (x_{i+1,j} − x_ij)² + Σ (x_{i,j+1} − x_ij)²",
     lambda x: (_dh(x) ** 2).mean() + (_dw(x) ** 2).mean()),
    ("tv_abs", "tv_loss", "absolute differences (the L1 total variation): this course squares them, Σ (x_{i+1,j} − x_ij)² + …",
     lambda x: _dh(x).abs().sum() + _dw(x).abs().sum()),
    ("tv_vertical_only", "tv_loss", "only vertical neighbours (along H): add the horizontal ones, x_{i,j+1} − x_ij, too",
     lambda x: (_dh(x) ** 2).sum()),
    ("tv_horizontal_only", "tv_loss", "only horizontal neighbours (along W): add the vertical ones, x_{i+1,j} − x_ij, too",
     lambda x: (_dw(x) ** 2).sum()),
    ("tv_wraparound", "tv_loss", "wrap-around: torch.roll also compares the last row with the first; use slices "
     "x[..., 1:, :] − x[..., :-1, :] so only true neighbours count",
     lambda x: ((x.roll(1, -2) - x) ** 2).sum() + ((x.roll(1, -1) - x) ** 2).sum()),
    ("tv_isotropic", "tv_loss", "isotropic TV √(dh² + dw²): this course uses the squared differences, summed separately",
     lambda x: (_dh(x)[..., :, :-1] ** 2 + _dw(x)[..., :-1, :] ** 2).sqrt().sum()),
    ("tv_channel_axis", "tv_loss", "differences along the wrong axes: x is [B, C, H, W], so H and W are the last two axes "
     "(use x[..., 1:, :] and x[..., :, 1:])",
     lambda x: ((x[:, 1:] - x[:, :-1]) ** 2).sum() + ((x[:, :, 1:] - x[:, :, :-1]) ** 2).sum()),
]


# ----------------------------------------------------------------------------- ex06 optimisers
def _descent(record_after=False, update=True):
    """A wrong `gradient_descent`: losses recorded after the step, or x never updated."""
    def loop(loss_fn, x0, lr, steps):
        x, losses = x0.detach().clone(), []
        for _ in range(steps):
            x.requires_grad_(True)
            loss = loss_fn(x)
            (grad,) = torch.autograd.grad(loss, x)
            if not record_after:
                losses.append(loss.item())
            if update:
                x = _optim.gradient_descent_step(x.detach(), grad, lr)
            x = x.detach()
            if record_after:
                losses.append(loss_fn(x).item())
        return x, losses
    return loop


def _adam(bias_correction=True, eps_inside=False, count_steps=True, square=True, swap_betas=False, sqrt=True,
          eps_on_raw_s=False):
    def step(x, grad, state, lr, betas=(0.9, 0.999), eps=1e-8):
        beta1, beta2 = betas[::-1] if swap_betas else betas
        t = state.t + 1
        m = beta1 * state.m + (1 - beta1) * grad
        s = beta2 * state.s + (1 - beta2) * (grad * grad if square else grad.abs())
        m_hat = m / (1 - beta1**t) if bias_correction else m
        s_hat = s / (1 - beta2**t) if bias_correction else s
        root = (s_hat + eps).sqrt() if eps_inside else (s_hat.sqrt() + eps if sqrt else s_hat + eps)
        if eps_on_raw_s:  # the paper's "efficient" form: lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√s + ε)
            root = (s.sqrt() + eps) / math.sqrt(1 - beta2**t)
        return x - lr * m_hat / root, _optim.AdamState(m, s, t if count_steps else state.t)
    return step


def _momentum(form):
    def step(x, grad, velocity, lr, momentum=0.9):
        if form == "ema":
            v = momentum * velocity + (1 - momentum) * grad
        elif form == "none":
            v = grad
        else:
            v = momentum * velocity + grad
        if form == "old":
            return x - lr * velocity, v
        return (x + lr * v if form == "sign" else x - lr * v), v
    return step


_EX06 = [
    ("gd_sign", "gradient_descent_step", "sign error: x − lr·grad goes downhill; x + lr·grad climbs (gradient ascent)",
     lambda x, grad, lr: x + lr * grad),
    ("gd_no_lr", "gradient_descent_step", "the learning rate is missing: x_new = x − lr · grad",
     lambda x, grad, lr: x - grad),
    ("gd_losses_after_step", "gradient_descent", "losses recorded after each step: record L(x) *before* the step, so "
     "losses[0] is the loss of x0",
     _descent(record_after=True)),
    ("gd_never_updates", "gradient_descent", "x never changes: assign the step's result back, x = gradient_descent_step(x, grad, lr)",
     _descent(update=False)),
    ("momentum_ema", "momentum_step", "momentum in the EMA form v = μv + (1 − μ)·grad: this course (like torch.optim.SGD) "
     "uses v = μv + grad",
     _momentum("ema")),
    ("momentum_old_velocity", "momentum_step", "x moved with the old velocity: first v_new = μv + grad, then x − lr · v_new",
     _momentum("old")),
    ("momentum_ignored", "momentum_step", "the velocity is never used (v = grad is plain gradient descent): v_new = μv + grad",
     _momentum("none")),
    ("momentum_sign", "momentum_step", "sign error: x_new = x − lr · v_new (minus: downhill)",
     _momentum("sign")),
    ("adam_no_bias_correction", "adam_step", "no bias correction: divide m by (1 − β₁ᵗ) and s by (1 − β₂ᵗ), with t the "
     "step number starting at 1, or the first steps are far too small",
     _adam(bias_correction=False)),
    ("adam_eps_inside_sqrt", "adam_step", "ε inside the square root: x − lr · m̂ / (√ŝ + ε), not √(ŝ + ε) "
     "(the difference shows when gradients are tiny)",
     _adam(eps_inside=True)),
    ("adam_eps_on_raw_s", "adam_step", "ε added to √s instead of √ŝ (the Adam paper's 'efficient' form, with the bias "
     "correction folded into the step size): x − lr · m̂ / (√ŝ + ε), ŝ = s / (1 − β₂ᵗ) (the difference shows when "
     "gradients are tiny)",
     _adam(eps_on_raw_s=True)),
    ("adam_t_not_incremented", "adam_step", "the step count t is not increased: return AdamState(m, s, t + 1), so the "
     "bias correction fades out",
     _adam(count_steps=False)),
    ("adam_abs_not_square", "adam_step", "s averages |grad|: it must average the squared gradient, grad * grad",
     _adam(square=False)),
    ("adam_betas_swapped", "adam_step", "β₁ and β₂ swapped: m uses β₁ = 0.9, s uses β₂ = 0.999",
     _adam(swap_betas=True)),
    ("adam_no_sqrt", "adam_step", "square root missing: divide by √ŝ + ε (the root mean square of the gradient)",
     _adam(sqrt=False)),
]


# ----------------------------------------------------------------------------- ex08 style transfer by hand
def _by_hand(clamp=True, swap=False, init="content", content=True, style=True, optimizer="adam"):
    """`style_transfer_by_hand` with one thing changed (see `nst_teach.transfer` for the right loop)."""
    def run(model, content_img, style_img, *, steps, lr, content_weight, style_weight, content_layer, style_layers):
        def feats(img, layers):
            return _features.extract_features(model, _preprocess(img, model.convention), layers)

        alpha, beta = (style_weight, content_weight) if swap else (content_weight, style_weight)
        with torch.no_grad():
            P = feats(content_img, [content_layer])[content_layer]
            A = {l: _gram.gram_matrix(F[0]) for l, F in feats(style_img, style_layers).items()}  # (N_l, N_l)
        x = (content_img if init == "content" else style_img).detach().clone()
        state, history = _optim.AdamState.zeros_like(x), []
        for _ in range(steps):
            x.requires_grad_(True)
            F = feats(x, [content_layer, *style_layers])
            L = x.new_zeros(())
            if content:
                L = L + alpha * _losses.content_loss(F[content_layer], P)
            if style:
                L = L + beta * _losses.style_loss({k: F[k] for k in A}, A)
            (grad,) = torch.autograd.grad(L, x)
            history.append(L.item())
            if optimizer == "adam":
                x, state = _optim.adam_step(x.detach(), grad, state, lr)
            else:
                x = _optim.gradient_descent_step(x.detach(), grad, lr)
            x = x.clamp(0.0, 1.0) if clamp else x
        return x, history
    return run


_EX08 = [
    ("nst_no_clamp", "style_transfer_by_hand", "x is not kept in [0, 1]: after each step clip it, x = x.clamp(0, 1)",
     _by_hand(clamp=False)),
    ("nst_weights_swapped", "style_transfer_by_hand", "α and β swapped: L = content_weight · L_content + style_weight · L_style",
     _by_hand(swap=True)),
    ("nst_starts_from_style", "style_transfer_by_hand", "starts from the style image: x₀ is a copy of the content image",
     _by_hand(init="style")),
    ("nst_no_content", "style_transfer_by_hand", "the content term is missing (or always 0): P comes from the *content image*, "
     "computed once before the loop, and L includes content_weight · content_loss(F, P)",
     _by_hand(content=False)),
    ("nst_no_style", "style_transfer_by_hand", "the style term is missing: L includes style_weight · style_loss(features, A) "
     "with A the Gram matrices of the style image",
     _by_hand(style=False)),
    ("nst_plain_gradient_descent", "style_transfer_by_hand", "plain gradient descent instead of Adam: the spec steps with "
     "adam_step(x, grad, state, lr), keeping the AdamState between steps",
     _by_hand(optimizer="gd")),
]


def _catalogue(exercise, rows):
    return [Mistake(exercise, id, function, hint, variant) for id, function, hint, variant in rows]


CATALOGUE = {
    "ex01": _catalogue("ex01", _EX01), "ex02": _catalogue("ex02", _EX02), "ex03": _catalogue("ex03", _EX03),
    "ex04": _catalogue("ex04", _EX04), "ex05": _catalogue("ex05", _EX05), "ex07": _catalogue("ex07", _EX07),
    "ex06": _catalogue("ex06", _EX06), "ex08": _catalogue("ex08", _EX08),
}


def mistakes_of(exercise, function):
    """The catalogue's mistakes for one function of one exercise."""
    return [m for m in CATALOGUE[exercise] if m.function == function]
