"""Exercise 7 — the total variation loss: a penalty on pixel-level noise.

    L_tv = Σ_ij (x_{i+1,j} − x_ij)² + Σ_ij (x_{i,j+1} − x_ij)²

i runs over rows (height), j over columns (width); only true neighbours count (no wrap-around).
x: image [B, C, H, W] (or [C, H, W]); H and W are the last two axes. Example: x = [[0, 1], [2, 4]]
→ (2² + 3²) + (1² + 2²) = 18. A sum, not a mean. Return a scalar tensor that keeps autograd
working, and do not modify x.

Reference: `nst_teach.losses.tv_loss`.

Check your work:  nst-teach grade ex07   (or in a notebook: check("ex07"))
"""

import torch


def tv_loss(x):
    """L_tv = Σ (x_{i+1,j} − x_{i,j})² + Σ (x_{i,j+1} − x_{i,j})²: squared differences of neighbours.

    x: image [B, C, H, W] or [C, H, W] (any scale): count the axes from the end (H is −2, W is −1)
    so both work. Returns a scalar tensor. Shapes: the vertical differences are (…, H−1, W), the
    horizontal ones (…, H, W−1); two shifted slices of x give each, with no loop and no torch.roll.
    """
    # TODO: Exercise 7 — implement this.
    raise NotImplementedError("Exercise 7: not attempted yet")
