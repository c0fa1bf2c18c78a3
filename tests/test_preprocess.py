"""Tests for `nst_teach.preprocess`: the two input conventions of VGG-19 and their inverses."""

import pytest
import torch

from nst_teach.errors import NSTError
from nst_teach.preprocess import deprocess, preprocess

CONVENTIONS = ["caffe", "torchvision"]


def pixel(r, g, b):
    """A 1×1 RGB image [1, 3, 1, 1] with the given channel values."""
    return torch.tensor([r, g, b], dtype=torch.float32).view(1, 3, 1, 1)


@pytest.mark.ex01
def test_caffe_pure_red_by_hand():
    # Red (1, 0, 0) → BGR (0, 0, 255) on the 0–255 scale, minus the BGR mean (103.939, 116.779, 123.68).
    x = preprocess(pixel(1.0, 0.0, 0.0), "caffe")
    expected = torch.tensor([-103.939, -116.779, 255.0 - 123.68]).view(1, 3, 1, 1)
    torch.testing.assert_close(x, expected, atol=1e-4, rtol=0)


@pytest.mark.ex01
def test_caffe_channel_order_is_bgr():
    # Each pure primary must land in the reversed channel: R → 2, G → 1, B → 0.
    mean_bgr = torch.tensor([103.939, 116.779, 123.68])
    for rgb_channel, bgr_channel in [(0, 2), (1, 1), (2, 0)]:
        rgb = [0.0, 0.0, 0.0]
        rgb[rgb_channel] = 1.0
        x = preprocess(pixel(*rgb), "caffe").flatten()
        expected = -mean_bgr.clone()
        expected[bgr_channel] += 255.0
        torch.testing.assert_close(x, expected, atol=1e-4, rtol=0)


@pytest.mark.ex01
def test_caffe_grey_pixel_by_hand():
    x = preprocess(pixel(0.5, 0.25, 0.75), "caffe").flatten()
    expected = torch.tensor([0.75 * 255 - 103.939, 0.25 * 255 - 116.779, 0.5 * 255 - 123.68])
    torch.testing.assert_close(x, expected, atol=1e-4, rtol=0)


@pytest.mark.ex01
def test_torchvision_mean_std_by_hand():
    # (img − mean) / std per channel, channel order unchanged (RGB).
    x = preprocess(pixel(1.0, 0.0, 0.5), "torchvision").flatten()
    expected = torch.tensor([(1.0 - 0.485) / 0.229, (0.0 - 0.456) / 0.224, (0.5 - 0.406) / 0.225])
    torch.testing.assert_close(x, expected, atol=1e-6, rtol=0)


@pytest.mark.ex01
def test_torchvision_matches_torchvision_normalize():
    from torchvision.transforms import Normalize

    img = torch.rand(2, 3, 5, 7, generator=torch.Generator().manual_seed(0))
    reference = Normalize(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))(img)
    torch.testing.assert_close(preprocess(img, "torchvision"), reference, atol=1e-6, rtol=0)


@pytest.mark.ex01
@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("shape", [(1, 3, 8, 6), (3, 4, 5), (2, 3, 3, 3)])
def test_round_trip_is_exact(convention, shape):
    img = torch.rand(shape, generator=torch.Generator().manual_seed(1))
    x = preprocess(img, convention)
    assert x.shape == img.shape
    assert not torch.allclose(x, img)  # it did change something
    torch.testing.assert_close(deprocess(x, convention), img, atol=1e-5, rtol=0)


@pytest.mark.ex01
@pytest.mark.parametrize("convention", CONVENTIONS)
def test_deprocess_does_not_clip(convention):
    # deprocess is the exact inverse, so network inputs outside the image range map outside [0, 1].
    x = torch.full((1, 3, 2, 2), 500.0 if convention == "caffe" else 10.0)
    assert deprocess(x, convention).max() > 1.0


@pytest.mark.ex01
@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_and_device_kept(convention, dtype):
    img = torch.rand(1, 3, 4, 4, dtype=dtype, generator=torch.Generator().manual_seed(2))
    for out in (preprocess(img, convention), deprocess(img, convention)):
        assert out.dtype == dtype
        assert out.device == img.device


@pytest.mark.ex01
@pytest.mark.parametrize("convention", CONVENTIONS)
def test_gradient_flows_through_preprocess(convention):
    img = torch.rand(1, 3, 4, 4, generator=torch.Generator().manual_seed(3), requires_grad=True)
    preprocess(img, convention).sum().backward()
    # d/dimg of Σ preprocess(img): 255 per pixel for caffe, 1/std_c for torchvision.
    expected = torch.full_like(img, 255.0) if convention == "caffe" else (
        1.0 / torch.tensor([0.229, 0.224, 0.225])).view(1, 3, 1, 1).expand_as(img)
    torch.testing.assert_close(img.grad, expected)


@pytest.mark.ex01
@pytest.mark.parametrize("function", [preprocess, deprocess])
def test_unknown_convention_raises(function):
    with pytest.raises(NSTError, match="convention"):
        function(torch.zeros(1, 3, 2, 2), "keras")


@pytest.mark.ex01
@pytest.mark.parametrize("shape", [(1, 4, 2, 2), (2, 2), (1, 1, 3, 2, 2)])
def test_bad_shape_raises(shape):
    with pytest.raises(NSTError, match="shape"):
        preprocess(torch.zeros(shape), "caffe")
