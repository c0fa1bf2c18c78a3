"""Exercise 6, gradient descent, momentum and Adam by hand: its checks and its named mistakes.

Each step function is run for a few steps on L = Σ (x − t)², feeding its own state back, and compared
with nst_teach.optim's; Adam also with tiny gradients, where ε's place matters. Reference: `nst_teach.optim`.
torch's own optimisers (torch.optim.SGD's and Adam's step) are refused like the reference: the exercise
is to write the update.
"""

import math

import torch

from .. import optim
from .compare import Failed, judge, unchanged
from .inputs import SquaredDistance, rand, randn
from .spec import Check, Exercise, mistakes


# ----------------------------------------------------------------------------- named mistakes
def _descent(record_after=False, update=True, gradient_once=False, off_by_one=0):
    """A wrong `gradient_descent`: losses recorded after the step, x never updated, the gradient of x0
    used at every step, or ``steps + off_by_one`` steps."""
    def loop(loss_fn, x0, lr, steps):
        x, losses, first = x0.detach().clone(), [], None
        for _ in range(steps + off_by_one):
            x.requires_grad_(True)
            loss = loss_fn(x)
            (grad,) = torch.autograd.grad(loss, x)
            if gradient_once:
                first = grad if first is None else first
                grad = first
            if not record_after:
                losses.append(loss.item())
            if update:
                x = optim.gradient_descent_step(x.detach(), grad, lr)
            x = x.detach()
            if record_after:
                losses.append(loss_fn(x).item())
        return x, losses
    return loop


def _adam(bias_correction=True, eps_inside=False, count_steps=True, square=True, swap_betas=False, sqrt=True,
          eps_on_raw_s=False, correct_with_old_t=False, ema_m=True):
    def step(x, grad, state, lr, betas=(0.9, 0.999), eps=1e-8):
        beta1, beta2 = betas[::-1] if swap_betas else betas
        t = state.t + 1
        m = beta1 * state.m + ((1 - beta1) * grad if ema_m else grad)
        s = beta2 * state.s + (1 - beta2) * (grad * grad if square else grad.abs())
        tc = state.t if correct_with_old_t else t  # t = 0 at the first step: 1 − β⁰ = 0, a division by zero
        m_hat = m / (1 - beta1**tc) if bias_correction else m
        s_hat = s / (1 - beta2**tc) if bias_correction else s
        root = (s_hat + eps).sqrt() if eps_inside else (s_hat.sqrt() + eps if sqrt else s_hat + eps)
        if eps_on_raw_s:  # the paper's "efficient" form: lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√s + ε)
            root = (s.sqrt() + eps) / math.sqrt(1 - beta2**t)
        return x - lr * m_hat / root, optim.AdamState(m, s, t if count_steps else state.t)
    return step


def _momentum(form):
    def step(x, grad, velocity, lr, momentum=0.9):
        if form == "ema":
            v = momentum * velocity + (1 - momentum) * grad
        elif form == "none":
            v = grad
        else:
            v = momentum * velocity + grad
        if form == "old":
            return x - lr * velocity, v
        return (x + lr * v if form == "sign" else x - lr * v), v
    return step


MISTAKES = mistakes([
    ("gd_sign", "gradient_descent_step", "sign error: x − lr·grad goes downhill; x + lr·grad climbs (gradient ascent)",
     lambda x, grad, lr: x + lr * grad),
    ("gd_no_lr", "gradient_descent_step", "the learning rate is missing: x_new = x − lr · grad",
     lambda x, grad, lr: x - grad),
    ("gd_losses_after_step", "gradient_descent", "losses recorded after each step: record L(x) *before* the step, so "
     "losses[0] is the loss of x0",
     _descent(record_after=True)),
    ("gd_never_updates", "gradient_descent", "x never changes: assign the step's result back, x = gradient_descent_step(x, grad, lr)",
     _descent(update=False)),
    ("gd_gradient_once", "gradient_descent", "the gradient is computed once, at x0, and reused: compute it again at "
     "every step, at the current x (loss = loss_fn(x) inside the loop)",
     _descent(gradient_once=True)),
    ("gd_one_step_short", "gradient_descent", "one step too few (range(1, steps)?): take exactly `steps` steps, so the "
     "list holds `steps` losses",
     _descent(off_by_one=-1)),
    ("gd_one_step_more", "gradient_descent", "one step too many (range(steps + 1)?): take exactly `steps` steps, so the "
     "list holds `steps` losses",
     _descent(off_by_one=+1)),
    ("momentum_ema", "momentum_step", "momentum in the EMA form v = μv + (1 − μ)·grad: this course (like torch.optim.SGD) "
     "uses v = μv + grad",
     _momentum("ema")),
    ("momentum_old_velocity", "momentum_step", "x moved with the old velocity: first v_new = μv + grad, then x − lr · v_new",
     _momentum("old")),
    ("momentum_ignored", "momentum_step", "the velocity is never used (v = grad is plain gradient descent): v_new = μv + grad",
     _momentum("none")),
    ("momentum_sign", "momentum_step", "sign error: x_new = x − lr · v_new (minus: downhill)",
     _momentum("sign")),
    ("adam_no_bias_correction", "adam_step", "no bias correction: divide m by (1 − β₁ᵗ) and s by (1 − β₂ᵗ), with t the "
     "step number starting at 1, or the first steps are far too small",
     _adam(bias_correction=False)),
    ("adam_eps_inside_sqrt", "adam_step", "ε inside the square root: x − lr · m̂ / (√ŝ + ε), not √(ŝ + ε) "
     "(the difference shows when gradients are tiny)",
     _adam(eps_inside=True)),
    ("adam_eps_on_raw_s", "adam_step", "ε added to √s instead of √ŝ (the Adam paper's 'efficient' form, with the bias "
     "correction folded into the step size): x − lr · m̂ / (√ŝ + ε), ŝ = s / (1 − β₂ᵗ) (the difference shows when "
     "gradients are tiny)",
     _adam(eps_on_raw_s=True)),
    ("adam_t_zero", "adam_step", "bias correction with t = 0 at the first step (state.t, not state.t + 1): 1 − β⁰ = 0, "
     "so m̂ and ŝ divide by zero; count this step first, t = state.t + 1, then correct with t",
     _adam(correct_with_old_t=True)),
    ("adam_m_not_averaged", "adam_step", "m adds the whole gradient, m = β₁ m + g: it is a moving average, "
     "m = β₁ m + (1 − β₁) g (and s likewise with g²)",
     _adam(ema_m=False)),
    ("adam_t_not_incremented", "adam_step", "the step count t is not increased: return AdamState(m, s, t + 1), so the "
     "bias correction fades out",
     _adam(count_steps=False)),
    ("adam_abs_not_square", "adam_step", "s averages |grad|: it must average the squared gradient, grad * grad",
     _adam(square=False)),
    ("adam_betas_swapped", "adam_step", "β₁ and β₂ swapped: m uses β₁ = 0.9, s uses β₂ = 0.999",
     _adam(swap_betas=True)),
    ("adam_no_sqrt", "adam_step", "square root missing: divide by √ŝ + ε (the root mean square of the gradient)",
     _adam(sqrt=False)),
])


# ----------------------------------------------------------------------------- checks
def _target():
    return randn(23, 2, 3)


def _quadratic():
    return SquaredDistance(_target())  # L = Σ (x − t)², ∇ = 2 (x − t): travels to the student's process as a description


def _ex06_step(s, inputs):
    x, g = randn(24, 3, 4), randn(25, 3, 4)
    judge("gradient_descent_step(x, grad, lr=0.1)", lambda f: f(x.clone(), g.clone(), 0.1), s.gradient_descent_step,
          optim.gradient_descent_step, EXERCISE.mistakes_of("gradient_descent_step"))


def _ex06_descent(s, inputs):
    x0 = randn(26, 2, 3)
    judge("gradient_descent(L = Σ (x − t)², x0, lr=0.1, steps=5) → (x, losses)", lambda f: f(_quadratic(), x0.clone(), 0.1, 5),
          s.gradient_descent, optim.gradient_descent, EXERCISE.mistakes_of("gradient_descent"), rtol=1e-5)


def _trajectory(step, x0, state, steps, lr, extra, scale=1.0, grads=None):
    """x after each of ``steps`` steps, feeding the step's own returned state (velocity / AdamState) back."""
    x, xs = x0.clone(), []
    for i in range(steps):
        g = grads[i] if grads is not None else scale * 2 * (x - _target())
        x, new_state = step(x, g, state, lr, *extra)
        if type(new_state) is not type(state):  # e.g. a tuple (m, s, t): fed back, it would crash the next step
            raise Failed(f"step {i + 1} returns (x, {type(new_state).__name__}) instead of (x, {type(state).__name__}): "
                         + ("return (x, AdamState(m, s, t))" if isinstance(state, optim.AdamState) else
                            "return (x, v) with v the new velocity tensor"), "wrong_type")
        state = new_state
        xs.append(x)
    return xs


def _ex06_momentum(s, inputs):
    x0 = randn(27, 2, 3)
    judge("6 momentum steps (lr=0.05, μ=0.9) on L = Σ (x − t)², from v = 0",
          lambda f: _trajectory(f, x0, torch.zeros_like(x0), 6, 0.05, (0.9,)), s.momentum_step, optim.momentum_step,
          EXERCISE.mistakes_of("momentum_step"))


def _ex06_adam(s, inputs):
    x0 = randn(28, 2, 3)
    judge("10 Adam steps (lr=0.1) on L = Σ (x − t)², from AdamState.zeros_like(x)",
          lambda f: _trajectory(f, x0, optim.AdamState.zeros_like(x0), 10, 0.1, ((0.9, 0.999), 1e-8)), s.adam_step,
          optim.adam_step, EXERCISE.mistakes_of("adam_step"), rtol=1e-4)


def _ex06_adam_tiny(s, inputs):
    x0, grads = randn(29, 2, 3), [1e-6 * randn(30 + i, 2, 3) for i in range(3)]
    judge("3 Adam steps (lr=0.1) with tiny gradients (~1e-6), where ε matters",
          lambda f: _trajectory(f, x0, optim.AdamState.zeros_like(x0), 3, 0.1, ((0.9, 0.999), 1e-8), grads=grads),
          s.adam_step, optim.adam_step, EXERCISE.mistakes_of("adam_step"), rtol=1e-4)


def _ex06_unchanged(s, inputs):
    x, g = randn(33, 2, 3), randn(34, 2, 3)
    unchanged("gradient_descent_step", lambda: s.gradient_descent_step(x, g, 0.1), x, g)
    unchanged("gradient_descent", lambda: s.gradient_descent(_quadratic(), x, 0.1, 2), x)
    v, state = randn(35, 2, 3), optim.AdamState(randn(36, 2, 3), rand(37, 2, 3), 3)
    unchanged("momentum_step", lambda: s.momentum_step(x, g, v, 0.1, 0.9), x, g, v)
    unchanged("adam_step", lambda: s.adam_step(x, g, state, 0.1, (0.9, 0.999), 1e-8), x, g, state)


EXERCISE = Exercise("ex06", "ex06_gradient_descent.py", "gradient descent, momentum, Adam",
    ("gradient_descent_step", "gradient_descent", "momentum_step", "adam_step"), (
    Check("gradient_descent_step", 1, _ex06_step),
    Check("gradient_descent loop", 2, _ex06_descent),
    Check("momentum_step", 2, _ex06_momentum),
    Check("adam_step", 2, _ex06_adam),
    Check("adam_step with tiny gradients", 1, _ex06_adam_tiny),
    Check("inputs unchanged", 1, _ex06_unchanged)),
    mistakes=MISTAKES,
    references=(optim.gradient_descent_step, optim.gradient_descent, optim.momentum_step, optim.adam_step,
                torch.optim.SGD.step, torch.optim.Adam.step))
