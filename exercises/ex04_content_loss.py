"""Exercise 4 — the content loss: how far the generated image's features are from the photo's.

    L_content = ½ Σ_ij (F_ij − P_ij)²       (a sum over all filters and positions, not a mean)

F: features of the generated image, P: features of the content photo, same shape (e.g. [1, N, H, W]).
Example: F = [[1, 2], [3, 4]], P = [[0, 2], [3, 6]] → ½ (1² + 2²) = 2.5. The ½ makes ∂L/∂F = F − P.
Return a 0-dimensional torch tensor computed with torch operations (no .item(), no numpy), so
autograd can carry the gradient back to the image. Do not modify F or P. torch's ready-made
squared error (F.mse_loss, nn.MSELoss) earns 0: write the sum yourself.

Reference: `nst_teach.losses.content_loss`.

Check your work:  nst-teach grade ex04   (or in a notebook: check("ex04"))
"""

import torch


def content_loss(F, P):
    """L_content = ½ Σ_ij (F_ij − P_ij)²  (a sum over all filters and positions, not a mean).

    F: features of the generated image, P: features of the content image, same shape (e.g. [1, N, H, W]).
    Returns a scalar tensor (shape ()) that keeps autograd working.
    """
    # TODO: Exercise 4 — implement this.
    raise NotImplementedError("Exercise 4: not attempted yet")
