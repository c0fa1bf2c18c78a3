"""The optimisation over time: loss curves, paths on a toy surface, animations."""


import matplotlib
import matplotlib.ticker
import numpy as np
import torch
from matplotlib.figure import Figure

from ..errors import NSTError
from .images import _aspect
from .style import SLIDE_STYLE, _styled, to_array


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
