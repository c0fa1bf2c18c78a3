"""Tests for `nst_teach.private_torch`: each private part of torch, made unavailable in turn, leaves a
default `style_transfer` running to the end on the public path."""

import ctypes
import importlib

import pytest
import torch

from nst_teach import private_torch
from nst_teach.optim import _armijo, lbfgs
from nst_teach.speed import calibration
from nst_teach.transfer import style_transfer



def run(cat, coffee, vgg, **options):
    result = style_transfer(cat, coffee, model=vgg, size=64, steps=2, **options)
    assert result.status == "done" and len(result.history) == 2 and torch.isfinite(result.image).all()
    return result


@pytest.mark.slow
def test_without_nnpack_the_convolutions_are_direct(cat, coffee, vgg, monkeypatch):
    def no_library(path, *args, **kwargs):
        raise OSError(f"{path}: cannot open shared object file")

    monkeypatch.setattr(ctypes, "CDLL", no_library)
    assert private_torch.nnpack_library.__wrapped__() is None  # the guard itself
    monkeypatch.setattr(private_torch, "nnpack_library", lambda: None)
    assert all(conv == "direct" for *_, conv in calibration.candidates("cpu"))
    monkeypatch.setenv("NST_TEACH_CALIBRATE", "auto")  # measure, with what is left
    assert run(cat, coffee, vgg).choice.conv == "direct"


@pytest.mark.slow
def test_without_the_bf16_query_the_network_runs_in_fp32(cat, coffee, vgg, monkeypatch):
    def gone():
        raise AttributeError("'_OpNamespace' 'mkldnn' object has no attribute '_is_mkldnn_bf16_supported'")

    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", gone, raising=False)
    assert private_torch.mkldnn_bf16_supported() is False
    assert all(precision == "fp32" for precision, *_ in calibration.candidates("cpu"))
    assert run(cat, coffee, vgg).choice.precision == "fp32"  # by the rule (conftest: no measuring)


@pytest.mark.slow
def test_without_torchs_strong_wolfe_search_lbfgs_uses_armijos(cat, coffee, vgg, monkeypatch):
    monkeypatch.delattr(importlib.import_module("torch.optim.lbfgs"), "_strong_wolfe")
    assert private_torch.strong_wolfe() is None
    searches = []
    monkeypatch.setattr("nst_teach.optim._armijo", lambda *a, **k: searches.append(1) or _armijo(*a, **k))
    with pytest.warns(UserWarning, match="strong-Wolfe"):
        x = lbfgs(lambda x: (float((x**2).sum()), 2 * x), torch.ones(1, 4), steps=3, on_iteration=lambda z: False,
                  line_search="strong_wolfe")
    assert x.abs().max() < 1e-6 and searches  # the minimum of Σx², found by Armijo's search
    run(cat, coffee, vgg)  # the default line search is Armijo's anyway
    with pytest.warns(UserWarning, match="strong-Wolfe"):
        run(cat, coffee, vgg, line_search="strong_wolfe")


@pytest.mark.slow
@pytest.mark.skipif(not calibration.winograd_available("cpu"), reason="this torch has no NNPACK")
def test_without_tensor_versions_winograd_still_runs(cat, coffee, vgg, monkeypatch):
    assert private_torch.tensor_version(object()) is None and private_torch.tensor_version(torch.ones(1)) == 0
    monkeypatch.setattr(private_torch, "tensor_version", lambda t: None)
    assert run(cat, coffee, vgg, speed="fp32+fast+winograd").choice.conv == "winograd"


def test_each_guard_answers_with_this_torchs_part_or_its_fallback():
    """Cheap, for `make test-fast`: what the guards give on this torch (the runs above force the fallbacks)."""
    assert private_torch.strong_wolfe() is importlib.import_module("torch.optim.lbfgs")._strong_wolfe
    assert isinstance(private_torch.mkldnn_bf16_supported(), bool)
    library = private_torch.nnpack_library()
    assert library is None or library.nnp_convolution_inference.restype is ctypes.c_int
    x = torch.zeros(2)
    before = private_torch.tensor_version(x)
    x.add_(1)  # an in-place change bumps the version
    assert private_torch.tensor_version(x) == before + 1
