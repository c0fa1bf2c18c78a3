"""Steps 4–5: what one half of the loss keeps — content reconstructions and texture synthesis.

Gatys et al. (2016, Fig. 1) look at the two representations separately, starting from white noise:

* **content reconstruction** at layer l: minimise only L_content = ½ Σ (F^l − P^l)². From shallow
  layers the photo comes back almost pixel-perfect; from deep layers only the layout and objects
  survive, the exact pixels are lost.
* **texture synthesis** from layers l ∈ S: minimise only L_style = Σ_{l∈S} w_l E_l. With relu1_1
  alone you get the colours and finest grain; adding deeper layers brings larger structures.

Both are `nst_teach.style_transfer` with one weight set to zero and ``init="noise"`` — no new
optimisation code, so the lesson and the full algorithm share one implementation.

Naming: the paper's "conv4_2" is the output of Caffe's in-place ReLU, i.e. our ``relu4_2``.
"""

import torch

from .features import extract_features
from .gram import gram_matrix
from .optim import lbfgsb
from .preprocess import preprocess
from .transfer import initial_image, style_transfer

CONTENT_LAYERS = ("relu1_2", "relu2_2", "relu3_2", "relu4_2", "relu5_2")  # Gatys et al. Fig. 1 "conv*_2"
STYLE_LAYER_SETS = (
    ("relu1_1",),
    ("relu1_1", "relu2_1"),
    ("relu1_1", "relu2_1", "relu3_1"),
    ("relu1_1", "relu2_1", "relu3_1", "relu4_1"),
    ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
)


def reconstruct_content(image, layer, *, steps=100, seed=0, model=None, **options):
    """From white noise, find x whose features at ``layer`` match those of ``image``.

    Minimises L_content = ½ Σ_ij (F_ij − P_ij)² alone (β = 0) with L-BFGS-B, x ∈ [0, 1], at one scale.
    image: [1, 3, H, W] in [0, 1], a path or a sample name. options: other `TransferConfig`
    fields (size, optimizer, weights, device…). Returns a `TransferResult` (``.image``, ``.history``).
    """
    # The style term is switched off (β = 0); its layer is the content layer so no deeper pass is needed.
    return style_transfer(image, image, content_layers=(layer,), style_layers=(layer,), content_weight=1.0,
                          style_weight=0.0, init="noise", steps=steps, seed=seed, model=model, **{"size": None, "scales": (1.0,), "optimizer": "lbfgsb", "weighting": "paper", **options})


def synthesize_texture(style, layers, *, steps=100, seed=0, model=None, **options):
    """From white noise, find x whose Gram matrices at ``layers`` match those of ``style``.

    Minimises L_style = Σ_l w_l E_l alone (α = 0, w_l = 1/|layers|). The result has the size of
    ``style``. Returns a `TransferResult`.
    """
    # α = 0: the "content" image only sets the size of x; its layer is a style layer (no extra pass).
    return style_transfer(style, style, content_layers=(layers[0],), style_layers=tuple(layers), content_weight=0.0,
                          style_weight=1.0, init="noise", steps=steps, seed=seed, model=model, **{"size": None, "scales": (1.0,), "optimizer": "lbfgsb", "weighting": "paper", **options})


# ----------------------------------------------------------------------------- with any loss (the student's)


def _from_noise(objective, like, steps, seed):
    """L-BFGS-B from the same white noise as above: minimise objective(x) over x ∈ [0, 1]. → (x, [loss per step])."""
    losses = []

    def f_and_grad(x):
        x = x.requires_grad_(True)
        L = objective(x)
        (grad,) = torch.autograd.grad(L, x)
        return float(L.detach()), grad

    def on_iteration(x):
        with torch.no_grad():
            losses.append(float(objective(x)))
        return False

    x = lbfgsb(f_and_grad, initial_image(like, like, "noise", seed), steps, on_iteration)
    return x.detach(), losses


def reconstruct_with(content_loss, image, layer, *, steps=100, seed=0, model=None):
    """`reconstruct_content` with the content loss you give, ``content_loss(F, P)`` (e.g. your exercise 4).

    image: [1, 3, H, W] in [0, 1]; model: a VGG19 reaching ``layer``. Returns (x, [loss after each step]).
    """
    with torch.no_grad():
        P = extract_features(model, preprocess(image, model.convention), [layer])[layer]
    return _from_noise(lambda x: content_loss(extract_features(model, preprocess(x, model.convention), [layer])[layer], P),
                       image, steps, seed)


def synthesize_with(style_loss, style, layers, *, steps=100, seed=0, model=None):
    """`synthesize_texture` with the style loss you give, ``style_loss({l: F^l}, {l: A^l})`` (e.g. your exercise 5).

    style: [1, 3, H, W] in [0, 1]; A^l = gram_matrix(F^l[0]) of the style image. Returns (x, [loss after each step]).
    """
    layers = list(layers)
    with torch.no_grad():
        A = {l: gram_matrix(F[0]) for l, F in extract_features(model, preprocess(style, model.convention), layers).items()}
    return _from_noise(lambda x: style_loss(extract_features(model, preprocess(x, model.convention), layers), A),
                       style, steps, seed)
