"""Exercise 7, the total variation loss Σ (x_{i+1,j} − x_ij)² + Σ (x_{i,j+1} − x_ij)²: checks and mistakes.

Checked on a hand example (18), random images of three shapes and a photo, its gradient and the input
left unchanged. Reference: `nst_teach.losses.tv_loss`.
"""

import torch

from .. import losses
from .compare import gradient, judge, judge_cases, unchanged
from .inputs import rand
from .spec import Check, Exercise, mistakes


# ----------------------------------------------------------------------------- named mistakes
def _dh(x):
    return x[..., 1:, :] - x[..., :-1, :]  # (…, H−1, W)


def _dw(x):
    return x[..., :, 1:] - x[..., :, :-1]  # (…, H, W−1)


MISTAKES = mistakes([
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
    ("tv_halved", "tv_loss", "halved: there is no ½ in this loss (the ½ belongs to the content loss): "
     "L_tv = Σ (x_{i+1,j} − x_ij)² + Σ (x_{i,j+1} − x_ij)²",
     lambda x: 0.5 * ((_dh(x) ** 2).sum() + (_dw(x) ** 2).sum())),
    ("tv_norm", "tv_loss", "square root of the total (a norm): the loss is the sum of squared differences itself, "
     "with no square root",
     lambda x: ((_dh(x) ** 2).sum() + (_dw(x) ** 2).sum()).sqrt()),
    ("tv_channels_summed_first", "tv_loss", "channels added up before the differences (a grey image's TV): "
     "take the differences in each channel, then sum their squares",
     lambda x: (_dh(x.sum(dim=-3)) ** 2).sum() + (_dw(x.sum(dim=-3)) ** 2).sum()),
    ("tv_channel_axis", "tv_loss", "differences along the wrong axes: x is [B, C, H, W], so H and W are the last two axes "
     "(use x[..., 1:, :] and x[..., :, 1:])",
     lambda x: ((x[:, 1:] - x[:, :-1]) ** 2).sum() + ((x[:, :, 1:] - x[:, :, :-1]) ** 2).sum()),
])


# ----------------------------------------------------------------------------- checks
def _ex07_hand(s, inputs):
    x = torch.tensor([[0.0, 1.0], [2.0, 4.0]]).view(1, 1, 2, 2)
    judge("tv_loss([[0, 1], [2, 4]]) = (2² + 3²) + (1² + 2²) = 18", lambda f: f(x.clone()), s.tv_loss,
          lambda x: torch.tensor(18.0), EXERCISE.mistakes_of("tv_loss"))


def _ex07_values(s, inputs):
    cases = [(f"tv_loss(x) for x of shape {tuple(x.shape)}", lambda f, x=x: f(x.clone()))
             for x in (rand(19, 1, 3, 8, 8), rand(20, 2, 3, 5, 7), rand(21, 3, 4, 6), inputs.photo("cat"))]
    judge_cases(cases, s.tv_loss, losses.tv_loss, EXERCISE.mistakes_of("tv_loss"), rtol=1e-4)


def _ex07_autograd(s, inputs):
    x = rand(22, 1, 3, 6, 7)
    unchanged("tv_loss", lambda: s.tv_loss(x), x)
    gradient("tv_loss", s.tv_loss, losses.tv_loss, lambda: [x.clone()], 0)


EXERCISE = Exercise("ex07", "ex07_tv_loss.py", "total variation loss", ("tv_loss",), (
    Check("hand example", 1, _ex07_hand),
    Check("random images and a photo", 2, _ex07_values),
    Check("gradient, input unchanged", 1, _ex07_autograd)),
    mistakes=MISTAKES, references=(losses.tv_loss,))
