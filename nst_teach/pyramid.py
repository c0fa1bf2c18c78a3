"""Step 8, speed: optimising a Laplacian pyramid of the image instead of its pixels.

L-BFGS starts every run knowing nothing about the curvature: its first steps go along −∇f, and
−∇f of a loss on an image is dominated by fine detail (each pixel is pushed on its own). Changing a
large area by a little — the coarse structure the style loss asks for first — takes many steps.

A **Laplacian pyramid** (Burt & Adelson 1983) writes the image as a sum of band-pass images at
halving resolutions plus a small low-pass residual:

    g_0 = x,   g_{k+1} = down(g_k),   L_k = g_k − up(g_{k+1})  (k < K),   L_K = g_K
    x   = L_0 + up(L_1 + up(L_2 + … up(L_K)))                                 (exact)

Optimising the coefficients z = (L_0, …, L_K) instead of x minimises the same loss over the same
images (every x has its pyramid and back), but a gradient step on a coarse coefficient moves a whole
2^k × 2^k block of pixels: the steps are *preconditioned* towards coarse changes, so the first
iterations of L-BFGS already move the large shapes. ``weight`` scales level k by weight^k
(weight < 1 tempers the preference for coarse levels).

down: bilinear resize to ⌈H/2⌉ × ⌈W/2⌉ with antialiasing; up: bilinear resize back. Any pair gives
an exact reconstruction, because L_k is *defined* as what up(g_{k+1}) misses.
"""

import math

import torch
import torch.nn.functional as F


def _down(g):
    H, W = g.shape[-2:]
    return F.interpolate(g, size=(math.ceil(H / 2), math.ceil(W / 2)), mode="bilinear", align_corners=False, antialias=True)


def _up(g, shape):
    return F.interpolate(g, size=tuple(shape), mode="bilinear", align_corners=False)


def levels_for(shape, coarsest=16):  # 16 px: the plain pyramid; style_transfer passes TransferConfig's 8 px
    """How many halvings until the shorter side would drop below ``coarsest`` pixels (at least 0)."""
    return max(0, int(math.floor(math.log2(max(min(shape[-2:]), 1) / coarsest))))


def decompose(x, levels):
    """Image [1, C, H, W] → [L_0, …, L_levels]: band-pass images, then the low-pass residual."""
    coefficients, g = [], x
    for _ in range(levels):
        smaller = _down(g)  # (1, C, ⌈H/2⌉, ⌈W/2⌉)
        coefficients.append(g - _up(smaller, g.shape[-2:]))
        g = smaller
    return coefficients + [g]


def reconstruct(coefficients):
    """[L_0, …, L_K] → x = L_0 + up(L_1 + up(… + up(L_K))), the inverse of `decompose`."""
    g = coefficients[-1]
    for L in reversed(coefficients[:-1]):
        g = L + _up(g, L.shape[-2:])
    return g


class PyramidParametrisation:
    """x ↔ z: one flat vector z holding every level's coefficients, level k divided by weight^k.

    encode(x) → z and decode(z) → x are exact inverses (up to float rounding); decode is linear, so
    ∂f/∂z = decodeᵀ(∂f/∂x), which `gradient` computes with autograd.
    """

    # weight 1.0, coarsest 16 px: the plain pyramid; style_transfer passes TransferConfig's 0.7 and 8 px
    def __init__(self, shape, levels=None, weight=1.0, coarsest=16):
        self.levels = levels_for(shape, coarsest) if levels is None else levels
        self.weight = weight
        template = decompose(torch.zeros(shape), self.levels)
        self.shapes = [c.shape for c in template]  # [(1, C, H_k, W_k)]
        self.scales = [weight ** k for k in range(len(template))]

    def encode(self, x):
        coefficients = decompose(x.detach(), self.levels)
        return torch.cat([(c / s).flatten() for c, s in zip(coefficients, self.scales)])

    def decode(self, z):
        sizes = [math.prod(shape) for shape in self.shapes]
        parts = torch.split(z, sizes)
        return reconstruct([p.view(shape) * s for p, shape, s in zip(parts, self.shapes, self.scales)])

    def gradient(self, z, grad_x):
        """∂f/∂z from ∂f/∂x at x = decode(z)."""
        with torch.enable_grad():
            z = z.detach().requires_grad_(True)
            (grad_z,) = torch.autograd.grad(self.decode(z), z, grad_x)
        return grad_z
