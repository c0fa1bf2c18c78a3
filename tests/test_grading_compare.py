"""Tests for `nst_teach.grading.compare`, the comparison engine: each kind of wrong answer gets its
own mistake id and a one-line hint that says how far off it is; right answers pass."""

import numpy as np
import pytest
import torch

from nst_teach.grading.compare import GENERIC, difference

WANT = torch.tensor([[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize("got, mistake", [
    (None, "returns_none"), (WANT.numpy(), "numpy_for_tensor"), (np.float32(1.0), "numpy_for_tensor"), (10.0, "number_for_tensor"),
    ("a string", "wrong_type"), (WANT.T.reshape(4), "wrong_shape"), (WANT.double(), "wrong_dtype"), (WANT * 1.01, "values")])
def test_each_wrong_tensor_answer_is_named(got, mistake):
    found, hint = difference(got, WANT, rtol=1e-5, atol=1e-6)
    assert found == mistake and "\n" not in hint
    if mistake in GENERIC and mistake != "wrong_type":  # wrong_type names the type it got instead
        assert hint.startswith(GENERIC[mistake])


def test_a_right_answer_within_the_tolerance_passes_and_the_hint_says_how_far_off():
    assert difference(WANT + 1e-7, WANT, rtol=1e-5, atol=1e-6) is None
    _, hint = difference(WANT + torch.tensor([[0.0, 0.0], [0.0, 0.5]]), WANT, rtol=1e-5, atol=1e-6)
    assert "largest difference 0.5" in hint and "expected" in hint


def test_nan_where_the_reference_has_none_and_the_reverse_are_told_apart():
    want = np.array([1.0, np.nan])
    assert difference(np.array([1.0, np.nan]), want, 1e-5, 1e-6) is None  # both NaN: np.corrcoef's 0/0
    assert "expected NaN at index (1,)" in difference(np.array([1.0, 0.0]), want, 1e-5, 1e-6)[1]
    assert "NaN at index (0,)" in difference(np.array([np.nan, np.nan]), want, 1e-5, 1e-6)[1]


def test_containers_are_compared_item_by_item_and_say_where():
    want = {"content": torch.tensor(1.0), "style": (torch.tensor(2.0), 3.0)}
    got = {"content": torch.tensor(1.0), "style": (torch.tensor(2.0), 4.0)}
    mistake, hint = difference(got, want, 1e-5, 1e-6)
    assert mistake == "values" and hint.startswith("['style']: item 1:")
    assert difference({"content": 1.0}, want, 1e-5, 1e-6)[0] == "wrong_type"
    assert difference([1.0, 2.0], (1.0, 2.0), 1e-5, 1e-6) is None
    assert difference(torch.tensor(3.0), 3.0, 1e-5, 1e-6) is None  # a one-element tensor for a number
