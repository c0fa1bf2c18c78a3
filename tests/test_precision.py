"""Tests for `nst_teach.precision`: bf16 where it is fast, channels-last, and losses kept in fp32."""

import subprocess
import sys

import pytest
import torch

from nst_teach.errors import NSTError
from nst_teach.features import extract_features
from nst_teach.precision import bf16_is_fast, channels_last, network_precision, resolve_precision
from nst_teach.preprocess import preprocess
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
    assert torch.equal(x, y)
    plain = extract_features(vgg, x, ["relu3_1"])["relu3_1"]
    fast = extract_features(vgg, y, ["relu3_1"])["relu3_1"]
    # Only the order of the sums differs: fp32 rounding, far below the features' scale.
    assert (fast - plain).abs().max() < 1e-5 * plain.abs().max()


def test_bf16_runs_the_network_in_bf16_but_the_losses_in_fp32(vgg, cat, coffee):
    with network_precision("cpu", "bf16"):
        F = extract_features(vgg, preprocess(cat), ["relu1_1"])["relu1_1"]
    assert F.dtype == torch.bfloat16  # the convolutions really ran in bf16
    config = TransferConfig()
    exact = StyleTransferLoss(vgg, cat, coffee, config, precision="fp32")
    fast = StyleTransferLoss(vgg, cat, coffee, config, precision="bf16")
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


_REUSE = """
import resource, sys, torch
from nst_teach.precision import keep_freed_memory
applied = keep_freed_memory(heap_only=sys.argv[1] == "heap")
torch.ones(64 << 18)  # 64 MB, written (so its pages are mapped), then freed
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
torch.ones(60 << 18)  # 60 MB: fits in the freed block whatever malloc's alignment padding
print(applied, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc settings")
def test_keep_freed_memory_reuses_large_blocks_without_page_faults():
    """A 64 MB block is above glibc's largest mmap threshold: with mmap on, the next large allocation maps
    fresh pages (15 360 faults of 4 KB for 60 MB, fewer with huge pages); served from the heap, it reuses
    the freed block's pages. The second block is a little smaller because torch asks for aligned memory
    (posix_memalign), whose request is a few bytes larger than the block it returns: when a small object
    has landed just after the freed block, an exactly-equal request no longer fits in it and extends the
    heap instead (16 384 faults on some machines, 0 on others, by layout). The evaluations' maps of many
    sizes fill such holes: benchmarks/bench_allocator.py counts their faults."""
    def faults(mode):
        out = subprocess.run([sys.executable, "-c", _REUSE, mode], capture_output=True, text=True, check=True).stdout.split()
        assert out[0] == "True"
        return int(out[1])

    assert faults("mmap") > 1000  # the setting before: a fresh mapping each time
    assert faults("heap") < 100
