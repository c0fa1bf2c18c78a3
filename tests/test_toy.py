"""Tests for `nst_teach.toy`: the bowl against its formula, gradient descent's path against the closed
form, momentum's against torch.optim.SGD, and both L-BFGS variants reaching the minimum."""

import pytest
import torch

from nst_teach.optim import gradient_descent_step, lbfgs, lbfgsb, momentum_step
from nst_teach.toy import CURVATURE, START, TARGET, bowl, descend, lbfgs_path

T = torch.tensor(TARGET, dtype=torch.float64)
C = torch.tensor(CURVATURE, dtype=torch.float64)


def test_bowl_is_the_formula_by_hand():
    assert bowl(T).item() == 0.0
    # ½ (1 · 0.65² + 20 · 0.65²) at the start (0.05, 0.95)
    assert bowl(torch.tensor(START, dtype=torch.float64)).item() == pytest.approx(0.5 * 21 * 0.65**2)
    x = torch.tensor([0.2, 0.9], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(bowl(x), x)
    assert torch.allclose(g, C * (x.detach() - T))  # ∇f = c (x − t)


@pytest.mark.parametrize("lr", [0.01, 0.09, 0.104])
def test_gradient_descent_path_is_the_closed_form(lr):
    """On a quadratic, x_k − t = (1 − η c)^k (x_0 − t) exactly, coordinate by coordinate."""
    path = descend(lambda x, g, s: (gradient_descent_step(x, g, lr), s), steps=30)
    k = torch.arange(31, dtype=torch.float64)[:, None]  # (31, 1)
    expected = T + (1 - lr * C) ** k * (torch.tensor(START, dtype=torch.float64) - T)  # (31, 2)
    assert path.shape == (31, 2)
    assert torch.allclose(path, expected, atol=1e-12)


def test_learning_rate_above_two_over_the_curvature_diverges():
    too_large = descend(lambda x, g, s: (gradient_descent_step(x, g, 0.104), s), steps=40)
    about_right = descend(lambda x, g, s: (gradient_descent_step(x, g, 0.09), s), steps=40)
    assert bowl(too_large[-1]) > bowl(too_large[0])
    assert bowl(about_right[-1]) < 1e-2 * bowl(about_right[0])


def test_momentum_path_matches_torch_sgd():
    path = descend(lambda x, g, v: momentum_step(x, g, v, lr=0.01, momentum=0.9), steps=25,
                   state=torch.zeros(2, dtype=torch.float64))
    x = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    sgd = torch.optim.SGD([x], lr=0.01, momentum=0.9)
    expected = [x.detach().clone()]
    for _ in range(25):
        sgd.zero_grad()
        bowl(x).backward()
        sgd.step()
        expected.append(x.detach().clone())
    assert torch.allclose(path, torch.stack(expected), atol=1e-12)


@pytest.mark.parametrize("optimizer", [lbfgs, lbfgsb])
def test_lbfgs_finds_the_minimum_of_the_bowl_in_a_few_steps(optimizer):
    path = lbfgs_path(40, optimizer=optimizer)
    assert torch.equal(path[0], torch.tensor(START, dtype=torch.float64))
    assert 2 <= len(path) <= 11, "a 2-D quadratic takes L-BFGS a handful of steps; the path stops there"
    assert torch.allclose(path[-1], T, atol=1e-5)
    assert bowl(path[-1]).item() < 1e-9
