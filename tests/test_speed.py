"""Tests for `nst_teach.speed`, the front: one `speed` option; "plain" is the textbook's arithmetic,
measured nowhere and the same on every machine; the fast paths give the same images up to rounding."""

import re

import pytest
import torch

from nst_teach import speed
from nst_teach.errors import NSTError
from nst_teach.speed import PLAIN, Speed
from nst_teach.transfer import StyleTransferLoss, TransferConfig, style_transfer


def test_a_small_transfer_runs_plain(cat, coffee, vgg, monkeypatch):
    monkeypatch.setenv("NST_TEACH_CALIBRATE", "force")  # plain must not even look at the calibration
    result = style_transfer(cat, coffee, model=vgg, size=64, steps=3, speed="plain")
    assert result.status == "done" and len(result.history) == 3 and result.choice is PLAIN
    assert result.choice.describe() == "precision fp32, Gram autograd, convolutions direct (plain)"
    assert result.history[-1]["total"] < result.history[0]["total"]
    assert vgg.layers.conv1_1.weight.is_contiguous()  # torch's default layout, as the lessons have it


def test_nst_teach_speed_plain_in_the_environment_turns_auto_into_plain(monkeypatch):
    monkeypatch.setenv("NST_TEACH_SPEED", "plain")
    assert speed.resolve("auto") == "plain" and speed.choose("auto", "cpu", size=64) is PLAIN
    assert speed.resolve("fp32+fast+direct") == "fp32+fast+direct"  # an explicit choice wins
    assert speed.network_precision("auto", "cpu") == "fp32"
    monkeypatch.setenv("NST_TEACH_SPEED", "turbo")
    with pytest.raises(NSTError, match="unknown speed 'turbo'"):
        speed.resolve("auto")


@pytest.mark.parametrize("value, words", [("fast", "auto, plain, or precision+gram+conv"), ("fp16+fast+direct", "precision"),
                                          ("fp32+fast+fft", "convolutions"), ("bf16+fast+winograd", "fp32 only")])
def test_a_speed_that_names_no_arithmetic_is_one_line_error(value, words):
    with pytest.raises(NSTError, match=re.escape(words)):
        TransferConfig(speed=value).validate()


def test_a_given_arithmetic_is_used_as_given():
    chosen = speed.choose("fp32+autograd+direct", "cpu", size=64)
    assert (chosen.precision, chosen.gram_path, chosen.conv, chosen.source) == ("fp32", "autograd", "direct", "given")
    assert not chosen.plain  # a given fp32 still gets the channels-last layout


def test_plain_and_fast_paths_compute_the_same_loss_and_gradient(vgg, cat, coffee):
    """The fast paths change how, not what: fp32 + gram_fast + channels-last against the textbook's."""
    config = TransferConfig(style_weight=1000.0, weighting="paper")

    def loss_and_gradient(arithmetic):
        loss_fn = StyleTransferLoss(vgg, cat, coffee, config, arithmetic)
        x = (cat * 0.7 + 0.15).requires_grad_(True)
        total, parts = loss_fn(x)
        total.backward()
        return parts, x.grad

    plain, g_plain = loss_and_gradient(PLAIN)
    assert vgg.layers.conv1_1.weight.is_contiguous()  # plain: torch's default layout
    fast, g_fast = loss_and_gradient(Speed("fp32", "fast", "direct", "given"))
    assert vgg.layers.conv1_1.weight.is_contiguous(memory_format=torch.channels_last)
    for key in ("content", "style", "total"):
        assert fast[key] == pytest.approx(plain[key], rel=1e-4), key
    assert ((g_fast - g_plain).norm() / g_plain.norm()).item() < 1e-3
