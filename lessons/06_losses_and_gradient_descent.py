# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 6 — Losses and gradient descent by hand
#
# **Learning goals**
# - picture a loss surface and the path an optimiser takes on it;
# - see what a learning rate that is too small or too large does;
# - write one step of gradient descent, momentum and Adam, and compare them with L-BFGS;
# - compare the optimisers on style transfer itself: loss per step and time per step.

# %% tags=["parameters"]
SIZE = 128  # pixels, for the style-transfer comparison
STEPS = 40  # steps per optimiser
TOY_STEPS = 40  # steps on the 2-parameter toy problem

# %%
import torch
import nst_teach as nt
from nst_teach import viz
from nst_teach.grading import check, student_function

nt.lesson_setup()  # figures inline; prints which nst_teach, torch and device this notebook runs on

# %% [markdown]
# ## A two-parameter toy
#
# Style transfer optimises ~100 000 pixels; to *see* an optimiser we use two parameters
# $x = (x_1, x_2)$ and an elongated bowl, minimum at $(0.7, 0.3)$:
#
# $$f(x) = \tfrac12\left(1\cdot(x_1 - 0.7)^2 + 20\,(x_2 - 0.3)^2\right).$$
#
# The updates (learning rate $\eta$, gradient $g = \nabla f(x)$; $v$, $m$, $s$ start at 0 and $t$ at 0).
# Adam's $\beta_1, \beta_2$ are its averaging rates — not the style weight β of lesson 7 (the
# notation table in lesson 4 lists such clashes):
#
# | method | update |
# |---|---|
# | gradient descent | $x \leftarrow x - \eta g$ |
# | momentum | $v \leftarrow \mu v + g,\quad x \leftarrow x - \eta v$ |
# | Adam | $t \leftarrow t + 1$ (count this step first) |
# | | $m \leftarrow \beta_1 m + (1-\beta_1) g,\quad s \leftarrow \beta_2 s + (1-\beta_2) g^2$ (moving averages of $g$ and $g^2$) |
# | | $\hat m = m / (1 - \beta_1^t),\quad \hat s = s / (1 - \beta_2^t)$ (bias correction: $m$, $s$ started at 0) |
# | | $x \leftarrow x - \eta\, \hat m / (\sqrt{\hat s} + \epsilon)$, with $\beta_1 = 0.9$, $\beta_2 = 0.999$, $\epsilon = 10^{-8}$ |
#
# **L-BFGS** (limited-memory Broyden–Fletcher–Goldfarb–Shanno, the optimiser of Gatys et al.) keeps
# the last few steps and gradient changes, estimates the loss's curvature from them, and steps
# towards the minimum of that quadratic estimate; a *line search* then picks how far to go along that
# direction. **L-BFGS-B** is the same with a *bound* on every variable (here each pixel stays in [0, 1]).

# %%
from nst_teach import toy

f = toy.bowl  # f(x) for x = (x₁, x₂), a tensor
for name, point in [("start", toy.START), ("minimum", toy.TARGET)]:
    print(f"{name:8s} x = {point}: f(x) = {f(torch.tensor(point, dtype=torch.float64)).item():.4f}")

# %% [markdown]
# **Predict, then run.** (1) Gradient descent with $\eta = 0.01$, $0.09$ and $0.104$ on this bowl: which
# one diverges, which crawls? (2) Which of gradient descent, momentum, Adam and L-BFGS gets closest
# to the minimum in the same number of steps?
#
# ## Your turn: exercise 06 (`ex06_gradient_descent.py`)
#
# Write `gradient_descent_step`, `gradient_descent`, `momentum_step` and `adam_step` in
# `exercises/ex06_gradient_descent.py` (the update table above and the file's docstrings are the
# specification), then check:

# %%
check("ex06")

# %% [markdown]
# The paths below are drawn with *your* update steps once exercise 06 passes (nst_teach's until then).

# %%
gradient_descent_step = student_function("ex06", "gradient_descent_step")
momentum_step = student_function("ex06", "momentum_step")
adam_step = student_function("ex06", "adam_step")

# %% [markdown]
# ## The learning rate
#
# `toy.descend(update, steps)` starts at `toy.START` and applies `x, state ← update(x, g, state)`
# with $g = \nabla f(x)$, `steps` times; it returns the points visited. Along $x_2$ the curvature is
# 20, so gradient descent is stable only for $\eta < 2/20 = 0.1$; along $x_1$ (curvature 1) a small
# $\eta$ crawls.

# %%
gd_paths = {f"η = {lr}": toy.descend(lambda x, g, s, lr=lr: (gradient_descent_step(x, g, lr), s), TOY_STEPS)
            for lr in (0.01, 0.09, 0.104)}
for label, path in gd_paths.items():
    print(f"gradient descent {label}: f = {f(path[-1]).item():.2e} after {TOY_STEPS} steps")
viz.optimisation_paths(f, gd_paths, title=f"Gradient descent ({gradient_descent_step.source}): too small, about right, too large")

# %% [markdown]
# Your whole loop, `gradient_descent(loss_fn, x0, lr, steps)`, draws the next path: it returns only
# the last point, so the path is its result after 1, 2, … steps (cheap with two parameters).

# %%
gradient_descent = student_function("ex06", "gradient_descent")
start = torch.tensor(toy.START, dtype=torch.float64)
loop_path = torch.stack([start] + [gradient_descent(f, start, 0.09, k)[0] for k in range(1, TOY_STEPS + 1)])
_, loop_losses = gradient_descent(f, start, 0.09, TOY_STEPS)
whose = "your" if gradient_descent.source == "yours" else "nst_teach's"
print(f"{whose} gradient_descent, η = 0.09: f = {loop_losses[0]:.3f} at the start, "
      f"{loop_losses[-1]:.2e} before the last step, {f(loop_path[-1]).item():.2e} at the end")
viz.optimisation_paths(f, {f"{whose} gradient_descent, η = 0.09": loop_path}, title=f"The path of {whose} loop")

# %% [markdown]
# ## Momentum, Adam and L-BFGS

# %%
from nst_teach.optim import AdamState

zeros = torch.zeros(2, dtype=torch.float64)  # momentum's velocity and Adam's averages start at 0
paths = {
    "gradient descent η=0.09": gd_paths["η = 0.09"],
    "momentum": toy.descend(lambda x, g, v: momentum_step(x, g, v, lr=0.01, momentum=0.9), TOY_STEPS, state=zeros),
    "Adam": toy.descend(lambda x, g, state: adam_step(x, g, state, lr=0.05), TOY_STEPS, state=AdamState.zeros_like(zeros)),
    "L-BFGS": toy.lbfgs_path(TOY_STEPS),  # L-BFGS (optim.lbfgs) with torch's strong-Wolfe line search
}
for label, path in paths.items():
    print(f"{label:24s} f = {f(path[-1]).item():.2e} after {len(path) - 1} steps")
viz.optimisation_paths(f, paths, title=f"Four optimisers on the same bowl (steps: {adam_step.source})")

# %%
reference = {"momentum": toy.descend(lambda x, g, v: nt.momentum_step(x, g, v, lr=0.01, momentum=0.9), TOY_STEPS, state=zeros),
             "Adam": toy.descend(lambda x, g, state: nt.adam_step(x, g, state, lr=0.05), TOY_STEPS, state=AdamState.zeros_like(zeros))}
for label, path in reference.items():
    print(f"{label:9s} yours vs reference: largest distance between the paths {(paths[label] - path).abs().max().item():.2g}")
viz.optimisation_paths(f, {f"{k} (reference)": v for k, v in reference.items()}, title="The same with nst_teach's steps")

# %% [markdown]
# **Answers.** (1) $\eta = 0.104$ diverges (above $2/20 = 0.1$, the steep direction overshoots more
# each step), $0.01$ crawls along the shallow direction. (2) L-BFGS, by far (see the printed $f$).
#
# Momentum builds up speed along the shallow direction; Adam divides each coordinate by its own
# gradient scale, so both directions move at a similar pace; L-BFGS estimates the curvature from
# past gradients and lands on the minimum of a quadratic in a few steps.
#
# ## On style transfer itself
#
# The same four methods on the real problem, on the same footing: each moves the *pixels* and starts
# from the photo (`parametrisation="pixels"`, `init="content"`), so the differences are the
# optimisers'. A fifth run is the library's default, printed below: L-BFGS from another start and on
# another parametrisation, taught after the comparison. The gradient of the style loss with respect
# to the pixels is huge (the Caffe input is on a 0–255 scale and the losses are sums), so plain
# gradient descent needs a learning rate matched to that scale; Adam does not (it normalises by
# $\sqrt{\hat s}$).

# %%
from nst_teach.transfer import StyleTransferLoss, TransferConfig

model = nt.load_vgg19(last_layer="relu5_1")
content, style = nt.load_image("cat", SIZE), nt.load_image("starry_night", SIZE)

x = content.clone().requires_grad_(True)
total, parts = StyleTransferLoss(model, content, style, TransferConfig())(x)
total.backward()
scale = x.grad.abs().mean().item()
print(f"mean |∂L/∂x| at the start: {scale:.2e}  → gradient descent needs η ≈ 0.01 / {scale:.1e}")

# nst_teach's default η: for gd and momentum it is set from the first gradient so that the first
# step moves a pixel by ~0.01 (0.001); Adam has a fixed η; L-BFGS needs none (None).
lrs = {name: TransferConfig(optimizer=name).learning_rate(x.grad) for name in ("gd", "momentum", "adam", "lbfgs")}
print("η:", ", ".join(f"{name} {'none (line search)' if lr is None else f'{lr:.2e}'}" for name, lr in lrs.items()))

# %%
DEFAULT = TransferConfig()
print(f"the default: optimizer={DEFAULT.optimizer!r}, parametrisation={DEFAULT.parametrisation!r}, init={DEFAULT.init!r}")
same_footing = dict(parametrisation="pixels", init="content", steps=STEPS, size=SIZE, model=model)
results = {name: nt.style_transfer(content, style, optimizer=name, lr=lr, **same_footing) for name, lr in lrs.items()}
results["lbfgs, default"] = nt.style_transfer(content, style, steps=STEPS, size=SIZE, model=model)
for name, r in results.items():
    print(f"{name:15s} final total loss {r.history[-1]['total']:.3e}   {r.evaluations:3d} evaluations   "
          f"{1000 * r.seconds / len(r.history):6.0f} ms per step")
viz.loss_curves(results, keys=["total"], title="Style transfer: total loss per step")

# %%
viz.image_grid([r.image for r in results.values()], [f"{k}\nphoto, pixels" if k in lrs else
               f"{k}\n{DEFAULT.init}, {DEFAULT.parametrisation}" for k in results], ncols=5, size=2.6,
               title=f"After {STEPS} steps")

# %% [markdown]
# L-BFGS's steps cost a bit more (its line search sometimes evaluates the loss more than once) but
# it gets much further per step — which is why Gatys et al. use L-BFGS, and `nst_teach.style_transfer`
# by default (`optimizer="lbfgs"`, measuring the loss of the clipped image $\mathrm{clip}(x, 0, 1)$).
# The *line search* decides how far along L-BFGS's direction $d$ to go. The toy above uses torch's
# strong-Wolfe search: the loss must drop enough, $f(x + t d) \le f(x) + c_1 t\, \nabla f^\top d$ (the
# Armijo condition), *and* the slope along $d$ must flatten, or the step is lengthened. In style
# transfer L-BFGS's full step $t = 1$ nearly always lowers the loss enough, and lengthening it costs
# extra evaluations (forward + backward passes of VGG-19), so `style_transfer` checks the Armijo
# condition alone and shortens the step only when it fails (`line_search="armijo"`; `"strong_wolfe"`
# is torch's). `optimizer="lbfgsb"` is scipy's L-BFGS-B, which bounds every pixel to $[0, 1]$
# instead; `nst_teach.reconstruct` uses it for lessons 4 and 5.
#
# **"1000 epochs"?** Lecture 003 shows "1000 epochs of training". In style transfer there is no
# dataset to go through: an "epoch" there is one *optimiser iteration on the one image* — one step
# of the loop above, one update of all the pixels. The lecture's loop ran 1000 of them; this course
# uses far fewer because L-BFGS goes further per iteration (the plot above): STEPS in each lesson
# (its parameters cell) and, in `nst-teach transfer`, the default printed here:

# %%
print(f"nt.TransferConfig().steps = {DEFAULT.steps!r}: until the loss falls by less than {DEFAULT.stop_tolerance:.1%} over {DEFAULT.stop_window} steps, at most {DEFAULT.max_steps}")

# %% [markdown]
# ## What L-BFGS moves by default: a Laplacian pyramid
#
# The fifth run above did not move pixels. Its variables are the coefficients of a **Laplacian
# pyramid** of the image (Burt & Adelson 1983, `nst_teach.pyramid`): the image written as a sum of
# *bands*, each the detail that a half-size copy misses, plus a small low-pass *residual*:
#
# $$x = L_0 + \mathrm{up}\big(L_1 + \mathrm{up}(L_2 + \dots + \mathrm{up}(L_K))\big)\quad\text{(exact)}.$$
#
# Every image has exactly one pyramid and back, so the loss and its minima are the same. What changes
# is what one step does: a gradient step on a coefficient of band $k$ moves about a $2^k \times 2^k$ block
# of pixels at once. L-BFGS starts knowing nothing about curvature, so its first steps go along the
# gradient — and on pixels the gradient is dominated by fine, pixel-by-pixel detail, while the style
# loss asks first for large changes (colour areas, big strokes). On the pyramid those large changes
# are a few coefficients away, so the loss falls further for the same number of evaluations (forward
# + backward passes of VGG-19, printed above for each run; the last curve of the plot). The bands of
# the cat, down to the default coarsest side:

# %%
print(f"pyramid_coarsest = {DEFAULT.pyramid_coarsest} px, level k scaled by pyramid_weight^k = {DEFAULT.pyramid_weight}^k")
viz.pyramid_bands(content, coarsest=DEFAULT.pyramid_coarsest, title="The Laplacian pyramid L-BFGS optimises: fine bands to the residual")

# %% [markdown]
# The default run also starts elsewhere: from the photo *recoloured* to the style's palette
# (`init="recoloured"`, lesson 8's colour statistics), so the colours need no steps. The gap between
# the L-BFGS run on pixels and the default run is these two choices together; the gap between the
# four runs on the same footing is the optimisers'.

# %% [markdown]
# ## What you should remember
# - An optimiser walks downhill on the loss surface; the learning rate sets the step length.
# - Too small: slow; too large (above $2/\text{curvature}$): it diverges.
# - Momentum and Adam cope with elongated valleys; L-BFGS uses curvature and needs no learning rate.
# - By default L-BFGS moves a Laplacian pyramid's coefficients: coarse changes first, fewer evaluations.
# - In style transfer the variables are the pixels, the network stays fixed, and one "epoch" is one iteration.
