"""Tests for `nst_teach.images`: loading what real files contain, resizing, and safe saving.

Every file is created in tmp_path with PIL; samples go to the tmp cache set up in conftest.py.
"""

import os
import stat
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, JpegImagePlugin

from nst_teach.errors import NSTError
from nst_teach.images import MAX_SIZE, MIN_SIZE, lanczos_weights, load_image, resize_image, save_gif, save_image, to_pil


def write(pil, path, **kwargs):
    pil.save(path, **kwargs)
    return path


def rgb_array(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def as_uint8(img):
    """[1, 3, H, W] in [0, 1] → (H, W, 3) uint8, for comparing with the pixels we wrote."""
    return np.round(img[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8)


def assert_one_line_error(info):
    message = str(info.value)
    assert message and "\n" not in message


# ----------------------------------------------------------------------------- loading


def test_load_png_exact(tmp_path):
    pixels = rgb_array(40, 50)
    img = load_image(write(Image.fromarray(pixels), tmp_path / "a.png"))
    assert img.shape == (1, 3, 40, 50)
    assert img.dtype == torch.float32
    assert img.min() >= 0 and img.max() <= 1
    np.testing.assert_array_equal(as_uint8(img), pixels)  # channel order RGB, no rescaling
    assert img[0, 0, 0, 0].item() == pytest.approx(pixels[0, 0, 0] / 255)


def test_load_from_str_path_and_pil(tmp_path):
    pixels = rgb_array(33, 35, seed=1)
    path = write(Image.fromarray(pixels), tmp_path / "b.png")
    torch.testing.assert_close(load_image(str(path)), load_image(path))
    torch.testing.assert_close(load_image(Image.fromarray(pixels)), load_image(path))


def test_load_sample_by_name(cache_in_tmp):
    img = load_image("cat", 64)
    assert img.shape[:2] == (1, 3) and max(img.shape[-2:]) == 64
    assert img.std() > 0.05  # a real photo, not a blank
    assert list(cache_in_tmp.glob("cat*.png"))  # written to the tmp cache, never to ~/.cache


def test_exif_orientation_is_applied(tmp_path):
    """Orientation 6 ("rotate 90° clockwise to display"): a stored 80×40 (W×H) image shows as 40×80."""
    pixels = np.zeros((40, 80, 3), dtype=np.uint8)
    pixels[:10, :10] = (255, 0, 0)  # red in the stored top-left corner
    pil = Image.fromarray(pixels)
    exif = pil.getexif()
    exif[0x0112] = 6  # Orientation
    path = write(pil, tmp_path / "rotated.jpg", exif=exif, quality=95)
    img = load_image(path)
    assert img.shape == (1, 3, 80, 40)
    # Turning clockwise moves the stored top-left corner to the top-right.
    assert img[0, 0, :10, -10:].mean() > 0.8  # red channel, top-right
    assert img[0, 0, :10, :10].mean() < 0.2


def test_grayscale_becomes_three_equal_channels(tmp_path):
    grey = np.random.default_rng(2).integers(0, 256, size=(36, 40), dtype=np.uint8)
    img = load_image(write(Image.fromarray(grey, "L"), tmp_path / "grey.png"))
    assert img.shape == (1, 3, 36, 40)
    for c in range(3):
        np.testing.assert_array_equal(as_uint8(img)[..., c], grey)


def test_rgba_transparent_becomes_white(tmp_path):
    rgba = np.zeros((40, 40, 4), dtype=np.uint8)
    rgba[:, :20] = (255, 0, 0, 0)  # fully transparent red: invisible → white
    rgba[:, 20:30] = (0, 0, 255, 255)  # opaque blue stays blue
    rgba[:, 30:] = (0, 0, 0, 128)  # half-transparent black on white → mid grey
    out = as_uint8(load_image(write(Image.fromarray(rgba, "RGBA"), tmp_path / "alpha.png")))
    np.testing.assert_array_equal(out[:, :20], 255)
    np.testing.assert_array_equal(out[:, 20:30], np.broadcast_to([0, 0, 255], (40, 10, 3)))
    assert np.all(np.abs(out[:, 30:].astype(int) - 127) <= 1)


def test_palette_image(tmp_path):
    pixels = np.zeros((40, 40, 3), dtype=np.uint8)
    pixels[:, 20:] = (10, 200, 30)
    pil = Image.fromarray(pixels).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    assert pil.mode == "P"
    out = as_uint8(load_image(write(pil, tmp_path / "palette.png")))
    np.testing.assert_array_equal(out, pixels)


def test_palette_with_transparency_becomes_white(tmp_path):
    pil = Image.new("P", (40, 40), 0)
    pil.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    pil.paste(1, (0, 0, 20, 40))  # left half: palette index 1 (red), right half: index 0
    path = write(pil, tmp_path / "ptrans.png", transparency=0)  # index 0 is transparent
    out = as_uint8(load_image(path))
    np.testing.assert_array_equal(out[:, :20], np.broadcast_to([255, 0, 0], (40, 20, 3)))
    np.testing.assert_array_equal(out[:, 20:], 255)


def test_16_bit_png_is_scaled_by_its_range(tmp_path):
    values = np.array([0, 16384, 32768, 65535], dtype=np.uint16)
    arr = np.repeat(values, 10)[None, :].repeat(40, axis=0)  # (40, 40): four bands
    pil = Image.fromarray(arr)
    assert pil.mode == "I;16"
    img = load_image(write(pil, tmp_path / "deep.png"))
    assert img.shape == (1, 3, 40, 40)
    np.testing.assert_allclose(img[0, 0, 0, ::10].numpy(), values / 65535, atol=1 / 255)


# ----------------------------------------------------------------------------- sizes


@pytest.mark.parametrize("w, h, size, expected_hw", [(200, 100, 64, (32, 64)), (100, 200, 64, (64, 32)),
                                                     (120, 90, 120, (90, 120)), (40, 40, 96, (96, 96))])
def test_resize_by_longest_side(tmp_path, w, h, size, expected_hw):
    path = write(Image.fromarray(rgb_array(h, w)), tmp_path / "r.png")
    assert load_image(path, size).shape == (1, 3, *expected_hw)


# A float image through PIL's own Lanczos ('F' mode: one channel of 32-bit floats, no 8-bit rounding).
def pil_lanczos_float(arr, hw):
    """(H, W, 3) float32 → (3, H', W') by PIL's LANCZOS, channel by channel."""
    return np.stack([np.asarray(Image.fromarray(arr[..., i], "F").resize(hw[::-1], Image.LANCZOS)) for i in range(3)])


@pytest.mark.parametrize("hw, new_hw", [((120, 170), (37, 55)),     # shrink by ~3, odd factors
                                         ((45, 64), (131, 200)),     # enlarge
                                         ((70, 50), (70, 33))])      # one axis only
def test_resize_image_is_pils_lanczos(hw, new_hw):
    arr = np.random.default_rng(1).random((*hw, 3), dtype=np.float32)
    ours = resize_image(torch.from_numpy(arr).permute(2, 0, 1)[None], new_hw, clip=False)[0].numpy()
    assert ours.shape == (3, *new_hw)
    np.testing.assert_allclose(ours, pil_lanczos_float(arr, new_hw), atol=1e-5)


def test_resize_of_a_full_size_tensor_gives_the_picture_load_image_gives(tmp_path):
    """The same file loaded at 64 px by PIL (8-bit) and loaded full size then resized as a tensor:
    the same pixels up to PIL's 8-bit rounding, even on hard edges (where Lanczos overshoots)."""
    arr = rgb_array(150, 230)
    arr[40:90, 60:140] = (255, 0, 0)  # a hard-edged block: overshoot to clip
    path = write(Image.fromarray(arr), tmp_path / "x.png")
    small = load_image(path, 64)
    resized = resize_image(load_image(path), small.shape[-2:])
    difference = (resized - small).abs() * 255
    assert difference.mean() < 0.5 and difference.max() <= 1.5


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_a_large_file_at_size_is_a_lanczos_resize_of_the_whole_picture(tmp_path, suffix):
    """Decoded reduced (box reduce, JPEG draft) for speed, a file still gives the shape and nearly the
    pixels of PIL's Lanczos on the full image: 451 × 300 → 64 px is 64 × 43 (a reduce by 3 first
    would give 151 × 100 and then 64 × 42)."""
    arr = np.asarray(Image.fromarray(rgb_array(30, 45)).resize((451, 300), Image.BICUBIC))
    path = write(Image.fromarray(arr), tmp_path / f"big{suffix}", **({"quality": 95} if suffix == ".jpg" else {}))
    with Image.open(path) as full:
        expected = np.asarray(full.convert("RGB").resize((64, 43), Image.LANCZOS), dtype=np.float32)
    img = load_image(path, 64)
    assert img.shape == (1, 3, 43, 64)
    assert np.abs(img[0].permute(1, 2, 0).numpy() * 255 - expected).mean() < 0.6


def test_lanczos_weights_are_an_averaging_filter():
    W = lanczos_weights(100, 30, dtype=torch.float64)
    assert W.shape == (30, 100)
    torch.testing.assert_close(W.sum(dim=1), torch.ones(30, dtype=torch.float64))
    assert (W < 0).any()  # sinc's negative lobes: what keeps edges sharp (a triangle filter has none)
    # a shrink by 10/3 reaches 3·(10/3) = 10 input pixels either side of each output pixel's centre
    assert ((W != 0).sum(dim=1) <= 21).all() and (W[15] != 0).sum() >= 19
    torch.testing.assert_close(lanczos_weights(20, 20, dtype=torch.float64), torch.eye(20, dtype=torch.float64))


def test_resize_to_the_same_shape_is_the_identity():
    img = torch.rand(1, 3, 20, 30)
    assert torch.equal(resize_image(img, (20, 30)), img)


def test_no_size_keeps_the_original(tmp_path):
    assert load_image(write(Image.fromarray(rgb_array(37, 91)), tmp_path / "o.png")).shape == (1, 3, 37, 91)


@pytest.mark.parametrize("size", [MIN_SIZE - 1, 16, 0, -5, 64.0, "64"])
def test_bad_requested_size(tmp_path, size):
    path = write(Image.fromarray(rgb_array(64, 64)), tmp_path / "s.png")
    with pytest.raises(NSTError, match="too small") as info:
        load_image(path, size)
    assert_one_line_error(info)


def test_size_above_cap(tmp_path):
    path = write(Image.fromarray(rgb_array(64, 64)), tmp_path / "s.png")
    with pytest.raises(NSTError, match="cap") as info:
        load_image(path, MAX_SIZE + 1)
    assert_one_line_error(info)


@pytest.mark.parametrize("w, h, size", [(40, 20, None), (200, 40, 64)])  # 20 px; 64×13 after resizing
def test_image_too_small(tmp_path, w, h, size):
    path = write(Image.fromarray(rgb_array(h, w)), tmp_path / "tiny.png")
    with pytest.raises(NSTError, match=f"at least {MIN_SIZE}") as info:
        load_image(path, size)
    assert_one_line_error(info)


# ----------------------------------------------------------------------------- bad files


def test_missing_file(tmp_path):
    with pytest.raises(NSTError, match="not found") as info:
        load_image(tmp_path / "nope.png")
    assert_one_line_error(info)


def test_directory_is_not_an_image(tmp_path):
    with pytest.raises(NSTError, match="not a file"):
        load_image(tmp_path)


def test_non_image_file(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not a picture\n" * 20)
    with pytest.raises(NSTError, match="cannot read") as info:
        load_image(path)
    assert_one_line_error(info)


def test_truncated_png(tmp_path):
    full = write(Image.fromarray(rgb_array(64, 64)), tmp_path / "full.png")
    cut = tmp_path / "cut.png"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(NSTError, match="cannot read") as info:
        load_image(cut)
    assert_one_line_error(info)


# ----------------------------------------------------------------------------- saving


def test_save_png_round_trip(tmp_path):
    img = torch.rand(1, 3, 33, 47, generator=torch.Generator().manual_seed(0))
    path = save_image(img, tmp_path / "out.png")
    assert path.exists()
    again = load_image(path)
    assert again.shape == img.shape
    assert (again - img).abs().max() <= 0.5 / 255 + 1e-6  # rounded to the nearest 8-bit level
    # Values already on the 8-bit grid come back exactly.
    torch.testing.assert_close(load_image(save_image(again, tmp_path / "again.png")), again, atol=0, rtol=0)


def test_save_clips_out_of_range_values(tmp_path):
    img = torch.tensor([-0.5, 0.5, 1.5]).view(1, 3, 1, 1).expand(1, 3, 40, 40)
    out = load_image(save_image(img, tmp_path / "clip.png"))
    torch.testing.assert_close(out[0, :, 0, 0], torch.tensor([0.0, 128 / 255, 1.0]))


def test_save_jpeg_and_pil(tmp_path):
    pil = Image.fromarray(rgb_array(40, 40))
    path = save_image(pil, tmp_path / "out.jpg")
    with Image.open(path) as opened:
        assert opened.format == "JPEG" and opened.size == (40, 40)


def test_save_leaves_no_temporary_files(tmp_path):
    save_image(torch.rand(1, 3, 40, 40, generator=torch.Generator().manual_seed(1)), tmp_path / "x.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.png"]


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "keep.png"
    old = Image.fromarray(rgb_array(40, 40, seed=3))
    old.save(path)
    before = path.read_bytes()

    def broken_save(self, *args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OSError, match="simulated"):
        save_image(torch.zeros(1, 3, 40, 40), path)
    assert path.read_bytes() == before  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.png"]  # no temporary left behind


def test_save_replaces_an_existing_file(tmp_path):
    path = tmp_path / "replace.png"
    Image.fromarray(rgb_array(40, 40, seed=4)).save(path)
    save_image(torch.ones(1, 3, 40, 40), path)
    assert load_image(path).min() == 1.0


def test_save_into_missing_folder(tmp_path):
    with pytest.raises(NSTError, match="does not exist") as info:
        save_image(torch.zeros(1, 3, 40, 40), tmp_path / "no" / "such" / "out.png")
    assert_one_line_error(info)


def test_save_onto_a_directory(tmp_path):
    (tmp_path / "d.png").mkdir()
    with pytest.raises(NSTError, match="directory"):
        save_image(torch.zeros(1, 3, 40, 40), tmp_path / "d.png")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write to read-only folders")
def test_save_into_unwritable_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(NSTError, match="cannot write"):
            save_image(torch.zeros(1, 3, 40, 40), folder / "out.png")
    finally:
        folder.chmod(0o700)


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux's /proc")
def test_save_into_a_folder_that_looks_writable_but_is_not(tmp_path):
    """/proc passes a permission check (as root) but refuses new files: the check really tries."""
    with pytest.raises(NSTError, match="cannot write") as info:
        save_image(torch.zeros(1, 3, 40, 40), "/proc/x.png")
    assert_one_line_error(info)


def test_new_file_gets_the_umask_permissions(tmp_path):
    before = os.umask(0o027)
    try:
        save_image(torch.zeros(1, 3, 40, 40), tmp_path / "new.png")
    finally:
        os.umask(before)
    assert stat.S_IMODE((tmp_path / "new.png").stat().st_mode) == 0o640  # 0666 & ~027; mkstemp alone gives 0600


def test_replacing_a_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "shared.png"
    save_image(torch.zeros(1, 3, 40, 40), path)
    path.chmod(0o664)
    save_image(torch.ones(1, 3, 40, 40), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o664
    assert load_image(path).min() == 1.0  # and it was replaced


def test_huge_png_loads_downscaled_instead_of_a_decompression_bomb_error(tmp_path):
    """14000 × 14000 = 196 MP, a big phone photo: PIL alone refuses it (DecompressionBombError above
    179 MP); we decode and shrink it."""
    path = tmp_path / "huge.png"
    Image.new("L", (14000, 14000), 200).save(path, compress_level=1)
    with pytest.raises(Image.DecompressionBombError):
        Image.open(path)
    img = load_image(path, 256)
    assert img.shape == (1, 3, 256, 256)
    assert img.mean().item() == pytest.approx(200 / 255, abs=1e-3)


def test_image_above_the_size_cap_is_brought_down_to_it_as_it_loads(tmp_path):
    path = tmp_path / "panorama.png"
    Image.new("RGB", (5000, 400), (0, 0, 0)).save(path)
    assert load_image(path).shape == (1, 3, round(400 * MAX_SIZE / 5000), MAX_SIZE)  # size=None


def _png_header_only(path, width, height):
    """A PNG that claims width × height pixels (its data is empty): enough for a size check."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def test_absurdly_large_image_is_a_one_line_error(tmp_path):
    path = tmp_path / "absurd.png"
    _png_header_only(path, 60000, 60000)
    with pytest.raises(NSTError, match="megapixels") as info:
        load_image(path, 256)
    assert_one_line_error(info)


def test_large_jpeg_is_decoded_at_reduced_size(tmp_path, monkeypatch):
    """Draft mode: a 4000 × 3000 JPEG asked for at 256 px is decoded at 1/2 scale (2000 × 1500), the
    smallest that keeps 4 × 256 px for the Lanczos resize."""
    path = tmp_path / "phone.jpg"
    Image.new("RGB", (4000, 3000), (10, 120, 200)).save(path, quality=90)
    decoded = []
    real_load = JpegImagePlugin.JpegImageFile.load

    def load(self):
        result = real_load(self)
        decoded.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", load)
    img = load_image(path, 256)
    assert decoded and decoded[0] == (2000, 1500)
    assert img.shape == (1, 3, 192, 256)


@pytest.mark.parametrize("name", ["out", "out.gif", "out.txt"])
def test_save_unsupported_format(tmp_path, name):
    with pytest.raises(NSTError, match="format"):
        save_image(torch.zeros(1, 3, 40, 40), tmp_path / name)


def test_to_pil_accepts_3d_and_4d():
    img = torch.rand(3, 5, 7, generator=torch.Generator().manual_seed(5))
    assert to_pil(img).size == (7, 5) and to_pil(img.unsqueeze(0)).mode == "RGB"


def test_save_gif_multi_frame(tmp_path):
    frames = [torch.full((1, 3, 40, 48), v) for v in (0.0, 0.5, 1.0)]
    path = save_gif(frames, tmp_path / "anim.gif", duration_ms=50)
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 3 and gif.size == (48, 40)
        means = []
        for i in range(3):
            gif.seek(i)
            means.append(np.asarray(gif.convert("RGB")).mean())
    assert means[0] < means[1] < means[2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anim.gif"]


def test_save_gif_without_frames(tmp_path):
    with pytest.raises(NSTError, match="no frames"):
        save_gif([], tmp_path / "anim.gif")
