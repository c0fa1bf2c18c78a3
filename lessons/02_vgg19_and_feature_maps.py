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
# # Lesson 2 — VGG-19 and its feature maps
#
# **Learning goals**
# - read VGG-19's architecture: 16 convolutions in 5 blocks, with pooling in between;
# - compute output shapes, parameter counts and receptive fields layer by layer;
# - extract and look at the feature maps $F^l$ of a photo at several depths;
# - explain what early and late layers respond to.

# %% tags=["parameters"]
SIZE = 224  # VGG-19 was trained on 224×224 crops

# %%
import torch
import nst_teach as nt
from nst_teach import viz

nt.lesson_setup()  # figures inline; prints which nst_teach, torch and device this notebook runs on

# %% [markdown]
# ## The architecture as a table
#
# Every convolution is $3\times3$ with padding 1 (the size is kept) followed by a ReLU; every block
# ends with a $2\times2$ max-pool (the size halves). Layer $l$ has $N_l$ filters, so its response is
# $N_l$ feature maps of $M_l = H_l \cdot W_l$ positions.
#
# The **receptive field** $r$ of a unit is the input patch it depends on. With kernel size $k$,
# stride $s$ and *jump* $j$ (the input distance between neighbouring units):
#
# $$r_\text{out} = r_\text{in} + (k-1)\, j_\text{in}, \qquad j_\text{out} = j_\text{in} \cdot s, \qquad r_0 = j_0 = 1.$$

# %%
from nst_teach.anatomy import architecture, format_table, receptive_field

table = architecture(SIZE)
print(format_table(table, kinds=("relu", "pool")))
assert receptive_field("relu1_1") == 3 and receptive_field("pool1") == 6 and receptive_field("conv5_4") == 252

# %%
viz.receptive_field_chart(table)

# %% [markdown]
# A unit of `relu1_1` sees 3×3 pixels: it can only detect colours and tiny edges. A unit of
# `relu5_1` sees 156×156 pixels — most of the image — so it can respond to whole eyes or faces.
# (The *effective* receptive field, where the unit is really sensitive, is smaller and roughly
# Gaussian: pixels near the centre matter most.)
#
# ## Feature maps of a photo
#
# `extract_features` runs the image through the network once and keeps the layers we ask for.

# %%
LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
model = nt.load_vgg19(last_layer="relu5_1")
img = nt.load_image("cat", SIZE)
with torch.no_grad():
    feats = nt.extract_features(model, nt.preprocess(img, model.convention), LAYERS)
for name, F in feats.items():
    _, N, H, W = F.shape
    zeros = (F == 0).float().mean().item()
    print(f"{name}: N_l = {N:3d} filters, M_l = {H}×{W} = {H * W:5d} positions, {zeros:.0%} of the values are 0 (ReLU)")

# %%
viz.feature_grid(feats, channels=8, title="The 8 most active feature maps per layer")

# %% [markdown]
# ## The most active channels of one layer
#
# "Most active" = largest mean activation $\frac{1}{M_l}\sum_k F_{ik}$ over the image. Look for
# channels of `relu3_1` that may respond to the cat's fur stripes, whiskers or eye contours (and
# for others whose pattern has no simple name):

# %%
viz.feature_grid(feats["relu3_1"], channels=16, title="relu3_1: the 16 most active of 256 channels")

# %% [markdown]
# ## Early vs late layers
#
# - **Early** (`relu1_1`, `relu2_1`): full resolution, small receptive fields; they look like
#   edge and colour filters — the image is still recognisable in them.
# - **Late** (`relu4_1`, `relu5_1`): coarse grids, sparse; each unit fires for a large, specific
#   pattern (an eye, an ear), wherever it is. This is why *content* is taken from a late layer and
#   *style* from many layers.
#
# Explore on your own: pick an image, a layer and a channel (needs `ipywidgets`; without it you get
# a static grid).

# %%
viz.interactive_viewer(images=("cat", "astronaut", "starry_night"), layers=LAYERS, size=min(SIZE, 160), model=model)

# %% [markdown]
# ## Your turn: exercise 02 (`ex02_features.py`)
#
# Write the loop that runs an image through the layers and keeps the requested feature maps.
#
# Create your exercise folder once with `nst-teach exercises init exercises` (in a terminal, in
# this folder), edit `exercises/ex02_features.py`, then uncomment the next cell and run it.
# It grades your file exactly like `nst-teach grade` does.

# %%
from nst_teach.grading import check

# check("ex02")  # uncomment after `nst-teach exercises init exercises`

# %% [markdown]
# ## Recap
# - VGG-19: 16 conv (3×3) + ReLU, 5 max-pools; $N_l$ = 64, 128, 256, 512, 512; 20 M parameters.
# - Receptive field: $r \leftarrow r + (k-1)j$, $j \leftarrow js$; 3 px at relu1_1, 252 px at conv5_4.
# - A layer's response is $F^l \in \mathbb{R}^{N_l \times M_l}$: early layers = local colour/edges, late = objects.
