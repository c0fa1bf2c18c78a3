"""After Robert Delaunay's *Political Drama* (1914)."""

import numpy as np
from PIL import Image, ImageDraw

from .canvas import SUPERSAMPLE, _clip_rgb, _finish, _output_size, _unit


DELAUNAY_COLOURS = (
    (214, 38, 40),  # red
    (247, 198, 34),  # yellow
    (28, 66, 168),  # blue
    (30, 138, 78),  # green
    (22, 22, 28),  # black
    (243, 237, 222),  # white
    (238, 116, 30),  # orange
    (106, 168, 222),  # sky blue
    (226, 112, 148),  # pink
)


def political_drama(size=512, seed=0):
    """After Robert Delaunay's *Political Drama* (1914): discs of concentric rings, cut into facets.

    Recipe: scatter points — many of them on the ring circles — and join them with a Delaunay
    triangulation. Each triangle gets one flat colour: the colour of the ring its centre falls in,
    or of the background plane, with a few random accents and a little shading. Finally the ring
    circles are drawn on top in contrasting colours. Texture at three scales: discs, rings, facets.
    """
    rng = np.random.default_rng(seed)
    w, h = _output_size(size, 1.0)
    W, H = w * SUPERSAMPLE, h * SUPERSAMPLE
    discs = _delaunay_discs(rng, W, H)
    points = _delaunay_points(rng, W, H, discs)
    from scipy.spatial import Delaunay  # here, not at the top: importing scipy.spatial costs 0.3 s of every command

    triangles = points[Delaunay(points).simplices]  # (T, 3, 2) corner positions
    colours = _facet_colours(rng, triangles.mean(axis=1), discs, W, H)  # (T, 3)

    canvas = Image.new("RGB", (W, H), DELAUNAY_COLOURS[5])
    draw = ImageDraw.Draw(canvas)
    for corners, colour in zip(triangles.reshape(len(triangles), -1).tolist(), _clip_rgb(colours)):
        draw.polygon(corners, fill=colour)
    _draw_ring_lines(draw, rng, discs, W)
    _draw_targets(draw, rng, W, H)
    return _finish(canvas, (w, h))


def _delaunay_discs(rng, W, H):
    """A big disc, a middle one and a small one: (cx, cy, radius, ring colour indices) each."""
    discs = []
    for radius, n_rings in ((0.42, 7), (0.26, 5), (0.16, 4)):
        cx, cy = rng.uniform(0.2, 0.8) * W, rng.uniform(0.2, 0.8) * H
        palette = rng.permutation(len(DELAUNAY_COLOURS))[:n_rings]  # each ring its own colour
        discs.append((cx, cy, radius * W, palette))
    return discs


def _delaunay_points(rng, W, H, discs):
    """Triangulation vertices (n, 2): the canvas border, random points, and points on each ring."""
    t = np.linspace(0, 1, 9)[:-1]
    border = np.concatenate([np.c_[t * W, 0 * t], np.c_[W + 0 * t, t * H],
                             np.c_[W - t * W, H + 0 * t], np.c_[0 * t, H - t * H]])
    scattered = rng.uniform([0, 0], [W, H], size=(60, 2))
    on_rings = []
    for cx, cy, radius, palette in discs:
        for k in range(1, len(palette) + 1):
            r = radius * k / len(palette)
            n = max(6, int(2 * np.pi * r / (0.07 * W)))  # ~ one vertex every 7% of the width
            angle = rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.arange(n) / n
            r = r * rng.uniform(0.97, 1.03, n)  # slightly off the circle: irregular facets
            on_rings.append(np.c_[cx + r * np.cos(angle), cy + r * np.sin(angle)])
    points = np.concatenate([border, scattered, *on_rings])
    return np.clip(points, 0, [W, H])  # (n, 2)


def _facet_colours(rng, centres, discs, W, H):
    """Flat colour (T, 3) for each triangle, from the ring or background plane its centre is in."""
    palette = np.array(DELAUNAY_COLOURS, dtype=float)
    # Background: three random lines cut the canvas into colour planes (up to 8).
    normals = _unit(rng.normal(size=(3, 2)))
    offsets = (normals * rng.uniform([0.3 * W, 0.3 * H], [0.7 * W, 0.7 * H], (3, 2))).sum(axis=1)
    side = (centres @ normals.T > offsets).astype(int)  # (T, 3) which side of each line
    plane_colours = rng.integers(0, len(palette), 8)
    index = plane_colours[side @ [1, 2, 4]]  # (T,)
    for cx, cy, radius, rings in discs:  # later discs lie on top of earlier ones
        d = np.hypot(centres[:, 0] - cx, centres[:, 1] - cy)
        inside = d < radius
        index[inside] = rings[(d[inside] / radius * len(rings)).astype(int)]
    accent = rng.random(len(index)) < 0.15  # a few facets break out in another colour
    index[accent] = rng.integers(0, len(palette), accent.sum())
    shade = rng.uniform(0.82, 1.08, (len(index), 1))  # facets catch the light differently
    return palette[index] * shade


def _draw_ring_lines(draw, rng, discs, W):
    """Draw the ring circles (whole or as arcs) in black or white over the facets."""
    width = max(2, round(0.007 * W))
    for cx, cy, radius, rings in discs:
        for k in range(1, len(rings) + 1):
            r = radius * k / len(rings)
            box = (cx - r, cy - r, cx + r, cy + r)
            colour = DELAUNAY_COLOURS[4] if k % 2 else DELAUNAY_COLOURS[5]
            start = rng.uniform(0, 360)
            draw.arc(box, start, start + rng.uniform(180, 360), fill=colour, width=width)


def _draw_targets(draw, rng, W, H):
    """A few small 'targets': discs of concentric rings in alternating bold colours."""
    for _ in range(4):
        cx, cy = rng.uniform(0.05, 0.95) * W, rng.uniform(0.05, 0.95) * H
        radius, n = rng.uniform(0.04, 0.08) * W, rng.integers(3, 6)
        colours = rng.choice(len(DELAUNAY_COLOURS), size=n)
        for k in range(n, 0, -1):  # outer ring first, smaller discs on top
            r = radius * k / n
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=DELAUNAY_COLOURS[colours[k - 1]],
                         outline=DELAUNAY_COLOURS[4], width=max(1, round(0.003 * W)))
