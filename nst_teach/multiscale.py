"""Step 8: coarse-to-fine style transfer — solve small, upsample, refine.

At a small size every VGG unit covers a larger share of the picture, so big structures of the style
appear quickly and each step is cheap. Upsampling that result and using it as the *starting point*
x₀ at the next size leaves the optimiser only the fine detail to add (Gatys et al. 2017, "Controlling
Perceptual Factors in Neural Style Transfer", on spatial scale). Each stage is an ordinary
`nst_teach.style_transfer` run whose ``init`` is the previous stage's result. (`style_transfer`
can do the same through its ``scales`` option; this is the version to read.)
"""

from .errors import NSTError
from .transfer import image_at_size, style_transfer


def coarse_to_fine(content, style, sizes=(64, 128, 256), steps=50, model=None, **options):
    """Style transfer at each size in ``sizes`` (longest side, increasing), each stage starting from
    the previous result upsampled. The first stage starts from the content photo.

    content, style: sample names or paths (reloaded at each size), or tensors (resized).
    steps: L-BFGS iterations per stage. options: `TransferConfig` fields (weights, layers…).
    Returns [image of each stage], each [1, 3, H, W] in [0, 1].
    """
    if not sizes or list(sizes) != sorted(sizes):
        raise NSTError(f"sizes must be increasing, e.g. (64, 128, 256); got {sizes!r}")
    stages, x = [], None
    for size in sizes:
        c, s = (image_at_size(img, size) for img in (content, style))
        init = "content" if x is None else x  # style_transfer resizes x to this stage's shape
        x = style_transfer(c, s, steps=steps, model=model, init=init, **{**options, "size": None, "scales": (1.0,)}).image
        stages.append(x)
    return stages


