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
SIZE = 128  # pixels
STEPS = 60  # L-BFGS-B steps per texture (L-BFGS-B: lesson 4, lesson 6)

# %%
import torch
import nst_teach as nt
from nst_teach import viz
from nst_teach.grading import check, student_function

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
# noise, $E_l$ at `relu4_1` is several orders of magnitude larger than at `relu1_1` (your $E_l$ prints
# them per layer after exercise 05, below), so with $w_l = 1/5$ `relu4_1` dominates
# $\mathcal{L}_\text{style}$. Here $S$ is the *set of style layers* (not the style image, as in
# lecture 002) and $|S|$ their number: five. Because
# $G$ ignores position (lesson 3), minimising $\mathcal{L}_\text{style}$ from noise produces a
# *texture*: the statistics of the painting, rearranged.
#
# > **Notation.** Lecture 004 says $A$ is the Gram matrix of "the target image P"; it is the Gram
# > matrix of the *style* image $a$ ($P$ is the photo's features, lesson 4). The lecture's style layers
# > `block1_conv1` … `block5_conv1` are our `relu1_1` … `relu5_1` (a Keras conv layer includes its
# > ReLU). Lecture 003 writes $\beta$ inside the square: a constant factor, absorbed into $\beta$.
# > *Pooling:* the paper's textures use average pooling; we default to max — try
# > `nt.load_vgg19(last_layer="relu5_1", pool="avg")` below to compare.
#
# **Predict, then run.** (1) A texture matched with `relu1_1` alone: will it show Starry Night's
# swirls, or only its colours? (2) Will a texture from a network with *random* weights look like the
# painting at all?

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
# With `relu1_1` alone we get the colours in blotches, but no strokes. Each added layer has a larger
# receptive field (lesson 2), so its Gram matrix describes larger patterns: short brush strokes
# appear with `relu2_1`, and the swirls grow with `relu3_1` and `relu4_1`. That is why style is
# taken from all five layers.

# %% [markdown]
# ## Did the statistics match? The Gram matrices, start and end
#
# For each layer: the Gram matrix of the white noise we start from, of the final texture, and of the
# style image ($A^l$), the first 24 filters, one colour scale per row. The texture's should look like
# the style's; the noise's does not.

# %%
from nst_teach.transfer import initial_image

layers = STYLE_LAYER_SETS[-1]
noise = initial_image(style, style, "noise", seed=0)  # the white noise every texture starts from
with torch.no_grad():
    grams = {name: {l: nt.gram_matrix(F[0])[:24, :24] for l, F in nt.extract_features(model, nt.preprocess(x, model.convention), layers).items()}
             for name, x in [("start: noise", noise), ("end: texture", textures[-1].image), ("style A", style)]}
viz.heatmap_grid({l: {name: g[l] for name, g in grams.items()} for l in layers}, shared="row",
                 title="Gram matrices (first 24 filters) per layer")

# %% [markdown]
# **Answer (1).** Only colours and a fine grain: `relu1_1` sees 3×3 pixels. (2): see the end of the lesson.
#
# ## Your turn: exercise 05 (`ex05_style_loss.py`)
#
# Write $E_l$ (`style_layer_loss`) and $\mathcal{L}_\text{style}$ (`style_loss`) in
# `exercises/ex05_style_loss.py`, then check them:

# %%
check("ex05")

# %% [markdown]
# Your $E_l$ tells how far each layer is from the style at the start and at the end; your
# $\mathcal{L}_\text{style}$ then synthesises the five-layer texture again, beside the reference's.

# %%
style_layer_loss = student_function("ex05", "style_layer_loss")
style_loss = student_function("ex05", "style_loss")
with torch.no_grad():
    A = {l: nt.gram_matrix(F[0]) for l, F in nt.extract_features(model, nt.preprocess(style, model.convention), layers).items()}
    for name, x in [("noise", noise), ("texture", textures[-1].image)]:
        F = nt.extract_features(model, nt.preprocess(x, model.convention), layers)
        print(f"{name:8s}", "  ".join(f"{l}: {style_layer_loss(F[l], A[l]).item():.2e}" for l in layers))

# %%
from nst_teach.reconstruct import synthesize_with

yours, yours_losses = synthesize_with(style_loss, style, layers, steps=STEPS, model=model)
print(f"{style_loss.source}: style loss {yours_losses[0]:.3g} → {yours_losses[-1]:.3g} in {len(yours_losses)} steps")
viz.image_grid([style, yours, textures[-1].image], ["style image", f"texture, {style_loss.source} style_loss",
                                                    "texture, reference"], ncols=3)

# %% [markdown]
# ## Transfer learning: a texture from random weights
#
# The same synthesis with the same architecture, but random (untrained) filters:

# %%
random_model = nt.load_vgg19(weights="random", last_layer="relu5_1", seed=0)
random_texture = synthesize_texture(style, layers, steps=STEPS, model=random_model)
viz.image_grid([style, textures[-1].image, random_texture.image], ["style image", "pretrained VGG-19", "random weights"], ncols=3)

# %% [markdown]
# **Answer (2).** Compare the last two pictures. The random network's texture keeps the palette and a
# grain, but not the painting's strokes and swirls: its Gram matrices still constrain the colours
# (the first layer is a set of random colour filters), but its deeper filters detect no meaningful
# pattern. What ImageNet taught VGG-19 — edges, strokes, textures — is what makes its Gram matrices
# a description of *style*: that is transfer learning.
#
# ## What you should remember
# - $E_l = \frac{1}{4N_l^2M_l^2}\sum(G^l - A^l)^2$, $\mathcal{L}_\text{style} = \sum_l w_l E_l$.
# - Matching Gram matrices from noise gives a texture: same statistics, new arrangement.
# - Deeper layers add larger structures; the paper uses relu1_1 … relu5_1 with $w_l = 1/5$.
# - It works because the filters are pretrained: random filters give only colours and grain.
