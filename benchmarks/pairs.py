"""The benchmarks' photo/painting pairs: none of them is a sample of nst-teach.

Photos: scikit-image's motorcycle and retina, scikit-learn's china and flower (``pip install
scikit-learn``: only its two sample photos are used). Paintings: nst-teach's procedural painters
drawn with seeds the samples do not use, i.e. new compositions, at 1024 px on their longest side.
"""

from pathlib import Path

# name: (where the photo is, (painter, seed))
PAIRS = {
    "motorcycle": ("skimage:motorcycle_left.png", ("starry_night", 11)),
    "china": ("sklearn:china.jpg", ("political_drama", 5)),
    "flower": ("sklearn:flower.jpg", ("pointillism", 3)),
    "retina": ("skimage:retina.jpg", ("ben_day", 9)),
}
PAINTING_SIZE = 1024


def photo_path(where):
    """The path of a photo shipped by scikit-image or scikit-learn (a one-line SystemExit if missing)."""
    package, name = where.split(":")
    if package == "skimage":
        import skimage.data

        return Path(skimage.data.__file__).parent / name
    try:
        import sklearn.datasets
    except ImportError:
        raise SystemExit(f"the pair needs scikit-learn's {name}: pip install scikit-learn") from None
    return Path(sklearn.datasets.__file__).parent / "images" / name


def painting_path(painter, seed, folder):
    """The procedural painting ``painter`` drawn with ``seed``, written once as a PNG in ``folder``."""
    import numpy as np
    from PIL import Image

    from nst_teach import files, styles

    path = Path(folder) / f"{painter}_seed{seed}.png"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pixels = np.asarray(styles.STYLES[painter](size=PAINTING_SIZE, seed=seed))
        files.atomic_write(path, lambda tmp: Image.fromarray(pixels).save(tmp, format="PNG"))
    return path


def pair_paths(name, folder):
    """(photo path, painting path) of the pair ``name``; the painting is written into ``folder``."""
    if name not in PAIRS:
        raise SystemExit(f"unknown pair {name!r}: use {', '.join(PAIRS)}")
    where, (painter, seed) = PAIRS[name]
    return str(photo_path(where)), str(painting_path(painter, seed, folder))
