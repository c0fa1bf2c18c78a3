"""After Paul Signac's pointillism."""

import numpy as np
from PIL import Image, ImageDraw

from .canvas import SUPERSAMPLE, _clip_rgb, _finish, _output_size, _ramp


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
