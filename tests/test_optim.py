"""Tests for `nst_teach.optim`: each hand-written optimiser against torch.optim on the same problem,
purity of the step functions, and the bounded L-BFGS-B wrapper."""

import subprocess
import sys

import pytest
import torch

from nst_teach.optim import (
    Adam,
    AdamState,
    GradientDescent,
    Momentum,
    adam_step,
    gradient_descent,
    gradient_descent_step,
    _armijo,
    lbfgs,
    lbfgsb,
    momentum_step,
)

pytestmark = pytest.mark.ex06
STEPS = 20


def rosenbrock(x):
    """A sum of 2-D Rosenbrock valleys over consecutive pairs of entries: non-convex, curved gradients."""
    a, b = x.flatten()[0::2], x.flatten()[1::2]
    return ((1 - a) ** 2 + 10.0 * (b - a**2) ** 2).sum()


def x_start(seed=0):
    """A [1, 2, 3, 4] 'image' of 24 values (shape like an image; the optimisers must not care)."""
    return torch.rand(1, 2, 3, 4, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def grad_of(f, x):
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x)
    return g


def run_torch(optimizer_class, x0, steps=STEPS, **kwargs):
    """The trajectory of torch.optim.<optimizer_class> on rosenbrock: a list of ``steps`` iterates."""
    x = x0.clone().requires_grad_(True)
    opt = optimizer_class([x], **kwargs)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        rosenbrock(x).backward()
        opt.step()
        path.append(x.detach().clone())
    return path


def assert_paths_close(ours, theirs):
    assert len(ours) == len(theirs) == STEPS
    for t, (a, b) in enumerate(zip(ours, theirs)):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5, msg=f"step {t + 1}")
    assert not torch.allclose(ours[0], ours[-1])  # the iterates really moved


# ----------------------------------------------------------------------------- pure step functions


def test_gradient_descent_step_matches_sgd():
    x, path = x_start(), []
    for _ in range(STEPS):
        x = gradient_descent_step(x, grad_of(rosenbrock, x), lr=0.01)
        path.append(x)
    assert_paths_close(path, run_torch(torch.optim.SGD, x_start(), lr=0.01))


def test_momentum_step_matches_sgd_momentum():
    x, v, path = x_start(), torch.zeros_like(x_start()), []
    for _ in range(STEPS):
        x, v = momentum_step(x, grad_of(rosenbrock, x), v, lr=0.005, momentum=0.9)
        path.append(x)
    assert_paths_close(path, run_torch(torch.optim.SGD, x_start(), lr=0.005, momentum=0.9))


@pytest.mark.parametrize("betas, eps", [((0.9, 0.999), 1e-8), ((0.8, 0.99), 1e-3)])
def test_adam_step_matches_torch_adam(betas, eps):
    x, path = x_start(), []
    state = AdamState.zeros_like(x)
    for _ in range(STEPS):
        x, state = adam_step(x, grad_of(rosenbrock, x), state, lr=0.05, betas=betas, eps=eps)
        path.append(x)
    assert state.t == STEPS
    assert_paths_close(path, run_torch(torch.optim.Adam, x_start(), lr=0.05, betas=betas, eps=eps))


def test_adam_first_step_is_lr_times_sign_of_gradient():
    """With bias correction, m̂₁ = g and ŝ₁ = g², so the first step is lr · g/|g| (up to ε)."""
    x, g = x_start(), x_start(seed=1) - 0.5
    x1, _ = adam_step(x, g, AdamState.zeros_like(x), lr=0.1)
    torch.testing.assert_close(x - x1, 0.1 * torch.sign(g), rtol=1e-6, atol=1e-6)


def test_step_functions_do_not_modify_inputs():
    x, g = x_start(), x_start(seed=1)
    v = torch.ones_like(x)
    state = AdamState(m=torch.full_like(x, 0.1), s=torch.full_like(x, 0.2), t=3)
    copies = [t.clone() for t in (x, g, v, state.m, state.s)]
    gradient_descent_step(x, g, 0.1)
    momentum_step(x, g, v, 0.1, 0.9)
    _, new_state = adam_step(x, g, state, 0.1)
    for before, after in zip(copies, (x, g, v, state.m, state.s)):
        assert torch.equal(before, after)
    assert state.t == 3 and new_state.t == 4 and new_state is not state


# ----------------------------------------------------------------------------- the gradient-descent loop


def test_gradient_descent_loop_decreases_a_convex_loss():
    target = x_start(seed=2)
    loss_fn = lambda x: ((x - target) ** 2).sum()  # convex; minimum 0 at x = target
    x0 = torch.zeros_like(target)
    x, losses = gradient_descent(loss_fn, x0, lr=0.1, steps=30)
    assert len(losses) == 30
    assert all(b < a for a, b in zip(losses, losses[1:]))  # strictly decreasing
    # Exact: each step multiplies the error by (1 − 2·lr) = 0.8.
    torch.testing.assert_close(x, target - 0.8**30 * (target - x0))
    assert torch.equal(x0, torch.zeros_like(target))  # x0 not modified
    assert not x.requires_grad


# ----------------------------------------------------------------------------- optimizer classes


@pytest.mark.parametrize(
    "ours, theirs, kwargs",
    [(GradientDescent, torch.optim.SGD, dict(lr=0.01)),
     (Momentum, torch.optim.SGD, dict(lr=0.005, momentum=0.9)),
     (Adam, torch.optim.Adam, dict(lr=0.05, betas=(0.9, 0.999), eps=1e-8))],
)
def test_optimizer_classes_match_torch(ours, theirs, kwargs):
    assert_paths_close(run_torch(ours, x_start(), **kwargs), run_torch(theirs, x_start(), **kwargs))


def test_optimizer_class_with_closure():
    x = x_start().requires_grad_(True)
    opt = Adam([x], lr=0.05)

    def closure():
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss

    first = opt.step(closure).item()
    for _ in range(STEPS):
        last = opt.step(closure).item()
    assert last < first


# ----------------------------------------------------------------------------- L-BFGS-B


def bounded_quadratic(x):
    """f(x) = Σ (x − t)² with t partly outside [0, 1]: the box optimum is clip(t, 0, 1)."""
    t = torch.linspace(-0.5, 1.5, x.numel(), dtype=x.dtype).view(x.shape)
    return ((x - t) ** 2).sum(), t


def test_lbfgsb_finds_the_clipped_optimum_and_respects_bounds():
    x0 = torch.full((1, 3, 2, 4), 0.5)
    _, t = bounded_quadratic(x0)
    assert t.min() < 0 and t.max() > 1  # the unconstrained optimum is outside the box
    iterates = []

    def f_and_grad(x):
        assert x.min() >= 0 and x.max() <= 1  # every evaluation point is inside the box
        x = x.detach().requires_grad_(True)
        f, _ = bounded_quadratic(x)
        f.backward()
        return f.item(), x.grad

    x = lbfgsb(f_and_grad, x0, steps=50, on_iteration=lambda z: iterates.append(z.clone()))
    assert iterates
    assert all(z.min() >= 0 and z.max() <= 1 for z in iterates)
    assert x.shape == x0.shape and x.dtype == torch.float32
    torch.testing.assert_close(x, t.clamp(0, 1), atol=1e-5, rtol=0)


def rosenbrock_f_and_grad(x):
    """lbfgsb's interface: (f as a float, ∂f/∂x shaped like x)."""
    x = x.detach().requires_grad_(True)
    f = rosenbrock(x.double())
    f.backward()
    return f.item(), x.grad


def test_lbfgsb_stops_when_the_callback_says_so():
    calls = []

    def on_iteration(x):
        calls.append(x)
        return len(calls) == 3

    x = lbfgsb(rosenbrock_f_and_grad, torch.full((1, 1, 2, 2), 0.2), steps=100, on_iteration=on_iteration)
    assert len(calls) == 3
    torch.testing.assert_close(x, calls[-1])  # the returned image is the iterate we stopped at


def test_lbfgsb_respects_the_step_budget():
    calls = []

    lbfgsb(rosenbrock_f_and_grad, torch.full((1, 1, 2, 2), 0.2), steps=4, on_iteration=lambda z: calls.append(z) and False)
    assert 1 <= len(calls) <= 4


# ----------------------------------------------------------------------------- L-BFGS (ours, torch's strong-Wolfe line search)


def test_lbfgs_one_iteration_at_a_time_is_torchs_lbfgs_without_extra_evaluations():
    """`lbfgs` is L-BFGS written out, one iteration at a time so that each can be reported: it must
    give exactly torch's own multi-iteration run, evaluation for evaluation."""
    x0 = torch.tensor([[-1.2, 1.0, 0.3, -0.5]], dtype=torch.float64)
    evaluations = []

    def counted(x):
        evaluations.append(x.clone())
        return rosenbrock_f_and_grad(x)

    x = lbfgs(counted, x0, steps=25, on_iteration=lambda z: False, first_step=None)

    ref = x0.clone().requires_grad_(True)
    torch_lbfgs = torch.optim.LBFGS([ref], lr=1.0, max_iter=25, max_eval=10_000, history_size=20,
                                    tolerance_grad=0.0, tolerance_change=0.0, line_search_fn="strong_wolfe")

    def closure():
        torch_lbfgs.zero_grad()
        f = rosenbrock(ref)
        f.backward()
        return f

    torch_lbfgs.step(closure)
    torch.testing.assert_close(x, ref.detach(), rtol=0, atol=1e-12)
    assert len(evaluations) == torch_lbfgs.state[ref]["func_evals"]
    assert rosenbrock(x).item() < 1e-3 < rosenbrock(x0).item()  # and it did get to the valley floor


def test_lbfgs_first_trial_step_moves_a_value_by_first_step_on_average():
    x0 = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    target = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    points = []

    def quadratic(x):
        points.append(x.clone())
        x = x.detach().requires_grad_(True)
        f = 1e9 * ((x - target) ** 2).sum()  # gradients ~1e9, as in style transfer: torch's first step would be tiny
        f.backward()
        return f.item(), x.grad

    x = lbfgs(quadratic, x0, steps=10, on_iteration=lambda z: False, first_step=0.01)
    assert torch.equal(points[0], x0)  # x₀ itself is evaluated first (the rescaling is exact)
    assert 0.01 / 2**0.5 <= (points[1] - points[0]).abs().mean().item() <= 0.01 * 2**0.5
    torch.testing.assert_close(x, target, atol=1e-4, rtol=0)  # and it still converges


def test_lbfgs_stops_when_the_callback_says_so_and_respects_the_budget():
    calls = []
    x = lbfgs(rosenbrock_f_and_grad, torch.full((1, 1, 2, 2), 0.2), steps=100, on_iteration=lambda z: calls.append(z.clone()) or len(calls) == 3)
    assert len(calls) == 3
    torch.testing.assert_close(x, calls[-1])
    calls.clear()
    lbfgs(rosenbrock_f_and_grad, torch.full((1, 1, 2, 2), 0.2), steps=4, on_iteration=lambda z: calls.append(z) and False)
    assert len(calls) == 4


def test_lbfgs_does_not_load_torchs_compiler():
    """Creating a torch.optim optimizer imports torch._dynamo (2.3 s, once per process): the command
    pays it in its 3-minute budget. `lbfgs` needs none of it."""
    code = ("import sys, torch\nfrom nst_teach.optim import lbfgs\n"
            "lbfgs(lambda x: (float((x ** 2).sum()), 2 * x), torch.ones(1, 4), steps=3, on_iteration=lambda z: False)\n"
            "print('torch._dynamo' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


# ----------------------------------------------------------------------------- L-BFGS's Armijo line search


def test_armijo_takes_the_full_step_when_the_loss_drops_enough():
    # f(x) = x², x = 1, d = −1.5: at t = 1, x = −0.5 and f = 0.25 ≤ 1 + 1e-4 · (−3): accepted at once
    def along(z, t, d):
        x = z + t * d
        return float((x**2).sum()), 2 * x

    z, d = torch.tensor([1.0]), torch.tensor([-1.5])
    f, g, t, evaluations = _armijo(along, z, 1.0, d, 1.0, 2 * z, (2 * z).dot(d))
    assert (t, evaluations, f) == (1.0, 1, 0.25) and torch.equal(g, torch.tensor([-1.0]))


def test_armijo_backtracks_to_the_minimum_of_the_parabola():
    # d = −10 overshoots: f(1 − 10) = 81. The parabola through f = 1, slope gtd = −20 and 81 has its
    # minimum at t = 20 / (2 · (81 − 1 + 20)) = 0.1, where f is exactly 0 (f is that parabola).
    trials = []

    def along(z, t, d):
        trials.append(float(t))
        x = z + t * d
        return float((x**2).sum()), 2 * x

    z, d = torch.tensor([1.0]), torch.tensor([-10.0])
    f, g, t, evaluations = _armijo(along, z, 1.0, d, 1.0, 2 * z, (2 * z).dot(d))
    assert trials == pytest.approx([1.0, 0.1]) and evaluations == 2
    assert t == pytest.approx(0.1) and f == pytest.approx(0.0, abs=1e-12)


def test_armijo_never_shrinks_the_step_by_more_than_ten_or_less_than_two():
    trials = []

    def cliff(z, t, d):  # f jumps far up for any step: the parabola's minimum is near 0, clamped to 0.1 t
        trials.append(float(t))
        return 1e9, torch.zeros(1)

    _armijo(cliff, torch.zeros(1), 1.0, torch.ones(1), 0.0, -torch.ones(1), torch.tensor(-1.0), max_ls=3)
    assert trials == pytest.approx([1.0, 0.1, 0.01])

    trials.clear()

    def ledge(z, t, d):  # f just misses sufficient decrease: the parabola's minimum is past t/2, clamped to 0.5 t
        trials.append(float(t))
        return 0.99999, torch.zeros(1)  # above f + c₁ t gtd = 1 − 1e-4 t for every t ≥ 0.1

    _armijo(ledge, torch.zeros(1), 1.0, torch.ones(1), 1.0, -torch.ones(1), torch.tensor(-1.0), max_ls=3)
    assert trials == pytest.approx([1.0, 0.5, 0.25])


def test_lbfgs_with_armijo_reaches_the_valley_floor_one_evaluation_per_accepted_step():
    x0 = torch.tensor([[-1.2, 1.0, 0.3, -0.5]], dtype=torch.float64)
    evaluations, iterations = [], []

    def counted(x):
        evaluations.append(x.clone())
        return rosenbrock_f_and_grad(x)

    x = lbfgs(counted, x0, steps=60, on_iteration=lambda z: iterations.append(z) and False, first_step=None, line_search="armijo")
    assert rosenbrock(x).item() < 1e-6 < rosenbrock(x0).item()
    assert len(iterations) == 60
    assert len(evaluations) < 1 + 60 * 1.5  # x₀, then mostly the full step (backtracking on the curved valley's walls)
    with pytest.raises(ValueError, match="strong_wolfe or armijo"):
        lbfgs(counted, x0, steps=1, on_iteration=lambda z: False, line_search="wolfe")
