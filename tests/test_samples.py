"""Tests for the procedural styles (`nst_teach.styles`) and the named samples (`nst_teach.samples`).

Every test that could write a file points the cache at `tmp_path`: the real ~/.cache is never touched.
"""

import dataclasses

import numpy as np
import pytest
from PIL import Image

from nst_teach import samples, styles
from nst_teach.errors import NSTError

STYLE_NAMES = ["political_drama", "pointillism", "ben_day", "starry_night"]
PHOTO_NAMES = ["cat", "astronaut", "coffee", "rocket", "hubble_deep_field", "grace_hopper"]
SMALL = 128  # small images keep the whole file fast


@pytest.fixture(autouse=True)
def cache_in_tmp(tmp_path, monkeypatch):
    """Any sample written without an explicit cache_dir lands in tmp_path, never in ~/.cache."""
    monkeypatch.setenv("NST_TEACH_CACHE", str(tmp_path / "env-cache"))
    return tmp_path / "env-cache"


def high_pass(image):
    """Grey image minus its 3×3 box blur: what is left is fine texture (edges, dots, strokes)."""
    grey = image.astype(float).mean(axis=2)  # (H, W)
    padded = np.pad(grey, 1, mode="edge")  # (H + 2, W + 2)
    H, W = grey.shape
    blurred = sum(padded[i:i + H, j:j + W] for i in range(3) for j in range(3)) / 9
    return grey - blurred


def n_colours(image, step=32):
    """Number of distinct colours after rounding each channel down to a multiple of `step`."""
    return len(np.unique((image // step).reshape(-1, 3), axis=0))


# ---------------------------------------------------------------- styles


def test_styles_registry_names_every_style():
    assert list(styles.STYLES) == STYLE_NAMES
    assert all(callable(f) for f in styles.STYLES.values())


@pytest.mark.parametrize("name", STYLE_NAMES)
def test_style_shape_and_dtype(name):
    image = styles.STYLES[name](size=SMALL, seed=0)
    assert isinstance(image, np.ndarray)
    assert image.dtype == np.uint8
    assert image.ndim == 3 and image.shape[2] == 3
    assert max(image.shape[:2]) == SMALL  # size is the longest side
    assert image.shape[0] <= image.shape[1]  # square or landscape (4:3)


@pytest.mark.parametrize("name", STYLE_NAMES)
def test_style_same_seed_same_pixels(name):
    first = styles.STYLES[name](size=SMALL, seed=7)
    second = styles.STYLES[name](size=SMALL, seed=7)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("name", STYLE_NAMES)
def test_style_other_seed_other_pixels(name):
    first = styles.STYLES[name](size=SMALL, seed=0)
    second = styles.STYLES[name](size=SMALL, seed=1)
    assert first.shape == second.shape
    assert (first != second).any(axis=2).mean() > 0.2  # not a few pixels: another painting


def test_texture_measures_can_fail():
    """The texture checks below reject a smooth image, so passing them means something."""
    ramp = np.linspace(0, 255, SMALL)
    smooth = np.stack(np.broadcast_arrays(ramp[None, :], ramp[:, None], 128.0), axis=-1)
    smooth = smooth.astype(np.uint8)  # (SMALL, SMALL, 3) a plain colour gradient
    assert high_pass(smooth).std() < 1
    assert n_colours(np.full((8, 8, 3), 200, np.uint8)) == 1


@pytest.mark.parametrize("name", STYLE_NAMES)
def test_style_has_rich_texture(name):
    image = styles.STYLES[name](size=SMALL, seed=0)
    assert high_pass(image).std() > 6  # fine strokes / dots / facet edges (a photo: ~5-9)
    H8, W8 = image.shape[0] // 8 * 8, image.shape[1] // 8 * 8
    coarse = image[:H8, :W8].reshape(H8 // 8, 8, W8 // 8, 8, 3).mean(axis=(1, 3))  # 8×8 blocks
    assert coarse.std() > 20  # large shapes too, not just uniform noise
    assert n_colours(image) >= 40  # many distinct colours


@pytest.mark.parametrize("bad", [0, 10, -512, 128.0, "512", True])
def test_style_rejects_bad_size(bad):
    with pytest.raises(NSTError, match="size"):
        styles.political_drama(size=bad)


# ---------------------------------------------------------------- samples: catalogue


def test_list_samples_has_all_ten_with_kinds():
    listed = samples.list_samples()
    kinds = {sample.name: sample.kind for sample in listed}
    assert kinds == {**{n: "photo" for n in PHOTO_NAMES}, **{n: "style" for n in STYLE_NAMES}}
    assert len(listed) == 10
    for sample in listed:
        assert sample.description and "\n" not in sample.description


def test_sample_is_frozen():
    sample = samples.list_samples()[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        sample.name = "dog"


def test_is_sample():
    assert samples.is_sample("cat")
    assert samples.is_sample("starry_night")
    assert not samples.is_sample("kat")
    assert not samples.is_sample("cat.png")


@pytest.mark.parametrize("name", PHOTO_NAMES)
def test_every_photo_loads_offline_as_rgb(name):
    image = samples.sample_array(name)
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert min(image.shape[:2]) >= 200


# ---------------------------------------------------------------- samples: the cache


def test_sample_path_writes_once_then_reuses(tmp_path):
    path = samples.sample_path("political_drama", cache_dir=tmp_path)
    assert path.parent == tmp_path and path.suffix == ".png"
    assert samples.CACHE_VERSION in path.name  # a changed generator gets a new file name
    first_mtime = path.stat().st_mtime_ns

    again = samples.sample_path("political_drama", cache_dir=tmp_path)
    assert again == path
    assert again.stat().st_mtime_ns == first_mtime  # not rewritten
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


def test_cached_style_is_the_seed_0_size_512_painting(tmp_path):
    path = samples.sample_path("political_drama", cache_dir=tmp_path)
    with Image.open(path) as image:
        pixels = np.asarray(image)
    np.testing.assert_array_equal(pixels, styles.political_drama(size=512, seed=0))


def test_cached_photo_round_trips(tmp_path):
    path = samples.sample_path("cat", cache_dir=tmp_path)
    with Image.open(path) as image:
        np.testing.assert_array_equal(np.asarray(image.convert("RGB")), samples.sample_array("cat"))


def test_sample_path_uses_env_cache(cache_in_tmp):
    path = samples.sample_path("political_drama")
    assert path.parent == cache_in_tmp and path.exists()


def test_unknown_sample_error_names_the_problem_and_fix(tmp_path):
    with pytest.raises(NSTError) as info:
        samples.sample_path("kat", cache_dir=tmp_path)
    message = str(info.value)
    assert "'kat'" in message and "cat" in message and "nst-teach samples" in message
    assert "\n" not in message
    assert not any(tmp_path.iterdir())  # nothing written


def test_unwritable_cache_is_a_user_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(NSTError, match="NST_TEACH_CACHE"):
        samples.sample_path("political_drama", cache_dir=blocker)


def test_default_cache_dir_order(monkeypatch, tmp_path):
    monkeypatch.setenv("NST_TEACH_CACHE", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert samples.default_cache_dir() == tmp_path / "mine"

    monkeypatch.delenv("NST_TEACH_CACHE")
    assert samples.default_cache_dir() == tmp_path / "xdg" / "nst-teach"

    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert samples.default_cache_dir() == tmp_path / "home" / ".cache" / "nst-teach"
