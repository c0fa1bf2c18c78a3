"""A feature-map viewer with dropdowns and a slider, for a notebook or a lecture."""

import io

import matplotlib
import matplotlib.ticker
import torch
from matplotlib.figure import Figure

from ..features import extract_features
from ..images import load_image
from ..preprocess import preprocess
from ..vgg import TORCHVISION_INDEX, canonical_layer_name, load_vgg19
from .features import feature_grid
from .style import FEATURE_CMAP, SLIDE_STYLE, _show


def interactive_viewer(images=("cat", "astronaut", "coffee", "starry_night"), layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
                       size=128, model=None):
    """Pick an image, a layer and a channel; see that feature map next to the image (ipywidgets).

    Returns a VBox: the image and layer dropdowns, the channel slider (0 … N_l − 1) and the picture,
    an ``ipywidgets.Image`` redrawn on every change. images: sample names, paths or tensors. Features are computed once per (image, layer) and
    kept in this viewer's own cache. Without ipywidgets (or outside Jupyter) it prints a note and
    returns a static `feature_grid` of the first image instead, so a notebook still runs.
    """
    layers = [canonical_layer_name(layer) for layer in layers]
    model = model or load_vgg19(last_layer=max(layers, key=TORCHVISION_INDEX.get))
    cache = {}

    def features(source, layer):
        key = (source if isinstance(source, str) else id(source), layer)
        if key not in cache:
            img = load_image(source, size) if isinstance(source, str) else source
            x = preprocess(img, model.convention)  # extract_features moves it to the model's device
            with torch.no_grad():
                cache[key] = (img, extract_features(model, x, [layer])[layer].cpu())
        return cache[key]

    try:
        import ipywidgets as widgets
    except ImportError:
        print("ipywidgets is not installed: showing a static grid instead (pip install ipywidgets for the viewer)")
        first = images[0]
        return feature_grid({layer: features(first, layer)[1] for layer in layers}, channels=8)

    # Dropdown values are indices: widgets compare values with ==, which tensors do not support.
    labels = [(s if isinstance(s, str) else f"image {i}", i) for i, s in enumerate(images)]
    image = widgets.Dropdown(options=labels, description="image")
    layer = widgets.Dropdown(options=list(layers), description="layer")
    channel = widgets.IntSlider(value=0, min=0, max=features(images[0], layers[0])[1].shape[1] - 1,
                                description="channel", continuous_update=False)
    # The picture is a PNG in an Image widget: it is redrawn by replacing its bytes, which every
    # front end (JupyterLab, Notebook, VS Code) shows without capturing the kernel's display output.
    picture = widgets.Image(format="png")

    def draw(change=None):
        img, F = features(images[image.value], layer.value)  # F: [1, N_l, H_l, W_l]
        channel.max = F.shape[1] - 1  # clamps channel.value; the resulting change event redraws too
        c = channel.value
        with matplotlib.rc_context(SLIDE_STYLE):
            fig = Figure(figsize=(9, 4), layout="constrained")
            ax1, ax2 = fig.subplots(1, 2)
            _show(ax1, img, "input")
            im = ax2.imshow(F[0, c].numpy(), cmap=FEATURE_CMAP, interpolation="nearest")
            ax2.set_title(f"{layer.value}, channel {c} of {F.shape[1]} (mean {F[0, c].mean():.1f})")
            ax2.set_axis_off()
            fig.colorbar(im, ax=ax2, shrink=0.8)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100, facecolor="white")  # a Figure, not pyplot: nothing to close
        picture.value = buffer.getvalue()

    for control in (image, layer, channel):
        control.observe(draw, names="value")
    draw()
    return widgets.VBox([image, layer, channel, picture])
