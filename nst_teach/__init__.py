"""nst-teach: neural style transfer (Gatys, Ecker & Bethge) to learn from, one concept per module.

The modules follow the lessons: images → preprocess → vgg → features → gram → losses → optim →
transfer → speed (a package: everything that only makes a run faster) → viz. Everything a notebook
needs is importable from here::

    import nst_teach as nt
    nt.gram_matrix(F)
"""

from .errors import NSTError
from .images import load_image, save_image
from .preprocess import deprocess, preprocess
from .vgg import LAYER_NAMES, canonical_layer_name, load_vgg19
from .features import extract_features
from .gram import correlation_matrix, covariance_matrix, gram_matrix
from .losses import content_loss, style_layer_loss, style_loss, total_loss, tv_loss
from .optim import adam_step, gradient_descent, gradient_descent_step, momentum_step
from .transfer import TransferConfig, TransferResult, style_transfer
from .lesson import lesson_setup

__version__ = "0.1.0"

__all__ = [
    "NSTError", "load_image", "save_image", "preprocess", "deprocess", "LAYER_NAMES", "canonical_layer_name",
    "load_vgg19", "extract_features", "gram_matrix", "covariance_matrix", "correlation_matrix",
    "content_loss", "style_layer_loss", "style_loss", "tv_loss", "total_loss", "gradient_descent_step",
    "momentum_step", "adam_step", "gradient_descent", "TransferConfig", "TransferResult", "style_transfer", "lesson_setup",
]
