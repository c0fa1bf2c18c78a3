"""Pictures of every step — images, feature maps, Gram matrices, losses, sweeps, animations.

Every function builds and returns a `matplotlib.figure.Figure` without touching pyplot, so nothing
is left open behind your back and the code runs on a headless server (Agg). In a notebook the
returned figure is shown when it is the last expression of a cell; elsewhere `save_figure(fig,
"out.png")` writes it (atomically). Sizes and fonts are chosen to be readable on a lecture slide.

Images may be given as tensors [1, 3, H, W] or [3, H, W] in [0, 1], PIL images, or arrays (H, W, 3).
Feature maps are tensors [1, N_l, H_l, W_l] (or [N_l, H_l, W_l]), as `extract_features` returns them.
"""

import io
from pathlib import Path

import matplotlib
import matplotlib.ticker
import numpy as np
import torch
from matplotlib.figure import Figure

from .errors import NSTError
from .files import atomic_write

# Applied with `matplotlib.rc_context` inside each function, never globally.
SLIDE_STYLE = {
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "figure.titlesize": 14,
    "legend.fontsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
FEATURE_CMAP = "magma"  # dark = silent, bright = active; readable when projected
MATRIX_CMAP = "viridis"


def _styled(function):
    """Run ``function`` inside the slide style's rc_context (the style is read when artists are made)."""
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(SLIDE_STYLE):
            return function(*args, **kwargs)

    return wrapper


def to_array(img):
    """Tensor [1, 3, H, W] / [3, H, W], PIL image or array → float array (H, W, 3) in [0, 1]."""
    if torch.is_tensor(img):
        img = img.detach().cpu().float()
        if img.dim() == 4:
            if img.shape[0] != 1:
                raise NSTError(f"expected one image [1, 3, H, W], got a batch of {img.shape[0]}: pass img[i:i+1]")
            img = img[0]
        if img.dim() != 3 or img.shape[0] not in (1, 3):
            raise NSTError(f"expected an image tensor [1, 3, H, W], got shape {tuple(img.shape)}")
        return img.clamp(0, 1).permute(1, 2, 0).numpy()  # (H, W, C)
    arr = np.asarray(img)
    if arr.dtype == np.uint8:
        arr = arr / 255.0
    if arr.ndim != 3 or arr.shape[-1] not in (1, 3):
        raise NSTError(f"expected an image (H, W, 3), got an array of shape {arr.shape}")
    return np.clip(arr.astype(np.float32), 0, 1)


def _show(ax, img, title=None):
    arr = to_array(img)
    ax.imshow(arr if arr.shape[-1] == 3 else arr[..., 0], cmap=None if arr.shape[-1] == 3 else "gray", vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)


# ----------------------------------------------------------------------------- images


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


# ----------------------------------------------------------------------------- feature maps


def select_channels(F, channels=16, order="most_active"):
    """Indices of the channels to show: the ``channels`` with the largest mean activation
    (order="most_active", largest first) or simply the first ones (order="first").

    F: [1, N, H, W] or [N, H, W]. Mean activation of channel i = (1/M) Σ_k F_ik.
    """
    if not isinstance(channels, int) or channels < 1:
        raise NSTError(f"channels must be a whole number ≥ 1, got {channels!r}: e.g. --channels 16")
    F = F[0] if F.dim() == 4 else F
    n = min(channels, F.shape[0])
    if order == "first":
        return list(range(n))
    if order == "most_active":
        means = F.detach().float().mean(dim=(1, 2))  # (N,)
        return torch.argsort(means, descending=True, stable=True)[:n].tolist()
    raise NSTError(f"unknown channel order {order!r}: use 'most_active' or 'first'")


@_styled
def feature_grid(features, channels=16, order="most_active", title=None, ncols=None):
    """Feature maps as small images (bright = strongly active).

    features: a tensor [1, N, H, W] (→ a grid of ``channels`` maps, ``ncols`` per row, default 8)
    or a dict {layer name: tensor} (→ one row per layer, ``channels`` maps each, labelled with
    the layer's name and shape). order: "most_active" (largest mean activation first) or "first".
    Each map has its own colour scale, so weak layers are still visible.
    """
    if isinstance(features, dict):
        rows = [(name, F) for name, F in features.items()]
    elif torch.is_tensor(features):
        rows = [(None, features)]
    else:
        raise NSTError("feature_grid takes a tensor [1, N, H, W] or a dict {layer: tensor}")
    if not rows:
        raise NSTError("feature_grid got no layers: pass at least one feature map")
    for name, F in rows:
        if F.dim() not in (3, 4):
            raise NSTError(f"feature map {name or ''} must be [1, N, H, W], got shape {tuple(F.shape)}")
    picked = [(name, F[0] if F.dim() == 4 else F, select_channels(F, channels, order)) for name, F in rows]
    if len(picked) == 1 and picked[0][0] is None:  # a single tensor: wrap its channels over rows
        name, F, idx = picked[0]
        ncols = ncols or min(8, len(idx))
        layout = [(name, F, idx[i:i + ncols]) for i in range(0, len(idx), ncols)]
    else:
        layout = picked
    ncols = max(len(idx) for _, _, idx in layout)
    fig = Figure(figsize=(1.5 * ncols + 0.6, 1.6 * len(layout) + (0.5 if title else 0.1)), layout="constrained")
    axes = fig.subplots(len(layout), ncols, squeeze=False)
    for r, (name, F, idx) in enumerate(layout):
        for c, ax in enumerate(axes[r]):
            if c >= len(idx):
                fig.delaxes(ax)
                continue
            fmap = F[idx[c]].detach().cpu().float().numpy()  # (H_l, W_l)
            ax.imshow(fmap, cmap=FEATURE_CMAP, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"#{idx[c]}", fontsize=9)
            if c == 0 and name is not None:
                ax.set_ylabel(f"{name}\n{F.shape[0]}×{F.shape[1]}×{F.shape[2]}", fontsize=11)
    if title:
        fig.suptitle(title)
    return fig


@_styled
def matrix_heatmaps(F, channels=None, title=None):
    """Gram G = F Fᵀ, covariance C and correlation R of one layer, side by side with colour bars.

    F: features [1, N, H, W], [N, H, W] or a matrix [N, M]. channels: keep only the first
    ``channels`` filters (a 512×512 heatmap is unreadable on a slide). Axes: 3 heatmaps + 3 colour bars.
    Correlation entries of filters that never vary are undefined (NaN) and shown in grey.
    """
    from .gram import correlation_matrix, covariance_matrix, gram_matrix

    F = torch.as_tensor(F).detach().cpu().double()
    F = F[0] if F.dim() == 4 else F
    if channels is not None:
        F = F[:channels]
    N = F.shape[0]
    mats = [
        ("Gram  G = F Fᵀ", gram_matrix(F)),
        ("covariance  C", covariance_matrix(F)),
        ("correlation  R", correlation_matrix(F)),
    ]
    fig = Figure(figsize=(14, 4.6 + (0.4 if title else 0)), layout="constrained")
    axes = fig.subplots(1, 3)
    for ax, (name, M) in zip(axes, mats):
        cmap = matplotlib.colormaps[MATRIX_CMAP if "correlation" not in name else "coolwarm"].with_extremes(bad="0.7")
        kwargs = dict(vmin=-1, vmax=1) if "correlation" in name else {}
        im = ax.imshow(M.numpy(), cmap=cmap, interpolation="nearest", **kwargs)
        ax.set_title(f"{name}   ({N}×{N})")
        ax.set_xlabel("filter j")
        ax.set_ylabel("filter i")
        fig.colorbar(im, ax=ax, shrink=0.85)
    if title:
        fig.suptitle(title)
    return fig


def channels_per_layer(features, channels=3, layers=None):
    """{layer: channel indices}: the same indices at every layer (a list such as [3, 17, 42]),
    given per layer (a dict), or the ``channels`` most active ones of ``features`` (an int).

    features: {layer: F [1, N, H, W]} of the image the choice is made on (e.g. the photo).
    An index a layer does not have is an error that says how many channels the layer has.
    """
    layers = list(layers or features)
    if isinstance(channels, dict):
        chosen = {layer: list(channels[layer]) for layer in layers}
    elif isinstance(channels, int):
        chosen = {layer: select_channels(features[layer], channels) for layer in layers}
    else:
        chosen = {layer: list(channels) for layer in layers}
    for layer, idx in chosen.items():
        N = features[layer].shape[-3]
        bad = [i for i in idx if not (isinstance(i, int) and 0 <= i < N)]
        if bad or not idx:
            raise NSTError(f"{layer} has {N} channels (0 … {N - 1}): channel {bad[0] if bad else '(none)'} does not exist")
    return chosen


@_styled
def compare_features(images, channels=3, title=None, size=1.5):
    """The same channels of several images side by side: one row per layer, one colour scale per row.

    images: {label: {layer: F [1, N, H, W]}}, e.g. {"photo": …, "step 10": …, "style": …}, each with
    the same layers (the spatial sizes may differ). channels: see `channels_per_layer` (an int picks
    the most active channels of the *first* image). Within a row every map is drawn from 0 (silent)
    to the largest value in the row, so a brighter map really is a stronger response, image against
    image. Titles "label #i". Returns the figure; ``fig.channels`` = {layer: indices},
    ``fig.limits`` = {layer: (vmin, vmax)}.
    """
    if not images:
        raise NSTError("compare_features needs at least one image: {label: {layer: features}}")
    first = next(iter(images.values()))
    layers = list(first)
    for label, feats in images.items():
        missing = [layer for layer in layers if layer not in feats]
        if missing:
            raise NSTError(f"{label!r} has no features at {', '.join(missing)}: give every image the same layers")
    chosen = channels_per_layer(first, channels, layers)
    ncols = max(len(chosen[layer]) * len(images) for layer in layers)
    fig = Figure(figsize=(size * ncols + 0.9, (size + 0.25) * len(layers) + (0.5 if title else 0.1)), layout="constrained")
    axes = fig.subplots(len(layers), ncols, squeeze=False)
    limits = {}
    for r, layer in enumerate(layers):
        idx = chosen[layer]
        maps = [(label, i, feats[layer].detach().cpu().float().reshape(-1, *feats[layer].shape[-2:])[i].numpy())
                for label, feats in images.items() for i in idx]  # (H_l, W_l) each
        vmax = max(float(m.max()) for _, _, m in maps)
        limits[layer] = (0.0, vmax if vmax > 0 else 1.0)
        for c, ax in enumerate(axes[r]):
            if c >= len(maps):
                fig.delaxes(ax)
                continue
            label, i, fmap = maps[c]
            ax.imshow(fmap, cmap=FEATURE_CMAP, interpolation="nearest", vmin=limits[layer][0], vmax=limits[layer][1])
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{label} #{i}", fontsize=9)
            if c == 0:
                ax.set_ylabel(layer, fontsize=11)
    if title:
        fig.suptitle(title)
    fig.channels, fig.limits = chosen, limits
    return fig


@_styled
def heatmap_grid(rows, shared="row", cmap=MATRIX_CMAP, title=None, size=2.4):
    """2-D maps in a grid: {row label: {column label: array or tensor (H, W)}}, with colour bars.

    shared: "row" (one colour scale per row: the maps of a row are comparable, e.g. the Gram matrix
    of the result and of the style image at one layer), "all" (one scale for the whole grid) or None
    (each map its own). One colour bar per row ("row", "all") or per map (None).
    Used for the per-position content error |F − P|² (lesson 4) and Gram matrices (lesson 5).
    """
    if not rows or not all(rows.values()):
        raise NSTError("heatmap_grid needs {row: {column: 2-D map}} with at least one map per row")
    if shared not in ("row", "all", None):
        raise NSTError(f"shared must be 'row', 'all' or None, got {shared!r}")
    arrays = {r: {c: np.asarray(torch.as_tensor(m).detach().cpu().float().squeeze()) for c, m in cols.items()}
              for r, cols in rows.items()}
    everything = [m for cols in arrays.values() for m in cols.values()]
    if any(m.ndim != 2 for m in everything):
        raise NSTError("heatmap_grid draws 2-D maps: give (H, W) arrays (sum the channels first)")
    ncols = max(len(cols) for cols in arrays.values())
    fig = Figure(figsize=(size * ncols + 1.2, size * len(arrays) + (0.5 if title else 0.1)), layout="constrained")
    axes = fig.subplots(len(arrays), ncols, squeeze=False)
    overall = (min(float(m.min()) for m in everything), max(float(m.max()) for m in everything))
    for r, (row, cols) in enumerate(arrays.items()):
        maps = list(cols.values())
        limits = overall if shared == "all" else (min(float(m.min()) for m in maps), max(float(m.max()) for m in maps))
        for c, ax in enumerate(axes[r]):
            if c >= len(maps):
                fig.delaxes(ax)
                continue
            kwargs = dict(vmin=limits[0], vmax=limits[1]) if shared else {}
            im = ax.imshow(maps[c], cmap=cmap, interpolation="nearest", **kwargs)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(list(cols)[c], fontsize=10)
            if c == 0:
                ax.set_ylabel(row, fontsize=11)
            if shared is None or c == len(maps) - 1:
                fig.colorbar(im, ax=ax if shared is None else list(axes[r][: len(maps)]), shrink=0.85)
    if title:
        fig.suptitle(title)
    return fig


@_styled
def receptive_field_chart(rows=None, title="Receptive field of each VGG-19 layer"):
    """Bar chart of the receptive field r (input pixels) of every ReLU and pool (one axes)."""
    from .anatomy import architecture

    rows = [r for r in (rows or architecture()) if r.kind != "conv"]
    fig = Figure(figsize=(12, 4.2), layout="constrained")
    ax = fig.subplots()
    colours = matplotlib.colormaps["viridis"](np.linspace(0.1, 0.85, 5))
    ax.bar(range(len(rows)), [r.receptive_field for r in rows], color=[colours[int(r.name[4]) - 1] for r in rows])
    ax.axhline(224, color="0.4", ls="--", lw=1)
    ax.text(0, 230, "224 px: VGG's training image size", color="0.3", fontsize=10)
    ax.set_xticks(range(len(rows)), [r.name for r in rows], rotation=60, ha="right")
    ax.set_ylabel("receptive field (pixels)")
    for i, r in enumerate(rows):
        ax.text(i, r.receptive_field + 4, str(r.receptive_field), ha="center", fontsize=8)
    ax.set_title(title)
    return fig


# ----------------------------------------------------------------------------- losses


def _series(history):
    """A history in any of its forms → {key: list of floats}.

    Accepts a `TransferResult`, its ``.history`` (list of dicts with 'content', 'style', 'total'…)
    or a plain list of loss values (→ {"loss": values}).
    """
    history = getattr(history, "history", history)
    if not len(history):
        raise NSTError("empty loss history: run at least one step")
    if isinstance(history[0], dict):
        keys = [k for k in ("content", "style", "tv", "total") if k in history[0]]
        return {k: [float(h[k]) for h in history] for k in keys}
    return {"loss": [float(v) for v in history]}


@_styled
def loss_curves(history, log=True, keys=None, title=None):
    """Loss against step, on a log scale by default. One axes per loss term (content, style, total).

    history: a `TransferResult`, its ``.history``, a list of floats, or a dict {label: any of those}
    (e.g. one history per optimiser or per style weight) drawn as one line per label. Terms that
    are zero all along (tv when λ_tv = 0) are left out. Raw content/style values are unweighted;
    total = α·content + β·style (+ λ_tv·tv).
    """
    runs = history if isinstance(history, dict) else {None: history}
    series = {label: _series(h) for label, h in runs.items()}
    if keys is None:
        keys = []
        for s in series.values():
            keys += [k for k in s if k not in keys and any(v != 0 for v in s[k])]
        keys = keys or list(next(iter(series.values())))
    fig = Figure(figsize=(4.6 * len(keys) + 0.4, 3.8 + (0.4 if title else 0)), layout="constrained")
    axes = fig.subplots(1, len(keys), squeeze=False)[0]
    for ax, key in zip(axes, keys):
        for label, s in series.items():
            if key in s:
                values = np.asarray(s[key], dtype=float)
                ax.plot(np.arange(1, len(values) + 1), values, label=label, lw=2)
        if log:
            ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_title(f"{key} loss" if key != "loss" else "loss")
        ax.grid(True, which="major", alpha=0.3)
        if len(series) > 1 or None not in series:
            ax.legend()
    if title:
        fig.suptitle(title)
    return fig


@_styled
def optimisation_paths(loss_fn, paths, xlim=(0, 1), ylim=(0, 1), levels=20, title=None):
    """Paths of optimisers over the contour lines of a 2-parameter loss (lesson 6). One axes.

    loss_fn: maps a tensor [2] to a scalar tensor. paths: {label: tensor or array [T, 2]} of the
    points visited (the start included).
    """
    xs, ys = np.linspace(*xlim, 120), np.linspace(*ylim, 120)
    X, Y = np.meshgrid(xs, ys)
    with torch.no_grad():
        Z = np.array([[float(loss_fn(torch.tensor([x, y], dtype=torch.float64))) for x in xs] for y in ys])  # (120, 120)
    fig = Figure(figsize=(6.4, 6.4), layout="constrained")
    ax = fig.subplots()
    # Log-spaced levels: near the minimum the loss is tiny, linear levels would leave it blank.
    low = max(Z.min(), 1e-12) + 1e-3 * (Z.max() - Z.min())
    ax.contour(X, Y, Z, levels=np.geomspace(low, Z.max(), levels), colors="0.65", linewidths=0.7)
    for label, path in paths.items():
        p = np.asarray(torch.as_tensor(path).detach().cpu(), dtype=float)  # (T, 2)
        ax.plot(p[:, 0], p[:, 1], "o-", ms=3, lw=1.5, label=f"{label} ({len(p) - 1} steps)")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)
    ax.set_title(title or "Loss surface and optimiser paths")
    return fig


# ----------------------------------------------------------------------------- animation


def animation_frames(every=10):
    """A frame recorder for `style_transfer`: returns (frames, callback).

    ``frames, callback = animation_frames(every=5); style_transfer(..., callback=callback)`` keeps
    a copy of the image every ``every`` steps in ``frames`` (a list of [1, 3, H, W] tensors), ready
    for `show_animation` or `nst_teach.images.save_gif`. Always returns False (never stops the run).
    """
    if every < 1:
        raise NSTError(f"every must be ≥ 1, got {every}")
    frames = []

    def callback(step, image, losses):
        if step == 1 or step % every == 0:
            frames.append(image.detach().cpu().clone())
        return False

    return frames, callback


def animation_figure(frames, titles=None, interval_ms=120):
    """(Figure, FuncAnimation) that steps through ``frames`` (one axes). Keep a reference to both."""
    from matplotlib.animation import FuncAnimation

    if not frames:
        raise NSTError("no frames to animate: record some with animation_frames()")
    titles = titles or [f"frame {i + 1}/{len(frames)}" for i in range(len(frames))]
    with matplotlib.rc_context(SLIDE_STYLE):
        aspect = _aspect(frames[0])
        fig = Figure(figsize=(4.5, 4.5 * aspect + 0.5), layout="constrained")
        ax = fig.subplots()
        image = ax.imshow(to_array(frames[0]))
        ax.set_axis_off()
        heading = ax.set_title(titles[0])

    def update(i):
        image.set_data(to_array(frames[i]))
        heading.set_text(titles[i])
        return image, heading

    return fig, FuncAnimation(fig, update, frames=len(frames), interval=interval_ms, blit=False)


def show_animation(frames, titles=None, interval_ms=120):
    """An HTML/JavaScript player of ``frames`` for a notebook (IPython.display.HTML), or the raw HTML
    string outside IPython. For a file, use ``nst_teach.images.save_gif(frames, "run.gif")``."""
    fig, anim = animation_figure(frames, titles, interval_ms)
    html = anim.to_jshtml(default_mode="once")
    try:
        from IPython.display import HTML
    except ImportError:
        return html
    return HTML(html)


# ----------------------------------------------------------------------------- interactive


def interactive_viewer(images=("cat", "astronaut", "coffee", "starry_night"), layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
                       size=128, model=None):
    """Pick an image, a layer and a channel; see that feature map next to the image (ipywidgets).

    Returns a VBox: the image and layer dropdowns, the channel slider (0 … N_l − 1) and the picture,
    an ``ipywidgets.Image`` redrawn on every change. images: sample names, paths or tensors. Features are computed once per (image, layer) and
    kept in this viewer's own cache. Without ipywidgets (or outside Jupyter) it prints a note and
    returns a static `feature_grid` of the first image instead, so a notebook still runs.
    """
    from .features import extract_features
    from .images import load_image
    from .preprocess import preprocess
    from .vgg import TORCHVISION_INDEX, canonical_layer_name, load_vgg19

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


# ----------------------------------------------------------------------------- saving


def save_figure(fig, path, dpi=150):
    """Write ``fig`` to ``path`` (format from the suffix: .png, .pdf, .svg, .jpg), atomically."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in ("png", "pdf", "svg", "jpg", "jpeg"):
        raise NSTError(f"unsupported figure format {suffix or '(none)'!r} for {path}: end the file name with .png, .pdf or .svg")
    return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format=suffix, bbox_inches="tight", facecolor="white"))
