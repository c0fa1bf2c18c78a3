"""Tests for `nst_teach.reconstruct` (from noise, each half of the loss pulls x towards its target)
and `nst_teach.multiscale` (coarse-to-fine)."""

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


def test_coarse_to_fine_grows_and_lowers_the_loss(vgg, cat, coffee):
    from nst_teach.multiscale import coarse_to_fine
    from nst_teach.transfer import StyleTransferLoss, TransferConfig

    stages = coarse_to_fine(cat, coffee, sizes=(48, 96), steps=4, model=vgg)
    assert [max(s.shape[-2:]) for s in stages] == [48, 96]
    assert all(0 <= s.min() and s.max() <= 1 for s in stages)
    loss_fn = StyleTransferLoss(vgg, cat, coffee, TransferConfig())
    with torch.no_grad():
        assert loss_fn(stages[-1])[0] < loss_fn(cat)[0]  # better than where plain transfer starts


def test_coarse_to_fine_starts_each_stage_from_the_previous_result(vgg, cat, coffee, monkeypatch):
    from nst_teach import multiscale

    inits, real = [], multiscale.style_transfer

    def recording(content, style, **options):
        inits.append(options["init"])
        return real(content, style, **options)

    monkeypatch.setattr(multiscale, "style_transfer", recording)
    stages = multiscale.coarse_to_fine(cat, coffee, sizes=(48, 96), steps=2, model=vgg)
    assert inits[0] == "content"
    assert torch.equal(inits[1], stages[0])  # stage 2 starts from stage 1's image (upsampled inside)


def test_coarse_to_fine_needs_increasing_sizes(cat, coffee):
    from nst_teach.errors import NSTError
    from nst_teach.multiscale import coarse_to_fine

    with pytest.raises(NSTError, match="increasing"):
        coarse_to_fine(cat, coffee, sizes=(96, 48))
