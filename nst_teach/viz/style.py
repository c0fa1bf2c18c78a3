"""The slide style every figure shares, turning images into arrays, and saving figures atomically."""

import functools
from pathlib import Path

import matplotlib
import matplotlib.ticker
import numpy as np
import torch

from ..errors import NSTError
from ..files import atomic_write

# Applied with `matplotlib.rc_context` inside each function, never globally.
SLIDE_STYLE = {
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "figure.titlesize": 14,
    "legend.fontsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
FEATURE_CMAP = "magma"  # dark = silent, bright = active; readable when projected
MATRIX_CMAP = "viridis"


def _styled(function):
    """Run ``function`` inside the slide style's rc_context (the style is read when artists are made)."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(SLIDE_STYLE):
            return function(*args, **kwargs)

    return wrapper


def to_array(img):
    """Tensor [1, 3, H, W] / [3, H, W], PIL image or array → float array (H, W, 3) in [0, 1]."""
    if torch.is_tensor(img):
        img = img.detach().cpu().float()
        if img.dim() == 4:
            if img.shape[0] != 1:
                raise NSTError(f"expected one image [1, 3, H, W], got a batch of {img.shape[0]}: pass img[i:i+1]")
            img = img[0]
        if img.dim() != 3 or img.shape[0] not in (1, 3):
            raise NSTError(f"expected an image tensor [1, 3, H, W], got shape {tuple(img.shape)}")
        return img.clamp(0, 1).permute(1, 2, 0).numpy()  # (H, W, C)
    arr = np.asarray(img)
    if arr.dtype == np.uint8:
        arr = arr / 255.0
    if arr.ndim != 3 or arr.shape[-1] not in (1, 3):
        raise NSTError(f"expected an image (H, W, 3), got an array of shape {arr.shape}")
    return np.clip(arr.astype(np.float32), 0, 1)


def _show(ax, img, title=None):
    arr = to_array(img)
    ax.imshow(arr if arr.shape[-1] == 3 else arr[..., 0], cmap=None if arr.shape[-1] == 3 else "gray", vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)


# ----------------------------------------------------------------------------- saving


def save_figure(fig, path, dpi=150):
    """Write ``fig`` to ``path`` (format from the suffix: .png, .pdf, .svg, .jpg), atomically."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in ("png", "pdf", "svg", "jpg", "jpeg"):
        raise NSTError(f"unsupported figure format {suffix or '(none)'!r} for {path}: end the file name with .png, .pdf or .svg")
    return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format=suffix, bbox_inches="tight", facecolor="white"))
