"""Step 1: named sample images, so every lesson and CLI example can start without hunting for files.

Two kinds of samples:

* photos (content images) that ship inside scikit-image and matplotlib — no download needed;
* styles, the procedural paintings of `nst_teach.styles`, drawn at size 512 with seed 0.

`sample_path(name)` turns a name into a PNG file, written once into a cache directory and reused
afterwards, so a sample can go wherever an image path is expected. The cache file names carry a
version tag (``cat-v1.png``): when a generator changes we bump `CACHE_VERSION` and stale files are
simply never read again.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from nst_teach import styles
from nst_teach.errors import NSTError
from nst_teach.files import atomic_write

CACHE_VERSION = "v1"
STYLE_SIZE, STYLE_SEED = 512, 0


@dataclass(frozen=True)
class Sample:
    """One named sample: kind is "photo" (a content image) or "style" (a painting)."""

    name: str
    kind: str
    description: str


# name → (where the pixels come from, one-line description with credit)
_PHOTOS = {
    "cat": ("skimage:chelsea", "Chelsea the cat (Stefan van der Walt, via scikit-image)"),
    "astronaut": ("skimage:astronaut", "astronaut Eileen Collins (NASA, via scikit-image)"),
    "coffee": ("skimage:coffee", "a cup of coffee (Rachel Michetti, via scikit-image)"),
    "rocket": ("skimage:rocket", "Falcon 9 launching DSCOVR (SpaceX, via scikit-image)"),
    "hubble_deep_field": ("skimage:hubble_deep_field", "Hubble eXtreme Deep Field (NASA, via scikit-image)"),
    "grace_hopper": ("matplotlib:grace_hopper.jpg", "Rear Admiral Grace Hopper (US Navy, via matplotlib)"),
}
_STYLES = {
    "political_drama": "procedural, after Robert Delaunay's Political Drama",
    "pointillism": "procedural, after Paul Signac's Cassis, Cap Lombard",
    "ben_day": "procedural, after Roy Lichtenstein's Ben-Day dot comics",
    "starry_night": "procedural, after Vincent van Gogh's The Starry Night",
}


def list_samples():
    """All samples, photos first then styles: a list of `Sample`."""
    photos = [Sample(name, "photo", text) for name, (_, text) in _PHOTOS.items()]
    paintings = [Sample(name, "style", text) for name, text in _STYLES.items()]
    return photos + paintings


def is_sample(name):
    """True if `name` names a sample (e.g. "cat"), False for anything else such as a file path."""
    return name in _PHOTOS or name in _STYLES


def default_cache_dir():
    """Where samples are cached: $NST_TEACH_CACHE, else $XDG_CACHE_HOME/nst-teach, else
    ~/.cache/nst-teach. Read from the environment on each call, so tests can redirect it."""
    if os.environ.get("NST_TEACH_CACHE"):
        return Path(os.environ["NST_TEACH_CACHE"]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "nst-teach"
    return Path.home() / ".cache" / "nst-teach"


def sample_path(name, cache_dir=None):
    """Path of the sample's PNG file in `cache_dir` (default: `default_cache_dir()`).

    The first call renders the image and writes it (atomically, see `files.atomic_write`); later
    calls just return the path.
    """
    if not is_sample(name):
        raise NSTError(f"unknown sample {name!r}: choose one of {', '.join(_names())} "
                       "(see `nst-teach samples`)")
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = folder / f"{name}-{CACHE_VERSION}.png"
    if path.exists():
        return path
    pixels = sample_array(name)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Atomic (temporary file, then rename): a crash or a parallel run never leaves half a PNG.
        atomic_write(path, lambda tmp: Image.fromarray(pixels).save(tmp, format="PNG"))
    except (OSError, NSTError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not writable"
        raise NSTError(f"cannot write sample {name!r} to {folder} ({reason}): "
                       "set NST_TEACH_CACHE to a writable directory") from err
    return path


def sample_array(name):
    """The sample's pixels, freshly rendered: uint8 array (H, W, 3), RGB."""
    if name in _STYLES:
        return styles.STYLES[name](size=STYLE_SIZE, seed=STYLE_SEED)
    if name in _PHOTOS:
        return _load_photo(_PHOTOS[name][0])
    raise NSTError(f"unknown sample {name!r}: choose one of {', '.join(_names())} "
                   "(see `nst-teach samples`)")


def _names():
    return [sample.name for sample in list_samples()]


def _load_photo(source):
    """Read a photo shipped inside a package: "skimage:<function>" or "matplotlib:<file>"."""
    package, item = source.split(":")
    if package == "skimage":
        import skimage.data  # imported here: loading skimage is slow and only photos need it

        pixels = getattr(skimage.data, item)()
    else:
        from matplotlib import cbook

        with Image.open(cbook.get_sample_data(item, asfileobj=False)) as image:
            pixels = np.asarray(image.convert("RGB"))
    return _as_rgb_uint8(pixels)


def _as_rgb_uint8(pixels):
    """Grey (H, W) or RGBA (H, W, 4) → RGB (H, W, 3) uint8."""
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        pixels = np.stack([pixels] * 3, axis=-1)  # (H, W) → (H, W, 3)
    return np.ascontiguousarray(pixels[..., :3], dtype=np.uint8)
