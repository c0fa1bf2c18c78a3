"""Step 6 in two dimensions: a bowl small enough to draw, and the path each optimiser takes on it.

    f(x) = ½ Σ_i c_i (x_i − t_i)²,   c = (1, 20),   t = (0.7, 0.3)

Style transfer moves ~100 000 pixels; here x = (x₁, x₂), so the points an optimiser visits can be
drawn over the contour lines (`viz.optimisation_paths`). The valley is 20 times steeper along x₂
than along x₁: gradient descent is stable only for η < 2/20 and then crawls along x₁.
"""

import torch

from .optim import lbfgs

TARGET = (0.7, 0.3)  # t: the minimum
CURVATURE = (1.0, 20.0)  # c: the second derivative along each axis
START = (0.05, 0.95)  # where every path starts


def bowl(x):
    """f(x) = ½ Σ_i c_i (x_i − t_i)² for x a tensor [2]; a scalar tensor (0 at the minimum t)."""
    target = torch.tensor(TARGET, dtype=x.dtype)
    curvature = torch.tensor(CURVATURE, dtype=x.dtype)
    return 0.5 * (curvature * (x - target) ** 2).sum()


def descend(update, steps, state=None, start=START, f=bowl):
    """The points visited by ``steps`` updates x, state ← update(x, g, state) with g = ∇f(x).

    update: a step function such as ``lambda x, g, v: nt.momentum_step(x, g, v, lr=0.01)``; state:
    what it carries from step to step (a velocity, an AdamState; None for gradient descent).
    Returns the path, a float64 tensor [steps + 1, 2], the start included.
    """
    x = torch.tensor(start, dtype=torch.float64)
    path = [x]
    for _ in range(steps):
        x = x.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(f(x), x)
        x, state = update(x.detach(), g, state)
        path.append(x)
    return torch.stack(path)  # (steps + 1, 2)


def lbfgs_path(steps, start=START, f=bowl, optimizer=lbfgs, tol=1e-6):
    """The iterates of L-BFGS on f: a float64 tensor [T + 1, 2], the start included.

    At most ``steps`` iterations; the path ends early once an iteration moves x by less than
    ``tol`` (on this bowl, after a handful), so its length counts the steps that visibly did something.

    optimizer: `optim.lbfgs` (L-BFGS with torch's strong-Wolfe line search; `style_transfer` uses
    it with the Armijo one) or `optim.lbfgsb` (scipy's, with x bounded to [0, 1]², which holds the start
    and the minimum). Neither takes a learning rate.
    """
    x0 = torch.tensor(start, dtype=torch.float64)
    path = [x0]

    def f_and_grad(x):
        x = x.double().requires_grad_(True)
        value = f(x)
        (g,) = torch.autograd.grad(value, x)
        return value.item(), g

    def on_iteration(x):
        if (x.double() - path[-1]).abs().max() < tol:
            return True  # converged: stop
        path.append(x.double())
        return False

    optimizer(f_and_grad, x0, steps, on_iteration)
    return torch.stack(path)  # (T + 1, 2)
