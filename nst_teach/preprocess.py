"""Step 1 of the course: turning an image into what VGG-19 was trained on, and back.

A network only understands inputs prepared the way its training images were. Two conventions exist:

``"caffe"`` (the original Oxford VGG weights, used by Gatys et al. and by Keras):
    x = RGB→BGR(255 · img) − mean_BGR,   mean_BGR = (103.939, 116.779, 123.68)
    Values are roughly in [−124, 152]; channel 0 is *blue*.

``"torchvision"`` (PyTorch's re-trained weights):
    x = (img − mean_RGB) / std_RGB,   mean = (0.485, 0.456, 0.406), std = (0.229, 0.224, 0.225)
    Values are roughly in [−2.1, 2.6]; channel 0 is red.

`deprocess` undoes `preprocess` exactly, so ``deprocess(preprocess(img, c), c) == img`` up to float
rounding. Images here are always tensors ``[B, 3, H, W]`` (or ``[3, H, W]``), float32, RGB in [0, 1].
"""

import torch

from .errors import NSTError

CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)  # B, G, R on the 0–255 scale
IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
IMAGENET_STD_RGB = (0.229, 0.224, 0.225)
CONVENTIONS = ("caffe", "torchvision")


def _channel_constant(values, x):
    """A (3, 1, 1) tensor on x's device and dtype, so it broadcasts over [B, 3, H, W]."""
    return torch.tensor(values, dtype=x.dtype, device=x.device).view(3, 1, 1)


def _check(x, convention):
    if convention not in CONVENTIONS:
        raise NSTError(f"unknown preprocessing convention {convention!r}: use 'caffe' or 'torchvision'")
    if x.dim() not in (3, 4) or x.shape[-3] != 3:
        raise NSTError(f"expected an image tensor [B, 3, H, W] or [3, H, W], got shape {tuple(x.shape)}")


def preprocess(img, convention="caffe"):
    """RGB image in [0, 1] → network input in the given convention.

    caffe:       x = flip_RGB→BGR(255·img) − (103.939, 116.779, 123.68)
    torchvision: x = (img − (0.485, 0.456, 0.406)) / (0.229, 0.224, 0.225)

    img: [B, 3, H, W] or [3, H, W] float in [0, 1], RGB. Returns the same shape. Differentiable, so
    the optimiser can work on the RGB image and let autograd go through this step.
    """
    _check(img, convention)
    if convention == "caffe":
        bgr = img.flip(-3) * 255.0  # channel axis reversed: R,G,B → B,G,R
        return bgr - _channel_constant(CAFFE_MEAN_BGR, img)
    return (img - _channel_constant(IMAGENET_MEAN_RGB, img)) / _channel_constant(IMAGENET_STD_RGB, img)


def deprocess(x, convention="caffe"):
    """Network input → RGB image in [0, 1] (the exact inverse of `preprocess`; no clipping).

    caffe:       img = flip_BGR→RGB(x + mean_BGR) / 255
    torchvision: img = x · std + mean
    """
    _check(x, convention)
    if convention == "caffe":
        bgr = x + _channel_constant(CAFFE_MEAN_BGR, x)
        return bgr.flip(-3) / 255.0
    return x * _channel_constant(IMAGENET_STD_RGB, x) + _channel_constant(IMAGENET_MEAN_RGB, x)
