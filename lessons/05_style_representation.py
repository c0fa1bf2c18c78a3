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
# # Lesson 5 — The style representation
#
# **Learning goals**
# - write the style loss $E_l$ of one layer and the total $\mathcal{L}_\text{style}=\sum_l w_l E_l$;
# - synthesise a texture from white noise using Gram matrices only;
# - see larger structures appear as deeper layers are added (Gatys et al. 2016, Fig. 1, top row).

# %% tags=["parameters"]
SIZE = 160  # pixels
STEPS = 60  # L-BFGS-B steps per texture

# %%
import torch
import nst_teach as nt
from nst_teach import viz

nt.lesson_setup()  # figures inline; prints which nst_teach, torch and device this notebook runs on

# %% [markdown]
# ## The style loss
#
# $a$ is the style image, $x$ the generated one; $A^l$ and $G^l$ their Gram matrices at layer $l$:
#
# $$E_l = \frac{1}{4 N_l^2 M_l^2} \sum_{i,j} \left(G^l_{ij} - A^l_{ij}\right)^2, \qquad
# \mathcal{L}_\text{style}(a, x) = \sum_{l} w_l E_l, \quad w_l = \frac{1}{|S|}\ \text{for } l \in S.$$
#
# The factor $\frac{1}{4N_l^2M_l^2}$ removes the dependence on $N_l$ and $M_l$: $E_l$ hardly changes
# when the image gets bigger. It does *not* remove the layers' different activation scales: from
# noise, $E_l$ is about $10^5$–$10^6$ at `relu1_1` but about $10^{11}$ at `relu4_1` (see the table at
# the end of this lesson), so with $w_l = 1/5$ `relu4_1` dominates $\mathcal{L}_\text{style}$. Because
# $G$ ignores position (lesson 3), minimising $\mathcal{L}_\text{style}$ from noise produces a
# *texture*: the statistics of the painting, rearranged.
#
# > **Notation.** Lecture 004 says $A$ is the Gram matrix of "the target image P"; it is the Gram
# > matrix of the *style* image $a$ ($P$ is the photo's features, lesson 4). The lecture's style layers
# > `block1_conv1` … `block5_conv1` are our `relu1_1` … `relu5_1` (a Keras conv layer includes its
# > ReLU). Lecture 003 writes $\beta$ inside the square: a constant factor, absorbed into $\beta$.
# > *Pooling:* the paper's textures use average pooling; we default to max — try
# > `nt.load_vgg19(last_layer="relu5_1", pool="avg")` below to compare.

# %%
from nst_teach.reconstruct import STYLE_LAYER_SETS, synthesize_texture

model = nt.load_vgg19(last_layer="relu5_1")
style = nt.load_image("starry_night", SIZE)
textures = [synthesize_texture(style, layers, steps=STEPS, model=model) for layers in STYLE_LAYER_SETS]
labels = ["relu1_1"] + ["+ " + layers[-1] for layers in STYLE_LAYER_SETS[1:]]
for label, t in zip(labels, textures):
    print(f"{label:10s} style loss {t.history[0]['style']:.3g} → {t.history[-1]['style']:.3g} in {t.seconds:.1f} s")

# %%
viz.image_grid([style] + [t.image for t in textures], ["style image", *labels], ncols=3,
               title="Textures from growing sets of style layers")

# %% [markdown]
# With `relu1_1` alone we get the colours and a fine grain, but no strokes. Each added layer has a
# larger receptive field (lesson 2), so its Gram matrix describes larger patterns: swirls and brush
# strokes appear from `relu3_1` on. That is why style is taken from all five layers.
#
# ## Did the statistics match?
#
# Compare $E_l$ of the final texture (all five layers) with $E_l$ of the noise we started from:

# %%
from nst_teach.transfer import initial_image

layers = STYLE_LAYER_SETS[-1]
noise = initial_image(style, style, "noise", seed=0)  # the white noise every texture starts from
with torch.no_grad():
    A = {l: nt.gram_matrix(F[0]) for l, F in nt.extract_features(model, nt.preprocess(style, model.convention), layers).items()}
    for name, x in [("noise", noise), ("texture", textures[-1].image)]:
        F = nt.extract_features(model, nt.preprocess(x, model.convention), layers)
        print(f"{name:8s}", "  ".join(f"{l}: {nt.style_layer_loss(F[l], A[l]).item():.2e}" for l in layers))

# %% [markdown]
# ## Your turn: exercise 05 (`ex05_style_loss.py`)
#
# Write $E_l$ and $\mathcal{L}_\text{style}$.
#
# Create your exercise folder once with `nst-teach exercises init exercises` (in a terminal, in
# this folder), edit `exercises/ex05_style_loss.py`, then uncomment the next cell and run it.
# It grades your file exactly like `nst-teach grade` does.

# %%
from nst_teach.grading import check

# check("ex05")  # uncomment after `nst-teach exercises init exercises`

# %% [markdown]
# ## Recap
# - $E_l = \frac{1}{4N_l^2M_l^2}\sum(G^l - A^l)^2$, $\mathcal{L}_\text{style} = \sum_l w_l E_l$.
# - Matching Gram matrices from noise gives a texture: same statistics, new arrangement.
# - Deeper layers add larger structures; the paper uses relu1_1 … relu5_1 with $w_l = 1/5$.
