"""After Roy Lichtenstein's comics: Ben-Day dots."""

import numpy as np
from PIL import Image, ImageDraw

from .canvas import SUPERSAMPLE, _finish, _output_size


COMIC = {"red": (222, 30, 36), "blue": (24, 78, 178), "yellow": (252, 216, 30),
         "black": (14, 14, 18), "white": (250, 248, 240), "skin": (246, 196, 168)}


def ben_day(size=512, seed=0):
    """After Roy Lichtenstein: Ben-Day dot screens, flat primary colours, thick black outlines.

    Recipe: a comic panel of bold shapes — a background of blue dots, waves, an explosion, a few
    discs shaded by red dots of growing size, a speech balloon. Each shape is filled with a flat
    colour or a dot screen (a regular grid of dots, like cheap comic printing) and outlined in black.
    """
    rng = np.random.default_rng(seed)
    w, h = _output_size(size, 1.0)
    W, H = w * SUPERSAMPLE, h * SUPERSAMPLE
    spacing = 0.034 * W  # dot-grid pitch: ~17 px at 512
    fills = {name: Image.new("RGB", (W, H), rgb) for name, rgb in COMIC.items()}
    fills["blue dots"] = _dot_screen(W, H, spacing, 0.32 * spacing, COMIC["blue"])
    fills["red dots"] = _dot_screen(W, H, spacing, 0.3 * spacing, COMIC["red"])
    fills["shaded dots"] = _dot_screen(W, H, 0.8 * spacing, None, COMIC["red"])

    canvas = fills["blue dots"].copy()
    draw = ImageDraw.Draw(canvas)
    outline = max(3, round(0.011 * W))
    for kind, xy, fill in _comic_shapes(rng, W, H):
        mask = Image.new("L", (W, H), 0)
        if kind == "ellipse":
            ImageDraw.Draw(mask).ellipse(xy, fill=255)
            canvas.paste(fills[fill], (0, 0), mask)
            draw.ellipse(xy, outline=COMIC["black"], width=outline)
        elif kind == "polygon":
            ImageDraw.Draw(mask).polygon(xy, fill=255)
            canvas.paste(fills[fill], (0, 0), mask)
            draw.line(xy + xy[:2], fill=COMIC["black"], width=outline, joint="curve")
        else:  # "line": a black ink stroke
            draw.line(xy, fill=COMIC["black"], width=outline, joint="curve")
    return _finish(canvas, (w, h))


def _dot_screen(W, H, spacing, radius, colour):
    """A Ben-Day screen: dots of `colour` on white paper, on a grid turned by 45°.

    radius=None gives halftone shading: the dots grow from the top-left to the bottom-right.
    """
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)  # (H, W) pixel coordinates
    a, b = (x + y) / np.sqrt(2), (y - x) / np.sqrt(2)  # coordinates along the turned grid
    da = a % spacing - spacing / 2  # offset from the nearest dot centre
    db = b % spacing - spacing / 2
    if radius is None:
        radius = spacing * (0.12 + 0.34 * (x + y) / (W + H))  # (H, W) growing dots
    ink = da * da + db * db < radius * radius  # (H, W) True where a dot is
    rgb = np.where(ink[..., None], np.array(colour, np.uint8), np.array(COMIC["white"], np.uint8))
    return Image.fromarray(rgb)


def _comic_shapes(rng, W, H):
    """The panel as a list of (kind, xy, fill) drawn in order: later shapes cover earlier ones."""
    shapes = []
    # A flat yellow sun-burst sector behind everything, from one corner.
    corner = (0.0, 0.0) if rng.random() < 0.5 else (W, 0.0)
    angles = np.linspace(0, np.pi / 2, 12) + (0 if corner[0] == 0 else np.pi / 2)
    for i in range(0, 10, 3):
        a0, a1 = angles[i], angles[i + 1]
        ray = [corner, (corner[0] + 2 * W * np.cos(a0), 2 * W * np.sin(a0)),
               (corner[0] + 2 * W * np.cos(a1), 2 * W * np.sin(a1))]
        shapes.append(("polygon", [float(c) for p in ray for c in p], "yellow"))
    # Waves along the bottom: flat blue crests with dotted blue troughs, and curling ink lines.
    x = np.linspace(-0.05 * W, 1.05 * W, 60)
    for k, top in enumerate((0.62, 0.72, 0.83)):
        phase, amp = rng.uniform(0, 2 * np.pi), rng.uniform(0.03, 0.05) * H
        crest = top * H + amp * np.sin(2 * np.pi * x / (0.45 * W) + phase)
        poly = np.c_[x, crest].ravel().tolist() + [1.05 * W, 1.05 * H, -0.05 * W, 1.05 * H]
        shapes.append(("polygon", poly, "blue" if k % 2 == 0 else "blue dots"))
        curl = crest[10:40] + 0.35 * amp + 0.02 * H * np.sin(np.linspace(0, 9, 30))
        shapes.append(("line", np.c_[x[10:40], curl].ravel().tolist(), None))
    # Two or three discs shaded by halftone dots (faces, balls, planets…).
    for _ in range(rng.integers(2, 4)):
        cx, cy = rng.uniform(0.15, 0.85) * W, rng.uniform(0.15, 0.6) * H
        r = rng.uniform(0.08, 0.15) * W
        shapes.append(("ellipse", (cx - r, cy - r, cx + r, cy + r), "shaded dots"))
    shapes += _explosion(rng, W, H)
    shapes += _balloon(rng, W, H)
    return shapes


def _explosion(rng, W, H):
    """A 'WHAAM!' burst: a jagged yellow star with a red star inside, and a white core."""
    cx, cy = rng.uniform(0.3, 0.7) * W, rng.uniform(0.3, 0.5) * H
    n = rng.integers(11, 16)
    angle = np.linspace(0, 2 * np.pi, 2 * n, endpoint=False) + rng.uniform(0, np.pi)
    spikes = np.where(np.arange(2 * n) % 2 == 0, 1.0, 0.5) * rng.uniform(0.8, 1.2, 2 * n)
    shapes = []
    for scale, fill in ((0.26, "yellow"), (0.16, "red"), (0.07, "white")):
        r = scale * W * spikes
        star = np.c_[cx + r * np.cos(angle), cy + r * np.sin(angle)]  # (2n, 2) spikes and notches
        shapes.append(("polygon", star.ravel().tolist(), fill))
    return shapes


def _balloon(rng, W, H):
    """A white speech balloon with a tail, and black bars standing in for lettering."""
    cx = rng.choice([0.22, 0.78]) * W
    cy, rx, ry = 0.14 * H, 0.2 * W, 0.1 * H
    t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    outline = np.c_[cx + rx * np.cos(t), cy + ry * np.sin(t)]
    tip = (cx + rng.uniform(-0.1, 0.1) * W, cy + 2.2 * ry)
    outline = np.insert(outline, 10, [tip], axis=0)  # the tail leaves the balloon's lower edge
    shapes = [("polygon", outline.ravel().tolist(), "white")]
    for row in (-0.4, 0.0, 0.4):
        x = cx - 0.7 * rx
        while x < cx + (0.7 - 0.1) * rx:
            word = rng.uniform(0.08, 0.22) * rx
            y = cy + row * ry
            shapes.append(("line", [x, y, min(x + word, cx + 0.7 * rx), y], None))
            x += word + 0.07 * rx
    return shapes
