"""Tests for `nst_teach.reconstruct` (from noise, each half of the loss pulls x towards its target)
(coarse to fine is tested with `style_transfer`'s scales in test_transfer)."""

import pytest
import torch

from nst_teach.features import extract_features
from nst_teach.gram import gram_matrix
from nst_teach.losses import style_layer_loss
from nst_teach.preprocess import preprocess
from nst_teach.reconstruct import reconstruct_content, synthesize_texture

pytestmark = pytest.mark.slow


def test_content_reconstruction_from_a_shallow_layer_approaches_the_photo(vgg, cat):
    result = reconstruct_content(cat, "relu1_2", steps=15, model=vgg, device="cpu")
    losses = [h["content"] for h in result.history]
    assert losses[-1] < 0.05 * losses[0]
    assert all(h["total"] == pytest.approx(h["content"]) for h in result.history)  # β = 0: total = content loss
    noise = torch.rand(cat.shape, generator=torch.Generator().manual_seed(0))
    assert (result.image - cat).abs().mean() < 0.5 * (noise - cat).abs().mean()


def test_texture_synthesis_matches_gram_matrices_and_is_seeded(vgg, cat):
    layers = ("relu1_1", "relu2_1")
    result = synthesize_texture(cat, layers, steps=10, model=vgg, device="cpu")
    assert result.image.shape == cat.shape
    with torch.no_grad():
        target = extract_features(vgg, preprocess(cat), layers)
        start = torch.rand(cat.shape, generator=torch.Generator().manual_seed(0))  # init="noise", seed 0
        E = {name: [style_layer_loss(extract_features(vgg, preprocess(x), layers)[name], gram_matrix(target[name][0])).item()
                    for x in (start, result.image)] for name in layers}
    for before, after in E.values():
        assert after < 0.2 * before
    again = synthesize_texture(cat, layers, steps=10, model=vgg, device="cpu")
    torch.testing.assert_close(again.image, result.image)


def test_reconstruct_and_synthesize_with_a_given_loss_call_it_and_descend(vgg, cat):
    from nst_teach.losses import content_loss, style_loss
    from nst_teach.reconstruct import reconstruct_with, synthesize_with

    calls = []

    def my_content_loss(F, P):
        calls.append(F.shape)
        return content_loss(F, P)

    small = cat[..., :48, :48]
    x, losses = reconstruct_with(my_content_loss, small, "relu2_2", steps=5, model=vgg)
    assert calls and x.shape == small.shape and 0 <= x.min() and x.max() <= 1
    assert len(losses) >= 2 and losses[-1] < losses[0]
    x, losses = synthesize_with(style_loss, small, ["relu1_1", "relu2_1"], steps=5, model=vgg)
    assert losses[-1] < losses[0]
