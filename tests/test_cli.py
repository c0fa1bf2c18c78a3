"""The command line: each kind of bad input gives one line, exit code 2, no traceback, inputs kept."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from nst_teach import cli, transfer
from nst_teach.images import load_image


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def photo(tmp_path):
    """A small real photo file (the cat sample at 64 px) that must never be overwritten."""
    path = tmp_path / "photo.png"
    Image.open(cli_sample("cat")).resize((80, 64)).save(path)
    return path


def cli_sample(name):
    from nst_teach.samples import sample_path

    return sample_path(name)


def assert_usage_error(code, err, *words):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_samples_lists_photos_and_styles(capsys):
    code, out, _ = run(capsys, "samples")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert {"cat", "grace_hopper", "starry_night", "political_drama", "pointillism", "ben_day"} <= set(names)


def test_missing_file(capsys, tmp_path):
    code, _, err = run(capsys, "transfer", tmp_path / "nope.jpg", "starry_night", "-o", tmp_path / "out.png")
    assert_usage_error(code, err, "not found", "nst-teach samples")
    assert not (tmp_path / "out.png").exists()


def test_non_image_file(capsys, tmp_path):
    bogus = tmp_path / "notes.png"
    bogus.write_text("this is not a picture")
    code, _, err = run(capsys, "transfer", bogus, "starry_night", "-o", tmp_path / "out.png")
    assert_usage_error(code, err, "cannot read", "PNG or JPEG")
    assert bogus.read_text() == "this is not a picture"


def test_truncated_file(capsys, tmp_path, photo):
    data = photo.read_bytes()
    cut = tmp_path / "cut.png"
    cut.write_bytes(data[: len(data) // 2])
    code, _, err = run(capsys, "transfer", cut, "starry_night", "-o", tmp_path / "out.png")
    assert_usage_error(code, err, "cannot read")


def test_image_smaller_than_32px(capsys, tmp_path):
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (20, 40), "red").save(tiny)
    code, _, err = run(capsys, "transfer", tiny, "starry_night", "-o", tmp_path / "out.png")
    assert_usage_error(code, err, "20×40", "at least 32")


@pytest.mark.parametrize("size, words", [(10, ("too small", "32")), (100000, ("above the cap", "--size"))])
def test_size_out_of_range(capsys, tmp_path, photo, size, words):
    code, _, err = run(capsys, "transfer", photo, "starry_night", "-o", tmp_path / "out.png", "--size", size)
    assert_usage_error(code, err, *words)


def test_unknown_layer(capsys, tmp_path, photo):
    code, _, err = run(capsys, "transfer", photo, "starry_night", "-o", tmp_path / "o.png", "--style-layers", "relu1_1,relu6_1")
    assert_usage_error(code, err, "relu6_1", "block4_conv2")


@pytest.mark.parametrize("option", ["--content-weight", "--style-weight", "--tv-weight"])
def test_negative_weights(capsys, tmp_path, photo, option):
    code, _, err = run(capsys, "transfer", photo, "starry_night", "-o", tmp_path / "o.png", option, "-1")
    assert_usage_error(code, err, "≥ 0")


def test_unknown_device(capsys, tmp_path, photo):
    code, _, err = run(capsys, "transfer", photo, "starry_night", "-o", tmp_path / "o.png", "--device", "banana")
    assert_usage_error(code, err, "unknown device", "cpu")


def test_cuda_without_a_gpu(capsys, tmp_path, photo):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    code, _, err = run(capsys, "transfer", photo, "starry_night", "-o", tmp_path / "o.png", "--device", "cuda")
    assert_usage_error(code, err, "no CUDA GPU", "--device cpu")


def test_zero_steps(capsys, tmp_path, photo):
    code, _, err = run(capsys, "transfer", photo, "starry_night", "-o", tmp_path / "o.png", "--steps", "0")
    assert_usage_error(code, err, "steps", "positive")


def test_output_folder_missing(capsys, tmp_path, photo):
    code, _, err = run(capsys, "transfer", photo, "starry_night", "-o", tmp_path / "no" / "such" / "o.png")
    assert_usage_error(code, err, "does not exist")


@pytest.mark.skipif(not os.path.exists("/proc/self"), reason="needs Linux's /proc")
def test_output_not_writable(capsys, tmp_path, photo):
    """/proc looks writable to a permission check (we run as root in CI) but refuses new files."""
    code, _, err = run(capsys, "transfer", photo, "starry_night", "-o", "/proc/x.png")
    assert_usage_error(code, err, "cannot write")


@pytest.mark.slow
def test_save_failing_at_the_end_keeps_the_result_in_the_temp_folder(capsys, tmp_path, photo, monkeypatch):
    """The folder was fine before the run but the save fails after it (disk full): nothing is lost."""
    out, real_save = tmp_path / "o.png", cli.save_image

    def disk_full(img, path):
        if str(path) == str(out):
            raise OSError(28, "No space left on device")
        return real_save(img, path)

    monkeypatch.setattr(cli, "save_image", disk_full)
    code, _, err = run(capsys, "transfer", photo, "starry_night", "-o", out, "--size", 64, "--steps", 1)
    assert code == 1 and "Traceback" not in err
    line = next(line for line in err.splitlines() if line.startswith("error:"))
    assert "No space left" in line and "saved as" in line
    fallback = line.rsplit("saved as ", 1)[1].split(" instead")[0]
    try:
        assert load_image(fallback).shape == (1, 3, 51, 64)
    finally:
        os.remove(fallback)
    assert not out.exists()


def test_output_inside_a_file_path(capsys, tmp_path, photo):
    code, _, err = run(capsys, "transfer", photo, "starry_night", "-o", photo / "o.png")
    assert_usage_error(code, err, "does not exist")


def test_output_equal_to_input_keeps_input(capsys, tmp_path, photo):
    before = photo.read_bytes()
    code, _, err = run(capsys, "transfer", photo, "starry_night", "-o", photo)
    assert_usage_error(code, err, "is the input image", "the input is kept")
    assert photo.read_bytes() == before


def test_gif_must_end_in_gif_so_it_can_never_overwrite_the_output(capsys, tmp_path, photo):
    code, _, err = run(capsys, "transfer", photo, "starry_night", "-o", tmp_path / "a.png", "--gif", tmp_path / "a.png")
    assert_usage_error(code, err, ".gif")
    assert not (tmp_path / "a.png").exists()


@pytest.mark.parametrize("channels", ["0", "-3"])
def test_features_needs_at_least_one_channel(capsys, tmp_path, photo, channels):
    code, _, err = run(capsys, "features", photo, "--layers", "relu1_1", "-o", tmp_path / "g.png", "--size", 64, "--channels", channels)
    assert_usage_error(code, err, "channels", "≥ 1")
    assert not (tmp_path / "g.png").exists()


def test_features_unknown_layer(capsys, tmp_path):
    code, _, err = run(capsys, "features", "cat", "--layers", "relu1_1,conv9_9", "-o", tmp_path / "g.png")
    assert_usage_error(code, err, "conv9_9")


@pytest.mark.slow
def test_transfer_writes_png_and_gif(capsys, tmp_path, photo):
    out, gif = tmp_path / "out.png", tmp_path / "opt.gif"
    code, stdout, err = run(capsys, "transfer", photo, "starry_night", "-o", out, "--gif", gif, "--size", 64, "--steps", 4)
    assert code == 0, err
    assert "wrote" in stdout and str(out) in stdout and " s" in stdout
    result = load_image(out)
    assert result.shape == (1, 3, 51, 64)  # 80×64 photo, longest side 64
    with Image.open(gif) as g:
        assert g.n_frames >= 3  # the content image, intermediate frames, the result
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


@pytest.mark.slow
def test_transfer_stops_on_convergence_and_the_bar_shows_what_it_waits_for(capsys, tmp_path, photo):
    out = tmp_path / "out.png"
    code, stdout, err = run(capsys, "transfer", photo, "starry_night", "-o", out, "--size", 64, "--stop-window", 2,
                            "--stop-tolerance", "0.05", "--max-steps", 40)
    assert code == 0, err
    assert "Δ over 2 steps" in err and "stops below 5.00%" in err  # the progress bar's postfix
    steps = int(stdout.split(" steps, converged (Δ over 2 steps ")[0].rsplit(" ", 1)[-1])
    assert 2 < steps < 40  # ended by the rule, and said so


def test_transfer_verbose_says_which_arithmetic_was_used(capsys, tmp_path, photo):
    out = tmp_path / "out.png"
    code, stdout, err = run(capsys, "transfer", photo, "starry_night", "-o", out, "--size", 48, "--steps", 1,
                            "--speed", "fp32+autograd+direct", "--verbose")
    assert code == 0, err
    assert "precision fp32, Gram autograd, convolutions direct (given)" in stdout and "loss evaluations" in stdout
    code, stdout, err = run(capsys, "transfer", photo, "starry_night", "-o", out, "--size", 48, "--steps", 1, "--speed", "plain", "--verbose")
    assert code == 0 and "precision fp32, Gram autograd, convolutions direct (plain)" in stdout


@pytest.mark.slow
def test_nan_loss_keeps_last_finite_image_and_suggests_smaller_lr(capsys, tmp_path, photo, monkeypatch):
    calls = {"n": 0}
    real = transfer.content_loss_per_position  # the default weighting's content term

    def poisoned(F, P):
        calls["n"] += 1
        loss = real(F, P)
        return loss * float("nan") if calls["n"] > 3 else loss

    monkeypatch.setattr(transfer, "content_loss_per_position", poisoned)
    out = tmp_path / "out.png"
    code, _, err = run(capsys, "transfer", photo, "starry_night", "-o", out, "--size", 64, "--steps", 10, "--optimizer", "adam")
    assert code == 1
    assert "NaN" in err and "smaller --lr" in err and "Traceback" not in err
    saved = np.asarray(Image.open(out))
    assert np.isfinite(saved).all() and saved.std() > 0


@pytest.mark.slow
def test_ctrl_c_saves_current_image_and_exits_130(tmp_path, photo):
    out = tmp_path / "out.png"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "nst_teach.cli", "transfer", str(photo), "starry_night", "-o", str(out), "--size", "64", "--steps", "5000"]
    # A job started in the background (as CI may start us) inherits SIGINT *ignored*, and Python then
    # installs no KeyboardInterrupt handler; restore the default so the child behaves like a terminal.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # Wait until the progress bar shows a few steps, then press Ctrl-C.
    deadline, seen = time.time() + 120, ""
    while time.time() < deadline and "3/5000" not in seen:
        seen += proc.stderr.read(1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted after" in err and "Traceback" not in err
    assert load_image(out).shape == (1, 3, 51, 64)


def test_features_writes_a_grid(capsys, tmp_path, photo):
    out = tmp_path / "grid.png"
    code, stdout, err = run(capsys, "features", photo, "--layers", "relu1_1,block3_conv1", "-o", out, "--size", 64, "--channels", 4)
    assert code == 0, err
    assert "2 layers × 4 channels" in stdout
    with Image.open(out) as grid:
        assert grid.width > grid.height  # one row of channels per layer


@pytest.mark.parametrize("options, words", [(["--scales", "0.3"], ["ending at 1"]), (["--scales", "1,0.5"], ["increasing"]),
                                            (["--scales", "big"], ["auto or fractions"]),
                                            (["--steps", "1,2,3"], ["one --steps number per scale"]),
                                            (["--steps", "many"], ["whole numbers"]), (["--speed", "fp16+fast+direct"], ["precision"])])
def test_bad_schedule(capsys, tmp_path, photo, options, words):
    code, _, err = run(capsys, "transfer", photo, "starry_night", "-o", tmp_path / "o.png", *options)
    assert_usage_error(code, err, *words)
    assert not (tmp_path / "o.png").exists()


@pytest.mark.slow
def test_transfer_coarse_to_fine_schedule(capsys, tmp_path, photo):
    out, gif = tmp_path / "out.png", tmp_path / "opt.gif"
    code, stdout, err = run(capsys, "transfer", photo, "starry_night", "-o", out, "--gif", gif, "--size", 128,
                            "--scales", "0.5,1", "--steps", "2,3")
    assert code == 0, err
    assert "5 steps" in stdout  # 2 at 64 px, then 3 at 128 px
    assert load_image(out).shape == (1, 3, 102, 128)
    with Image.open(gif) as g:  # frames of the coarse scale are shown at full size
        sizes = set()
        for i in range(g.n_frames):
            g.seek(i)
            sizes.add(g.size)
    assert sizes == {(128, 102)}


def test_features_channels_at_draws_those_channels_of_every_image_on_one_scale(capsys, tmp_path, photo, monkeypatch):
    import torch

    from nst_teach import viz
    from nst_teach.features import extract_features
    from nst_teach.preprocess import preprocess
    from nst_teach.vgg import load_vgg19

    drawn = {}
    real_save = viz.save_figure
    monkeypatch.setattr(viz, "save_figure", lambda fig, path: (drawn.setdefault("fig", fig), real_save(fig, path))[1])
    out = tmp_path / "same.png"
    code, stdout, err = run(capsys, "features", photo, "starry_night", "--layers", "relu1_1,relu2_1", "--channels-at", "3,17,42",
                            "-o", out, "--size", 64)
    assert code == 0, err
    assert "2 images, 2 layers × 3 channels" in stdout and out.exists()
    fig = drawn["fig"]
    assert fig.channels == {"relu1_1": [3, 17, 42], "relu2_1": [3, 17, 42]}
    axes = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in axes[:6]] == ["photo #3", "photo #17", "photo #42",
                                                  "starry_night #3", "starry_night #17", "starry_night #42"]
    assert len({ax.images[0].get_clim() for ax in axes[:6]}) == 1  # one colour scale for the relu1_1 row
    assert axes[0].images[0].get_clim() != axes[6].images[0].get_clim()
    model = load_vgg19(last_layer="relu2_1")
    with torch.no_grad():
        F = extract_features(model, preprocess(load_image(photo, 64), model.convention), ["relu1_1"])["relu1_1"]
    np.testing.assert_allclose(axes[1].images[0].get_array(), F[0, 17].numpy(), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("value, words", [("3,x", ["3,17,42"]), ("-1", ["≥ 0"]), ("3,64", ["relu1_1 has 64 channels", "64"])])
def test_features_channels_at_mistakes(capsys, tmp_path, photo, value, words):
    code, _, err = run(capsys, "features", photo, "--layers", "relu1_1", "--channels-at", value, "-o", tmp_path / "g.png", "--size", 64)
    assert_usage_error(code, err, *words)
    assert not (tmp_path / "g.png").exists()


def test_every_option_of_transfer_config_is_on_the_command_line_with_its_own_default_and_help(capsys):
    from dataclasses import fields

    from nst_teach.config import TransferConfig

    parser = cli.build_parser()
    transfer = parser._subparsers._group_actions[0].choices["transfer"]
    actions = {a.dest: a for a in transfer._actions}
    for f in fields(TransferConfig):
        action = actions[f.name]
        assert action.default == f.default, f.name  # the default written once, in TransferConfig
        assert f.metadata["help"].replace("%", "%%") in action.help, f.name
    args = parser.parse_args(["transfer", "cat", "starry_night", "-o", "x.png"])
    assert cli._config_from(args) == TransferConfig()  # no option given: exactly the library's defaults
    assert "adam 0.02" in actions["lr"].help and str(TransferConfig.style_weight) in actions["style_weight"].help


def test_nst_teach_speed_in_the_environment_is_the_commands_default(monkeypatch):
    monkeypatch.setenv("NST_TEACH_SPEED", "plain")
    args = cli.build_parser().parse_args(["transfer", "cat", "starry_night", "-o", "x.png"])
    assert args.speed == "plain"
    args = cli.build_parser().parse_args(["transfer", "cat", "starry_night", "-o", "x.png", "--speed", "auto"])
    assert args.speed == "auto"
