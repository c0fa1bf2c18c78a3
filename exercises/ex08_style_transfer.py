"""Exercise 8 — style transfer, assembled from your own pieces of exercises 1, 2, 4, 5 and 6.

    1. P = features of the content image at ``content_layer``; A^l = Gram matrices of the style
       image's features at each style layer (computed once, with no gradient: torch.no_grad()).
    2. x ← a copy of the content image. Repeat ``steps`` times:
       L = α · content_loss(F, P) + β · style_loss({F^l}, {A^l})      (α = content_weight, β = style_weight,
                                                                       w_l = 1/L: weights=None)
       record L.item();  x ← adam_step(x, ∇x L, state, lr);  x ← x.clamp(0, 1)

The features of an RGB image img are extract_features(model, preprocess(img), layers): the model
here uses Caffe weights, which is exactly what your preprocess does. The optimisation variable is
the RGB image x itself: autograd goes through preprocess and the network to reach it.

Reference: `nst_teach.transfer.style_transfer_by_hand`. The grader runs yours and the reference for
a few steps on small images and compares x and the losses.

Check your work:  nst-teach grade ex08   (or in a notebook: check("ex08"))
"""

import torch
from ex01_preprocess import preprocess
from ex02_features import extract_features
from ex04_content_loss import content_loss
from ex05_style_loss import style_loss
from ex06_gradient_descent import AdamState, adam_step

from nst_teach.gram import gram_matrix  # torch Gram of [N, H, W] features → [N, N] (your exercise 3 is numpy)


def style_transfer_by_hand(model, content, style, *, steps=100, lr=0.02, content_weight=1.0, style_weight=10.0,
                           content_layer="relu4_2", style_layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")):
    """The whole algorithm in one short loop, built only from the pieces of the lessons.

    model: `nst_teach.load_vgg19(...)`; content, style: [1, 3, H, W] RGB in [0, 1].
    Returns (x, losses): x the stylised image [1, 3, H, W] in [0, 1], losses the list of L (floats),
    one per step, each computed before that step's update.
    """
    # TODO: Exercise 8 — implement this.
    raise NotImplementedError("Exercise 8: not attempted yet")
