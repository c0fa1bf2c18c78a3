"""Tests for `nst_teach.loops` on losses small enough to solve by hand: every loop keeps the picture
in [0, 1], reaches the box's optimum, records each step, and stops or reports divergence as promised."""

import math

import pytest
import torch

from nst_teach.config import TransferConfig
from nst_teach.loops import Convergence, _Diverged, _optimise_by_steps, _optimise_lbfgs, _Run, _Stop
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


def test_convergence_is_the_relative_decrease_of_the_loss_over_the_window():
    rule = Convergence(window=2, tolerance=0.05)
    totals = [100.0, 50.0, 30.0, 25.0, 24.0, 23.5, 23.4]
    decreases = [rule.update(t) for t in totals]
    assert decreases[:2] == [None, None]  # nothing to compare with during the first window
    # d_k = (L_{k−2} − L_k) / L_k, written out: 70/30, 25/25, 6/24, 1.5/23.5, 0.6/23.4
    assert decreases[2:] == pytest.approx([70 / 30, 1.0, 0.25, 1.5 / 23.5, 0.6 / 23.4])
    assert [rule.done(d) for d in decreases] == [False] * 6 + [True]  # 0.6/23.4 = 2.6% < 5%; 1.5/23.5 = 6.4% is not
    rising = Convergence(window=1, tolerance=0.001)
    rising.update(1.0)
    assert rising.done(rising.update(1.1))  # a loss that went up over the window also ends the stage


@pytest.mark.parametrize("optimizer, lr", [("lbfgs", None), ("adam", 0.05)])
def test_a_converging_stage_ends_at_the_first_step_whose_decrease_is_below_the_tolerance(optimizer, lr):
    config = TransferConfig(optimizer=optimizer, lr=lr, steps=200, parametrisation="pixels")
    run = _Run(TransferResult(image=None), None)
    run.start_scale(torch.full_like(TARGET, 0.5), 2, Convergence(window=3, tolerance=0.01))
    loop = _optimise_lbfgs if optimizer == "lbfgs" else _optimise_by_steps
    loop(squared_distance, torch.full_like(TARGET, 0.5), config, run)
    history = run.result.history
    totals = [h["total"] for h in history]
    expected = [None] * 3 + [(totals[k - 3] - totals[k]) / totals[k] for k in range(3, len(totals))]
    assert [h["decrease"] for h in history] == pytest.approx(expected)
    assert 3 < len(history) < 200  # stopped by the rule, not by the count
    assert history[-1]["decrease"] < 0.01 and all(d >= 0.01 for d in expected[3:-1])


def test_without_a_convergence_rule_the_count_is_forced():
    run = new_run()  # start_scale without a rule: a fixed count
    _optimise_by_steps(squared_distance, torch.full_like(TARGET, 0.5), TransferConfig(optimizer="adam", steps=40, lr=0.05), run)
    assert len(run.result.history) == 40 and "decrease" not in run.result.history[0]
