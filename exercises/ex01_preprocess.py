"""Exercise 1 — preprocessing: turn an RGB image into what VGG-19 was trained on, and back.

The original VGG-19 (Caffe, used by Gatys et al.) was trained on BGR images on the 0–255 scale with
the ImageNet mean colour subtracted:

    preprocess:  x   = flip_RGB→BGR(255 · img) − (103.939, 116.779, 123.68)     (mean in B, G, R order)
    deprocess:   img = flip_BGR→RGB(x + (103.939, 116.779, 123.68)) / 255      (the exact inverse)

Images are torch tensors [B, 3, H, W] or [3, H, W] (channels on axis −3), float32, RGB in [0, 1].
Use torch operations only, so autograd can go through preprocess (exercise 8 needs that), and do
not modify the input. Reference: `nst_teach.preprocess.preprocess(img, "caffe")`.

Check your work:  nst-teach grade ex01   (or in a notebook: from nst_teach.grading import check; check("ex01"))
"""

import torch


def preprocess(img):
    """RGB image in [0, 1] → Caffe network input: x = flip_RGB→BGR(255 · img) − (103.939, 116.779, 123.68).

    img: [B, 3, H, W] or [3, H, W] float32, RGB in [0, 1]. Returns the same shape; channel 0 is blue,
    values roughly in [−124, 152]. Shapes: the channel axis is the third from the end in both layouts,
    and a mean of shape (3, 1, 1) broadcasts over H and W (and the batch).
    """
    # TODO: Exercise 1 — implement this.
    raise NotImplementedError("Exercise 1: not attempted yet")


def deprocess(x):
    """Caffe network input → RGB image in [0, 1]: img = flip_BGR→RGB(x + (103.939, 116.779, 123.68)) / 255.

    x: [B, 3, H, W] or [3, H, W], BGR. Returns the same shape, RGB. The exact inverse of preprocess
    (no clipping): deprocess(preprocess(img)) == img up to float rounding.
    """
    # TODO: Exercise 1 — implement this.
    raise NotImplementedError("Exercise 1: not attempted yet")
