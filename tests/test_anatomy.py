"""Tests for `nst_teach.anatomy`: receptive fields by hand, shapes and parameters against the real model."""

import pytest
import torch

from nst_teach.anatomy import architecture, format_table, receptive_field
from nst_teach.errors import NSTError
from nst_teach.preprocess import preprocess
from nst_teach.vgg import LAYER_NAMES, load_vgg19

# Worked by hand with r_out = r_in + (k − 1)·j_in, j_out = j_in·s.
KNOWN_FIELDS = {
    "relu1_1": 3, "relu1_2": 5, "pool1": 6, "relu2_1": 10, "relu2_2": 14, "pool2": 16,
    "relu3_1": 24, "relu3_4": 48, "pool3": 52, "relu4_1": 68, "relu4_2": 84, "pool4": 124,
    "relu5_1": 156, "conv5_4": 252, "pool5": 268,
}


@pytest.mark.parametrize("layer, r", KNOWN_FIELDS.items())
def test_receptive_fields_match_hand_computation(layer, r):
    assert receptive_field(layer) == r


def test_keras_alias_and_jumps():
    assert receptive_field("block4_conv2") == 84
    jumps = {row.name: row.jump for row in architecture()}
    assert (jumps["relu1_2"], jumps["pool1"], jumps["relu3_1"], jumps["pool5"]) == (1, 2, 4, 32)


def test_parameter_count_matches_the_model():
    table = architecture()
    model = load_vgg19("random", device="cpu")
    per_layer = {name: sum(p.numel() for p in layer.parameters()) for name, layer in model.layers.named_children()}
    assert {row.name: row.params for row in table} == per_layer
    assert sum(row.params for row in table) == 20_024_384  # VGG-19's convolutional part


def test_shapes_match_a_forward_pass():
    size = (40, 70)  # odd sizes after pooling check the rounding down
    model = load_vgg19("random", device="cpu")
    x = preprocess(torch.rand(1, 3, *size, generator=torch.Generator().manual_seed(0)))
    shapes = {}
    with torch.no_grad():
        for name, layer in model.layers.named_children():
            x = layer(x)
            shapes[name] = tuple(x.shape[1:])
    assert {row.name: row.shape for row in architecture(size)} == shapes
    assert [row.name for row in architecture(size)] == list(LAYER_NAMES)


def test_format_table_and_bad_size():
    text = format_table()
    assert "conv5_4" in text and "252" in text and "20,024,384" in text
    assert "relu1_1" not in format_table(kinds=("conv",))
    with pytest.raises(NSTError, match="positive"):
        architecture(0)


def test_effective_receptive_field_lies_inside_the_theoretical_one_and_is_smaller(vgg, cat):
    import torch

    from nst_teach.anatomy import effective_receptive_field, effective_width
    from nst_teach.preprocess import preprocess

    x = preprocess(cat, "caffe")
    grad, channel = effective_receptive_field(vgg, x, "relu3_1")
    assert grad.shape == x.shape[-2:] and 0 <= channel < 256
    H, W = grad.shape
    r = receptive_field("relu3_1")  # 24 px: nothing outside that square can reach the unit
    ci, cj = (H // 4) // 2 * 4 + 2, (W // 4) // 2 * 4 + 2  # the centre unit of the map (1/4 the size), in input pixels
    outside = grad.clone()
    outside[max(0, ci - r): ci + r, max(0, cj - r): cj + r] = 0
    assert grad.sum() > 0 and outside.sum() == 0
    assert 1 <= effective_width(grad, 0.9) <= r
    assert effective_width(torch.ones(9, 9), 1.0) == 9 and effective_width(torch.zeros(5, 5)) == 0
