import torch

from nst_teach.optim import AdamState


def gradient_descent_step(x, grad, lr):
    return x - lr * grad


def gradient_descent(loss_fn, x0, lr, steps):
    x, losses = x0.detach().clone(), []
    for _ in range(steps):
        x.requires_grad_(True)
        loss = loss_fn(x)
        (grad,) = torch.autograd.grad(loss, x)
        losses.append(loss.item())
        x = gradient_descent_step(x.detach(), grad, lr)
    return x, losses


def momentum_step(x, grad, velocity, lr, momentum=0.9):
    v = momentum * velocity + grad
    return x - lr * v, v


def adam_step(x, grad, state, lr, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    t = state.t + 1
    m = b1 * state.m + (1 - b1) * grad
    s = b2 * state.s + (1 - b2) * grad * grad
    m_hat, s_hat = m / (1 - b1**t), s / (1 - b2**t)
    return x - lr * m_hat / (s_hat.sqrt() + eps), AdamState(m, s, t)
