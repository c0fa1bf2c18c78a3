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
STEPS = 60  # L-BFGS-B steps per reconstruction

# %%
import nst_teach as nt
from nst_teach import viz

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
# ($\beta = 0$): whatever the result shares with the photo is what layer $l$ "knows".
#
# > **Notation.** The paper's `conv4_2` is the output of Caffe's in-place ReLU, i.e. our `relu4_2`;
# > so the paper's conv1_2 … conv5_2 are our relu1_2 … relu5_2. Lecture 004 writes the content loss
# > without the $\frac12$, lecture 001 as a mean $\frac1n\sum(F-P)^2$, lecture 003 with $\alpha$ inside
# > the square: these differ from the paper's only by constant factors, which $\alpha$ and $\beta$ absorb.
# > *Pooling:* for its figures the paper replaced max-pooling by average pooling; we default to max —
# > try `nt.load_vgg19(last_layer="relu5_2", pool="avg")` below to compare.

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
# Shallow layers give back the picture closest to the photo, and the error grows with depth (see the
# numbers below; white noise itself is further still). From `relu4_2` and `relu5_2` the cat is still
# there — eyes, nose, the layout — but the exact pixels, colours and fine texture are gone: the
# deep layers keep *what* is where, not *how* it looks. That is exactly what we want from content.

# %%
from nst_teach.transfer import initial_image

start = initial_image(photo, photo, "noise", seed=0)  # the white noise every reconstruction starts from
errors = {layer: (r.image - photo).abs().mean().item() for layer, r in runs.items()}
errors["noise (start)"] = (start - photo).abs().mean().item()
for layer, e in errors.items():
    print(f"{layer}: mean absolute pixel error {e:.3f}")
viz.loss_curves({layer: r for layer, r in runs.items()}, keys=["content"], title="Content loss per step")

# %% [markdown]
# ## Your turn: exercise 04 (`ex04_content_loss.py`)
#
# Write the content loss $\frac12\sum(F-P)^2$.
#
# Create your exercise folder once with `nst-teach exercises init exercises` (in a terminal, in
# this folder), edit `exercises/ex04_content_loss.py`, then uncomment the next cell and run it.
# It grades your file exactly like `nst-teach grade` does.

# %%
from nst_teach.grading import check

# check("ex04")  # uncomment after `nst-teach exercises init exercises`

# %% [markdown]
# ## Recap
# - $\mathcal{L}_\text{content} = \frac12\sum(F^l - P^l)^2$ compares features position by position.
# - Reconstructions from deep layers keep the objects and layout, lose the pixels: that is "content".
# - Style transfer takes the content from `relu4_2` (the paper's conv4_2).
