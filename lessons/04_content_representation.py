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
# # Lesson 4 — The content representation
#
# **Learning goals**
# - write the content loss $\mathcal{L}_\text{content} = \frac12\sum_{ij}(F^l_{ij} - P^l_{ij})^2$;
# - reconstruct a photo from white noise using the features of *one* layer only;
# - see which information each depth keeps (Gatys et al. 2016, Fig. 1, bottom row).

# %% tags=["parameters"]
SIZE = 160  # pixels
STEPS = 60  # optimiser steps per reconstruction (L-BFGS-B, defined below)

# %%
import torch
import nst_teach as nt
from nst_teach import viz
from nst_teach.grading import check, student_function

nt.lesson_setup()  # figures inline; prints which nst_teach, torch and device this notebook runs on

# %% [markdown]
# ## The content loss
#
# Let $p$ be the photo and $x$ the image we generate; $P^l$ and $F^l$ their features at layer $l$
# ($N_l \times M_l$). The content loss and its gradient with respect to the features are
#
# $$\mathcal{L}_\text{content}(p, x, l) = \frac12 \sum_{i,j} \left(F^l_{ij} - P^l_{ij}\right)^2, \qquad
# \frac{\partial \mathcal{L}_\text{content}}{\partial F^l_{ij}} = F^l_{ij} - P^l_{ij}.$$
#
# Our $F^l$ is taken *after* the ReLU, so this holds everywhere. The paper's extra condition "if
# $F^l_{ij} > 0$" (else 0) appears one step further back: the ReLU passes the gradient on to its input,
# the pre-activation, only where its output is positive. Back-propagation carries the gradient down
# to the pixels of $x$. We start from white noise and let L-BFGS-B minimise the content loss alone
# (an optimiser that walks downhill using the gradient and an estimate of the curvature, with a
# *bound* that keeps every pixel in [0, 1]; lesson 6 shows how it works)
# ($\beta = 0$): whatever the result shares with the photo is what layer $l$ "knows".
#
# > **Notation.** The paper's `conv4_2` is the output of Caffe's in-place ReLU, i.e. our `relu4_2`;
# > so the paper's conv1_2 … conv5_2 are our relu1_2 … relu5_2. Lecture 004 writes the content loss
# > without the $\frac12$, lecture 001 as a mean $\frac1n\sum(F-P)^2$, lecture 003 with $\alpha$ inside
# > the square: these differ from the paper's only by constant factors, which $\alpha$ and $\beta$ absorb.
# > *Pooling:* for its figures the paper replaced max-pooling by average pooling; we default to max —
# > try `nt.load_vgg19(last_layer="relu5_2", pool="avg")` below to compare.
#
# ## One notation table for the course
#
# The lectures, the paper and the code do not use the same letters. When in doubt, this table decides:
#
# | meaning | paper (Gatys et al.) | lectures | this course's code |
# |---|---|---|---|
# | the photo (content image) | $\vec p$ | C (002), "content image" | `content` |
# | the style image | $\vec a$ | S (002) | `style` |
# | the generated image | $\vec x$ | X (002); **P** in lecture 003's $G^{p,l}$ | `x`, `result.image` |
# | features of the generated image at layer $l$ | $F^l$ | $a^{[l]}$ (002) | `F` |
# | features of the photo | $P^l$ | $P$ (000, 004) | `P` |
# | Gram matrices: generated / style | $G^l$ / $A^l$ | $G^{p,l}$ / $G^{s,l}$ (003) | `G` / `A` |
# | content weight | $\alpha$ | $\alpha$ (000, 003) | `content_weight` |
# | style weight | $\beta$ | $\beta$ (000, 003), "style_weight" | `style_weight` |
# | learning rate | — (L-BFGS) | **$\alpha$** in lecture 002's $X \leftarrow X - \alpha \partial J/\partial X$ | `lr` ($\eta$ in lesson 6) |
# | layers | conv4_2, conv1_1… | block4_conv2, block1_conv1… (003) | `relu4_2`, `relu1_1` (Keras names work too) |
# | filters / positions of layer $l$ | $N_l$ / $M_l$ ($= H_l W_l$) | — ; lecture 001's **M** is the feature *matrix* | `N`, `M` |
# | the set of style layers / their number | — / — | — | `style_layers` / $L$ = `len(style_layers)` |
# | weight of style layer $l$ | $w_l$ | — | `style_layer_weights` (None: $1/L$ each) |
# | style loss of one layer | $E_l$ | — | `style_layer_loss` |
# | total-variation weight | — | — | `tv_weight` ($\lambda_\text{tv}$, lesson 7) |
# | Adam's averaging rates | — | — | `betas` ($\beta_1, \beta_2$, lesson 6) |
#
# Traps: lecture 002's $\alpha$ is a *learning rate*, ours is the content weight; lecture 003's
# $P$ is the *generated* image, the paper's $P$ the *photo's features*. **S** is the style image
# in lecture 002 and the *set of style layers* in lesson 5's $w_l = 1/|S|$. **L** is a loss
# ($\mathcal{L}_\text{content}$, $\mathcal{L}_\text{style}$) and also the number of style layers in
# $w_l = 1/L$. **β** is the style weight, and $\beta_1, \beta_2$ are Adam's averaging rates (lesson 6),
# unrelated. **M** is lecture 001's feature matrix and this course's number of positions $M_l$ (our
# feature matrix is $F$). The style images of this course
# (`starry_night`, `political_drama`, `pointillism`, `ben_day`) are procedural imitations generated by
# `nst_teach.styles`, not photographs of the paintings (those are not free to ship).
#
# **Predict, then run.** Each reconstruction below starts from white noise and matches the features
# of *one* layer. (1) From which layer will the cat come back closest to the photo? (2) From which
# will it first look clearly wrong — `relu3_2`, `relu4_2` or `relu5_2`?

# %%
from nst_teach.reconstruct import CONTENT_LAYERS, reconstruct_content

model = nt.load_vgg19(last_layer="relu5_2")
photo = nt.load_image("cat", SIZE)
runs = {layer: reconstruct_content(photo, layer, steps=STEPS, model=model) for layer in CONTENT_LAYERS}
for layer, r in runs.items():
    print(f"{layer}: content loss {r.history[0]['content']:.3g} → {r.history[-1]['content']:.3g} in {r.seconds:.1f} s")

# %%
viz.image_grid([photo] + [r.image for r in runs.values()], ["photo", *runs], ncols=3,
               title="Reconstructions from one layer each")

# %% [markdown]
# **Answers** (look at the figure, and at `figures/content_reconstruction.png` at 256 px). Up to
# `relu3_2` the reconstruction is nearly the photo. From `relu4_2` the cat is still almost
# photographic — the eyes, fur and colours are there — with a fine grain of noise and slightly shifted
# colours in the flat areas. Only `relu5_2` loses the pixels and colours: a cat made of coloured
# texture, the layout still in place. So `relu4_2`, the paper's content layer, keeps *what is where*
# and much of how it looks, while leaving room for the style to repaint colours and fine texture.
# The pixel errors below put numbers on it (white noise itself is the worst).

# %%
from nst_teach.transfer import initial_image

start = initial_image(photo, photo, "noise", seed=0)  # the white noise every reconstruction starts from
errors = {layer: (r.image - photo).abs().mean().item() for layer, r in runs.items()}
errors["noise (start)"] = (start - photo).abs().mean().item()
for layer, e in errors.items():
    print(f"{layer}: mean absolute pixel error {e:.3f}")
viz.loss_curves({layer: r for layer, r in runs.items()}, keys=["content"], title="Content loss per step")

# %% [markdown]
# ## Where the content differs: the error at each position
#
# The content loss is a sum over positions, so we can draw it: $\frac12\sum_i (F_{ij} - P_{ij})^2$ at
# each position $j$ of `relu4_2` (`nt.losses.content_error_map`; the map sums to the loss). At the
# start (white noise) the error is large everywhere, largest where the photo's features are strong;
# after the reconstruction it is small — one colour scale per row, so compare within a row.

# %%
from nst_teach.losses import content_error_map

with torch.no_grad():
    P42 = nt.extract_features(model, nt.preprocess(photo, model.convention), ["relu4_2"])["relu4_2"]
    error = {label: content_error_map(nt.extract_features(model, nt.preprocess(x, model.convention), ["relu4_2"])["relu4_2"], P42)
             for label, x in [("start: noise", start), (f"after {STEPS} steps", runs["relu4_2"].image)]}
print("content loss = sum of the map:", {k: f"{v.sum().item():.3g}" for k, v in error.items()})
viz.heatmap_grid({"relu4_2 ½Σ_i(F−P)²": error}, shared="all", cmap="magma", title="Per-position content error")

# %% [markdown]
# ## Your turn: exercise 04 (`ex04_content_loss.py`)
#
# Write the content loss $\frac12\sum(F-P)^2$ in `exercises/ex04_content_loss.py` (`start_exercises()`
# creates the folder if you have none yet), save, and check it:

# %%
check("ex04")

# %% [markdown]
# **Predict:** with *your* loss, will the `relu4_2` reconstruction look the same as nst_teach's? If you
# had forgotten the ½, would it?  (Then run: the cell uses your function if exercise 04 passes.)

# %%
from nst_teach.reconstruct import reconstruct_with

content_loss = student_function("ex04", "content_loss")
yours, yours_losses = reconstruct_with(content_loss, photo, "relu4_2", steps=STEPS, model=model)
print(f"{content_loss.source}: loss {yours_losses[0]:.3g} → {yours_losses[-1]:.3g}; "
      f"mean |yours − reference image| = {(yours - runs['relu4_2'].image).abs().mean().item():.3f}")
viz.image_grid([photo, yours, runs["relu4_2"].image], ["photo", f"relu4_2 with {content_loss.source} content_loss",
                                                       "relu4_2, reference"], ncols=3)

# %% [markdown]
# **Answer.** Yes, nearly the same picture (the small differences come from the optimiser's path).
# And without the ½ too: a constant factor scales the loss and its gradient, and L-BFGS's line
# search adapts the step — the minimum does not move. The grader still marks it wrong, because in
# style transfer the factor changes the balance between $\alpha$ and $\beta$.
#
# ## What you should remember
# - $\mathcal{L}_\text{content} = \frac12\sum(F^l - P^l)^2$ compares features position by position; its map shows where.
# - Reconstructions stay nearly photographic up to `relu4_2`; only `relu5_2` loses the pixels and colours.
# - Style transfer takes the content from `relu4_2` (the paper's conv4_2): the layout, and room for the style.
# - Letters differ between lectures, paper and code: use the notation table above.
