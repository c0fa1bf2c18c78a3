"""Exercise 4, the content loss L = ½ Σ (F − P)²: its checks and its named mistakes.

Checked on a hand example (2.5), random and VGG-19 features, its gradient (F − P) and inputs left
unchanged. Reference: `nst_teach.losses.content_loss`. torch's own squared error (F.mse_loss, and
nn.MSELoss, which calls it) is refused like the reference: the exercise is to write the loss.
"""

import torch
import torch.nn.functional

from .. import losses
from .compare import gradient, judge, judge_cases, unchanged
from .inputs import randn
from .spec import Check, Exercise, mistakes


# ----------------------------------------------------------------------------- named mistakes
MISTAKES = mistakes([
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
    ("content_diff_of_squares", "content_loss", "difference of squares ½ Σ (F² − P²): square the *difference*, "
     "½ Σ (F − P)², so that every mismatch adds to the loss",
     lambda F, P: 0.5 * (F**2 - P**2).sum()),
    ("content_square_of_sum", "content_loss", "the square of the sum, ½ (Σ (F − P))²: square each difference first, "
     "then sum, ½ Σ (F − P)²",
     lambda F, P: 0.5 * (F - P).sum() ** 2),
    ("content_style_normalisation", "content_loss", "divided by 4 N M (the style loss's kind of factor): the content loss "
     "is ½ Σ (F − P)², with no normalisation",
     lambda F, P: ((F - P) ** 2).sum() / (4.0 * F.shape[-3] * F.shape[-2] * F.shape[-1])),
    ("content_not_squared", "content_loss", "the differences are not squared: positive and negative errors cancel; "
     "L = ½ Σ (F − P)²",
     lambda F, P: 0.5 * (F - P).sum()),
])


# ----------------------------------------------------------------------------- checks
def _feature_pairs(inputs):
    pairs = [(randn(7, 1, 8, 5, 5), randn(8, 1, 8, 5, 5)), (randn(9, 1, 3, 7, 4), randn(10, 1, 3, 7, 4)),
             (randn(11, 2, 4, 3, 3), randn(12, 2, 4, 3, 3))]
    vgg = inputs.vgg("cat", ["relu2_1"])["relu2_1"], inputs.vgg("astronaut", ["relu2_1"])["relu2_1"]
    return pairs + [vgg]


def _ex04_hand(s, inputs):
    F, P = torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[0.0, 2.0], [3.0, 6.0]])
    judge("content_loss(F=[[1, 2], [3, 4]], P=[[0, 2], [3, 6]]) = ½ (1² + 2²) = 2.5", lambda f: f(F.clone(), P.clone()),
          s.content_loss, lambda F, P: torch.tensor(2.5), EXERCISE.mistakes_of("content_loss"))


def _ex04_values(s, inputs):
    cases = [(f"content_loss(F, P) for features of shape {tuple(F.shape)}", lambda f, F=F, P=P: f(F.clone(), P.clone()))
             for F, P in _feature_pairs(inputs)]
    judge_cases(cases, s.content_loss, losses.content_loss, EXERCISE.mistakes_of("content_loss"), rtol=1e-4)


def _ex04_autograd(s, inputs):
    F, P = randn(13, 1, 4, 3, 3), randn(14, 1, 4, 3, 3)
    unchanged("content_loss", lambda: s.content_loss(F, P), F, P)
    gradient("content_loss", s.content_loss, losses.content_loss, lambda: [F.clone(), P.clone()], 0)


EXERCISE = Exercise("ex04", "ex04_content_loss.py", "content loss", ("content_loss",), (
    Check("hand example", 1, _ex04_hand),
    Check("random and VGG-19 features", 2, _ex04_values),
    Check("gradient, inputs unchanged", 1, _ex04_autograd)),
    mistakes=MISTAKES, references=(losses.content_loss, torch.nn.functional.mse_loss))
