"""Exercise 5, the style loss E_l = Σ (G − A)² / (4 N_l² M_l²), L_style = Σ_l w_l E_l: checks and mistakes.

Checked on a hand example (8423/144), random and VGG-19 features, its gradient, and style_loss's layer
weights (with the reference's style_layer_loss swapped in, so one mistake is not blamed twice).
Reference: `nst_teach.losses.style_layer_loss` and `style_loss`. torch's own squared error (F.mse_loss,
nn.MSELoss) is refused like the reference: the exercise is to write the loss.
"""

import torch
import torch.nn.functional

from .. import gram, losses
from .compare import gradient, judge, judge_cases, replaced, unchanged
from .inputs import randn
from .spec import Check, Exercise, mistakes


# ----------------------------------------------------------------------------- named mistakes
def _style_variant(formula):
    """A wrong style_layer_loss(F, A) = formula(G, A, N, M), with G = F Fᵀ, N filters and M = H·W positions."""
    def variant(F, A):
        F = F[0] if F.dim() == 4 else F  # (N, H, W)
        N, H, W = F.shape
        return formula(gram.gram_matrix(F), A, N, H * W)  # G: (N, N)
    return variant


def _weighted(features, targets, weights, divide_by_layers=False):
    total = sum(weights[l] * losses.style_layer_loss(features[l], A) for l, A in targets.items())
    return total / len(targets) if divide_by_layers else total


MISTAKES = mistakes([
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
    ("style_diff_not_squared", "style_layer_loss", "the differences G − A are not squared: positive and negative "
     "entries cancel; E_l = Σ (G − A)² / (4 N_l² M_l²)",
     _style_variant(lambda G, A, N, M: (G - A).sum() / (4.0 * N**2 * M**2))),
    ("style_norm", "style_layer_loss", "you took the square root (the norm ‖G − A‖): E_l uses the squared error, "
     "Σ (G − A)² / (4 N_l² M_l²), with no square root",
     _style_variant(lambda G, A, N, M: ((G - A) ** 2).sum().sqrt() / (4.0 * N**2 * M**2))),
    ("style_M_is_N", "style_layer_loss", "M_l is the number of positions H·W of the feature map, not the number of "
     "filters N_l: E_l = Σ (G − A)² / (4 N_l² M_l²)",
     _style_variant(lambda G, A, N, M: ((G - A) ** 2).sum() / (4.0 * N**4))),
    ("style_last_layer_only", "style_loss", "only one layer counts: the total is overwritten in the loop (total = … "
     "instead of total += …); L_style = Σ_l w_l E_l adds every layer",
     lambda features, targets, weights=None: _weighted(
         features, {l: A for l, A in list(targets.items())[-1:]},
         weights or {l: 1.0 / len(targets) for l in targets})),
    ("style_weights_ignored", "style_loss", "the layer weights are ignored: L_style = Σ_l w_l E_l with the given w_l "
     "(only when weights is None is w_l = 1/L)",
     lambda features, targets, weights=None: _weighted(features, targets, {l: 1.0 / len(targets) for l in targets})),
    ("style_default_weights_one", "style_loss", "with weights=None each layer must get w_l = 1/L (L = number of layers), not 1",
     lambda features, targets, weights=None: _weighted(features, targets, weights or {l: 1.0 for l in targets})),
    ("style_weighted_mean", "style_loss", "divided by the number of layers although weights are given: "
     "L_style = Σ_l w_l E_l, no extra 1/L",
     lambda features, targets, weights=None: _weighted(features, targets, weights or {l: 1.0 / len(targets) for l in targets},
                                                        divide_by_layers=weights is not None)),
])


# ----------------------------------------------------------------------------- checks
HAND_F = torch.tensor([[19.0, 20.0, 1.0], [9.0, 8.0, 2.0]]).view(1, 2, 1, 3)  # N = 2 filters, M = 3 positions
HAND_A = torch.tensor([[700.0, 300.0], [300.0, 100.0]])


def _style_cases(inputs):
    A = gram.gram_matrix(randn(16, 4, 3, 5))
    vgg_x, vgg_a = inputs.vgg("cat", ["relu1_1", "relu2_1"]), inputs.vgg("astronaut", ["relu1_1", "relu2_1"])
    return [(randn(15, 1, 4, 3, 5), A), (randn(17, 3, 2, 6), gram.gram_matrix(randn(18, 3, 2, 6)))] + [
        (vgg_x[l], gram.gram_matrix(vgg_a[l][0])) for l in ("relu1_1", "relu2_1")]


def _ex05_hand(s, inputs):
    judge("style_layer_loss(F = [[19, 20, 1], [9, 8, 2]], A = [[700, 300], [300, 100]]) = 8423 / 144",
          lambda f: f(HAND_F.clone(), HAND_A.clone()), s.style_layer_loss, lambda F, A: torch.tensor(8423 / 144),
          EXERCISE.mistakes_of("style_layer_loss"))


def _ex05_values(s, inputs):
    cases = [(f"style_layer_loss(F, A) for F of shape {tuple(F.shape)}", lambda f, F=F, A=A: f(F.clone(), A.clone()))
             for F, A in _style_cases(inputs)]
    judge_cases(cases, s.style_layer_loss, losses.style_layer_loss, EXERCISE.mistakes_of("style_layer_loss"), rtol=1e-4)


def _ex05_autograd(s, inputs):
    F, A = _style_cases(inputs)[0]
    unchanged("style_layer_loss", lambda: s.style_layer_loss(F, A), F, A)
    gradient("style_layer_loss", s.style_layer_loss, losses.style_layer_loss, lambda: [F.clone(), A.clone()], 0)


def _ex05_style_loss(s, inputs):
    """style_loss alone: the student's style_layer_loss is swapped for the reference while it runs, so a
    wrong style_layer_loss is not blamed twice. ``features`` also holds a layer that is not a style layer
    (as in style transfer, where the content layer comes along): the layers are those of ``targets``."""
    vgg_x, vgg_a = inputs.vgg("cat", ["relu1_1", "relu1_2", "relu2_1"]), inputs.vgg("astronaut", ["relu1_1", "relu2_1"])
    targets = {l: gram.gram_matrix(F[0]) for l, F in vgg_a.items()}  # (N_l, N_l)
    cases = [(f"style_loss(features, targets, weights={weights}) with features of {sorted(vgg_x)}",
              lambda f, w=weights: f({k: v.clone() for k, v in vgg_x.items()}, dict(targets), None if w is None else dict(w)))
             for weights in ({"relu1_1": 0.75, "relu2_1": 0.25}, None)]
    with replaced(s, {"style_layer_loss": losses.style_layer_loss}):
        judge_cases(cases, s.style_loss, losses.style_loss, EXERCISE.mistakes_of("style_loss"), rtol=1e-4)
        unchanged("style_loss", lambda: s.style_loss(vgg_x, targets, None), vgg_x, targets)


EXERCISE = Exercise("ex05", "ex05_style_loss.py", "style loss", ("style_layer_loss", "style_loss"), (
    Check("hand example", 1, _ex05_hand),
    Check("style_layer_loss: random and VGG-19 features", 2, _ex05_values),
    Check("gradient, inputs unchanged", 1, _ex05_autograd),
    Check("style_loss: layer weights", 2, _ex05_style_loss)),
    mistakes=MISTAKES, references=(losses.style_layer_loss, losses.style_loss, torch.nn.functional.mse_loss))
