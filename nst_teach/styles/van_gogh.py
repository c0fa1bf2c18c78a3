"""After Vincent van Gogh's *The Starry Night* (1889)."""

import numpy as np
from PIL import Image, ImageDraw

from .canvas import SUPERSAMPLE, _draw_strokes, _finish, _output_size, _ramp, _trace, _unit


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
