"""Tests for `nst_teach.colour`: luminance-only transfer and colour histogram matching."""

import numpy as np
import pytest
import torch

from nst_teach.colour import match_colour_histogram, preserve_colours, rgb_to_yiq, yiq_to_rgb
from nst_teach.errors import NSTError


def rand_image(h, w, seed, low=0.3, high=0.7):
    g = torch.Generator().manual_seed(seed)
    return low + (high - low) * torch.rand(1, 3, h, w, generator=g)


def test_yiq_round_trip_and_known_luminance():
    img = rand_image(8, 9, 0, 0.0, 1.0)
    torch.testing.assert_close(yiq_to_rgb(rgb_to_yiq(img), clip=False), img, atol=1e-5, rtol=0)
    white = torch.ones(1, 3, 2, 2)
    yiq = rgb_to_yiq(white)
    torch.testing.assert_close(yiq[0, :, 0, 0], torch.tensor([1.0, 0.0, 0.0]), atol=1e-5, rtol=0)  # white: Y=1, no colour


@pytest.mark.parametrize("rgb, Y", [((1, 0, 0), 0.299), ((0, 1, 0), 0.587), ((0, 0, 1), 0.114), ((0.5, 0.5, 0.5), 0.5)])
def test_luminance_weights_of_pure_colours(rgb, Y):
    # NTSC luminance: red 0.299, green 0.587, blue 0.114 (catches a BGR-ordered Y row); grey has no I, Q.
    img = torch.tensor(rgb, dtype=torch.float32).view(1, 3, 1, 1).expand(1, 3, 2, 2)
    yiq = rgb_to_yiq(img)[0, :, 0, 0]
    assert yiq[0].item() == pytest.approx(Y, abs=1e-6)
    if len(set(rgb)) == 1:
        torch.testing.assert_close(yiq[1:], torch.zeros(2), atol=1e-6, rtol=0)


def test_preserve_colours_keeps_result_luminance_and_content_colour():
    content, result = rand_image(10, 12, 1), rand_image(10, 12, 2)
    out = preserve_colours(result, content, clip=False)
    y_out, y_res, y_con = rgb_to_yiq(out), rgb_to_yiq(result), rgb_to_yiq(content)
    torch.testing.assert_close(y_out[:, 0], y_res[:, 0], atol=1e-5, rtol=0)
    torch.testing.assert_close(y_out[:, 1:], y_con[:, 1:], atol=1e-5, rtol=0)
    with pytest.raises(NSTError, match="differ in size"):
        preserve_colours(result, rand_image(5, 5, 3))


def test_histogram_matching_gives_content_mean_and_covariance():
    # A bluish style and a reddish content of different sizes; values stay inside [0, 1], so no clipping.
    style = rand_image(20, 30, 4, 0.2, 0.4) * torch.tensor([0.5, 0.8, 1.0]).view(1, 3, 1, 1)
    content = rand_image(16, 16, 5, 0.4, 0.6) * torch.tensor([1.0, 0.7, 0.5]).view(1, 3, 1, 1)
    out = match_colour_histogram(style, content, clip=False)
    assert out.shape == style.shape
    P, C = out[0].reshape(3, -1).double().numpy(), content[0].reshape(3, -1).double().numpy()
    np.testing.assert_allclose(P.mean(1), C.mean(1), atol=1e-5)
    np.testing.assert_allclose(np.cov(P), np.cov(C), atol=1e-6)
