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

from .delaunay import political_drama
from .lichtenstein import ben_day
from .signac import pointillism
from .van_gogh import starry_night

STYLES = {
    "political_drama": political_drama,
    "pointillism": pointillism,
    "ben_day": ben_day,
    "starry_night": starry_night,
}
