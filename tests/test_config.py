"""Tests for `nst_teach.config`: each option's default and help written once, the schedule of scales
and steps, the learning rate, and one-line errors for options that make no run."""

from dataclasses import fields

import pytest
import torch

from nst_teach.config import CHOICES, FIRST_STEP, TransferConfig, auto_scales, option
from nst_teach.errors import NSTError


def test_every_option_has_a_one_line_help_and_a_default():
    for f in fields(TransferConfig):
        assert f.metadata["help"] and "\n" not in f.metadata["help"], f.name
        assert getattr(TransferConfig(), f.name) == f.default == getattr(TransferConfig, f.name)
    with pytest.raises(TypeError, match="tuple"):
        option([1, 2], "a mutable default would be shared by every config")


def test_the_choices_named_in_the_help_are_the_ones_validate_accepts():
    for name, allowed in CHOICES.items():
        f = TransferConfig.__dataclass_fields__[name]
        assert all(value in f.metadata["help"] for value in allowed), name
        assert f.default in allowed
        with pytest.raises(NSTError, match=f"unknown {name}"):
            TransferConfig(**{name: "nonsense"}).validate()


@pytest.mark.parametrize("longest, scales", [(256, (1.0,)), (512, (1.0,)), (513, (0.5, 1.0)), (768, (0.5, 1.0)),
                                             (1024, (0.25, 0.5, 1.0)), (2048, (0.125, 0.25, 0.5, 1.0))])
def test_auto_scales_start_the_coarsest_stage_at_256_to_512_px(longest, scales):
    assert auto_scales(longest) == scales
    assert 256 <= longest * scales[0] <= 512 or scales == (1.0,)


def test_one_number_of_steps_is_halved_at_each_finer_scale():
    assert TransferConfig(steps=160).steps_per_scale(3) == (160, 80, 40)
    assert TransferConfig(steps=1).steps_per_scale(3) == (1, 1, 1)
    assert TransferConfig(scales=(0.5, 1.0), steps=(7, 9)).validate().steps_per_scale(2) == (7, 9)


def test_the_learning_rate_is_given_default_or_set_from_the_first_gradient():
    gradient = torch.full((1, 3, 4, 4), 2e10)
    assert TransferConfig(optimizer="adam").learning_rate() == 0.02
    assert TransferConfig(optimizer="adam", lr=0.5).learning_rate() == 0.5
    assert TransferConfig(optimizer="gd").learning_rate(gradient) == pytest.approx(FIRST_STEP["gd"] / 2e10)
    assert TransferConfig(optimizer="lbfgs").learning_rate() is None


@pytest.mark.parametrize("options, words", [(dict(style_weight=-1.0), "--style-weight 0.1"), (dict(lr=0.1), "--lr does not apply"),
                                            (dict(speed="turbo"), "unknown speed"), (dict(device="tpu"), "unknown device")])
def test_an_option_that_makes_no_run_is_one_line_that_says_what_to_do(options, words):
    with pytest.raises(NSTError, match=words) as error:
        TransferConfig(**options).validate()
    assert "\n" not in str(error.value)
