"""Tests for `nst_teach.speed.winograd`: Winograd convolutions give torch's direct convolution and its
gradient (up to rounding), only VGG's own convolutions are routed, and the style-transfer loss is
the same either way."""

import pytest
import torch
import torch.nn.functional as F

from nst_teach.config import TransferConfig
from nst_teach.speed import Speed
from nst_teach.speed.winograd import flipped, release, winograd_available, winograd_convolutions
from nst_teach.transfer import StyleTransferLoss

pytestmark = pytest.mark.skipif(not winograd_available(), reason="this torch has no NNPACK")


def relative(a, b):
    return ((a - b).norm() / b.norm()).item()


@pytest.mark.parametrize("C_in, C_out, H, W", [(16, 64, 37, 50), (64, 128, 20, 13), (256, 256, 9, 7)])
def test_winograd_gives_the_direct_convolution_and_its_gradient(C_in, C_out, H, W):
    g = torch.Generator().manual_seed(C_in)
    x = torch.randn(1, C_in, H, W, generator=g)
    Wt, b = torch.randn(C_out, C_in, 3, 3, generator=g) * 0.1, torch.randn(C_out, generator=g)
    upstream = torch.randn(1, C_out, H, W, generator=g)  # a loss whose gradient is not uniform

    def output_and_gradient(winograd):
        xx = x.clone().requires_grad_(True)
        with winograd_convolutions(winograd):
            y = F.conv2d(xx, Wt, b, padding=1)
        (y * upstream).sum().backward()
        return y.detach(), xx.grad

    y_direct, g_direct = output_and_gradient(False)
    y_wino, g_wino = output_and_gradient(True)
    assert relative(y_wino, y_direct) < 1e-4
    assert relative(g_wino, g_direct) < 1e-4
    assert not torch.equal(y_wino, y_direct)  # it really ran another algorithm (rounding differs)


def test_the_flipped_filter_is_the_adjoint():
    # ⟨conv(x, W), y⟩ = ⟨x, conv(y, flipped(W))⟩ for stride 1, padding 1: the backward pass's filter
    g = torch.Generator().manual_seed(1)
    x, y, Wt = torch.randn(1, 4, 6, 5, generator=g), torch.randn(1, 7, 6, 5, generator=g), torch.randn(7, 4, 3, 3, generator=g)
    lhs = (F.conv2d(x, Wt, padding=1) * y).sum()
    rhs = (x * F.conv2d(y, flipped(Wt), padding=1)).sum()
    assert lhs.item() == pytest.approx(rhs.item(), rel=1e-5)


def test_only_vggs_convolutions_are_routed():
    x = torch.randn(1, 16, 8, 8)
    learnable = torch.randn(4, 16, 3, 3, requires_grad=True)  # its gradient would be needed: not ours
    five = torch.randn(4, 16, 5, 5)
    with winograd_convolutions() as mode:
        F.conv2d(x, learnable, padding=1).sum().backward()
        F.conv2d(x, five, padding=2)
        F.conv2d(x, five[..., :3, :3], stride=2, padding=1)
        F.conv2d(x[:, :3], five[:, :3, :3, :3].contiguous(), padding=1)  # 3 channels: direct is faster
        F.conv2d(torch.cat([x, x]), five[..., :3, :3].contiguous(), padding=1)  # two images at once
        assert mode.filters == {}
        F.conv2d(x, five[..., :3, :3].contiguous(), padding=1)
        assert len(mode.filters) == 1
    assert learnable.grad is not None


def test_the_first_layer_answers_in_rows_like_the_others():
    """conv1_1 stays direct; with a channels-last filter (as `style_transfer` keeps the model) oneDNN
    would answer in channels-last, and every evaluation would copy its 44 MB map back to rows."""
    x = torch.rand(1, 3, 16, 16)
    W = torch.randn(64, 3, 3, 3).contiguous(memory_format=torch.channels_last)
    with winograd_convolutions() as mode:
        y = F.conv2d(x, W, padding=1)
        assert mode.filters == {}  # not routed
    assert y.is_contiguous()
    torch.testing.assert_close(y, F.conv2d(x, W.contiguous(), padding=1))


def test_one_filter_transform_serves_every_image_size():
    # U = G W Gᵀ is computed once per filter and reused: it must not depend on the image's size
    g = torch.Generator().manual_seed(2)
    Wt, b = torch.randn(32, 16, 3, 3, generator=g) * 0.1, torch.randn(32, generator=g)
    images = [torch.randn(1, 16, H, W, generator=g) for H, W in [(40, 30), (7, 9), (64, 64), (40, 30)]]
    direct = [F.conv2d(x, Wt, b, padding=1) for x in images]
    mode = winograd_convolutions()
    for x, y in zip(images, direct):
        with mode:
            assert relative(F.conv2d(x, Wt, b, padding=1), y) < 1e-4
    assert len(mode.filters) == 1


def test_style_transfer_loss_is_the_same_with_winograd(vgg, cat, coffee):
    config = TransferConfig(size=None, style_weight=1000.0, weighting="paper")
    x0 = cat * 0.8 + 0.1

    def total_and_gradient(conv):
        loss_fn = StyleTransferLoss(vgg, cat, coffee, config, Speed("fp32", "fast", conv, "given"))
        x = x0.clone().requires_grad_(True)
        total, parts = loss_fn(x)
        total.backward()
        return total.item(), x.grad

    direct, g_direct = total_and_gradient("direct")
    wino, g_wino = total_and_gradient("winograd")
    assert wino == pytest.approx(direct, rel=1e-3)
    assert relative(g_wino, g_direct) < 1e-2  # 13 convolutions deep, each rounding its own way


def test_a_filter_changed_in_place_is_transformed_again():
    g = torch.Generator().manual_seed(3)
    x, Wt = torch.randn(1, 16, 12, 10, generator=g), torch.randn(8, 16, 3, 3, generator=g)
    mode = winograd_convolutions()
    with mode:
        F.conv2d(x, Wt, padding=1)
    Wt.mul_(-2)  # e.g. someone fine-tuning the network in place
    direct = F.conv2d(x, Wt, padding=1)
    with mode:
        assert relative(F.conv2d(x, Wt, padding=1), direct) < 1e-4


def test_loss_functions_on_one_model_share_its_transformed_filters_until_released(vgg, cat, coffee):
    import copy

    model = copy.deepcopy(vgg)
    config = TransferConfig(size=None, style_weight=1000.0)
    StyleTransferLoss(model, cat, coffee, config, Speed("fp32", "fast", "winograd", "given"))
    filters = dict(winograd_convolutions(True, model).filters)
    StyleTransferLoss(model, coffee, cat, config, Speed("fp32", "autograd", "winograd", "given"))
    shared = winograd_convolutions(True, model)
    assert len(filters) == 12  # conv1_2 … conv5_1 (conv1_1 stays direct)
    assert all(shared.filters[k] is f for k, f in filters.items())  # not transformed again
    assert copy.deepcopy(shared).filters == {}  # a copied model transforms its own
    release(model)
    assert winograd_convolutions(True, model).filters == {}  # freed: the next user transforms afresh
