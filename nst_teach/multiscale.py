"""Lesson 8: coarse-to-fine style transfer — solve small, upsample, refine.

At a small size every VGG unit covers a larger share of the picture, so big structures of the style
appear quickly and each step is cheap. Upsampling that result and using it as the *starting point*
x₀ at the next size leaves the optimiser only the fine detail to add (Gatys et al. 2017, "Controlling
perceptual factors", §5). Each stage is the usual L_total = α L_content + β L_style, minimised with
L-BFGS-B in [0, 1]; only x₀ differs from `nst_teach.style_transfer`.
"""

import dataclasses

import torch

from .errors import NSTError
from .images import load_image
from .optim import lbfgsb
from .transfer import StyleTransferLoss, TransferConfig
from .vgg import TORCHVISION_INDEX, canonical_layer_name, load_vgg19


def resize(img, shape):
    """Bilinear resize of [1, 3, H, W] to ``shape`` = (H', W'), clipped to [0, 1]."""
    out = torch.nn.functional.interpolate(img, size=tuple(shape), mode="bilinear", align_corners=False)
    return out.clamp(0, 1)  # (1, 3, H', W')


def coarse_to_fine(content, style, sizes=(64, 128, 256), steps=50, model=None, config=None, **options):
    """Style transfer at each size in ``sizes`` (longest side, increasing), each stage starting from
    the previous result upsampled. The first stage starts from the content photo.

    content, style: sample names or paths (reloaded at each size), or tensors (resized).
    steps: L-BFGS-B iterations per stage. options: `TransferConfig` fields (weights, layers…).
    Returns [image of each stage], each [1, 3, H, W] in [0, 1].
    """
    if list(sizes) != sorted(sizes) or not sizes:
        raise NSTError(f"sizes must be increasing, e.g. (64, 128, 256); got {sizes!r}")
    config = dataclasses.replace(config or TransferConfig(), steps=steps, **options).validate()
    layers = [canonical_layer_name(n) for n in (*config.content_layers, *config.style_layers)]
    model = model or load_vgg19(config.weights, last_layer=max(layers, key=TORCHVISION_INDEX.get), device="cpu")
    device = next(model.parameters()).device
    stages, x = [], None
    for size in sizes:
        c, s = (_at_size(img, size).to(device) for img in (content, style))
        loss_fn = StyleTransferLoss(model, c, s, config)
        x0 = c.clone() if x is None else resize(x, c.shape[-2:])

        def f_and_grad(z):
            z = z.requires_grad_(True)
            total, _ = loss_fn(z)
            (grad,) = torch.autograd.grad(total, z)
            return total.item(), grad

        x = lbfgsb(f_and_grad, x0, steps, lambda z: False)
        stages.append(x.detach().cpu())
    return stages


def _at_size(img, size):
    if torch.is_tensor(img):
        H, W = img.shape[-2:]
        scale = size / max(H, W)
        return resize(img, (max(1, round(H * scale)), max(1, round(W * scale))))
    return load_image(img, size)
