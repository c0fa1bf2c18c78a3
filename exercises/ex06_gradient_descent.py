"""Exercise 6 — moving the pixels downhill: gradient descent, momentum and Adam by hand.

    gradient descent:  x ← x − η ∇x L
    momentum:          v ← μ v + ∇x L;        x ← x − η v           (torch.optim.SGD's form)
    Adam:              t ← t + 1;  m ← β₁ m + (1−β₁) g;   s ← β₂ s + (1−β₂) g²;
                       m̂ = m / (1−β₁ᵗ);       ŝ = s / (1−β₂ᵗ);      x ← x − η m̂ / (√ŝ + ε)

Every *_step function is pure: it returns new tensors and never modifies x, grad, the velocity or
the state it was given. torch.optim's SGD and Adam earn 0 here: the exercise is to write the update.

Reference: `nst_teach.optim` (same names and signatures).

Check your work:  nst-teach grade ex06   (or in a notebook: check("ex06"))
"""

import torch

from nst_teach.optim import AdamState  # AdamState(m, s, t); AdamState.zeros_like(x) starts at m = s = 0, t = 0


def gradient_descent_step(x, grad, lr):
    """x_new = x − lr · grad  (one step downhill; returns a new tensor)."""
    # TODO: Exercise 6 — implement this.
    raise NotImplementedError("Exercise 6: not attempted yet")


def gradient_descent(loss_fn, x0, lr, steps):
    """The plain loop: x ← x − lr ∇L(x), ``steps`` times. Returns (x, [loss before each step]).

    loss_fn: maps an image tensor to a scalar loss tensor. x0 is not modified. Get the gradient with
    x.requires_grad_(True); loss = loss_fn(x); (grad,) = torch.autograd.grad(loss, x), and record
    loss.item() *before* the step, so losses[0] is the loss of x0.
    """
    # TODO: Exercise 6 — implement this.
    raise NotImplementedError("Exercise 6: not attempted yet")


def momentum_step(x, grad, velocity, lr, momentum=0.9):
    """v_new = μ v + grad;  x_new = x − lr · v_new.  Returns (x_new, v_new). Start with v = 0."""
    # TODO: Exercise 6 — implement this.
    raise NotImplementedError("Exercise 6: not attempted yet")


def adam_step(x, grad, state, lr, betas=(0.9, 0.999), eps=1e-8):
    """One Adam step (Kingma & Ba 2015). Returns (x_new, AdamState(m, s, t + 1)).

    state: the AdamState from the previous step (AdamState.zeros_like(x) at first). m̂ and ŝ are
    bias-corrected with t = state.t + 1: m and s start at 0, so early on they underestimate the
    true averages, and dividing by (1 − βᵗ) removes that bias.
    """
    # TODO: Exercise 6 — implement this.
    raise NotImplementedError("Exercise 6: not attempted yet")
