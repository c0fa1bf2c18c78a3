"""Step 7: the loops that move the pixels for `style_transfer`, each keeping the picture valid.

Gradient descent, momentum and Adam take a step and project, x ← clip(x, 0, 1). L-BFGS (`optim.lbfgs`, by
default with an Armijo line search) minimises L(clip(x)) plus a small pull back into the box, on the pixels or on a
Laplacian pyramid of the image (`nst_teach.pyramid`); L-BFGS-B (scipy) bounds every pixel. A `_Run`
keeps the history, the last finite image and the callback for all of them, and ends a stage when its
`Convergence` says the loss has stopped falling (steps="auto").
"""

import math

import torch

from .optim import OPTIMIZERS
from .pyramid import PyramidParametrisation

# L-BFGS's pull back into [0, 1] (see _optimise_lbfgs): a pixel this far outside is pulled as hard as
# an average pixel is pushed by the loss at the start.
PULL_DISTANCE = 0.1


class Convergence:
    """When a stage is done (``steps="auto"``): the picture's loss stopped falling.

    With L_k the total loss of the picture step k started from (the run's history), after step k

        d_k = (L_{k−w} − L_k) / L_k        (the relative decrease over the last w steps)

    and the stage ends at the first k > w with d_k < ``tolerance`` (w = ``window``). An easy pair
    ends early, a hard one goes on, up to the stage's most steps. A loss that went up over the
    window (d_k < 0) also ends it: the steps are no longer buying anything.
    """

    def __init__(self, window, tolerance):
        self.window, self.tolerance, self.totals = window, tolerance, []

    def update(self, total):
        """Record L_k; return d_k (None during the first ``window`` steps)."""
        self.totals.append(total)
        if len(self.totals) <= self.window:
            return None
        return (self.totals[-1 - self.window] - total) / max(abs(total), 1e-30)

    def done(self, decrease):
        return decrease is not None and decrease < self.tolerance


class _Run:
    """Bookkeeping shared by the optimisation loops: history, the last good image, the callback, and
    when a stage has converged."""

    def __init__(self, result, callback):
        self.result, self.callback, self.size, self.convergence = result, callback, None, None

    def start_scale(self, x0, size, convergence=None):
        """A new stage at longest side ``size``; ``convergence``: its `Convergence` (None: a fixed count)."""
        self.size, self.convergence = size, convergence
        if self.result.image is None:
            self.result.image = x0.detach().cpu().clone()

    def evaluate(self, loss_fn, x):
        """(total, parts) at x, with the gradient in x.grad; stops the run if the loss is not finite."""
        x.grad = None
        total, parts = loss_fn(x)
        self.result.evaluations += 1
        if not all(math.isfinite(v) for v in parts.values()):
            raise _Diverged()
        total.backward()
        return total, parts

    def step_done(self, x, parts):
        """Record a finished step: x is the new (valid) image, parts the losses of the one before.
        Returns True when the stage has converged; raises _Stop when the callback asks to stop."""
        step = len(self.result.history) + 1
        entry = {"step": step, **parts, "size": self.size}
        if self.convergence is not None:
            entry["decrease"] = self.convergence.update(parts["total"])
        self.result.history.append(entry)
        self.result.image = x.detach().cpu().clone()
        if self.callback is not None and self.callback(step, x.detach(), entry):
            raise _Stop()
        return self.convergence is not None and self.convergence.done(entry["decrease"])


class _Stop(Exception):
    """The callback asked to stop: no further scales either."""


class _Diverged(Exception):
    """The loss became NaN or infinite; the last finite image is already in the result."""


def _optimise_by_steps(loss_fn, x0, config, run):
    """Gradient descent, momentum or Adam, each step followed by the projection x ← clip(x, 0, 1)."""
    x = x0.clone().requires_grad_(True)
    optimizer = None
    for _ in range(config.steps):
        _, parts = run.evaluate(loss_fn, x)
        if optimizer is None:  # created after the first gradient, which may set the learning rate
            optimizer = OPTIMIZERS[config.optimizer]([x], lr=config.learning_rate(x.grad))
        optimizer.step()
        with torch.no_grad():
            x.clamp_(0.0, 1.0)  # projection onto the valid image box (see module docstring)
        if not torch.isfinite(x).all():
            raise _Diverged()
        if run.step_done(x, parts):
            break
    return x.detach()


def _optimise_lbfgs(loss_fn, x0, config, run):
    """L-BFGS (`optim.lbfgs`) or L-BFGS-B (scipy): the images it reports and returns are always in [0, 1].

    L-BFGS has no bounds, so it minimises f(x) = L(clip(x, 0, 1)) + (μ/2) Σ (x − clip(x))²:
    the loss of the picture the user gets, plus a pull back towards the box for pixels that left it.
    Without the pull, a pixel outside [0, 1] has zero gradient and could never come back. f has the
    same minimisers as L on the box for any μ > 0 (outside the box L(clip(x)) no longer changes and
    the penalty only grows); μ is set from the first gradient so that a pixel 0.1 outside is pulled
    as hard as an average pixel is pushed by L. L-BFGS-B keeps x in the box by itself.
    """
    evaluated, mu = {}, []  # the losses of the latest evaluation, and of the current iterate; μ
    clip = config.optimizer == "lbfgs"

    def penalised(x):
        inside = x.clamp(0.0, 1.0)
        total, parts = loss_fn(inside)
        if mu:
            total = total + 0.5 * mu[0] * ((x - inside) ** 2).sum()
        return total, parts

    def f_and_grad(x):
        x = x.requires_grad_(True)
        total, parts = run.evaluate(penalised if clip else loss_fn, x)
        if clip and not mu:
            mu.append(x.grad.abs().mean().item() / PULL_DISTANCE)
        evaluated["last"] = parts
        evaluated.setdefault("iterate", parts)  # x0's losses, the start of step 1
        return total.item(), x.grad

    def on_iteration(x):
        # The line search's last evaluation is the new iterate: its losses start the next step.
        parts, evaluated["iterate"] = evaluated["iterate"], evaluated["last"]
        return run.step_done(x.clamp(0.0, 1.0), parts)  # True: converged, the stage ends here

    if config.optimizer == "lbfgs":
        options = dict(history_size=config.history_size, line_search=config.line_search)
        if config.parametrisation == "pyramid":
            return _lbfgs_on_pyramid(f_and_grad, on_iteration, x0, config, options)
        return OPTIMIZERS["lbfgs"](f_and_grad, x0, config.steps, on_iteration, **options).clamp(0.0, 1.0)
    x = OPTIMIZERS[config.optimizer](f_and_grad, x0, config.steps, on_iteration)
    return x.clamp(0.0, 1.0)


def _lbfgs_on_pyramid(f_and_grad, on_iteration, x0, config, options):
    """L-BFGS on the Laplacian-pyramid coefficients z of the image (x = decode(z), exact; see
    nst_teach.pyramid): the same f at the same images, ∂f/∂z = decodeᵀ ∂f/∂x."""
    pyramid = PyramidParametrisation(x0.shape, weight=config.pyramid_weight, coarsest=config.pyramid_coarsest)

    def f_and_grad_z(z):
        f, grad_x = f_and_grad(pyramid.decode(z).detach())
        return f, pyramid.gradient(z, grad_x)

    z = OPTIMIZERS["lbfgs"](f_and_grad_z, pyramid.encode(x0), config.steps, lambda z: on_iteration(pyramid.decode(z)), **options)
    return pyramid.decode(z).clamp(0.0, 1.0)
