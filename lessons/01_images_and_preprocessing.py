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
# # Lesson 1 — Images and preprocessing for VGG-19
#
# **Learning goals**
# - know how an image is stored in `nst_teach`: a tensor $[1, 3, H, W]$, RGB, values in $[0, 1]$;
# - understand *why* a pretrained network needs exactly the preprocessing it was trained with;
# - apply the two conventions — Caffe (used by Gatys et al. and Keras) and torchvision — and undo them;
# - look at each channel of the network's input.

# %% tags=["parameters"]
SIZE = 256  # longest side of the images, in pixels

# %%
import torch
import nst_teach as nt
from nst_teach import viz

nt.lesson_setup()  # figures inline; prints which nst_teach, torch and device this notebook runs on

# %% [markdown]
# ## An image is a tensor
#
# `nt.load_image` takes a file path or a sample name (`nst-teach samples` lists them) and returns a
# float tensor with a batch axis of 1: shape $[1, 3, H, W]$ (channels first, as PyTorch wants).

# %%
img = nt.load_image("cat", SIZE)
print("shape", tuple(img.shape), "dtype", img.dtype, "range", round(img.min().item(), 3), "…", round(img.max().item(), 3))
viz.channel_views(img, title="The cat and its three channels (R, G, B)")

# %% [markdown]
# ## Why preprocessing matters
#
# VGG-19 learnt its filters on ImageNet photos that were prepared in one exact way. Its first
# layer computes $\sum w \cdot x + b$ with weights tuned to *those* numbers: feed it values on another
# scale, or with red and blue swapped, and every later layer sees inputs it has never seen.
#
# **Caffe** (the original Oxford weights; what the paper and Keras use; our default weights):
#
# $$x = \mathrm{BGR}(255 \cdot \text{img}) - (103.939,\ 116.779,\ 123.68)$$
#
# i.e. scale to 0–255, reverse the channel order (channel 0 is **blue**), subtract the mean
# ImageNet pixel of each channel. **torchvision** (PyTorch's re-trained weights):
#
# $$x = (\text{img} - (0.485, 0.456, 0.406)) \;/\; (0.229, 0.224, 0.225)$$
#
# RGB order, divided by the standard deviation. `model.convention` tells you which one a model needs.

# %%
x_caffe = nt.preprocess(img, "caffe")
x_tv = nt.preprocess(img, "torchvision")
for name, x in [("caffe", x_caffe), ("torchvision", x_tv)]:
    print(f"{name:12s} range {x.min().item():8.2f} … {x.max().item():7.2f}   channel means {[round(v, 2) for v in x.mean(dim=(0, 2, 3)).tolist()]}")
viz.channel_views(x_caffe, names=["0: B − 103.939", "1: G − 116.779", "2: R − 123.68"],
                  title="What VGG-19 (Caffe weights) receives: BGR, 0–255, mean subtracted")

# %% [markdown]
# ## The round trip
#
# After optimising we must turn the network's input back into a picture: `deprocess` is the exact
# inverse (add the mean, flip BGR → RGB, divide by 255). Using the *wrong* inverse is a classic bug:
# the colours come out swapped or washed out.

# %%
assert torch.allclose(nt.deprocess(x_caffe, "caffe"), img, atol=1e-5)
assert torch.allclose(nt.deprocess(x_tv, "torchvision"), img, atol=1e-5)
print("round trip OK for both conventions")

wrong_order = img.flip(1)  # BGR shown as if it were RGB
wrong_inverse = nt.deprocess(x_caffe, "torchvision").clamp(0, 1)  # Caffe input, torchvision inverse
viz.image_grid([img, wrong_order, wrong_inverse], ["correct", "BGR read as RGB", "wrong inverse"], ncols=3)

# %% [markdown]
# ## Does the network notice?
#
# Compare VGG-19's deep features (`relu4_2`) of the correctly preprocessed cat with those of the
# same photo fed with the channels swapped. The *cosine similarity* is 1 for identical responses.

# %%
model = nt.load_vgg19(last_layer="relu4_2")
print("weights:", model.weights_name, "| convention:", model.convention)
with torch.no_grad():
    good = nt.extract_features(model, nt.preprocess(img, model.convention), ["relu4_2"])["relu4_2"]
    swapped = nt.extract_features(model, nt.preprocess(img.flip(1), model.convention), ["relu4_2"])["relu4_2"]
    unscaled = nt.extract_features(model, img.flip(1), ["relu4_2"])["relu4_2"]  # 0–1 values, no mean
cos = torch.nn.functional.cosine_similarity
print("cosine(correct, channels swapped) =", round(cos(good.flatten(), swapped.flatten(), dim=0).item(), 3))
print("cosine(correct, no scaling/mean)  =", round(cos(good.flatten(), unscaled.flatten(), dim=0).item(), 3))

# %% [markdown]
# ## Your turn: exercise 01 (`ex01_preprocess.py`)
#
# Write `preprocess` and `deprocess` for the Caffe convention yourself.
#
# Create your exercise folder once with `nst-teach exercises init exercises` (in a terminal, in
# this folder), edit `exercises/ex01_preprocess.py`, then uncomment the next cell and run it.
# It grades your file exactly like `nst-teach grade` does.

# %%
from nst_teach.grading import check

# check("ex01")  # uncomment after `nst-teach exercises init exercises`

# %% [markdown]
# ## Recap
# - Images are $[1, 3, H, W]$ RGB tensors in $[0, 1]$; the network input is *not*.
# - Caffe: BGR, ×255, minus (103.939, 116.779, 123.68). torchvision: RGB, minus mean, divided by std.
# - `deprocess(preprocess(img)) == img`; always use the inverse of the convention you applied.
# - Get it wrong and the features change: the losses of the next lessons would compare the wrong things.
