"""Feature maps and matrices: chosen channels, several images on the same channels, heat maps, receptive fields."""


import matplotlib
import matplotlib.ticker
import numpy as np
import torch
from matplotlib.figure import Figure

from ..anatomy import architecture
from ..errors import NSTError
from ..gram import correlation_matrix, covariance_matrix, gram_matrix
from .style import FEATURE_CMAP, MATRIX_CMAP, _styled


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
def matrix_heatmaps(F, channels=None, title=None, functions=None):
    """Gram G = F Fᵀ, covariance C and correlation R of one layer, side by side with colour bars.

    F: features [1, N, H, W], [N, H, W] or a matrix [N, M]. channels: keep only the first
    ``channels`` filters (a 512×512 heatmap is unreadable on a slide). Axes: 3 heatmaps + 3 colour bars.
    Correlation entries of filters that never vary are undefined (NaN) and shown in grey.
    functions: (gram, covariance, correlation) taking a numpy [N, M] matrix, e.g. a student's exercise 3,
    drawn exactly as the reference is (same colour maps, correlation on [−1, 1]); None: nst_teach's.
    """
    F = torch.as_tensor(F).detach().cpu().double()
    F = F[0] if F.dim() == 4 else F
    if channels is not None:
        F = F[:channels]
    F = F.reshape(F.shape[0], -1)  # (N, M)
    N = F.shape[0]
    if functions is None:
        results = [gram_matrix(F), covariance_matrix(F), correlation_matrix(F)]
    else:
        results = [torch.as_tensor(np.asarray(fn(F.numpy().copy()), dtype=np.float64)) for fn in functions]
    mats = list(zip(("Gram  G = F Fᵀ", "covariance  C", "correlation  R"), results))
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
