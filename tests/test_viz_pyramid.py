"""viz.pyramid_bands draws the Laplacian pyramid that L-BFGS optimises by default (lessons 6 and 8)."""

import torch

import nst_teach as nt
from nst_teach import pyramid, viz


def test_pyramid_bands_draws_every_level_and_they_add_up_to_the_image():
    x = torch.rand(1, 3, 40, 64, generator=torch.Generator().manual_seed(0))
    fig = viz.pyramid_bands(x, coarsest=8)
    assert len(fig.bands) == pyramid.levels_for(x.shape, 8) + 1 == 3  # 40 → 20 → 10 (≥ 8), then stop
    assert sum(len(ax.images) for ax in fig.axes) == len(fig.bands)
    assert [tuple(b.shape[-2:]) for b in fig.bands] == [(40, 64), (20, 32), (10, 16)]
    assert torch.allclose(pyramid.reconstruct(fig.bands), x, atol=1e-6)  # the bands are the whole image
    assert fig.axes[1].get_title().splitlines() == ["band L_1: 20×32", "a coefficient moves 2×2 px"]


def test_pyramid_bands_follows_the_default_coarsest_side():
    coarsest = nt.TransferConfig().pyramid_coarsest
    fig = viz.pyramid_bands(torch.zeros(1, 3, 128, 128), coarsest=coarsest)
    assert min(fig.bands[-1].shape[-2:]) >= coarsest > min(fig.bands[-1].shape[-2:]) / 2
