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


def pyramid_bands(img, coarsest=8, title=None):
    """The Laplacian pyramid of ``img`` (`nst_teach.pyramid`): each band L_k, then the low-pass residual.

    x = L_0 + up(L_1 + up(L_2 + … up(L_K))). A band holds positive and negative values around 0: it is
    drawn as 0.5 + L_k / (2 max|L_k|) (grey = 0, each band stretched on its own, so fine bands show);
    the residual L_K is an ordinary small image. Titles give each level's size and how many pixels one
    of its coefficients moves (2^k × 2^k). ``coarsest``: the shortest side the pyramid goes down to, as
    `TransferConfig.pyramid_coarsest`. Returns the figure and, as ``fig.bands``, the list [L_0, …, L_K].
    """
    import torch

    from .. import pyramid

    x = img if torch.is_tensor(img) else torch.as_tensor(to_array(img)).permute(2, 0, 1)
    x = (x if x.dim() == 4 else x.unsqueeze(0)).float()  # (1, 3, H, W)
    bands = pyramid.decompose(x, pyramid.levels_for(x.shape, coarsest))
    shown, titles = [], []
    for k, band in enumerate(bands):
        h, w = band.shape[-2:]
        if k < len(bands) - 1:
            shown.append((0.5 + band / (2 * band.abs().max().clamp_min(1e-8))).clamp(0, 1))
            titles.append(f"band L_{k}: {h}×{w}\na coefficient moves {2**k}×{2**k} px")
        else:
            shown.append(band.clamp(0, 1))
            titles.append(f"residual L_{k}: {h}×{w}\na coefficient moves {2**k}×{2**k} px")
    fig = image_grid(shown, titles, ncols=len(shown), size=2.6, title=title)
    fig.bands = bands
    return fig
