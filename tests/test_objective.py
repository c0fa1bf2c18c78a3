"""The paper's objective written out literally, against `StyleTransferLoss(weighting="paper")`.

Gatys et al. (2016), with the Caffe VGG-19:

    L = α · ½ Σ_ik (F_ik − P_ik)²                       at relu4_2
      + β · Σ_l w_l · 1/(4 N_l² M_l²) Σ_ij (G_ij − A_ij)²   at relu1_1 … relu5_1,   G_ij = Σ_k F_ik F_jk

Everything below is computed here in float64 with loops (over layers, blocks and positions): the
Caffe preprocessing, VGG-19's convolutions, ReLUs and poolings (from the model's weights only), each
Gram matrix as a sum of outer products over positions k. None of nst_teach's preprocess, features,
gram or losses is used. The style image has another size and aspect ratio than the photo, so A is
summed over other positions than G — as in the paper, where A is simply the style image's Gram.
"""

import pytest
import torch
import torch.nn.functional as F

from nst_teach import speed
from nst_teach.config import STYLE_LAYERS
from nst_teach.images import load_image
from nst_teach.transfer import StyleTransferLoss, TransferConfig, image_at_size, style_transfer

ALPHA, BETA, W_L = 1.0, 1e3, 0.2
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
CONVS_PER_BLOCK = (2, 2, 4, 4, 4)


def literal_features(model, img):
    """{relu{b}_{i}: feature map [N_l, H_l, W_l]} of an RGB image [1, 3, H, W] in [0, 1], float64."""
    r, g, b = (img[0, c].double() * 255.0 for c in range(3))
    h = torch.stack([b - CAFFE_MEAN_BGR[0], g - CAFFE_MEAN_BGR[1], r - CAFFE_MEAN_BGR[2]])[None]  # BGR, (1, 3, H, W)
    layers, out = dict(model.layers.named_children()), {}
    for block, convs in enumerate(CONVS_PER_BLOCK, start=1):
        if block > 1:
            h = F.max_pool2d(h, 2)  # pool{block-1}
        for i in range(1, convs + 1):
            conv = layers[f"conv{block}_{i}"]
            h = torch.relu(F.conv2d(h, conv.weight.double(), conv.bias.double(), padding=1))
            out[f"relu{block}_{i}"] = h[0]
            if block == 5:  # relu5_1 is the deepest layer the objective uses
                return out
    return out


def literal_gram(Fm):
    """G_ij = Σ_k F_ik F_jk, summed position by position. Fm: [N, H, W] → [N, N]."""
    N = Fm.shape[0]
    flat = Fm.reshape(N, -1)  # (N_l, M_l)
    G = torch.zeros(N, N, dtype=torch.float64)
    for k in range(flat.shape[1]):
        G += torch.outer(flat[:, k], flat[:, k])
    return G


def literal_objective(model, x, content, style):
    """(content term, style term, total) of the paper for image x, photo ``content``, painting ``style``."""
    Fx, P, S = (literal_features(model, img) for img in (x, content, style))
    L_content = 0.5 * ((Fx["relu4_2"] - P["relu4_2"]) ** 2).sum()
    L_style = 0.0
    for layer in STYLE_LAYERS:
        N, H, W = Fx[layer].shape
        M = H * W  # positions of the *generated* image at this layer
        G, A = literal_gram(Fx[layer]), literal_gram(S[layer])
        L_style += W_L * ((G - A) ** 2).sum() / (4.0 * N**2 * M**2)
    return float(L_content), float(L_style), float(ALPHA * L_content + BETA * L_style)


def paper_config(size=None):
    return TransferConfig(size=size, weighting="paper", content_weight=ALPHA, style_weight=BETA, tv_weight=0.0,
                          content_layers=("relu4_2",), style_layers=STYLE_LAYERS, style_layer_weights=(W_L,) * 5)


@pytest.fixture(scope="module")
def photo(sample_cache):
    return load_image("cat", 64, cache_dir=sample_cache)  # (1, 3, 43, 64): landscape


@pytest.fixture(scope="module")
def painting(sample_cache):
    return load_image("starry_night", 80, cache_dir=sample_cache)[..., :, :52]  # (1, 3, 60, 52): portrait, larger


# bf16 (the network's arithmetic where the CPU has it) rounds each feature to an 8-bit mantissa: the
# style term then differs by 1.0–1.1 % here (1.1 % for the photo at 512 px); the objective itself is the fp32 one.
@pytest.mark.parametrize("precision, rel", [("fp32", 1e-4), ("bf16", 0.02)])
def test_paper_weighting_is_the_literal_objective(vgg, photo, painting, precision, rel):
    """Our loss for an image between the photo and noise equals the literal sum, term by term."""
    assert painting.shape[-2:] != photo.shape[-2:] and painting.shape[-1] < painting.shape[-2]
    x = (0.6 * photo + 0.4 * torch.rand(photo.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    loss = StyleTransferLoss(vgg, photo, painting, paper_config(), speed.choose(f"{precision}+fast+direct", "cpu"))
    with torch.no_grad():
        total, parts = loss(x)
    content, style, expected = literal_objective(vgg, x, photo, painting)
    assert parts["content"] == pytest.approx(content, rel=rel)
    assert parts["style"] == pytest.approx(style, rel=rel)
    assert float(total) == pytest.approx(expected, rel=rel)
    assert content > 0 and style > 0  # each term is compared on its own above: neither is trivially 0


def test_style_transfer_reports_the_literal_objective_of_its_inputs_at_size(vgg, sample_cache):
    """Through the tool: full-size pictures of two sizes brought to 64 px; the first step's loss is
    the literal objective of the photo, with the painting resized as a file would be."""
    photo_full = load_image("cat", 150, cache_dir=sample_cache)  # (1, 3, 100, 150)
    painting_full = load_image("starry_night", 200, cache_dir=sample_cache)[..., :, :120]  # (1, 3, 150, 120)
    result = style_transfer(photo_full, painting_full, config=paper_config(64), model=vgg, steps=1,
                            init="content", speed="fp32+fast+direct")
    photo_64, painting_64 = image_at_size(photo_full, 64), image_at_size(painting_full, 64)
    assert painting_64.shape[-2:] == (64, 51)
    content, style, total = literal_objective(vgg, photo_64, photo_64, painting_64)
    assert content == 0.0  # x₀ is the photo
    assert result.history[0]["style"] == pytest.approx(style, rel=1e-4)
    assert result.history[0]["total"] == pytest.approx(total, rel=1e-4)
