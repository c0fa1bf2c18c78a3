"""Step 6: style transfer itself — optimise the pixels of x so that

    L_total(x) = α · ½ Σ (F − P)²  +  β · Σ_l w_l E_l  +  λ_tv · L_tv(x)

is small: F, P at the content layer(s) (relu4_2 by default), E_l at the style layers (relu1_1 …
relu5_1), exactly as in Gatys et al. (2016); see `nst_teach.losses` for each term.

Keeping the image displayable. The optimisation variable is the RGB image x ∈ [0, 1]^{3×H×W} itself
(`preprocess` is applied inside the loss, so autograd goes through it), and it stays in the box
[0, 1] at every step: the default L-BFGS-B treats each pixel's range as a bound (`optim.lbfgsb`),
and gradient descent, momentum and Adam *project* after every step, x ← clip(x, 0, 1) (projected
gradient descent). So what you see in the progress GIF, and the losses we report, are those of the
picture that gets saved. Without it, the unconstrained optimum drifts outside [0, 1] and clipping
only at save time changes the picture after the fact. Measured on cat + starry_night, 256 px, 100
iterations: torch's unbounded L-BFGS left 2.5% of the values outside [0, 1], and clipping them raised
the style loss 1.9×; L-BFGS-B inside the box reached the same total loss (6.19e10 vs 6.21e10).
A sigmoid parametrisation would also bound x, but it flattens the gradient near black and white.
"""

import dataclasses
import math
import time
from dataclasses import dataclass, field

import torch

from .errors import NSTError
from .features import extract_features
from .gram import gram_matrix
from .images import check_size, load_image, resize_image
from .losses import content_loss, style_loss, total_loss, tv_loss
from .optim import OPTIMIZERS
from .preprocess import preprocess
from .vgg import TORCHVISION_INDEX, canonical_layer_name, default_device, load_vgg19

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
CONTENT_LAYERS = ("relu4_2",)
# Learning rates for an image in [0, 1]. L-BFGS-B's line search picks the step length itself; Adam
# divides by the gradient's own size, so 0.02 means "about 0.02 per pixel per step" at any loss scale.
DEFAULT_LR = {"lbfgs": None, "adam": 0.02}
# Plain gradient descent and momentum move by η·∇L, and ∇L here is ~1e10 per pixel (0–255 Caffe
# inputs, summed losses): no fixed η suits every image and weight. Their default η is set from the
# first gradient so that the first step moves a pixel by this much on average.
FIRST_STEP = {"gd": 0.01, "momentum": 0.001}
INITS = ("content", "noise", "style")


@dataclass
class TransferConfig:
    """Every option of a run, with its default written once (shared by the Python API and the CLI)."""

    size: int = 256  # longest side of the result, in pixels
    steps: int = 200  # optimiser iterations
    optimizer: str = "lbfgs"  # lbfgs (L-BFGS-B) | adam | momentum | gd
    lr: float | None = None  # None: DEFAULT_LR[optimizer], or FIRST_STEP / mean|∇L(x₀)| for gd, momentum
    content_weight: float = 1.0  # α
    style_weight: float = 10.0  # β (α/β = 0.1: see lesson 7 for the sweep)
    tv_weight: float = 0.0  # λ_tv
    content_layers: tuple = CONTENT_LAYERS
    style_layers: tuple = STYLE_LAYERS
    style_layer_weights: tuple | None = None  # w_l, one per style layer; None: 1/L each
    init: str | torch.Tensor = "content"  # content | noise | style, or an image tensor to start from
    seed: int = 0
    device: str | None = None  # None: the given model's device, else cuda if available, else cpu
    weights: str = "auto"  # see nst_teach.vgg.load_vgg19
    pool: str = "max"  # max | avg

    def validate(self):
        check_size(self.size)
        if not isinstance(self.steps, int) or self.steps < 1:
            raise NSTError(f"steps must be a positive whole number, got {self.steps!r}: e.g. --steps 200")
        if self.optimizer not in OPTIMIZERS:
            raise NSTError(f"unknown optimizer {self.optimizer!r}: use one of {', '.join(OPTIMIZERS)}")
        for name in ("content_weight", "style_weight", "tv_weight"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise NSTError(f"{name} must be a number ≥ 0, got {value!r}: e.g. --{name.replace('_', '-')} {getattr(TransferConfig, name):g}")
        if self.lr is not None and not (math.isfinite(self.lr) and self.lr > 0):
            raise NSTError(f"learning rate must be > 0, got {self.lr!r}")
        self._check_device()
        if not torch.is_tensor(self.init) and self.init not in INITS:
            raise NSTError(f"unknown init {self.init!r}: use content, noise, style or an image tensor")
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


@dataclass
class TransferResult:
    """What a run gives back. ``image``: [1, 3, H, W] in [0, 1] (CPU). ``history``: one dict per step
    with the losses of the image that step started from: 'content', 'style', 'tv' (raw, unweighted)
    and 'total' (= α·content + β·style + λ_tv·tv). ``status``: 'done', 'diverged' or 'interrupted'."""

    image: torch.Tensor
    history: list = field(default_factory=list)
    config: TransferConfig = None
    seconds: float = 0.0
    status: str = "done"


class TransferInterrupted(KeyboardInterrupt):
    """Ctrl-C during `style_transfer`; ``.result`` holds the image so far (status 'interrupted')."""

    def __init__(self, result):
        super().__init__("interrupted")
        self.result = result


class StyleTransferLoss(torch.nn.Module):
    """L_total(x) for a fixed content photo and style image: the targets P and A are computed once.

    Call it with an RGB image x [1, 3, H, W] in [0, 1]; it returns (total, parts) where parts holds
    the raw content, style and tv losses as floats.
    """

    def __init__(self, model, content, style, config):
        super().__init__()
        self.model, self.config = model, config
        self.layers = list(dict.fromkeys((*config.content_layers, *config.style_layers)))
        with torch.no_grad():
            self.P = {k: v.detach() for k, v in self._features(content, config.content_layers).items()}
            style_features = self._features(style, config.style_layers)
            self.A = {layer: gram_matrix(F[0]).detach() for layer, F in style_features.items()}  # (N_l, N_l)
        w = config.style_layer_weights or [1.0 / len(config.style_layers)] * len(config.style_layers)
        self.w = dict(zip(config.style_layers, w))

    def _features(self, img, layers):
        return extract_features(self.model, preprocess(img, self.model.convention), layers)

    def forward(self, x):
        c = self.config
        feats = self._features(x, self.layers)  # one pass for content and style layers
        L_content = sum(content_loss(feats[layer], P) for layer, P in self.P.items())
        L_style = style_loss({layer: feats[layer] for layer in self.A}, self.A, self.w)
        L_tv = tv_loss(x) if c.tv_weight > 0 else x.new_zeros(())
        total = total_loss(L_content, L_style, L_tv, content_weight=c.content_weight, style_weight=c.style_weight, tv_weight=c.tv_weight)
        return total, {"content": L_content.item(), "style": L_style.item(), "tv": L_tv.item(), "total": total.item()}


def initial_image(content, style, init, seed):
    """The starting point x₀: the content photo (default), uniform noise, the style image, or a given
    image tensor — the last two resized to the content's shape."""
    if torch.is_tensor(init):
        return resize_image(init.detach().to(content.device, torch.float32), content.shape[-2:])
    if init == "content":
        return content.clone()
    if init == "noise":
        generator = torch.Generator().manual_seed(seed)
        return torch.rand(content.shape, generator=generator).to(content.device)
    return resize_image(style, content.shape[-2:])


def _as_image(source, size, device):
    img = source if torch.is_tensor(source) else load_image(source, size)
    if img.dim() != 4 or img.shape[:2] != (1, 3):
        raise NSTError(f"expected an image tensor [1, 3, H, W], got {tuple(img.shape)}: use nst_teach.load_image")
    return img.detach().to(device=device, dtype=torch.float32)


def style_transfer(content, style, *, config=None, callback=None, model=None, **options):
    """Stylise ``content`` with ``style`` (Gatys et al. 2016). Returns a `TransferResult`.

    content, style: paths, sample names, or tensors [1, 3, H, W] in [0, 1] (used as they are).
    options: any `TransferConfig` field (size, steps, optimizer, content_weight, style_weight,
    tv_weight, content_layers, style_layers, style_layer_weights, init, seed, device, …).
    callback(step, image, losses): called after every step with the current image (clone it to keep
    it) and the losses of the image that step started from; return True to stop early.
    model: a VGG19 from `load_vgg19` to reuse between runs (must reach the deepest layer used);
    then the model's own weights and pooling are used, and ``weights`` / ``pool`` are ignored.
    Deterministic for a given seed on the same machine. Ctrl-C raises `TransferInterrupted` whose
    ``.result`` holds the image so far. If the loss becomes NaN/inf the run stops, keeps the last
    finite image and returns ``status='diverged'``.
    """
    config = dataclasses.replace(config or TransferConfig(), **options).validate()
    if config.device:
        device = torch.device(config.device)
    else:  # follow the model if one is given, else use the GPU when there is one
        device = next(model.parameters()).device if model is not None else default_device()
    deepest = max((canonical_layer_name(n) for n in (*config.content_layers, *config.style_layers)), key=TORCHVISION_INDEX.get)
    if model is None:
        model = load_vgg19(config.weights, last_layer=deepest, pool=config.pool, device=device)
    content_img = _as_image(content, config.size, device)
    style_img = _as_image(style, config.size, device)

    loss_fn = StyleTransferLoss(model, content_img, style_img, config)
    x0 = initial_image(content_img, style_img, config.init, config.seed)
    run = _Run(TransferResult(image=x0.cpu().clone(), config=config), callback)
    start = time.perf_counter()
    try:
        if config.optimizer == "lbfgs":
            _optimise_lbfgsb(loss_fn, x0, config, run)
        else:
            _optimise_by_steps(loss_fn, x0, config, run)
    except _Diverged:
        run.result.status = "diverged"
    except KeyboardInterrupt:
        run.result.status = "interrupted"
        run.result.seconds = time.perf_counter() - start
        raise TransferInterrupted(run.result) from None
    run.result.seconds = time.perf_counter() - start
    return run.result


class _Diverged(Exception):
    """The loss became NaN or infinite; the last finite image is already in the result."""


class _Run:
    """Bookkeeping shared by both optimisation loops: history, the last good image, the callback."""

    def __init__(self, result, callback):
        self.result, self.callback = result, callback

    def evaluate(self, loss_fn, x):
        """(total, parts) at x, with the gradient in x.grad; stops the run if the loss is not finite."""
        x.grad = None
        total, parts = loss_fn(x)
        if not all(math.isfinite(v) for v in parts.values()):
            raise _Diverged()
        total.backward()
        return total, parts

    def step_done(self, x, parts):
        """Record a finished step: x is the new (valid) image, parts the losses of the one before."""
        step = len(self.result.history) + 1
        self.result.history.append({"step": step, **parts})
        self.result.image = x.detach().cpu().clone()
        return bool(self.callback is not None and self.callback(step, x.detach(), parts))


def _optimise_by_steps(loss_fn, x0, config, run):
    """Gradient descent, momentum or Adam, each step followed by the projection x ← clip(x, 0, 1)."""
    x = x0.clone().requires_grad_(True)
    optimizer = None
    for _ in range(config.steps):
        _, parts = run.evaluate(loss_fn, x)
        if optimizer is None:  # created after the first gradient, which may set the learning rate
            optimizer = OPTIMIZERS[config.optimizer]([x], lr=config.learning_rate(x.grad))
        optimizer.step()
        with torch.no_grad():
            x.clamp_(0.0, 1.0)  # projection onto the valid image box (see module docstring)
        if not torch.isfinite(x).all():
            raise _Diverged()
        if run.step_done(x, parts):
            break


def _optimise_lbfgsb(loss_fn, x0, config, run):
    """L-BFGS-B: the bounds keep every iterate in [0, 1], so no projection is needed."""
    evaluated = {}  # the losses of the latest evaluation, and of the current iterate

    def f_and_grad(x):
        x = x.requires_grad_(True)
        total, parts = run.evaluate(loss_fn, x)
        evaluated["last"] = parts
        evaluated.setdefault("iterate", parts)  # x0's losses, the start of step 1
        return total.item(), x.grad

    def on_iteration(x):
        # The line search's last evaluation is the new iterate: its losses start the next step.
        parts, evaluated["iterate"] = evaluated["iterate"], evaluated["last"]
        return run.step_done(x, parts)

    OPTIMIZERS["lbfgs"](f_and_grad, x0, config.steps, on_iteration)


def style_transfer_by_hand(model, content, style, *, steps=100, lr=0.02, content_weight=1.0, style_weight=10.0,
                           content_layer="relu4_2", style_layers=STYLE_LAYERS):
    """The whole algorithm in one short loop, built only from the pieces of the lessons (exercise 8).

    1. P = features of the content image at ``content_layer``; A^l = Gram matrices of the style
       image at each style layer (computed once, no gradient).
    2. x ← the content image. Repeat ``steps`` times:
       L = α · content_loss(F, P) + β · style_loss({F^l}, {A^l}) (w_l = 1/L);
       x ← adam_step(x, ∇x L); x ← clip(x, 0, 1).
    model: `load_vgg19(...)`; content, style: [1, 3, H, W] RGB in [0, 1]. Returns (x, [L per step]).
    `style_transfer` does the same with more options and L-BFGS-B; this one is meant to be read.
    """
    from .optim import AdamState, adam_step

    def features(img, layers):
        return extract_features(model, preprocess(img, model.convention), layers)

    with torch.no_grad():
        P = features(content, [content_layer])[content_layer]
        A = {layer: gram_matrix(F[0]) for layer, F in features(style, style_layers).items()}  # (N_l, N_l)
    x = content.detach().clone()
    state, losses = AdamState.zeros_like(x), []
    for _ in range(steps):
        x.requires_grad_(True)
        F = features(x, [content_layer, *style_layers])
        L = content_weight * content_loss(F[content_layer], P) + style_weight * style_loss({k: F[k] for k in A}, A)
        (grad,) = torch.autograd.grad(L, x)
        losses.append(L.item())
        x, state = adam_step(x.detach(), grad, state, lr)
        x = x.clamp(0.0, 1.0)
    return x, losses
