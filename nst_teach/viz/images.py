"""Images side by side: grids, the content/style/result panel, sweeps, colour channels."""


from matplotlib.figure import Figure

from ..errors import NSTError
from .style import _show, _styled, to_array


@_styled
def image_grid(images, titles=None, ncols=4, size=3.0, title=None):
    """Images in a grid with ``ncols`` columns, each with an optional title above it. One axes per image."""
    if not len(images):
        raise NSTError("image_grid needs at least one image")
    titles = list(titles) if titles is not None else [None] * len(images)
    if len(titles) != len(images):
        raise NSTError(f"got {len(images)} images but {len(titles)} titles: give one title per image")
    ncols = max(1, min(ncols, len(images)))
    nrows = -(-len(images) // ncols)  # ceil
    aspect = _aspect(images[0])
    fig = Figure(figsize=(size * ncols, size * aspect * nrows + (0.4 if title else 0) + 0.35 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, img, t in zip(axes, images, titles):
        _show(ax, img, t)
    for ax in axes[len(images):]:
        fig.delaxes(ax)  # an incomplete last row: no empty frames
    if title:
        fig.suptitle(title)
    return fig


def _aspect(img):
    arr = to_array(img)
    return arr.shape[0] / arr.shape[1]


def panel(content, style, result, titles=("content", "style", "result"), title=None):
    """The classic content | style | result strip (three axes)."""
    return image_grid([content, style, result], titles=titles, ncols=3, size=3.5, title=title)


def sweep_grid(images, labels, ncols=None, title=None):
    """Results of a hyperparameter sweep side by side, each labelled (e.g. "β = 1e3")."""
    return image_grid(images, titles=[str(label) for label in labels], ncols=ncols or len(images), title=title)


@_styled
def channel_views(img, names=None, title=None, show_image=True):
    """An image and each of its channels as a grey map with a colour bar (lesson 1).

    img: [1, C, H, W] or [C, H, W] tensor — an RGB image in [0, 1] or a preprocessed network input
    (then the colour bars show the real value range, e.g. −124…152 for Caffe). names: one label per
    channel (default: R, G, B). The composite picture is shown first only when the values are in
    [0, 1] (a preprocessed tensor is not a picture). Axes: (1 +) C images, plus C colour bars.
    """
    x = img.detach().cpu().float()
    x = x[0] if x.dim() == 4 else x
    if x.dim() != 3:
        raise NSTError(f"expected an image tensor [1, C, H, W], got shape {tuple(img.shape)}")
    C = x.shape[0]
    names = list(names) if names is not None else (["R", "G", "B"] if C == 3 else [f"channel {i}" for i in range(C)])
    composite = show_image and C == 3 and x.min() >= 0 and x.max() <= 1
    n = C + int(composite)
    fig = Figure(figsize=(3.4 * n, 3.4 * x.shape[1] / x.shape[2] + 0.8), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False)[0]
    if composite:
        _show(axes[0], x, "image (RGB)")
    for ax, channel, name in zip(axes[int(composite):], x, names):
        im = ax.imshow(channel.numpy(), cmap="gray")
        ax.set_title(name)
        ax.set_axis_off()
        fig.colorbar(im, ax=ax, shrink=0.8)
    if title:
        fig.suptitle(title)
    return fig
