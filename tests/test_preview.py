"""Tests for `nst_teach.preview`: each change re-runs from the last image, with the new settings."""

import pytest
import torch

from nst_teach.preview import Preview
from nst_teach.transfer import StyleTransferLoss, TransferConfig


def test_each_update_starts_from_the_last_image_with_the_new_settings(vgg, cat, coffee):
    preview = Preview(cat, coffee, size=None, steps=2, model=vgg, speed="plain")
    first = preview.update().clone()
    assert first.shape == cat.shape and 0 <= first.min() and first.max() <= 1
    second = preview.update(style_weight=1000.0)
    assert preview.settings["style_weight"] == 1000.0 and not torch.equal(first, second)
    # The second run started from the first result: its history would start at that image's loss.
    config = TransferConfig(size=None, style_weight=1000.0, style_layer_weights=preview.settings["style_layer_weights"])
    with torch.no_grad():
        _, at_first = StyleTransferLoss(vgg, cat, coffee, config)(first)
    assert preview.result.history[0]["total"] == pytest.approx(at_first["total"], rel=1e-4)  # warm start
    assert preview.result.history[-1]["total"] < at_first["total"]  # and downhill from there
    assert len(preview.history) == 2 and all(evaluations >= 2 for _, _, evaluations in preview.history)


def test_changing_the_style_image_reloads_it(vgg, cat, coffee):
    preview = Preview(cat, coffee, size=None, steps=1, model=vgg, speed="plain")
    preview.update()
    preview.update(style=cat, style_layer_weights=(1, 0, 0, 0, 0))
    assert torch.equal(preview.style, cat) and preview.settings["style_layer_weights"] == (1, 0, 0, 0, 0)
    with pytest.raises(TypeError, match="cannot change"):
        preview.update(size=512)


def test_an_update_stops_when_its_time_is_up(vgg, cat, coffee):
    # seconds=0: the first step already took longer, so each update runs exactly one step
    preview = Preview(cat, coffee, size=None, steps=5, model=vgg, speed="plain", seconds=0)
    preview.update()
    assert len(preview.result.history) == 1
    unlimited = Preview(cat, coffee, size=None, steps=3, model=vgg, speed="plain", seconds=None)
    unlimited.update()
    assert len(unlimited.result.history) == 3
