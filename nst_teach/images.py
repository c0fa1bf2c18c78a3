"""Step 1: getting pictures in and out.

Inside nst-teach an image is always a tensor ``[1, 3, H, W]``, float32, RGB, values in [0, 1].
`load_image` accepts a file path or a sample name (see ``nst-teach samples``) and copes with what real
files contain: EXIF rotation, grayscale, transparency, palettes, 16-bit PNGs, 200-megapixel phone
photos. `save_image` writes atomically (`nst_teach.files`), so an interrupted save never leaves half
a file.
"""

import contextlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from . import samples
from .errors import NSTError
from .files import atomic_write, check_writable

MIN_SIZE = 32  # below this, VGG-19's five poolings leave (almost) nothing
MAX_SIZE = 4096  # above this, one step takes minutes on a CPU and memory runs out
# Phone photos of 50–200 megapixels are normal input (PIL refuses above ~179 MP as a "decompression
# bomb"); above a gigapixel, decoding alone would need gigabytes of memory, so we refuse.
MAX_PIXELS = 1_000_000_000


def check_size(size):
    """Validate a requested longest side in pixels (None means: keep the original size)."""
    if size is None:
        return
    if not isinstance(size, int) or size < MIN_SIZE:
        raise NSTError(f"size {size!r} is too small: use at least {MIN_SIZE} pixels (e.g. --size 256)")
    if size > MAX_SIZE:
        raise NSTError(f"size {size} is above the cap of {MAX_SIZE} pixels: use a smaller --size (512 is plenty on a CPU)")


def resolve_source(source, cache_dir=None):
    """A path, or a sample name → a Path to an existing file."""
    path = Path(source)
    if path.is_file():
        return path
    if isinstance(source, str) and samples.is_sample(source):
        return samples.sample_path(source, cache_dir=cache_dir)
    if path.exists():
        raise NSTError(f"{source} is not a file: give an image file (PNG, JPEG, …)")
    raise NSTError(f"image not found: {source}: give an existing file or a sample name (see `nst-teach samples`)")


def to_rgb(pil):
    """Any PIL image → 8-bit RGB: applies EXIF rotation; grayscale, palette, 16-bit, alpha handled."""
    pil = ImageOps.exif_transpose(pil)
    if pil.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16/32-bit grayscale: rescale to 0–255 by the format's range, not by the image's own max.
        arr = np.asarray(pil, dtype=np.float64)
        top = 65535.0 if arr.max() > 255 else 255.0
        pil = Image.fromarray(np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if pil.mode == "P":
        pil = pil.convert("RGBA")
    if pil.mode in ("RGBA", "LA", "PA"):
        # Transparent pixels have no colour of their own: show them on white, as a viewer would.
        background = Image.new("RGBA", pil.size, (255, 255, 255, 255))
        pil = Image.alpha_composite(background, pil.convert("RGBA"))
    return pil.convert("RGB")


def resize_longest(pil, size, original=None):
    """Scale so that the longest side is ``size`` pixels, keeping the aspect ratio of ``original``
    (width, height): the file's own size when ``pil`` was decoded reduced (default: pil's size), so
    the shape is the one a resize of the full image gives."""
    if size is None:
        return pil
    w, h = original or pil.size
    scale = size / max(w, h)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    return pil.resize(new, Image.LANCZOS) if new != pil.size else pil


@contextlib.contextmanager
def _no_pil_pixel_limit():
    """PIL's own "decompression bomb" limit off for one open(): `_read` applies MAX_PIXELS itself.
    (PIL has no per-call setting, so the module attribute is set and put back.)"""
    before = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = before


# Shortcuts before the Lanczos resize keep at least this many times the requested size: the result
# then differs from a Lanczos resize of the full image by a mean of 0.1–0.4/255, 8-bit rounding
# (measured: retina.jpg, 1411 px, at 128 px; a 4100 px PNG and JPEG at 128–512 px; 1.7/255 with a
# margin of 1), so a file and the same picture as a full-size tensor give the same target.
MARGIN = 4


def _read(path, size):
    """Decode ``path`` no larger than needed for longest side ``size`` (None: MAX_SIZE).

    A JPEG is decoded at 1/2, 1/4 or 1/8 scale when that still covers MARGIN × ``size`` (PIL's draft
    mode: a 200 MP phone photo then never exists in memory at full size); any other format is
    decoded and then box-reduced by a whole factor, keeping at least MARGIN × ``size`` for the
    Lanczos resize. Returns (image, original (width, height))."""
    target = size or MAX_SIZE
    with _no_pil_pixel_limit(), Image.open(path) as opened:
        w, h = opened.size
        if w * h > MAX_PIXELS:
            raise NSTError(f"{path} is {w}×{h} pixels ({w * h / 1e6:.0f} megapixels), above the limit of "
                           f"{MAX_PIXELS / 1e6:.0f}: downscale it first (e.g. to 4000 px)")
        opened.draft(None, (MARGIN * target, MARGIN * target))  # JPEG only; a no-op for other formats
        opened.load()  # read everything now: a truncated file fails here, not later
        factor = max(opened.size) // (MARGIN * target)
        if factor > 1 and opened.mode in ("L", "LA", "RGB", "RGBA", "I", "F", "CMYK"):  # modes reduce() takes
            return opened.reduce(factor), (w, h)
        return opened.copy(), (w, h)


def load_image(source, size=None, *, cache_dir=None):
    """Load an image file or sample as a tensor [1, 3, H, W], float32, RGB in [0, 1].

    source: a path, a sample name ("cat", "starry_night", …) or a PIL image.
    size: longest side in pixels after resizing (None keeps the original, but an image larger than
    MAX_SIZE is brought down to MAX_SIZE as it loads). Large photos are decoded at reduced size;
    images above MAX_PIXELS are refused with an NSTError.
    """
    check_size(size)
    if isinstance(source, Image.Image):
        pil, name, file_size = source, "image", source.size
    else:
        path = resolve_source(source, cache_dir)
        name = str(path)
        try:
            pil, file_size = _read(path, size)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
            raise NSTError(f"cannot read {name} as an image ({err}): give a PNG or JPEG file") from None
    original = to_rgb(pil)
    if size is None and max(original.size) > MAX_SIZE:
        size = MAX_SIZE
    if original.size != pil.size:  # EXIF rotation turned it: so is the file's size
        file_size = file_size[::-1]
    pil = resize_longest(original, size, file_size)
    # Check the original too: upscaling a 20-pixel thumbnail to 256 would only invent detail.
    for checked in (original, pil):
        if min(checked.size) < MIN_SIZE:
            raise NSTError(f"{name} is {checked.size[0]}×{checked.size[1]} pixels: use an image (and --size) of at least {MIN_SIZE} pixels per side")
    arr = np.asarray(pil, dtype=np.float32) / 255.0  # (H, W, 3)
    return torch.from_numpy(arr).permute(2, 0, 1).unsqueeze(0).contiguous()  # (1, 3, H, W)


def lanczos_weights(n_in, n_out, dtype=torch.float32, device="cpu"):
    """The [n_out, n_in] matrix W of PIL's Lanczos-3 resampling along one axis: out = W @ in.

    Output pixel o sits at c = (o + ½)·s in input coordinates, s = n_in / n_out. It averages the
    input pixels j with c − r ≤ j + ½ < c + r (r = 3·max(s, 1)) by the weights
        k(t) = sinc(t)·sinc(t/3) for |t| < 3 (0 elsewhere),   t = (j + ½ − c) / max(s, 1),
    divided by their sum. When shrinking (s > 1) the filter is s times wider: each output pixel
    averages all the input pixels it covers (a low-pass filter against aliasing); sinc's lobes keep
    the edges sharp where a triangle (bilinear) filter blurs them. The window [j_min, j_max) is
    PIL's own (``precompute_coeffs`` in Resample.c), so the weights are PIL's, up to rounding.
    """
    s = n_in / n_out
    stretch = max(s, 1.0)
    r = 3.0 * stretch  # the filter's support in input pixels
    c = (torch.arange(n_out, dtype=torch.float64) + 0.5) * s  # (n_out,) centres
    j = torch.arange(n_in, dtype=torch.float64)  # (n_in,) input pixels
    j_min = torch.trunc(c - r + 0.5).clamp(min=0)  # C's (int) cast truncates, as PIL does
    j_max = torch.trunc(c + r + 0.5).clamp(max=n_in)
    t = (j[None, :] + 0.5 - c[:, None]) / stretch  # (n_out, n_in)
    k = torch.where(t.abs() < 3.0, torch.sinc(t) * torch.sinc(t / 3.0), torch.zeros_like(t))
    inside = (j[None, :] >= j_min[:, None]) & (j[None, :] < j_max[:, None])
    k = k * inside
    return (k / k.sum(dim=1, keepdim=True)).to(device=device, dtype=dtype)  # (n_out, n_in), rows sum to 1


def resize_image(img, shape, clip=True):
    """Resize a [1, C, H, W] tensor to ``shape`` = (H', W') with PIL's Lanczos filter, in float:
    the same resampling `load_image` applies to files, so a picture given as a path, as a full-size
    tensor or already at size gives the same image (to 8-bit rounding). Kept in [0, 1] (clip=False:
    values as they come, e.g. for a difference of two images; Lanczos can overshoot near edges).

        out = W_H · img · W_Wᵀ   with W_H [H', H], W_W [W', W] from `lanczos_weights`

    Separable, as PIL does it: first along the rows (width), then along the columns (height).
    Measured against PIL on an 8-bit painting shrunk 1400 → 512 px: a mean difference of 0.25/255, at
    most 1.1/255 (PIL rounds to 8 bits after each pass; this stays in float); on float images, below 1e-6.
    A matrix product, so autograd differentiates it and it runs on any device."""
    H, W = img.shape[-2:]
    if tuple(shape) == (H, W):
        return img.clamp(0, 1) if clip else img
    W_H = lanczos_weights(H, shape[0], img.dtype, img.device)  # (H', H)
    W_W = lanczos_weights(W, shape[1], img.dtype, img.device)  # (W', W)
    rows = img @ W_W.T  # (1, C, H, W) @ (W, W') → (1, C, H, W')
    if clip:  # PIL clips an 8-bit image between the passes too: the same pixels where edges overshoot
        rows = rows.clamp(0, 1)
    out = W_H @ rows  # (H', H) @ (1, C, H, W') → (1, C, H', W')
    return out.clamp(0, 1) if clip else out


def to_pil(img):
    """Tensor [1, 3, H, W] or [3, H, W] in [0, 1] → PIL RGB image (values outside [0, 1] are clipped)."""
    img = img.detach().cpu().float()
    if img.dim() == 4:
        img = img[0]
    arr = (img.clamp(0, 1).permute(1, 2, 0).numpy() * 255.0 + 0.5).astype(np.uint8)  # (H, W, 3)
    return Image.fromarray(arr, "RGB")


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def _check_suffix(path, suffixes):
    suffix = Path(path).suffix.lower()
    if suffix not in suffixes:
        raise NSTError(f"unsupported output format {suffix or '(none)'!r} for {path}: end the file name with {' or '.join(suffixes[:2])}")


def check_output_path(path, suffixes=IMAGE_SUFFIXES):
    """Fail early (before a long run) if ``path`` has an unsupported suffix or cannot be written."""
    _check_suffix(path, suffixes)
    check_writable(path)


def save_image(img, path):
    """Save a [1, 3, H, W] tensor in [0, 1] (or a PIL image) to ``path``, atomically. Format from the suffix."""
    _check_suffix(path, IMAGE_SUFFIXES)  # atomic_write checks that the path can be written
    pil = img if isinstance(img, Image.Image) else to_pil(img)
    fmt = Image.registered_extensions()[Path(path).suffix.lower()]
    return atomic_write(path, lambda tmp: pil.save(tmp, format=fmt))


def save_gif(frames, path, duration_ms=80):
    """Save a list of images ([1, 3, H, W] tensors or PIL images) as a looping GIF, atomically.

    The last frame is held three times as long, so the result stays on screen before the loop restarts.
    """
    _check_suffix(path, (".gif",))
    if not frames:
        raise NSTError("no frames to save: run at least one step")
    pils = [f if isinstance(f, Image.Image) else to_pil(f) for f in frames]
    durations = [duration_ms] * (len(pils) - 1) + [duration_ms * 3]
    return atomic_write(
        path,
        lambda tmp: pils[0].save(tmp, format="GIF", save_all=True, append_images=pils[1:], duration=durations, loop=0),
    )
