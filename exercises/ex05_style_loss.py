"""Exercise 5 — the style loss: how far the generated image's Gram matrices are from the painting's.

At layer l there are N_l filters and M_l = H·W positions. With G = F Fᵀ the Gram matrix of the
generated image's features (F flattened to [N_l, M_l]) and A the (unnormalised) Gram matrix of the
style image's features at the same layer:

    E_l     = 1/(4 N_l² M_l²) Σ_ij (G_ij − A_ij)²
    L_style = Σ_l w_l E_l                    (w_l = 1/L for each of the L layers when weights is None)

Use torch operations only (autograd must reach the image) and do not modify the inputs. The Gram
matrix is exercise 3's G = F Fᵀ, now in torch: flatten the features to (N_l, M_l) first, then G is
(N_l, N_l) like A. torch's ready-made squared error (F.mse_loss, nn.MSELoss) earns 0: write the sum.

Reference: `nst_teach.losses.style_layer_loss` and `style_loss`.

Check your work:  nst-teach grade ex05   (or in a notebook: check("ex05"))
"""

import torch


def style_layer_loss(F, A):
    """E_l = 1/(4 N_l² M_l²) Σ_ij (G_ij − A_ij)², with G = F Fᵀ.

    F: features [1, N_l, H, W] or [N_l, H, W] (N_l filters, M_l = H·W positions); A: target Gram
    [N_l, N_l] (unnormalised). Returns a scalar tensor that keeps autograd working.
    """
    # TODO: Exercise 5 — implement this.
    raise NotImplementedError("Exercise 5: not attempted yet")


def style_loss(features, targets, weights=None):
    """L_style = Σ_l w_l E_l over the style layers.

    features: {layer: F^l of the generated image}; targets: {layer: A^l}; weights: {layer: w_l}
    (default None: w_l = 1/L for each of the L layers, as in the paper's 1/5 for five layers).
    Use your style_layer_loss for E_l.
    """
    # TODO: Exercise 5 — implement this.
    raise NotImplementedError("Exercise 5: not attempted yet")
