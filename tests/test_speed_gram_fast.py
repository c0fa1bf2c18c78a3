"""Tests for `nst_teach.speed.gram_fast`: the same G = F Fᵀ as the lessons' `gram_matrix`, and its
gradient, for channels-last, row-major and bf16 features."""

import torch

from nst_teach.gram import gram_matrix
from nst_teach.speed.gram_fast import autograd_gram, gram_fast
from nst_teach.speed.layout import channels_last


def test_gram_fast_and_its_gradient_match_autograd_on_channels_last_features():
    F_ = channels_last(torch.randn(1, 6, 5, 7, generator=torch.Generator().manual_seed(1))).requires_grad_(True)
    reference = F_.detach().clone().requires_grad_(True)
    upstream = torch.randn(6, 6, generator=torch.Generator().manual_seed(2))
    (gram_fast(F_) * upstream).sum().backward()
    (gram_matrix(reference[0]) * upstream).sum().backward()
    assert torch.allclose(gram_fast(F_), gram_matrix(reference[0]), rtol=1e-5, atol=1e-4)
    assert torch.allclose(F_.grad, reference.grad, rtol=1e-5, atol=1e-4)
    assert F_.grad.is_contiguous(memory_format=torch.channels_last)  # adds to the network's gradient as it is


def test_gram_fast_reads_row_major_features_in_place():
    # The Winograd path leaves features [1, N, H, W] contiguous, not channels-last
    F_ = torch.randn(1, 5, 6, 7, requires_grad=True)
    G = gram_fast(F_)
    assert torch.allclose(G, gram_matrix(F_[0].detach()), rtol=1e-5, atol=1e-4)
    upstream = torch.randn(5, 5)
    (G * upstream).sum().backward()
    expected = ((upstream + upstream.T) @ F_.detach().reshape(5, -1)).view_as(F_)  # ∂/∂F Σ U ∘ FFᵀ
    assert torch.allclose(F_.grad, expected, rtol=1e-5, atol=1e-4) and F_.grad.is_contiguous()


def test_bf16_features_give_an_fp32_gram_summed_in_fp32():
    F_ = torch.rand(1, 4, 64, 64, generator=torch.Generator().manual_seed(3))
    G = gram_fast(F_.bfloat16())
    exact = gram_matrix(F_.bfloat16().float()[0])  # the same bf16 values, summed in fp32
    assert G.dtype == torch.float32 and torch.allclose(G, exact, rtol=1e-5)
    assert autograd_gram(F_.bfloat16()[0]).dtype == torch.float32
