"""Pictures of every step — images, feature maps, Gram matrices, losses, sweeps, animations.

Every function builds and returns a `matplotlib.figure.Figure` without touching pyplot, so nothing
is left open behind your back and the code runs on a headless server (Agg). In a notebook the
returned figure is shown when it is the last expression of a cell; elsewhere `save_figure(fig,
"out.png")` writes it (atomically). Sizes and fonts are chosen to be readable on a lecture slide.

Images may be given as tensors [1, 3, H, W] or [3, H, W] in [0, 1], PIL images, or arrays (H, W, 3).
Feature maps are tensors [1, N_l, H_l, W_l] (or [N_l, H_l, W_l]), as `extract_features` returns them.
"""

from .curves import animation_figure, animation_frames, loss_curves, optimisation_paths, show_animation
from .features import (channels_per_layer, compare_features, feature_grid, heatmap_grid, matrix_heatmaps,
                        receptive_field_chart, select_channels)
from .images import channel_views, image_grid, panel, pyramid_bands, sweep_grid
from .interactive import interactive_viewer
from .style import FEATURE_CMAP, MATRIX_CMAP, SLIDE_STYLE, save_figure, to_array

__all__ = [
    "animation_figure", "animation_frames", "loss_curves", "optimisation_paths", "show_animation",
    "channels_per_layer", "compare_features", "feature_grid", "heatmap_grid", "matrix_heatmaps",
    "receptive_field_chart", "select_channels", "channel_views", "image_grid", "panel", "pyramid_bands", "sweep_grid",
    "interactive_viewer", "FEATURE_CMAP", "MATRIX_CMAP", "SLIDE_STYLE", "save_figure", "to_array",
]
