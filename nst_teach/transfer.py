"""Step 7: style transfer itself — optimise the pixels of x so that

    L_total(x) = α · ½ Σ (F − P)²  +  β · Σ_l w_l E_l  +  λ_tv · L_tv(x)

is small: F, P at the content layer(s) (relu4_2 by default), E_l at the style layers (relu1_1 …
relu5_1), exactly as in Gatys et al. (2016); see `nst_teach.losses` for each term.

Read `style_transfer_by_hand` first: the whole algorithm in a dozen lines, built only from the
lessons' pieces. `style_transfer` below is the same algorithm as a tool: the options of
`nst_teach.config.TransferConfig`, L-BFGS, progress callbacks, Ctrl-C, coarse to fine, and the
content term per position by default (``weighting``; see `StyleTransferLoss`), so that one β
stylises a photo the same way at 256 px and at 1024 px.

Keeping the image displayable. The optimisation variable is the RGB image x ∈ [0, 1]^{3×H×W} itself
(`preprocess` is applied inside the loss, so autograd goes through it), and what is measured and
saved is always a valid picture: the default L-BFGS minimises the loss of clip(x, 0, 1) (plus a
small pull back into the box, see `nst_teach.loops`), L-BFGS-B (``optimizer="lbfgsb"``) treats each
pixel's range as a bound, and gradient descent, momentum and Adam *project* after every step,
x ← clip(x, 0, 1). So what you see in the progress GIF, and the losses we report, are those of the
picture that gets saved. Without it, the unconstrained optimum drifts outside [0, 1] and clipping
only at save time changes the picture after the fact. Measured on cat + starry_night, 256 px, 100
iterations: torch's unbounded L-BFGS left 2.5% of the values outside [0, 1], and clipping them raised
the style loss 1.9×. A sigmoid parametrisation would also bound x, but it flattens the gradient
near black and white.

How it moves (measured in `benchmarks/time_to_quality.py`): L-BFGS moves the coefficients of a
Laplacian pyramid of the image (`nst_teach.pyramid`) from the photo recoloured to the style's
colours: the same loss, about half the evaluations. The work can also be split over *scales*,
coarse to fine (``scales=(0.5, 1.0)``): optimise at half the size, carry what changed up to full
size as x₀, and recompute the targets P and A at each size. By the paper's loss at full size it was
no faster (the full-size steps must rebuild the fine detail), so up to 512 px one scale is the
default. Above 512 px it is the default for the *look* (``scales="auto"``): VGG-19's receptive
fields are fixed in pixels, so at one scale a 1024 px result gets strokes a quarter as large
relative to the picture as a 256 px one and looks like the photo under a fine grain; starting at
256 px paints the strokes at the size the default was judged at.

How fast the arithmetic runs is `nst_teach.speed`'s business (step 8): ``speed="auto"`` measures the
fastest way on this machine, ``speed="plain"`` is the textbook's fp32. Either way the losses are
summed in fp32 and the images are the same up to rounding.
"""

import dataclasses
import time
from dataclasses import dataclass, field

import torch

from . import speed as speed_front
from .config import STYLE_LAYERS, TransferConfig
from .errors import NSTError
from .features import extract_features
from .gram import gram_matrix
from .images import MIN_SIZE, load_image, resize_image
from .colour import match_colour_histogram
from .losses import content_loss, content_loss_per_position, style_loss, total_loss, tv_loss
from .optim import AdamState, adam_step
from .preprocess import preprocess
from .loops import Convergence, _Diverged, _optimise_by_steps, _optimise_lbfgs, _Run, _Stop
from .vgg import TORCHVISION_INDEX, canonical_layer_name, default_device, load_vgg19

# Coarse scales smaller than this are skipped: relu5_1 sees a 1/16 of the input, so at 32 px it is 2×2.
MIN_SCALE_SIZE = 64


# ----------------------------------------------------------------------------- the algorithm, to read first


def style_transfer_by_hand(model, content, style, *, steps=100, lr=0.02, content_weight=1.0, style_weight=10.0,
                           content_layer="relu4_2", style_layers=STYLE_LAYERS):
    """The whole algorithm in one short loop, built only from the pieces of the lessons (exercise 8).

    1. P = features of the content image at ``content_layer``; A^l = Gram matrices of the style
       image at each style layer (computed once, no gradient).
    2. x ← the content image. Repeat ``steps`` times:
       L = α · content_loss(F, P) + β · style_loss({F^l}, {A^l}) (w_l = 1/L);
       x ← adam_step(x, ∇x L); x ← clip(x, 0, 1).
    model: `load_vgg19(...)`; content, style: [1, 3, H, W] RGB in [0, 1]. Returns (x, [L per step]).
    Uses the paper's weighting (content as a sum), hence β = 10 where `style_transfer`'s per-position
    weighting has 0.1. `style_transfer` does the same with more options and L-BFGS; this one is
    meant to be read.
    """
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


# ----------------------------------------------------------------------------- the same algorithm as a tool


class StyleTransferLoss(torch.nn.Module):
    """L_total(x) for a fixed content photo and style image: the targets P and A are computed once.

    Call it with an RGB image x [1, 3, H, W] in [0, 1]; it returns (total, parts) where parts holds
    the content, style and tv terms (unweighted) and the total, as floats:

        weighting="paper":         L = α · ½Σ(F−P)²        + β · Σ_l w_l E_l + λ_tv · L_tv
        weighting="per_position":  L = α · ½Σ(F−P)² / M_l  + β · Σ_l w_l E_l + λ_tv · L_tv / (H·W)

    (M_l = positions at the content layer, H·W = pixels). The second is the first with β·M_l in
    place of β, up to the factor 1/M_l: the same family of images, but one β means the same balance
    at every size (with "paper", a β that stylises at 256 px barely changes a 1024 px photo).
    speed: the arithmetic of the network and of G (a `nst_teach.speed.Speed`; default: the plain
    textbook one, fp32); the features are cast to fp32 before any loss, so G, E_l and the content
    loss are always summed in fp32.
    """

    def __init__(self, model, content, style, config, speed=None):
        super().__init__()
        self.model, self.config, self.speed = model, config, speed or speed_front.PLAIN
        self.speed.prepare(model)
        self.layers = list(dict.fromkeys((*config.content_layers, *config.style_layers)))
        with torch.no_grad():
            self.P = {k: v.float() for k, v in self._features(content, config.content_layers).items()}
            style_features = self._features(style, config.style_layers)
            self.A = {layer: self.speed.gram(F) for layer, F in style_features.items()}  # (N_l, N_l), fp32
        w = config.style_layer_weights or [1.0 / len(config.style_layers)] * len(config.style_layers)
        self.w = dict(zip(config.style_layers, w))

    def _features(self, img, layers):
        """Features in the network's precision (bf16 or fp32); the losses below work in fp32."""
        x = self.speed.input(preprocess(img, self.model.convention))
        with self.speed.network(self.model):
            return extract_features(self.model, x, layers)

    def forward(self, x):
        c = self.config
        per_position = c.weighting == "per_position"
        feats = self._features(x, self.layers)  # one pass for content and style layers
        content_term = content_loss_per_position if per_position else content_loss
        L_content = sum(content_term(feats[layer].float(), P) for layer, P in self.P.items())
        # speed.gram sums G in fp32 even for bf16 features
        L_style = style_loss({layer: feats[layer] for layer in self.A}, self.A, self.w, gram=self.speed.gram)
        L_tv = x.new_zeros(())
        if c.tv_weight > 0:
            L_tv = tv_loss(x) / (x.shape[-2] * x.shape[-1] if per_position else 1)  # per pixel, or the sum
        total = total_loss(L_content, L_style, L_tv, content_weight=c.content_weight, style_weight=c.style_weight, tv_weight=c.tv_weight)
        return total, {"content": L_content.item(), "style": L_style.item(), "tv": L_tv.item(), "total": total.item()}


@dataclass
class TransferResult:
    """What a run gives back. ``image``: [1, 3, H, W] in [0, 1] (CPU). ``history``: one dict per step
    with the losses of the image that step started from: 'content', 'style', 'tv' (raw, unweighted),
    'total' (= α·content + β·style + λ_tv·tv), 'size' (longest side at that step's scale) and, when
    the stages stop on convergence (steps="auto"), 'decrease': the relative fall of 'total' over the
    last stop_window steps of the stage (None before; see `loops.Convergence`).
    ``evaluations``: forward+backward passes of VGG-19. ``status``: 'done', 'diverged' or 'interrupted'.
    ``stages``: the image at the end of each scale, coarse to fine (one image for a single scale).
    ``choice``: the arithmetic used (a `nst_teach.speed.Speed`: precision, Gram, convolutions) and why."""

    image: torch.Tensor
    history: list = field(default_factory=list)
    stages: list = field(default_factory=list)
    config: TransferConfig = None
    choice: speed_front.Speed = None  # the arithmetic of the last (full-size) stage, and why (see nst_teach.speed)
    seconds: float = 0.0
    status: str = "done"
    evaluations: int = 0


class TransferInterrupted(KeyboardInterrupt):
    """Ctrl-C during `style_transfer`; ``.result`` holds the image so far (status 'interrupted')."""

    def __init__(self, result):
        super().__init__("interrupted")
        self.result = result


def style_transfer(content, style, *, config=None, callback=None, model=None, **options):
    """Stylise ``content`` with ``style`` (Gatys et al. 2016). Returns a `TransferResult`.

    content, style: paths or sample names, or tensors [1, 3, H, W] in [0, 1]; either way they are
    brought to longest side ``size`` (``size=None``: the content image as given, the style image
    resized to the same longest side).
    options: any `TransferConfig` field (size, scales, steps, optimizer, content_weight, style_weight,
    tv_weight, content_layers, style_layers, style_layer_weights, init, seed, device, speed, …).
    Stopping: with steps="auto" (the default) each stage ends at its first step k with
    (L_{k−w} − L_k) / L_k < stop_tolerance, w = stop_window (the loss of the picture stopped falling;
    the defaults are TransferConfig's), or after its most steps (max_steps at the coarsest stage,
    halved at each finer one); a number of steps forces that count.
    Coarse to fine (``scales=(0.5, 1.0)``; default "auto": one scale up to 512 px, above it from
    256–512 px up, see `config.auto_scales`): at each scale the content and style images are taken
    at that fraction of the full size, the targets recomputed, and x₀ is the photo plus what the
    previous scale changed, upsampled (`next_scale_start`). One number of ``steps`` is for the
    coarsest scale, halved at each finer one (`schedule`). With weighting="paper" a coarse stage
    weights content as the full size does (`stage_objective`).
    callback(step, image, losses): called after every step (counted over all scales) with the
    current image (clone it to keep it) and the step's history entry (the losses of the image that
    step started from, its scale's size and, converging, the 'decrease'); return True to stop early.
    model: a VGG19 from `load_vgg19` to reuse between runs (must reach the deepest layer used);
    then the model's own weights, pooling and device are used: asking for other ones as well is an
    error, not silently ignored. Its memory layout is switched in place to the one the arithmetic
    wants (same values).
    Deterministic for a given seed on the same machine. Ctrl-C raises `TransferInterrupted` whose
    ``.result`` holds the image so far. If the loss becomes NaN/inf the run stops, keeps the last
    finite image and returns ``status='diverged'``.
    """
    config = dataclasses.replace(config or TransferConfig(), **options).validate()
    _check_model_options(model, config)  # a given model only: one loaded below follows the config
    if config.device:
        device = torch.device(config.device)
    else:  # follow the model if one is given, else use the GPU when there is one
        device = next(model.parameters()).device if model is not None else default_device()
    deepest = max((canonical_layer_name(n) for n in (*config.content_layers, *config.style_layers)), key=TORCHVISION_INDEX.get)
    if model is None:
        model = load_vgg19(config.weights, last_layer=deepest, pool=config.pool, device=device)
    full = image_at_size(content, config.size, device)
    stages = schedule(config, full.shape[-2:])

    def loss(speed, content_img, style_img):  # what the calibration times, if it measures
        return StyleTransferLoss(model, content_img, style_img, config, speed)

    run = _Run(TransferResult(image=None, config=config), callback)
    start = time.perf_counter()
    try:
        x = previous_content = None
        for size, steps in stages:
            content_img, style_img = image_at_size(content, size, device), image_at_size(style, size, device)
            # 'auto': the fastest at this size on this machine, measured once and cached
            speed = speed_front.choose(config.speed, device, size=size, loss=loss, model=model)
            run.result.choice = speed  # the last (full-size) stage's is the one reported
            loss_fn = StyleTransferLoss(model, content_img, style_img, stage_objective(config, content_img, full), speed)
            if x is None:
                x0 = initial_image(content_img, style_img, config.init, config.seed)
            else:
                x0 = next_scale_start(x, previous_content, content_img)
            previous_content = content_img
            run.start_scale(x0, size, Convergence(config.stop_window, config.stop_tolerance) if config.converges else None)
            stage = dataclasses.replace(config, steps=steps)  # a count, or the most steps of a converging stage
            if config.optimizer in ("lbfgs", "lbfgsb"):
                x = _optimise_lbfgs(loss_fn, x0, stage, run)
            else:
                x = _optimise_by_steps(loss_fn, x0, stage, run)
            run.result.stages.append(x.detach().cpu().clone())
    except _Stop:
        pass
    except _Diverged:
        run.result.status = "diverged"
    except KeyboardInterrupt:
        run.result.status = "interrupted"
        run.result.seconds = time.perf_counter() - start
        raise TransferInterrupted(run.result) from None
    run.result.seconds = time.perf_counter() - start
    return run.result


def _check_model_options(model, config):
    """A given model fixes the weights, the pooling and the device: refuse options that contradict it
    (``config`` already holds the options asked for; a default value is not a request)."""
    if model is None:
        return
    if config.weights != TransferConfig.weights:
        raise NSTError(f"weights={config.weights!r} cannot be combined with model=: the model's own weights "
                       "are used (load it with load_vgg19(weights=...) instead)")
    pool = "avg" if any(isinstance(m, torch.nn.AvgPool2d) for m in model.modules()) else "max"
    if config.pool != TransferConfig.pool and config.pool != pool:
        raise NSTError(f"pool={config.pool!r} but the given model uses {pool} pooling: "
                       f"load it with load_vgg19(pool={config.pool!r}) or leave pool out")
    model_device = next(model.parameters()).device
    if config.device and torch.device(config.device).type != model_device.type:
        raise NSTError(f"device={config.device!r} but the given model is on {model_device}: "
                       "move the model (model.to(device)) or leave device out")


def image_at_size(source, size, device="cpu"):
    """A path/sample loaded at longest side ``size``, or a tensor resized to it (None: as it is).
    Both with PIL's Lanczos filter (`resize_image`): a picture given as a path, a full-size tensor or
    a tensor already at size gives the same image, hence the same targets P and A."""
    if not torch.is_tensor(source):
        return load_image(source, size).to(device)
    img = _check_image(source).detach().to(device=device, dtype=torch.float32)
    H, W = img.shape[-2:]
    if size is None or max(H, W) == size:
        return img
    scale = size / max(H, W)
    return resize_image(img, (max(1, round(H * scale)), max(1, round(W * scale))))


def _check_image(img):
    if img.dim() != 4 or img.shape[:2] != (1, 3):
        raise NSTError(f"expected an image tensor [1, 3, H, W], got {tuple(img.shape)}: use nst_teach.load_image")
    return img


def initial_image(content, style, init, seed):
    """The starting point x₀: the content photo, the photo recoloured to the style's colour mean and
    covariance (the default), uniform noise, the style image, or a given image tensor — the last two
    resized to the content's shape (with coarse to fine, a given image starts the coarsest stage)."""
    if torch.is_tensor(init):
        return resize_image(init.detach().to(content.device, torch.float32), content.shape[-2:])
    if init == "content":
        return content.clone()
    if init == "recoloured":
        return match_colour_histogram(content, style)
    if init == "noise":
        generator = torch.Generator().manual_seed(seed)
        return torch.rand(content.shape, generator=generator).to(content.device)
    return resize_image(style, content.shape[-2:])


# ----------------------------------------------------------------------------- coarse to fine (scales=)


def scale_sizes(shape, scales):
    """Longest side of each stage for a full-size image of ``shape`` (H, W): round(max(H, W) · s) for
    s in ``scales``. A coarse stage is skipped if its longest side would be below MIN_SCALE_SIZE or
    its shortest below the 32 px `load_image` accepts. Returns [(index into scales, size), …]."""
    longest, shortest = max(shape), min(shape)
    stages = []
    for i, s in enumerate(scales):
        size = max(1, round(longest * s))
        coarse = i < len(scales) - 1
        if coarse and (size < MIN_SCALE_SIZE or shortest * s < MIN_SIZE):
            continue
        stages = [st for st in stages if st[1] != size] + [(i, size)]
    return stages


def schedule(config, shape):
    """[(longest side, steps)] of each stage of a run whose result is ``shape`` (H, W): the config's
    scales (auto resolved) and steps, without the coarse stages `scale_sizes` skips."""
    stages = scale_sizes(shape, config.scales_for(max(shape)))
    if isinstance(config.steps, (tuple, list)):  # one number per scale: a skipped scale drops its own
        return [(size, config.steps[i]) for i, size in stages]
    return list(zip((size for _, size in stages), config.steps_per_scale(len(stages))))


def stage_objective(config, stage, full):
    """The objective of a stage on image ``stage`` of a run whose result is ``full`` (tensors [1, 3, H, W]).

    With weighting="paper" the content term ½Σ(F−P)² is a sum over M_l positions, which shrinks with
    the image (a half-size stage has a quarter of them) while E_l does not: at half size the paper's
    α and β would ask for a much more stylised picture than the full-size result is judged by. A
    coarse stage therefore weights content (and TV) as the full size does, α · (H·W)_full / (H·W)_stage,
    so that every stage aims at the same balance (per_position already does). The last stage, at
    full size, is the objective as given."""
    pixels = full.shape[-2] * full.shape[-1] / (stage.shape[-2] * stage.shape[-1])
    if config.weighting != "paper" or pixels == 1:
        return config
    return dataclasses.replace(config, content_weight=config.content_weight * pixels, tv_weight=config.tv_weight * pixels)


def next_scale_start(x, content_before, content):
    """x₀ at the next, finer scale: the photo at that scale plus what the coarser scale changed,
    upsampled — x₀ = clip(p + up(x − p_coarse)). Upsampling x itself would also work, but it is
    blurry: it loses the photo's fine detail, which the fine scale must then rebuild step by step."""
    change = resize_image(x - content_before, content.shape[-2:], clip=False)
    return (content + change).clamp(0.0, 1.0)
