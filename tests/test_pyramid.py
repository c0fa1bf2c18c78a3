"""Tests for `nst_teach.pyramid`: the Laplacian pyramid reconstructs the image exactly, the
parametrisation's gradient is the adjoint of its decoding, and style transfer runs on it."""

import pytest
import torch

from nst_teach.pyramid import PyramidParametrisation, decompose, levels_for, reconstruct


@pytest.mark.parametrize("shape", [(1, 3, 64, 96), (1, 3, 37, 53), (1, 3, 17, 16)])
def test_the_pyramid_reconstructs_the_image_exactly(shape):
    x = torch.rand(shape, generator=torch.Generator().manual_seed(0))
    levels = levels_for(shape, coarsest=4)
    coefficients = decompose(x, levels)
    assert len(coefficients) == levels + 1 and coefficients[0].shape == x.shape
    assert coefficients[-1].shape[-1] < x.shape[-1]  # the residual is small
    assert torch.allclose(reconstruct(coefficients), x, atol=1e-6)


def test_band_pass_levels_of_a_flat_image_are_zero():
    x = torch.full((1, 3, 32, 48), 0.3)
    coefficients = decompose(x, 3)
    assert all(c.abs().max() < 1e-6 for c in coefficients[:-1])  # no detail at any scale
    assert torch.allclose(coefficients[-1], torch.full_like(coefficients[-1], 0.3))  # all in the residual


@pytest.mark.parametrize("weight", [1.0, 0.5])
def test_encode_and_decode_are_inverse(weight):
    x = torch.rand(1, 3, 45, 60, generator=torch.Generator().manual_seed(1))
    p = PyramidParametrisation(x.shape, levels=3, weight=weight)
    z = p.encode(x)
    assert z.dim() == 1 and z.numel() > x.numel()  # every level's coefficients, in one vector
    assert torch.allclose(p.decode(z), x, atol=1e-6)


def test_the_gradient_is_the_adjoint_of_decode():
    """⟨∂f/∂z, dz⟩ = ⟨∂f/∂x, decode(dz)⟩ for the linear decode: the chain rule, checked numerically."""
    g = torch.Generator().manual_seed(2)
    p = PyramidParametrisation((1, 3, 40, 56), levels=3, weight=0.7)
    z, dz = torch.randn(p.encode(torch.zeros(1, 3, 40, 56)).shape, generator=g), None
    dz = torch.randn(z.shape, generator=g)
    grad_x = torch.randn(1, 3, 40, 56, generator=g)
    lhs = (p.gradient(z, grad_x) * dz).sum()
    rhs = (grad_x * p.decode(dz)).sum()
    assert lhs.item() == pytest.approx(rhs.item(), rel=1e-4)


def test_levels_stop_above_the_coarsest_size():
    assert levels_for((1, 3, 341, 512)) == 4  # 341 → 171 → 86 → 43 → 22 (≥ 16)
    assert levels_for((1, 3, 16, 16)) == 0
