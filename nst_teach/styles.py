"""Procedural "paintings" to use as style images.

Style transfer needs a style image, but no Python package ships paintings and the course runs
offline, so we paint our own. Each function imitates the *texture* of one painter — what a Gram
matrix captures: the palette, the size and direction of the strokes, edges at several scales — not
the scene itself.

Every function is a pure function of ``(size, seed)``: the same arguments give the same pixels,
and all randomness comes from ``numpy.random.default_rng(seed)``. Each returns an RGB array
``(H, W, 3)`` of ``uint8`` whose longest side is ``size``. We draw with PIL on a canvas twice the
final size and shrink it with a Lanczos filter: this anti-aliases the edges (supersampling).
"""

import numpy as np
from PIL import Image, ImageDraw
from scipy.spatial import Delaunay

from nst_teach.errors import NSTError

SUPERSAMPLE = 2  # draw at 2× the final size, then shrink: smooth edges for free


# ---------------------------------------------------------------- shared helpers


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


# ---------------------------------------------------------------- Delaunay

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


# ---------------------------------------------------------------- Signac

CANVAS_CREAM = (238, 230, 212)

# Per region (sky, sea, cape, shore): pure colours the dabs are mixed from.
SIGNAC_ACCENTS = (
    ((255, 196, 196), (255, 234, 140), (164, 200, 255), (206, 176, 240), (255, 252, 236)),
    ((36, 104, 210), (52, 170, 196), (118, 86, 200), (28, 64, 160), (150, 210, 232), (240, 168, 150)),
    ((236, 118, 66), (204, 86, 120), (128, 86, 170), (88, 150, 76), (242, 190, 86)),
    ((242, 200, 106), (230, 146, 86), (150, 118, 190), (250, 228, 168)),
)


def pointillism(size=512, seed=0):
    """After Paul Signac (*Cassis, Cap Lombard*, 1889): a seascape made of dabs of pure colour.

    Recipe: a simple scene (sky, sea, a rocky cape, a shore) gives every point a base colour; we
    cover a cream canvas with thousands of short dabs, each mixed from the base colour and a pure
    accent of its region, in two passes (large then small dabs). Some canvas shows between them.
    """
    rng = np.random.default_rng(seed)
    w, h = _output_size(size, 4 / 3)
    W, H = w * SUPERSAMPLE, h * SUPERSAMPLE
    scene = {"horizon": rng.uniform(0.36, 0.46), "flip": rng.random() < 0.5,
             "phase": rng.uniform(0, 2 * np.pi), "sun": rng.uniform(0.3, 0.7)}
    canvas = Image.new("RGB", (W, H), CANVAS_CREAM)
    draw = ImageDraw.Draw(canvas)
    for dab, coverage in ((0.018, 1.0), (0.012, 1.3)):  # dab length as a fraction of W
        _paint_dabs(draw, rng, scene, W, H, dab * W, coverage)
    return _finish(canvas, (w, h))


def _seascape(u, v, scene):
    """Region label and base colour of points (u, v) ∈ [0, 1]² (u across, v down).

    Labels: 0 sky, 1 sea, 2 cape, 3 shore. Returns (labels (n,), colours (n, 3)).
    """
    hz, ph = scene["horizon"], scene["phase"]
    uu = 1 - u if scene["flip"] else u  # the cape rises on the right, or mirrored on the left
    rise = np.clip((uu - 0.5) / 0.45, 0, 1)
    ridge = hz - 0.17 * rise**2 * (3 - 2 * rise) - 0.012 * np.sin(35 * uu + ph)  # smooth-step hill
    cape = (v > ridge) & (uu > 0.55 - 0.5 * (v - hz) + 0.015 * np.sin(40 * v + ph))
    shore = v > 0.88 + 0.03 * np.sin(5 * u + ph)
    labels = np.where(shore, 3, np.where(cape, 2, np.where(v > hz, 1, 0)))

    t_sky = np.clip(v / hz, 0, 1)[:, None]  # 0 at the top, 1 at the horizon
    sky = (1 - t_sky) * np.array([118, 168, 238]) + t_sky * np.array([252, 206, 166])
    t_sea = np.clip((v - hz) / (1 - hz), 0, 1)[:, None]
    sea = (1 - t_sea) * np.array([120, 168, 224]) + t_sea * np.array([34, 82, 176])
    glow = np.exp(-((u - scene["sun"]) / 0.08) ** 2)[:, None] * (1 - t_sea)  # sun on the water
    sea = sea * (1 - 0.6 * glow) + np.array([250, 214, 160]) * 0.6 * glow
    # The cape: green scrub on top, orange rock below, violet shadow down at the water.
    cape_rgb = _ramp(np.clip((v - ridge) / 0.3, 0, 1),
                     [(112, 150, 70), (226, 148, 96), (176, 110, 156)])
    shore_rgb = np.array([[232, 192, 124]])
    base = np.select([labels[:, None] == k for k in range(4)],
                     [sky, sea, cape_rgb, shore_rgb])
    return labels, base


def _paint_dabs(draw, rng, scene, W, H, length, coverage):
    """Cover the canvas with dabs of the given length; `coverage` = total dab area / canvas area."""
    thickness = 0.6 * length
    n = int(coverage * W * H / (np.pi / 4 * length * thickness))
    centres = rng.uniform([0, 0], [W, H], size=(n, 2))
    labels, base = _seascape(centres[:, 0] / W, centres[:, 1] / H, scene)

    accents = np.zeros((n, 3))
    for k, region in enumerate(SIGNAC_ACCENTS):
        here = labels == k
        accents[here] = np.array(region)[rng.integers(0, len(region), here.sum())]
    mix = rng.uniform(0.25, 0.75, (n, 1))
    colours = (1 - mix) * base + mix * accents + rng.normal(0, 8, (n, 3))

    # Water and sky dabs lie nearly flat; dabs on the rocks point every way.
    spread = np.array([0.35, 0.15, 1.6, 0.4])[labels]
    angle = rng.normal(0, spread)
    size = rng.uniform(0.8, 1.25, n)
    corner = np.arange(6) * np.pi / 3  # a dab is a hexagon, an ellipse drawn in six points
    du = (length / 2 * size)[:, None] * np.cos(corner)  # (n, 6) in the dab's own frame
    dv = (thickness / 2 * size)[:, None] * np.sin(corner)
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    corners = np.stack([centres[:, :1] + c * du - s * dv,
                        centres[:, 1:] + s * du + c * dv], axis=-1)  # (n, 6, 2)
    for xy, colour in zip(corners.reshape(n, -1).tolist(), _clip_rgb(colours)):
        draw.polygon(xy, fill=colour)


# ---------------------------------------------------------------- Lichtenstein

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


# ---------------------------------------------------------------- van Gogh

NIGHT_SKY = ((10, 22, 66), (24, 52, 136), (44, 92, 178), (92, 148, 204), (172, 204, 212), (232, 230, 196))
NIGHT_HILLS = ((8, 16, 40), (22, 40, 90), (40, 70, 120), (62, 96, 100))
CYPRESS = ((6, 12, 10), (18, 38, 24), (38, 58, 30), (72, 72, 36), (56, 36, 22))
STARLIGHT = ((240, 212, 80), (236, 232, 176), (176, 210, 196), (250, 190, 60))


def starry_night(size=512, seed=0):
    """After Vincent van Gogh's *The Starry Night* (1889): a sky of swirling brush strokes.

    Recipe: short curved strokes follow a vector field — a wind plus a few vortices — so the
    strokes wrap around the swirls. Their colour comes from a blue ramp with light bands around
    the vortices. Stars and a moon are discs inside rings of short arc strokes; dark hills below
    and a flame-shaped cypress in front are painted the same way with their own fields.
    """
    rng = np.random.default_rng(seed)
    w, h = _output_size(size, 4 / 3)
    W, H = w * SUPERSAMPLE, h * SUPERSAMPLE
    phase = rng.uniform(0, 2 * np.pi)

    def horizon(x):  # y of the hill line at x: below it lie the hills
        return H * (0.72 + 0.05 * np.sin(2 * np.pi * x / W * 1.3 + phase))

    vortices = _vortices(rng, W, H)
    stars = _stars(rng, W, H)

    canvas = Image.new("RGB", (W, H))
    _sky_underpaint(canvas, vortices, horizon)
    draw = ImageDraw.Draw(canvas)
    width = max(2, round(0.008 * W))
    _paint_sky(draw, rng, W, H, vortices, stars, horizon, width)
    _paint_hills(draw, rng, W, H, horizon, width)
    for x, y, r, is_moon in stars:
        _paint_star(draw, rng, x, y, r, is_moon, width)
    _paint_cypress(draw, rng, W, H, width)
    return _finish(canvas, (w, h))


def _vortices(rng, W, H):
    """The big double swirl in mid-sky plus a few small eddies: (n, 4) rows of cx, cy, R, spin."""
    cx, cy = rng.uniform(0.4, 0.55) * W, rng.uniform(0.3, 0.4) * H
    main = [[cx, cy, 0.15 * W, 1.0], [cx + 0.17 * W, cy - 0.1 * H, 0.09 * W, -1.0]]
    eddies = np.c_[rng.uniform(0.05, 0.95, 3) * W, rng.uniform(0.1, 0.6, 3) * H,
                   rng.uniform(0.05, 0.09, 3) * W, rng.choice([-1.0, 1.0], 3)]
    return np.concatenate([main, eddies])


def _sky_flow(p, vortices, W):
    """Unit direction of the sky's flow at points p (n, 2): wind to the right + vortices."""
    x, y = p[:, 0], p[:, 1]
    flow = np.c_[np.ones_like(x), 0.3 * np.sin(2 * np.pi * x / W * 2)]  # a wavy wind
    for cx, cy, R, spin in vortices:
        dx, dy = x - cx, y - cy
        d = np.hypot(dx, dy) + 1e-9
        strength = 3.0 * spin * np.exp(-(d / R) ** 2)  # fades out beyond the radius R
        flow += strength[:, None] * np.c_[-dy, dx] / d[:, None]  # tangent: turn around the centre
    return _unit(flow)


def _sky_shade(p, vortices, H):
    """Position on the sky ramp at points p (n, 2): lighter low down and in bands round swirls."""
    x, y = p[:, 0], p[:, 1]
    t = 0.25 + 0.35 * y / H
    for cx, cy, R, _ in vortices:
        d = np.hypot(x - cx, y - cy)
        t += 0.4 * np.cos(3 * np.pi * d / R) * np.exp(-(d / (1.2 * R)) ** 2)
    return t


def _sky_underpaint(canvas, vortices, horizon):
    """Fill the canvas with the smooth sky colours, so no black shows between strokes."""
    W, H = canvas.size
    small = 64  # the sky is smooth: compute it on a coarse grid and stretch it
    row, col = np.mgrid[0:small, 0:small]
    p = np.c_[col.ravel() * W / small, row.ravel() * H / small]  # (small², 2) pixel positions
    colour = _ramp(_sky_shade(p, vortices, H), NIGHT_SKY)
    colour[p[:, 1] > horizon(p[:, 0])] = NIGHT_HILLS[1]
    under = Image.fromarray(np.uint8(np.clip(colour, 0, 255)).reshape(small, small, 3))
    canvas.paste(under.resize((W, H), Image.Resampling.BILINEAR))


def _stars(rng, W, H):
    """Stars and one moon: list of (x, y, radius, is_moon), kept apart from each other."""
    stars = [(rng.uniform(0.78, 0.92) * W, rng.uniform(0.1, 0.2) * H, 0.04 * W, True)]
    while len(stars) < 10:
        x, y = rng.uniform(0.05, 0.95) * W, rng.uniform(0.05, 0.55) * H
        if all(np.hypot(x - sx, y - sy) > 0.12 * W for sx, sy, _, _ in stars):
            stars.append((x, y, rng.uniform(0.011, 0.02) * W, False))
    return stars


def _paint_sky(draw, rng, W, H, vortices, stars, horizon, width):
    """Thousands of strokes along the sky's flow, tinted yellow near the stars."""
    n = int(3.0 * W * H * 0.7 / (0.05 * W * width))  # about three coats of paint
    starts = rng.uniform([0, -0.05 * H], [W, H], size=(n, 2))
    starts = starts[starts[:, 1] < horizon(starts[:, 0])]
    paths = _trace(starts, lambda p: _sky_flow(p, vortices, W), steps=8, step=0.006 * W)
    mid = paths[:, 4]  # (n, 2) the middle of each stroke picks its colour
    colours = _ramp(_sky_shade(mid, vortices, H) + rng.normal(0, 0.12, len(mid)), NIGHT_SKY)
    for x, y, r, _ in stars:  # starlight spills yellow onto the nearby sky
        glow = np.exp(-(np.hypot(mid[:, 0] - x, mid[:, 1] - y) / (4 * r)) ** 2)[:, None]
        colours = colours * (1 - 0.7 * glow) + np.array(STARLIGHT[1]) * 0.7 * glow
    _draw_strokes(draw, paths, colours, width)


def _paint_hills(draw, rng, W, H, horizon, width):
    """Dark rolling hills of long, nearly level strokes, with a few lit windows."""
    n = int(2.5 * W * H * 0.3 / (0.04 * W * width))
    starts = rng.uniform([-0.05 * W, 0], [W, 1.02 * H], size=(n, 2))
    starts = starts[starts[:, 1] > horizon(starts[:, 0]) - 0.01 * H]

    def along_hills(p):
        slope = (horizon(p[:, 0] + 1.0) - horizon(p[:, 0]))  # follow the hill line's slope
        return _unit(np.c_[np.ones(len(p)), slope + 0.15 * np.sin(p[:, 1] / H * 40)])

    paths = _trace(starts, along_hills, steps=6, step=0.007 * W)
    depth = (paths[:, 0, 1] - horizon(paths[:, 0, 0])) / (0.3 * H)  # 0 at the hill line
    colours = _ramp(0.8 - 0.6 * depth + rng.normal(0, 0.15, len(paths)), NIGHT_HILLS)
    _draw_strokes(draw, paths, colours, width)
    for _ in range(14):  # windows of a sleeping village
        x = rng.uniform(0.3, 0.95) * W
        y = horizon(x) + rng.uniform(0.04, 0.15) * H
        s = rng.uniform(0.006, 0.01) * W
        draw.rectangle((x, y, x + s, y + s), fill=STARLIGHT[0])


def _paint_star(draw, rng, x, y, r, is_moon, width):
    """A star: concentric rings of short arcs (its halo), then a bright core disc."""
    n_rings = 6 if is_moon else 4
    for k in range(n_rings, 0, -1):
        ring = r * (1.1 + 0.45 * k)
        n = max(6, int(2 * np.pi * ring / (4 * width)))
        start = rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.arange(n) / n
        t = start[:, None] + np.linspace(0, 0.9 * 2 * np.pi / n, 5)  # (n, 5) arc angles
        rr = ring * rng.uniform(0.95, 1.05, (n, 1))
        paths = np.stack([x + rr * np.cos(t), y + rr * np.sin(t)], axis=-1)  # (n, 5, 2)
        base = np.array(STARLIGHT[k % len(STARLIGHT)], dtype=float)
        _draw_strokes(draw, paths, base + rng.normal(0, 12, (n, 3)), width)
    core = (250, 196, 52) if is_moon else (248, 236, 150)
    draw.ellipse((x - r, y - r, x + r, y + r), fill=core)
    if is_moon:  # a crescent: a lighter disc set off-centre inside the moon
        draw.ellipse((x - 0.55 * r, y - 0.85 * r, x + 0.85 * r, y + 0.75 * r), fill=(255, 226, 120))
    else:
        draw.ellipse((x - 0.45 * r, y - 0.45 * r, x + 0.45 * r, y + 0.45 * r), fill=(255, 252, 228))


def _paint_cypress(draw, rng, W, H, width):
    """A dark cypress like a flame in front: a silhouette covered with rising, wavering strokes."""
    cx, top = rng.uniform(0.1, 0.22) * W, rng.uniform(0.04, 0.1) * H
    y = np.linspace(top, 1.02 * H, 40)
    v = (y - top) / (H - top)  # 0 at the tip, 1 at the foot
    half = 0.075 * W * v ** 0.7 * (1 + 0.25 * np.sin(18 * v))  # half-width, wavy and tapering
    outline = np.r_[np.c_[cx - half, y], np.c_[cx + half, y][::-1]]
    draw.polygon(outline.ravel().tolist(), fill=CYPRESS[0])

    n = int(4.0 * 0.075 * W * (H - top) / (0.05 * W * width))
    sy = rng.uniform(top, H, n)
    sv = (sy - top) / (H - top)
    limit = 0.075 * W * sv ** 0.7 * (1 + 0.25 * np.sin(18 * sv))
    starts = np.c_[cx + limit * rng.uniform(-0.9, 0.9, n), sy]

    def flame(p):  # upward, swaying side to side with height
        return _unit(np.c_[0.6 * np.sin(p[:, 1] / H * 30 + p[:, 0] / W * 10), -np.ones(len(p))])

    paths = _trace(starts, flame, steps=7, step=0.007 * W)
    colours = _ramp(rng.beta(2, 3, n), CYPRESS)
    _draw_strokes(draw, paths, colours, width)


STYLES = {
    "political_drama": political_drama,
    "pointillism": pointillism,
    "ben_day": ben_day,
    "starry_night": starry_night,
}
