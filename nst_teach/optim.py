"""Step 6: moving the pixels downhill — gradient descent, momentum and Adam written out by hand.

Style transfer does not train the network: it trains the *image*. Each step computes the gradient
∇x L of the total loss with respect to every pixel and moves the pixels against it.

    gradient descent:  x ← x − η ∇x L
    momentum:          v ← μ v + ∇x L;        x ← x − η v           (torch.optim.SGD's form)
    Adam:              m ← β₁ m + (1−β₁) g;   s ← β₂ s + (1−β₂) g²;
                       m̂ = m / (1−β₁ᵗ);       ŝ = s / (1−β₂ᵗ);      x ← x − η m̂ / (√ŝ + ε)

The ``*_step`` functions are pure: they return new tensors and never modify their inputs. The
classes wrap them as ``torch.optim.Optimizer``s for `nst_teach.transfer`; tests check each against
``torch.optim`` to 1e-5 over 20 steps. Style transfer's fast default is `lbfgs` (L-BFGS written out,
with torch's strong-Wolfe line search or, as `style_transfer` uses it, a plain Armijo one); `lbfgsb`
(scipy's L-BFGS-B, with the pixels bounded to [0, 1]) is kept for comparison.
"""

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.optimize
import torch

from . import private_torch


def gradient_descent_step(x, grad, lr):
    """x_new = x − lr · grad  (one step downhill; returns a new tensor)."""
    return x - lr * grad


def momentum_step(x, grad, velocity, lr, momentum=0.9):
    """v_new = μ v + grad;  x_new = x − lr · v_new.  Returns (x_new, v_new). Start with v = 0."""
    velocity = momentum * velocity + grad
    return x - lr * velocity, velocity


@dataclass
class AdamState:
    """Adam's running averages: m (of the gradient), s (of its square), t (steps taken so far)."""

    m: torch.Tensor
    s: torch.Tensor
    t: int = 0

    @classmethod
    def zeros_like(cls, x):
        return cls(m=torch.zeros_like(x), s=torch.zeros_like(x), t=0)


def adam_step(x, grad, state, lr, betas=(0.9, 0.999), eps=1e-8):
    """One Adam step (Kingma & Ba 2015). Returns (x_new, new AdamState).

    m̂ and ŝ are *bias-corrected*: m and s start at 0, so early on they underestimate the true
    averages; dividing by (1 − βᵗ) removes that bias (without it the first steps are far too small).
    """
    beta1, beta2 = betas
    t = state.t + 1
    m = beta1 * state.m + (1 - beta1) * grad
    s = beta2 * state.s + (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1**t)
    s_hat = s / (1 - beta2**t)
    return x - lr * m_hat / (s_hat.sqrt() + eps), AdamState(m, s, t)


def gradient_descent(loss_fn, x0, lr, steps):
    """The plain loop: x ← x − lr ∇L(x), ``steps`` times. Returns (x, [loss before each step]).

    loss_fn: maps an image tensor to a scalar loss tensor. x0 is not modified.
    """
    x = x0.detach().clone()
    losses = []
    for _ in range(steps):
        x.requires_grad_(True)
        loss = loss_fn(x)
        (grad,) = torch.autograd.grad(loss, x)
        losses.append(loss.item())
        x = gradient_descent_step(x.detach(), grad, lr)
    return x, losses


class _ByHand(torch.optim.Optimizer):
    """Shared plumbing: call the closure, then apply ``self._update`` to each parameter."""

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.copy_(self._update(p, p.grad, self.state[p], group))
        return loss


class GradientDescent(_ByHand):
    """x ← x − lr ∇x L, as an optimizer (equivalent to ``torch.optim.SGD(params, lr)``)."""

    def __init__(self, params, lr):
        super().__init__(params, dict(lr=lr))

    def _update(self, p, grad, state, group):
        return gradient_descent_step(p, grad, group["lr"])


class Momentum(_ByHand):
    """Heavy-ball momentum (equivalent to ``torch.optim.SGD(params, lr, momentum)``)."""

    def __init__(self, params, lr, momentum=0.9):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    def _update(self, p, grad, state, group):
        # torch.optim.SGD starts the velocity at the first gradient; v = 0 then v ← μ·0 + g is the same.
        velocity = state.get("velocity", torch.zeros_like(p))
        new_p, state["velocity"] = momentum_step(p, grad, velocity, group["lr"], group["momentum"])
        return new_p


class Adam(_ByHand):
    """Adam with bias correction (equivalent to ``torch.optim.Adam(params, lr, betas, eps)``)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    def _update(self, p, grad, state, group):
        adam = state.get("adam") or AdamState.zeros_like(p)
        new_p, state["adam"] = adam_step(p, grad, adam, group["lr"], group["betas"], group["eps"])
        return new_p


def lbfgsb(f_and_grad, x0, steps, on_iteration, history_size=20):
    """Minimise f over images in the box [0, 1] with L-BFGS-B (scipy), ``steps`` iterations at most.

    L-BFGS keeps the last ``history_size`` gradient differences to build a picture of the curvature
    (20: in our runs 100 cost 10% more time per step for a 0.2% lower loss after 40 steps)
    and takes Newton-like steps; a line search picks the step length, so there is no learning rate.
    The "-B" handles *bounds* exactly: each pixel stays in [0, 1] at every iterate. (torch's
    LBFGS has no bounds, and clipping its iterates from outside corrupts its curvature memory: in
    our runs it then stopped making progress after one step.)

    f_and_grad(x) → (f: float, grad: tensor like x), for x a tensor shaped like x0.
    on_iteration(x) is called after each iteration with the new iterate; return True to stop.
    Returns the final iterate as a tensor on x0's device.
    """
    shape, device = x0.shape, x0.device

    def to_tensor(z):
        return torch.from_numpy(z.astype(np.float32)).view(shape).to(device)

    def fun(z):
        f, grad = f_and_grad(to_tensor(z))
        return f, grad.detach().cpu().double().numpy().ravel()  # scipy works in float64

    def callback(intermediate_result):
        if on_iteration(to_tensor(intermediate_result.x)):
            raise StopIteration  # scipy ≥ 1.11: ends the run cleanly, keeping this iterate

    # imported here, not at the top: importing threadpoolctl sets KMP_DUPLICATE_LIB_OK in the environment
    from threadpoolctl import threadpool_limits

    z0 = x0.detach().cpu().double().numpy().ravel()
    bounds = scipy.optimize.Bounds(np.zeros_like(z0), np.ones_like(z0))
    options = dict(maxiter=steps, maxfun=steps * 4, maxcor=history_size, ftol=0.0, gtol=0.0)
    # scipy's BLAS threads keep spinning after each call and steal the cores torch needs for VGG-19:
    # limited to one thread, a 256 px iteration took 0.37 s instead of 0.47 s (benchmarks/).
    with threadpool_limits(limits=1, user_api="blas"):
        result = scipy.optimize.minimize(fun, z0, jac=True, method="L-BFGS-B", bounds=bounds, callback=callback, options=options)
    return to_tensor(result.x)


# torch.optim.LBFGS's defaults, so that lbfgs() alone gives torch's iterates (tested); style_transfer
# passes TransferConfig's history_size and line_search (100 and Armijo: fewer evaluations at 512 px).
HISTORY_SIZE = 20


def lbfgs(f_and_grad, x0, steps, on_iteration, history_size=HISTORY_SIZE, first_step=0.01, line_search="strong_wolfe"):
    """Minimise f with L-BFGS and a line search, ``steps`` iterations.

    L-BFGS builds a picture of the curvature from the last ``history_size`` steps s_k = x_k+1 − x_k
    and gradient changes y_k = ∇f(x_k+1) − ∇f(x_k), and takes Newton-like steps d = −H ∇f, where the
    product with the inverse-Hessian estimate H is the "two-loop recursion" below (Nocedal & Wright,
    *Numerical Optimization*, Algorithm 7.4), starting from H₀ = γI, γ = sᵀy / yᵀy of the latest pair.
    The line search picks each step length t along d, so there is no learning rate:

      "strong_wolfe" (torch's): f drops enough, f(x + t d) ≤ f(x) + c₁ t ∇fᵀd, *and* the slope
          flattens, |∇f(x + t d)ᵀd| ≤ c₂ |∇fᵀd| (c₁ = 1e-4, c₂ = 0.9); a step that is too short by
          the second rule is lengthened, at the price of more evaluations.
      "armijo": only the first rule (sufficient decrease), backtracking from t = 1 (`_armijo`). A
          full L-BFGS step is accepted as soon as f drops enough: one evaluation per iteration
          whenever it does. A pair with yᵀs ≤ 0 (which the curvature rule would have excluded) is
          left out of the history below, as torch does.

    Everything stays in torch, on x0's device. With "strong_wolfe" the iterates are exactly
    `torch.optim.LBFGS`'s (tested), written out so that each iteration can be reported and each
    evaluation is made once; the line search is torch's own. (Creating a torch.optim optimizer also
    imports torch's compiler, 2.3 s of a 3-minute command.)

    first_step: how far the first trial step moves a pixel, on average. torch starts along −∇f with
    length 1/Σ|∇f|, which moves a pixel by 1/n on average (n values: 5e-7 at 1024 px), a change a
    bf16 network cannot see, and the line search then fails. Rescaling changes only that first step
    (L-BFGS and the Wolfe conditions are invariant to rescaling x and f afterwards), so we minimise
    f̃(z) = f(s z) / c with s ≈ first_step · n (within √2) and c = s · mean|∇f(x₀)|, so that ∇f̃ is
    about 1 per value: in fp32, sums of squares of gradients of 1e10 per pixel would overflow in
    the line search's interpolation. None: no rescaling, torch's own first step.

    f_and_grad(x) → (f: float, grad: tensor like x), for a tensor x shaped like x0.
    on_iteration(x) is called after each iteration with the new iterate; return True to stop.
    Returns the final iterate. (Bounds are the caller's business: `style_transfer` evaluates f at
    clip(x, 0, 1), so what the optimiser measures is always the picture the user gets.)
    """
    if line_search not in LINE_SEARCHES:
        raise ValueError(f"unknown line search {line_search!r}: use {' or '.join(LINE_SEARCHES)}")
    search = _armijo
    if line_search == "strong_wolfe":  # torch's line search (Nocedal & Wright, Algorithms 3.5–3.6), a private function
        search = private_torch.strong_wolfe()
        if search is None:
            warnings.warn("this torch has no strong-Wolfe line search (torch.optim.lbfgs._strong_wolfe): using Armijo's")
            search = _armijo

    # s a power of two, so that z = x / s and x = z · s are exact: x₀ is evaluated as it is.
    scale = 1.0 if first_step is None else 2.0 ** round(math.log2(first_step * x0.numel()))
    c = []  # the scale of f, set at the first evaluation

    def f_and_grad_z(z):  # f̃(z) = f(s z) / c and ∂f̃/∂z = (s / c) ∂f/∂x, on flat vectors
        f, grad = f_and_grad(z.view_as(x0) * scale)
        if not c:
            c.append(1.0 if first_step is None else max(scale * grad.abs().mean().item(), 1e-30))
        return f / c[0], grad.detach().reshape(-1) * (scale / c[0])

    z = x0.detach().reshape(-1) / scale
    f, g = f_and_grad_z(z)
    S, Y, rho = [], [], []  # the last history_size steps s_k, gradient changes y_k, and 1 / y_kᵀs_k
    gamma, d, t = 1.0, None, None
    for k in range(steps):
        if k > 0:  # remember the last step, if it curved upwards (yᵀs > 0 keeps H positive definite)
            y, s = g.sub(g_previous), d.mul(t)
            ys = y.dot(s)
            if ys > 1e-10:
                if len(S) == history_size:
                    S.pop(0), Y.pop(0), rho.pop(0)
                S.append(s), Y.append(y), rho.append(1.0 / ys)
                gamma = ys / y.dot(y)
        d = _two_loop(g, S, Y, rho, gamma)  # −H ∇f
        g_previous = g
        # the first trial step: 1/Σ|∇f̃| along −∇f̃ (see first_step above); later ones the full step 1
        t = min(1.0, 1.0 / g.abs().sum()) if k == 0 else 1.0
        gtd = g.dot(d)  # the slope along d: negative for a descent direction
        if gtd < 0:  # (≥ 0 only when rounding has the last word: then the iterate stays)
            f, g, t, _ = search(lambda z, t, d: f_and_grad_z(z.add(d, alpha=t)), z, t, d, f, g, gtd, max_ls=25)
            z = z.add(d, alpha=t)
        if on_iteration(z.view_as(x0) * scale):
            break
    return z.view_as(x0) * scale


def _armijo(obj_func, z, t, d, f, g, gtd, c1=1e-4, max_ls=25):
    """Backtracking line search: try t, then shorter steps (below), and accept the first with
    f(z + t d) ≤ f + c₁ t gtd (sufficient decrease, the Armijo condition).

    gtd = ∇fᵀd < 0 is the slope along d at t = 0. After a rejected trial f_t, the next t is the
    minimum of the parabola through f, gtd and f_t, kept within [0.1 t, 0.5 t] so that it neither
    stalls nor jumps (Nocedal & Wright, §3.5). Same signature and answer as torch's `_strong_wolfe`:
    (f, ∇f at the accepted point, t, evaluations). After ``max_ls`` rejections it returns the last
    trial, which may not have lowered f (as torch's does).
    """
    for evaluations in range(1, max_ls + 1):
        f_t, g_t = obj_func(z, t, d)
        if f_t <= f + c1 * t * gtd or evaluations == max_ls:
            break
        parabola_minimum = -gtd * t * t / (2 * (f_t - f - gtd * t))  # f_t > f + t·gtd here, so > 0
        t = min(max(float(parabola_minimum), 0.1 * t), 0.5 * t)
    return f_t, g_t, t, evaluations


LINE_SEARCHES = ("strong_wolfe", "armijo")


def _two_loop(g, S, Y, rho, gamma):
    """d = −H g by the two-loop recursion: H is the L-BFGS inverse-Hessian estimate built from the
    pairs (s_i, y_i), oldest first, and H₀ = γI. Without pairs, d = −g (gradient descent)."""
    # (in place, and in torch's order of operations, so that the rounding is torch's too)
    q, alpha = g.neg(), [None] * len(S)
    for i in reversed(range(len(S))):  # newest to oldest
        alpha[i] = S[i].dot(q) * rho[i]
        q.add_(Y[i], alpha=-alpha[i])  # q ← q − α_i y_i
    r = torch.mul(q, gamma)
    for i in range(len(S)):  # oldest to newest
        beta = Y[i].dot(r) * rho[i]
        r.add_(S[i], alpha=alpha[i] - beta)  # r ← r + (α_i − β) s_i
    return r


OPTIMIZERS = {"lbfgs": lbfgs, "lbfgsb": lbfgsb, "adam": Adam, "momentum": Momentum, "gd": GradientDescent}
