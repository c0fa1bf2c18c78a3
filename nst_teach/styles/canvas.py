"""What every procedural painting shares: a supersampled canvas, colour ramps, brush strokes along a field."""

import numpy as np
from PIL import Image

from nst_teach.errors import NSTError

SUPERSAMPLE = 2  # draw at 2× the final size, then shrink: smooth edges for free


def _output_size(size, aspect):
    """(w, h) of the final image: the longest side is `size`, w / h = `aspect` ≥ 1."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 32:
        raise NSTError(f"style size must be an integer ≥ 32, got {size!r}: pass e.g. size=512")
    return int(size), round(size / aspect)


def _finish(canvas, wh):
    """Shrink the 2× canvas to `wh` with a Lanczos filter → uint8 array (H, W, 3)."""
    small = canvas.resize(wh, Image.Resampling.LANCZOS).convert("RGB")
    return np.array(small, dtype=np.uint8)


def _clip_rgb(colours):
    """Float colours (..., 3) → list of (r, g, b) int tuples that PIL accepts."""
    rgb = np.clip(np.rint(colours), 0, 255).astype(int).reshape(-1, 3)
    return [tuple(c) for c in rgb.tolist()]


def _ramp(t, stops):
    """Piecewise-linear colour ramp: t in [0, 1] (any shape) → colours (..., 3).

    `stops` is a list of k RGB colours placed evenly at t = 0, 1/(k-1), …, 1.
    """
    stops = np.asarray(stops, dtype=float)  # (k, 3)
    x = np.clip(t, 0.0, 1.0) * (len(stops) - 1)
    i = np.minimum(x.astype(int), len(stops) - 2)
    f = (x - i)[..., None]
    return stops[i] * (1 - f) + stops[i + 1] * f


def _draw_strokes(draw, paths, colours, width):
    """Draw each path (n, k, 2) as one round-jointed line of its colour."""
    flat = paths.reshape(len(paths), -1).tolist()  # (n, 2k): PIL takes flat x, y lists
    for xy, colour in zip(flat, _clip_rgb(colours)):
        draw.line(xy, fill=colour, width=width, joint="curve")


def _trace(starts, field, steps, step):
    """Follow a vector field from each start point: Euler steps of length `step`.

    starts: (n, 2) pixel positions; field(p) returns unit directions (n, 2).
    Returns the paths (n, steps + 1, 2) — the centre lines of curved brush strokes.
    """
    path = [starts]
    for _ in range(steps):
        path.append(path[-1] + step * field(path[-1]))
    return np.stack(path, axis=1)  # (n, steps + 1, 2)


def _unit(v):
    """Normalise vectors (n, 2) to length 1 (zero vectors stay finite)."""
    return v / (np.linalg.norm(v, axis=-1, keepdims=True) + 1e-9)
