"""Exercise 6 (gradient descent, momentum, Adam) done wrong."""

import math

import torch

from nst_teach.optim import AdamState


def losses_after_step(loss_fn, x0, lr, steps):
    x, losses = x0.clone(), []
    for _ in range(steps):
        x.requires_grad_(True)
        (grad,) = torch.autograd.grad(loss_fn(x), x)
        x = (x - lr * grad).detach()
        losses.append(loss_fn(x).item())
    return x, losses


def never_updates(loss_fn, x0, lr, steps):
    x, losses = x0.clone(), []
    for _ in range(steps):
        x.requires_grad_(True)
        loss = loss_fn(x)
        (grad,) = torch.autograd.grad(loss, x)
        losses.append(loss.item())
        x.detach() - lr * grad  # result thrown away
    return x.detach(), losses


def gradient_once(loss_fn, x0, lr, steps):
    x, losses = x0.clone().requires_grad_(True), []
    (grad,) = torch.autograd.grad(loss_fn(x), x)  # outside the loop
    x = x.detach()
    for _ in range(steps):
        losses.append(loss_fn(x).item())
        x = x - lr * grad
    return x, losses


def loop_range(start, extra):
    def gradient_descent(loss_fn, x0, lr, steps):
        x, losses = x0.clone(), []
        for _ in range(start, steps + extra):
            x.requires_grad_(True)
            loss = loss_fn(x)
            (grad,) = torch.autograd.grad(loss, x)
            losses.append(loss.item())
            x = (x - lr * grad).detach()
        return x, losses
    return gradient_descent


def adam(no_bias=False, eps_inside=False, keep_t=False, abs_grad=False, swap=False, no_sqrt=False, t_zero=False,
         plain_m=False):
    def adam_step(x, grad, state, lr, betas=(0.9, 0.999), eps=1e-8):
        b1, b2 = (betas[1], betas[0]) if swap else betas
        t = state.t if t_zero else state.t + 1
        m_new = b1 * state.m + (grad if plain_m else (1 - b1) * grad)
        s_new = b2 * state.s + (1 - b2) * (torch.abs(grad) if abs_grad else grad**2)
        m, s = m_new, s_new
        if not no_bias:
            m, s = m / (1 - b1**t), s / (1 - b2**t)
        new_state = AdamState(m_new, s_new, state.t if keep_t else state.t + 1)
        if eps_inside:
            return x - lr * m / torch.sqrt(s + eps), new_state
        if no_sqrt:
            return x - lr * m / (s + eps), new_state
        return x - lr * m / (torch.sqrt(s) + eps), new_state
    return adam_step


def adam_efficient(x, grad, state, lr, betas=(0.9, 0.999), eps=1e-8):
    """Kingma & Ba's 'efficient version': the bias correction goes into the step size, ε onto √s."""
    b1, b2 = betas
    t = state.t + 1
    m = b1 * state.m + (1 - b1) * grad
    s = b2 * state.s + (1 - b2) * grad**2
    step = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
    return x - step * m / (torch.sqrt(s) + eps), AdamState(m, s, t)


def momentum(ema=False, old=False, ignored=False, plus=False):
    def momentum_step(x, grad, velocity, lr, momentum=0.9):
        v = grad if ignored else (momentum * velocity + (1 - momentum) * grad if ema else momentum * velocity + grad)
        if old:
            return x - lr * velocity, v
        return (x + lr * v if plus else x - lr * v), v
    return momentum_step


WRONG = {
    "gd_sign": {"gradient_descent_step": lambda x, grad, lr: x + lr * grad},
    "gd_no_lr": {"gradient_descent_step": lambda x, grad, lr: x - grad},
    "gd_losses_after_step": {"gradient_descent": losses_after_step},
    "gd_never_updates": {"gradient_descent": never_updates},
    "gd_gradient_once": {"gradient_descent": gradient_once},
    "gd_one_step_short": {"gradient_descent": loop_range(1, 0)},
    "gd_one_step_more": {"gradient_descent": loop_range(0, 1)},
    "momentum_ema": {"momentum_step": momentum(ema=True)},
    "momentum_old_velocity": {"momentum_step": momentum(old=True)},
    "momentum_ignored": {"momentum_step": momentum(ignored=True)},
    "momentum_sign": {"momentum_step": momentum(plus=True)},
    "adam_no_bias_correction": {"adam_step": adam(no_bias=True)},
    "adam_eps_inside_sqrt": {"adam_step": adam(eps_inside=True)},
    "adam_t_zero": {"adam_step": adam(t_zero=True)},
    "adam_m_not_averaged": {"adam_step": adam(plain_m=True)},
    "adam_t_not_incremented": {"adam_step": adam(keep_t=True)},
    "adam_abs_not_square": {"adam_step": adam(abs_grad=True)},
    "adam_betas_swapped": {"adam_step": adam(swap=True)},
    "adam_no_sqrt": {"adam_step": adam(no_sqrt=True)},
    "adam_eps_on_raw_s": {"adam_step": adam_efficient},
}
