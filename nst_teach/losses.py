"""Steps 4–5: the losses that say how far an image is from the content (4) and the style (5) we want; TV (7).

Notation (Gatys et al. 2016): at layer l there are N_l filters and M_l = H_l·W_l positions.
F^l ∈ ℝ^{N_l×M_l}: features of the generated image x;  P^l: features of the content photo p;
G^l = F^l F^lᵀ: Gram matrix of x;  A^l: Gram matrix of the style image a.

    L_content = ½ Σ_ij (F_ij − P_ij)²
    E_l       = 1/(4 N_l² M_l²) Σ_ij (G_ij − A_ij)²
    L_style   = Σ_l w_l E_l
    L_tv      = Σ_ij (x_{i+1,j} − x_ij)² + (x_{i,j+1} − x_ij)²
    L_total   = α L_content + β L_style (+ λ_tv L_tv)

Every loss here is a *sum*, as in the paper, not a mean: a popular alternative (the TensorFlow and
PyTorch tutorials) uses mean squared error, which is the same up to a constant factor that is then
absorbed by α and β. All of them are torch functions that keep autograd working.
"""

from .errors import NSTError
from .gram import gram_matrix


def content_loss(F, P):
    """L_content = ½ Σ_ij (F_ij − P_ij)²  (a sum over all filters and positions, not a mean).

    F: features of the generated image, P: features of the content image, same shape (e.g. [1, N, H, W]).
    """
    if F.shape != P.shape:
        raise NSTError(f"content features have different shapes {tuple(F.shape)} and {tuple(P.shape)}: use images of the same size")
    return 0.5 * ((F - P) ** 2).sum()


def content_loss_per_position(F, P):
    """L_content / M_l = 1/(2 M_l) Σ_ij (F_ij − P_ij)²: the paper's content loss per position.

    F, P: [1, N_l, H, W] (or [N_l, H, W]); M_l = H·W. Why: ½Σ(F−P)² is a sum over the M_l positions,
    so it grows with the image, while E_l (divided by M_l²) does not. With the content term per
    position, α L_content/M_l + β L_style has the same balance at 256 px and at 1024 px; it is the
    paper's objective with β replaced by β·M_l (and divided by M_l, which moves no minimum).
    """
    H, W = F.shape[-2:]
    return content_loss(F, P) / (H * W)


def content_error_map(F, P):
    """Where the content differs: ½ Σ_i (F_ij − P_ij)² at each position j, as a map [H, W].

    F, P: [1, N_l, H, W] (or [N_l, H, W]). The map sums to `content_loss(F, P)`; drawn as a heat map
    it shows *where* an image's content departs from the photo's (lessons 4 and 7). No gradient.
    """
    if F.shape != P.shape:
        raise NSTError(f"content features have different shapes {tuple(F.shape)} and {tuple(P.shape)}: use images of the same size")
    D = (F.detach().float() - P.detach().float()).reshape(-1, *F.shape[-2:])  # (N_l, H, W)
    return 0.5 * (D**2).sum(dim=0)  # (H, W)


def style_layer_loss(F, A, gram=gram_matrix):
    """E_l = 1/(4 N_l² M_l²) Σ_ij (G_ij − A_ij)², with G = F Fᵀ.

    F: features [1, N_l, H, W] or [N_l, H, W] (N_l filters, M_l = H·W positions); A: target Gram
    [N_l, N_l] (unnormalised, ``gram_matrix(style features)``). The 1/(4N²M²) removes the
    dependence on N_l and M_l, so E_l hardly changes with the image size; it does not equalise the
    layers' activation scales (for noise against Starry Night at 64 px, E_l runs from 5e5 at
    relu1_1 to 2e11 at relu4_1). gram: the function that computes G (in the optimisation loop, the
    run's `nst_teach.speed.Speed.gram`: the same G, faster).
    """
    if F.dim() == 4:
        if F.shape[0] != 1:
            raise NSTError("style_layer_loss takes one image at a time: features must be [1, N, H, W]")
        F = F.squeeze(0)  # not F[0]: its gradient would be copied into a fresh tensor (slow; same values)
    N, H, W = F.shape
    M = H * W
    G = gram(F)  # (N_l, N_l)
    if G.shape != A.shape:
        raise NSTError(f"Gram matrices differ in shape: {tuple(G.shape)} vs target {tuple(A.shape)}")
    return ((G - A) ** 2).sum() / (4.0 * N**2 * M**2)


def style_loss(features, targets, weights=None, gram=gram_matrix):
    """L_style = Σ_l w_l E_l over the style layers.

    features: {layer: F^l of the generated image}; targets: {layer: A^l}; weights: {layer: w_l}
    (default: w_l = 1/L for each of the L layers, as in the paper's 1/5 for five layers).
    """
    if weights is None:
        weights = {layer: 1.0 / len(targets) for layer in targets}
    return sum(weights[layer] * style_layer_loss(features[layer], A, gram) for layer, A in targets.items())


def tv_loss(x):
    """L_tv = Σ (x_{i+1,j} − x_{i,j})² + Σ (x_{i,j+1} − x_{i,j})²: squared differences of neighbours.

    x: image [B, C, H, W] (any scale; we use the [0, 1] RGB image). Penalises pixel-level noise
    that the VGG losses alone let through. A sum, so it grows with the image size.
    """
    dh = x[..., 1:, :] - x[..., :-1, :]  # vertical neighbours, (B, C, H−1, W)
    dw = x[..., :, 1:] - x[..., :, :-1]  # horizontal neighbours, (B, C, H, W−1)
    return (dh**2).sum() + (dw**2).sum()


def total_loss(content, style, tv=0.0, *, content_weight=1.0, style_weight=10.0, tv_weight=0.0):
    """L_total = α L_content + β L_style + λ_tv L_tv, with α = content_weight, β = style_weight.

    β = 10 balances the paper's summed content loss at the lessons' 128–256 px; `style_transfer`
    divides the content term by M_l (``weighting="per_position"``), hence its β = 0.1."""
    return content_weight * content + style_weight * style + tv_weight * tv
