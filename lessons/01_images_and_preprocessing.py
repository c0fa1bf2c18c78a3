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
# - write the Caffe preprocessing (used by Gatys et al. and Keras) and its inverse yourself;
# - see what a wrongly prepared photo does to VGG-19's activations, early and deep.
#
# Everything in this course runs from the notebooks: no terminal needed.

# %% tags=["parameters"]
SIZE = 256  # longest side of the images, in pixels

# %%
import torch
import nst_teach as nt
from nst_teach import viz
from nst_teach.grading import check, start_exercises, student_function

nt.lesson_setup()  # figures inline; prints which nst_teach, torch and device this notebook runs on

# %% [markdown]
# ## An image is a tensor
#
# `nt.load_image` takes a file path or a sample name and returns a float tensor with a batch axis of
# 1: shape $[1, 3, H, W]$ (channels first, as PyTorch wants), RGB, values in $[0, 1]$.

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
# **Caffe** (the original Oxford weights; what the paper, Keras and lecture 003 use; our default weights):
#
# $$x = \mathrm{BGR}(255 \cdot \text{img}) - (103.939,\ 116.779,\ 123.68)$$
#
# i.e. scale to 0–255, reverse the channel order (channel 0 is **blue**), subtract the mean
# ImageNet pixel of each channel (lecture 003 lists the same means in RGB order: 123.68, 116.779,
# 103.939). **torchvision** (PyTorch's re-trained weights) keeps RGB and $[0,1]$ and divides by the
# standard deviation: $x = (\text{img} - (0.485, 0.456, 0.406)) / (0.229, 0.224, 0.225)$.
# `model.convention` tells you which one a model needs. (Lecture 003 also resizes to 224×224: the
# *classifier* needs that size; style transfer does not — lesson 2 explains why.)
#
# **Predict, then run.** Before you run anything: (1) Channel 0 of the Caffe input — which colour is
# it, and roughly which range of values does it hold? (2) What is the mean value of each channel of
# the cat's input, close to 0 or close to 100? Write down your answers; the cells after your exercise
# check them.

# %% [markdown]
# ## Your turn: exercise 01 (`ex01_preprocess.py`)
#
# The next cell creates your exercise folder — `exercises/` next to this notebook's folder, or the one
# you already have — and never overwrites a file that is there. Open `ex01_preprocess.py` in
# JupyterLab's file browser, read the docstrings (they are the specification), replace each
# `raise NotImplementedError(...)` with your code and save. Then run `check("ex01")`: it grades your
# file exactly like the course's grader, in a fresh process, so there is no kernel to restart.

# %%
exercises = start_exercises()

# %%
check("ex01")

# %% [markdown]
# ## Your preprocessing draws the figure
#
# From here on the lesson uses *your* `preprocess` and `deprocess` as soon as exercise 01 passes; until
# then it uses nst_teach's and says so in one line. Re-run the cells after each fix.

# %%
preprocess = student_function("ex01", "preprocess")
deprocess = student_function("ex01", "deprocess")
x_yours = preprocess(img)
x_reference = nt.preprocess(img, "caffe")
print(f"{preprocess.source}: range {x_yours.min().item():.2f} … {x_yours.max().item():.2f}, channel means "
      f"{[round(v, 2) for v in x_yours.mean(dim=(0, 2, 3)).tolist()]};  max |yours − reference| = "
      f"{(x_yours - x_reference).abs().max().item():.2g}")
names = ["0: B − 103.939", "1: G − 116.779", "2: R − 123.68"]
viz.channel_views(x_yours, names=names, title=f"What VGG-19 receives, from {preprocess.source} preprocess")

# %%
viz.channel_views(x_reference, names=names, title="… and from nst_teach's preprocess (the reference)")

# %% [markdown]
# **Answers.** (1) Channel 0 is blue: $255\cdot B - 103.939$, so it runs from about −104 to 151.
# (2) The cat's channel means are a few tens at most, not ~100: the mean subtraction centres the
# values near 0 — for ImageNet's *average* photo exactly at 0 (the cat is browner than average).
#
# ## The round trip
#
# After optimising we must turn the network's input back into a picture: `deprocess` is the exact
# inverse (add the mean, flip BGR → RGB, divide by 255). Using the *wrong* inverse is a classic bug:
# the colours come out swapped or washed out.

# %%
back = deprocess(x_yours)
print(f"{deprocess.source} deprocess(preprocess(img)) == img:", torch.allclose(back, img, atol=1e-4))
wrong_order = img.flip(1)  # BGR shown as if it were RGB
wrong_inverse = nt.deprocess(x_reference, "torchvision").clamp(0, 1)  # Caffe input, torchvision inverse
viz.image_grid([back, wrong_order, wrong_inverse], [f"round trip ({deprocess.source})", "BGR read as RGB", "wrong inverse"], ncols=3)

# %% [markdown]
# ## Does the network notice? Activations of a wrongly prepared photo
#
# Three classic mistakes: **RGB order** (red fed where the network expects blue), **no mean**
# (0–255 but nothing subtracted) and **0–1 scale** (BGR, but values in $[0,1]$, as torchvision would
# give before its normalisation). **Predict:** which mistake will change the *early* layer `relu1_1`
# most, and which the *deep* layer `relu4_2`?
#
# The figure shows the same channels (the most active for the correct input) for all four inputs,
# with one colour scale per row, so a darker map really is a weaker response. The numbers printed
# compare each layer's whole response with the correct one by their **cosine similarity**: flatten
# both to vectors $a, b$, then $\cos(a, b) = \frac{a \cdot b}{\lVert a\rVert\,\lVert b\rVert}$, the cosine of the
# angle between them — 1 when one is a positive multiple of the other, near 0 when they share nothing.

# %%
model = nt.load_vgg19(last_layer="relu4_2")
print("weights:", model.weights_name, "| convention:", model.convention)
mean = nt.preprocess(torch.zeros_like(img), "caffe")  # the constant −(103.939, 116.779, 123.68), BGR
inputs = {
    "correct": x_yours,
    "RGB order": preprocess(img.flip(1)),  # R and B swapped before the preprocessing
    "no mean": x_yours - mean,  # 255 · BGR, nothing subtracted
    "0–1 scale": img.flip(1),  # BGR in [0, 1]
}
with torch.no_grad():
    feats = {name: nt.extract_features(model, x, ["relu1_1", "relu4_2"]) for name, x in inputs.items()}
cos = torch.nn.functional.cosine_similarity
for name in list(inputs)[1:]:
    print(f"{name:10s}", "   ".join(f"cosine with correct at {l}: {cos(feats['correct'][l].flatten(), feats[name][l].flatten(), dim=0).item():.3f}"
                                  for l in ("relu1_1", "relu4_2")))
viz.compare_features(feats, channels=3, title="The same channels, correct vs wrongly preprocessed input")

# %% [markdown]
# **Answer** (read the cosines printed above). At `relu1_1` the **RGB order** is the worst mistake
# (the lowest cosine): the first layer's filters are colour and edge detectors, and a red area now
# looks blue to them. The 0–1 input is ~255 times too weak (its `relu1_1` row is nearly black) and
# *no mean* adds a strong, nearly uniform response. Deeper, the network is more tolerant of colour:
# at `relu4_2` the swapped channels and the missing mean come closer to 1, while the 0–1 scale stays
# the furthest. None is 1: every loss of the next lessons would compare the wrong numbers.

# %% [markdown]
# ## What you should remember
# - Images are $[1, 3, H, W]$ RGB tensors in $[0, 1]$; the network input is *not*.
# - Caffe: BGR, ×255, minus (103.939, 116.779, 123.68). torchvision: RGB, minus mean, divided by std.
# - `deprocess(preprocess(img)) == img`; always use the inverse of the convention you applied.
# - Get it wrong and the activations change from the first layer on: swapped channels fool the colour
#   filters of `relu1_1`, a wrong scale carries through to the deep layers.
