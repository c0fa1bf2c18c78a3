"""Tests for `nst_teach.speed.precision` and `.layout`: bf16 where it is fast, channels-last, and the
losses kept in fp32."""

import pytest
import torch

from nst_teach.errors import NSTError
from nst_teach.features import extract_features
from nst_teach.preprocess import preprocess
from nst_teach.speed import Speed
from nst_teach.speed.layout import channels_last, rows
from nst_teach.speed.precision import bf16_is_fast, network_precision, resolve_precision
from nst_teach.transfer import StyleTransferLoss, TransferConfig


def test_auto_picks_bf16_exactly_where_it_is_fast():
    assert resolve_precision("auto", "cpu") == ("bf16" if bf16_is_fast("cpu") else "fp32")
    assert resolve_precision("fp32", "cpu") == "fp32" and resolve_precision("bf16", "cpu") == "bf16"
    with pytest.raises(NSTError, match="auto, fp32 or bf16"):
        resolve_precision("fp16", "cpu")


def test_channels_last_changes_the_layout_not_the_values(vgg, cat):
    x = preprocess(cat)
    y = channels_last(x)
    assert y.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(x, y) and torch.equal(rows(y), x) and rows(y).is_contiguous()
    plain = extract_features(vgg, x, ["relu3_1"])["relu3_1"]
    fast = extract_features(vgg, y, ["relu3_1"])["relu3_1"]
    # Only the order of the sums differs: fp32 rounding, far below the features' scale.
    assert (fast - plain).abs().max() < 1e-5 * plain.abs().max()


def test_bf16_runs_the_network_in_bf16_but_the_losses_in_fp32(vgg, cat, coffee):
    with network_precision("cpu", "bf16"):
        F = extract_features(vgg, preprocess(cat), ["relu1_1"])["relu1_1"]
    assert F.dtype == torch.bfloat16  # the convolutions really ran in bf16
    config = TransferConfig()
    exact = StyleTransferLoss(vgg, cat, coffee, config, Speed("fp32", "fast", "direct", "given"))
    fast = StyleTransferLoss(vgg, cat, coffee, config, Speed("bf16", "fast", "direct", "given"))
    assert all(A.dtype == torch.float32 for A in fast.A.values())  # Gram targets summed in fp32
    x = coffee.clone().requires_grad_(True)
    total, parts = fast(x)
    assert total.dtype == torch.float32
    total.backward()
    assert x.grad.dtype == torch.float32 and torch.isfinite(x.grad).all()
    with torch.no_grad():
        _, reference = exact(coffee)
    # bf16 keeps 8 mantissa bits (~0.4% per value); summed in fp32 the losses stay within 1%.
    for key in ("content", "style", "total"):
        assert parts[key] == pytest.approx(reference[key], rel=1e-2), key
