"""Exercise 1, preprocess / deprocess (Caffe): its checks and its named mistakes.

preprocess: x = flip_RGB→BGR(255 · img) − (103.939, 116.779, 123.68); deprocess is its exact inverse.
Checked on one orange pixel worked out by hand, random images of three shapes and a photo, values outside
[0, 1] (no clipping), autograd, and inputs left unchanged. Reference: `nst_teach.preprocess`.
"""

import torch

from ..preprocess import CAFFE_MEAN_BGR, _channel_constant, deprocess, preprocess
from .compare import gradient, judge, judge_cases, unchanged
from .inputs import rand
from .spec import Check, Exercise, mistakes

_c = _channel_constant  # (3, 1, 1) constant on x's device and dtype
_MEAN_BGR, _MEAN_RGB = CAFFE_MEAN_BGR, CAFFE_MEAN_BGR[::-1]
_preprocess = preprocess


# ----------------------------------------------------------------------------- named mistakes
def _preprocess_inverse(x):
    return (x + _c(_MEAN_BGR, x)).flip(-3) / 255.0  # the right deprocess (Caffe)


MISTAKES = mistakes([
    ("pre_no_bgr", "preprocess", "RGB→BGR swap missing: Caffe's VGG was trained on BGR images, so channel 0 must be blue: "
     "flip the channel axis (img.flip(-3)) before subtracting the mean",
     lambda img: img * 255.0 - _c(_MEAN_BGR, img)),
    ("pre_mean_rgb_order", "preprocess", "mean subtracted in RGB order: after the flip the channels are B, G, R, so subtract "
     "(103.939, 116.779, 123.68), blue's mean first",
     lambda img: img.flip(-3) * 255.0 - _c(_MEAN_RGB, img)),
    ("pre_no_255", "preprocess", "×255 forgotten: Caffe's means are on the 0–255 scale; multiply the [0, 1] image by 255 first",
     lambda img: img.flip(-3) - _c(_MEAN_BGR, img)),
    ("pre_no_mean", "preprocess", "mean not subtracted: Caffe's convention is x = BGR(255·img) − (103.939, 116.779, 123.68)",
     lambda img: img.flip(-3) * 255.0),
    ("pre_torchvision", "preprocess", "that is the torchvision convention (img − mean) / std; this exercise is Caffe's: "
     "x = BGR(255·img) − (103.939, 116.779, 123.68)",
     lambda img: _preprocess(img, "torchvision")),
    ("pre_flip_last_axis", "preprocess", "flipped the last axis (the image's width): in [B, 3, H, W] the channels are axis −3, "
     "not the last axis as in numpy/PIL's H×W×3 images",
     lambda img: img.flip(-1) * 255.0 - _c(_MEAN_BGR, img)),
    ("pre_flip_axis1", "preprocess", "flipped axis 1, which is the channel axis only when there is a batch axis: use axis −3 "
     "so [3, H, W] images work too",
     lambda img: img.flip(1) * 255.0 - _c(_MEAN_BGR, img)),
    ("pre_div_255", "preprocess", "divided by 255 instead of multiplying: the image is on [0, 1] and Caffe's scale is "
     "0–255, so x = BGR(255 · img) − mean",
     lambda img: img.flip(-3) / 255.0 - _c(_MEAN_BGR, img)),
    ("pre_mean_before_255", "preprocess", "mean subtracted before the ×255: the means (103.939, …) are on the 0–255 "
     "scale, so scale first, BGR(255 · img) − mean, not 255 · (BGR(img) − mean)",
     lambda img: (img.flip(-3) - _c(_MEAN_BGR, img)) * 255.0),
    ("pre_grey_mean", "preprocess", "one mean for all three channels (the average of the three): subtract each "
     "channel's own mean, (103.939, 116.779, 123.68) for B, G, R",
     lambda img: img.flip(-3) * 255.0 - sum(_MEAN_BGR) / 3.0),
    ("de_divide_before_mean", "deprocess", "divided by 255 before adding the mean back: undo preprocess in reverse order, "
     "add the mean (0–255 scale) first, then divide by 255",
     lambda x: (x / 255.0 + _c(_MEAN_BGR, x)).flip(-3)),
    ("de_no_flip", "deprocess", "deprocess does not flip BGR back to RGB: reds and blues come out swapped",
     lambda x: (x + _c(_MEAN_BGR, x)) / 255.0),
    ("de_mean_sign", "deprocess", "deprocess subtracts the mean again: to undo preprocess, *add* it back",
     lambda x: (x - _c(_MEAN_BGR, x)).flip(-3) / 255.0),
    ("de_no_255", "deprocess", "deprocess does not divide by 255: the result must be back in [0, 1]",
     lambda x: (x + _c(_MEAN_BGR, x)).flip(-3)),
    ("de_clamped", "deprocess", "deprocess clips to [0, 1]: no clipping — during optimisation x leaves the image range, "
     "and deprocess must give back exactly the image preprocess received",
     lambda x: _preprocess_inverse(x).clamp(0.0, 1.0)),
    ("de_mean_rgb_order", "deprocess", "deprocess adds the mean in the wrong channel order: x is BGR, so add "
     "(103.939, 116.779, 123.68) *before* flipping back to RGB (or add it in R, G, B order after)",
     lambda x: (x.flip(-3) + _c(_MEAN_BGR, x)) / 255.0),
])


# ----------------------------------------------------------------------------- checks
def _ref_pre(img):
    return preprocess(img, "caffe")


def _ref_de(x):
    return deprocess(x, "caffe")


def _images(inputs):
    return [rand(1, 1, 3, 4, 5), rand(2, 2, 3, 3, 7), rand(3, 3, 6, 4), inputs.photo("cat")]


def _ex01_pixel(s, inputs):
    """One pure-orange pixel RGB (1, 0.5, 0): BGR·255 = (0, 127.5, 255) minus the mean → (−103.939, 10.721, 131.32)."""
    pixel = torch.tensor([1.0, 0.5, 0.0]).view(1, 3, 1, 1)
    expected = torch.tensor([-103.939, 10.721, 131.32]).view(1, 3, 1, 1)
    judge("preprocess(orange pixel RGB (1, 0.5, 0))", lambda f: f(pixel.clone()), s.preprocess, lambda img: expected,
          EXERCISE.mistakes_of("preprocess"), rtol=1e-5, atol=1e-3)


def _ex01_preprocess(s, inputs):
    cases = [(f"preprocess(img) for img of shape {tuple(img.shape)}", lambda f, img=img: f(img.clone()))
             for img in _images(inputs)]
    judge_cases(cases, s.preprocess, _ref_pre, EXERCISE.mistakes_of("preprocess"), rtol=1e-5, atol=1e-4)


def _ex01_deprocess(s, inputs):
    cases = [(f"deprocess(preprocess(img)) for img of shape {tuple(img.shape)}, which should give img back",
              lambda f, x=_ref_pre(img): f(x.clone())) for img in _images(inputs)]
    # During optimisation x leaves [0, 1]; deprocess must still invert preprocess exactly (no clipping).
    img = 2.0 * rand(38, 1, 3, 4, 5) - 0.5  # values in [−0.5, 1.5]
    cases.append(("deprocess(preprocess(img)) for img with values outside [0, 1] (no clipping: img comes back)",
                  lambda f, x=_ref_pre(img): f(x.clone())))
    judge_cases(cases, s.deprocess, _ref_de, EXERCISE.mistakes_of("deprocess"), rtol=1e-5, atol=1e-5)


def _ex01_autograd(s, inputs):
    img = rand(4, 1, 3, 5, 6)
    unchanged("preprocess", lambda: s.preprocess(img), img)
    unchanged("deprocess", lambda: s.deprocess(img), img)
    gradient("preprocess", s.preprocess, _ref_pre, lambda: [img.clone()], 0)
    gradient("deprocess", s.deprocess, _ref_de, lambda: [_ref_pre(img)], 0)


EXERCISE = Exercise("ex01", "ex01_preprocess.py", "preprocess / deprocess (Caffe)", ("preprocess", "deprocess"), (
    Check("hand example: one orange pixel", 1, _ex01_pixel),
    Check("preprocess: random images and a photo", 2, _ex01_preprocess),
    Check("deprocess undoes preprocess", 2, _ex01_deprocess),
    Check("autograd works, inputs unchanged", 1, _ex01_autograd)),
    mistakes=MISTAKES, references=(preprocess, deprocess))
