"""Step 8: keeping the content photo's colours.

After Gatys, Bethge, Hertzmann & Shechtman, "Preserving Color in Neural Artistic Style Transfer"
(arXiv 2016), and Gatys, Ecker, Bethge, Hertzmann & Shechtman, "Controlling Perceptual Factors in
Neural Style Transfer" (CVPR 2017, §5). Style transfer copies the style image's palette along with
its brush strokes. Two simple fixes:

**Luminance-only transfer**, simplified: the paper runs the whole transfer on luminance images (the
style's luminance first matched to the content's mean and variance) and then adds the photo's
colour channels. `preserve_colours` is the cheaper variant applied after an ordinary full-colour
run: keep the *brightness* of the stylised result and the *colour* of the content photo. In the YIQ
colour space (Y = luminance, I and Q = colour),

    Y = 0.299 R + 0.587 G + 0.114 B,    result' = YIQ⁻¹(Y_result, I_content, Q_content).

**Colour histogram matching** (applied to the style image before the run): a linear map
x' = A (x − μ_s) + μ_c that gives the style pixels the mean μ_c and covariance Σ_c of the content
pixels, with A = Σ_c^{1/2} Σ_s^{−1/2} (symmetric matrix square roots). Then the transfer copies the
style's texture but not its colours.

Images are tensors [1, 3, H, W], RGB in [0, 1]; results are clipped to [0, 1].
"""

import torch

from .errors import NSTError

# Rows: Y, I, Q as combinations of R, G, B (NTSC).
RGB_TO_YIQ = torch.tensor([
    [0.299, 0.587, 0.114],
    [0.595716, -0.274453, -0.321263],
    [0.211456, -0.522591, 0.311135],
], dtype=torch.float64)


def _pixels(img):
    """[1, 3, H, W] → (3, H·W) float64 matrix of pixels (one column per pixel)."""
    if not torch.is_tensor(img) or img.dim() != 4 or img.shape[:2] != (1, 3):
        raise NSTError(f"expected an image tensor [1, 3, H, W], got {getattr(img, 'shape', type(img))}: use nst_teach.load_image")
    return img[0].detach().double().reshape(3, -1)  # (3, M)


def _image(pixels, like, clip=True):
    out = pixels.reshape(like.shape[1:]).unsqueeze(0).to(like.dtype)  # (1, 3, H, W)
    return out.clamp(0, 1) if clip else out


def rgb_to_yiq(img):
    """[1, 3, H, W] RGB → [1, 3, H, W] YIQ (channel 0 = luminance Y)."""
    pixels = _pixels(img)
    return _image(RGB_TO_YIQ.to(pixels.device) @ pixels, img, clip=False)


def yiq_to_rgb(yiq, clip=True):
    """The inverse of `rgb_to_yiq` (clipped to [0, 1] unless clip=False)."""
    pixels = _pixels(yiq)
    return _image(torch.linalg.inv(RGB_TO_YIQ).to(pixels.device) @ pixels, yiq, clip=clip)


def preserve_colours(result, content, clip=True):
    """Luminance of ``result`` + colour (I, Q) of ``content`` → RGB. Both images must be the same size."""
    if result.shape != content.shape:
        raise NSTError(f"result {tuple(result.shape)} and content {tuple(content.shape)} differ in size: resize one to the other")
    yiq = rgb_to_yiq(content)
    yiq[:, 0] = rgb_to_yiq(result)[:, 0]  # swap in the stylised luminance
    return yiq_to_rgb(yiq, clip=clip)


def _sqrtm(S, inverse=False):
    """Symmetric square root S^{1/2} (or S^{−1/2}) via the eigendecomposition S = V diag(λ) Vᵀ."""
    lam, V = torch.linalg.eigh(S)
    lam = lam.clamp_min(1e-10)  # a flat channel has λ = 0: regularise instead of dividing by 0
    power = -0.5 if inverse else 0.5
    return V @ torch.diag(lam**power) @ V.T


def match_colour_histogram(style, content, clip=True):
    """Recolour ``style`` so that its pixels have the mean and covariance of ``content``'s pixels.

    x' = A (x − μ_s) + μ_c with A = Σ_c^{1/2} Σ_s^{−1/2}; the images may differ in size.
    """
    S, C = _pixels(style), _pixels(content)  # (3, M_s), (3, M_c)
    mu_s, mu_c = S.mean(1, keepdim=True), C.mean(1, keepdim=True)  # (3, 1)
    cov_s, cov_c = torch.cov(S), torch.cov(C)  # (3, 3)
    A = _sqrtm(cov_c) @ _sqrtm(cov_s, inverse=True)
    return _image(A @ (S - mu_s) + mu_c, style, clip=clip)
