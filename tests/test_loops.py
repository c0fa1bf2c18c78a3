"""Tests for `nst_teach.loops` on losses small enough to solve by hand: every loop keeps the picture
in [0, 1], reaches the box's optimum, records each step, and stops or reports divergence as promised."""

import math

import pytest
import torch

from nst_teach.config import TransferConfig
from nst_teach.loops import _Diverged, _optimise_by_steps, _optimise_lbfgs, _Run, _Stop
from nst_teach.transfer import TransferResult

# L(x) = Σ (x − t)²: its minimum over the box [0, 1] is clip(t, 0, 1), here outside the box for 2 of 4 pixels
TARGET = torch.tensor([-0.5, 0.25, 0.75, 1.5]).view(1, 1, 2, 2)


def squared_distance(x):
    total = ((x - TARGET) ** 2).sum()
    return total, {"content": total.item(), "style": 0.0, "tv": 0.0, "total": total.item()}


def new_run(callback=None):
    run = _Run(TransferResult(image=None), callback)
    run.start_scale(torch.full_like(TARGET, 0.5), 2)
    return run


@pytest.mark.parametrize("optimizer, steps, lr", [("lbfgs", 20, None), ("lbfgsb", 20, None), ("adam", 300, 0.05),
                                                   ("gd", 100, 0.1), ("momentum", 100, 0.05)])
def test_each_loop_reaches_the_boxs_optimum_and_keeps_the_picture_valid(optimizer, steps, lr):
    config = TransferConfig(optimizer=optimizer, steps=steps, lr=lr, parametrisation="pixels")
    run = new_run()
    loop = _optimise_lbfgs if optimizer.startswith("lbfgs") else _optimise_by_steps
    x = loop(squared_distance, torch.full_like(TARGET, 0.5), config, run)
    assert torch.allclose(x, TARGET.clamp(0, 1), atol=2e-2), x
    history = run.result.history
    assert len(history) <= steps and [h["step"] for h in history] == list(range(1, len(history) + 1))
    assert history[-1]["total"] < history[0]["total"] and run.result.evaluations >= len(history)
    assert run.result.image.min() >= 0 and run.result.image.max() <= 1


def test_lbfgs_on_the_pyramid_reaches_the_same_optimum():
    target = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 1.4 - 0.2

    def loss(x):
        total = ((x - target) ** 2).sum()
        return total, {"content": total.item(), "style": 0.0, "tv": 0.0, "total": total.item()}

    config = TransferConfig(steps=30, parametrisation="pyramid", pyramid_coarsest=8)
    x = _optimise_lbfgs(loss, torch.full_like(target, 0.5), config, new_run())
    assert (x - target.clamp(0, 1)).abs().max() < 2e-2


def test_a_callback_returning_true_stops_the_run_after_that_step():
    seen = []
    run = new_run(lambda step, image, losses: seen.append(step) or step == 3)
    with pytest.raises(_Stop):
        _optimise_by_steps(squared_distance, torch.full_like(TARGET, 0.5), TransferConfig(optimizer="adam", steps=10, lr=0.01), run)
    assert seen == [1, 2, 3] and len(run.result.history) == 3


def test_a_loss_that_is_not_finite_is_divergence_and_the_last_finite_image_stays():
    def exploding(x):
        total = ((x - TARGET) ** 2).sum() * (math.inf if run.result.evaluations >= 2 else 1.0)
        return total, {"content": total.item(), "style": 0.0, "tv": 0.0, "total": total.item()}

    run = new_run()
    with pytest.raises(_Diverged):
        _optimise_by_steps(exploding, torch.full_like(TARGET, 0.5), TransferConfig(optimizer="adam", steps=5, lr=0.01), run)
    assert run.result.evaluations == 3 and len(run.result.history) == 2 and torch.isfinite(run.result.image).all()
