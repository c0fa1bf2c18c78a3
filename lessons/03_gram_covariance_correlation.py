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
# # Lesson 3 — Gram matrix, covariance and correlation
#
# **Learning goals**
# - flatten a layer's feature maps to $F \in \mathbb{R}^{N_l \times M_l}$;
# - compute the Gram matrix $G = FF^\top$ by hand (the lecture's example) and with `nt.gram_matrix`;
# - relate it to the covariance and correlation matrices;
# - see — and check — that all three ignore *where* features occur: that is why they capture style.

# %% tags=["parameters"]
SIZE = 224

# %%
import torch
import nst_teach as nt
from nst_teach import viz

nt.lesson_setup()  # figures inline; prints which nst_teach, torch and device this notebook runs on

# %% [markdown]
# ## The lecture's worked example
#
# $$G_{ij} = \sum_k F_{ik} F_{jk}, \qquad G = F F^\top .$$
#
# With $F = \begin{pmatrix} 19 & 20 \\ 9 & 8 \end{pmatrix}$:
# $G_{11} = 19^2 + 20^2 = 761$, $G_{12} = 19\cdot 9 + 20 \cdot 8 = 331$, $G_{22} = 9^2 + 8^2 = 145$.

# %%
F = torch.tensor([[19.0, 20.0], [9.0, 8.0]])
G = nt.gram_matrix(F)
print(G)
assert torch.equal(G, torch.tensor([[761.0, 331.0], [331.0, 145.0]]))

# %% [markdown]
# ## Covariance and correlation
#
# Subtract each filter's mean over positions, $\bar F_i = \frac{1}{M}\sum_k F_{ik}$, then
#
# $$C_{ij} = \frac{1}{M-1}\sum_k (F_{ik} - \bar F_i)(F_{jk} - \bar F_j), \qquad R_{ij} = \frac{C_{ij}}{\sqrt{C_{ii}\,C_{jj}}}.$$
#
# The Gram matrix mixes "how strongly" (the means) with "how together" (the covariance); the
# correlation keeps only "how together", on a scale from −1 to 1. The lecture's 3×3 example
# (from the rounded covariances shown, $R_{12} = 4.13/\sqrt{3.16 \cdot 11.79} = 0.6766 \approx 0.68$;
# the lecture's .67 comes from its unrounded covariances or from truncating, so we check to ±0.01):

# %%
C = torch.tensor([[3.16, 4.13, 2.79], [4.13, 11.79, 4.32], [2.79, 4.32, 9.31]])
std = C.diagonal().sqrt()  # √C_ii
R = C / (std[:, None] * std[None, :])  # (3, 1) * (1, 3) → (3, 3)
print(R.round(decimals=2))
assert torch.allclose(R, torch.tensor([[1, 0.67, 0.51], [0.67, 1, 0.41], [0.51, 0.41, 1]]), atol=0.01)

# %% [markdown]
# The library's functions agree with NumPy on any data (rows = variables):

# %%
import numpy as np

data = np.random.default_rng(0).normal(size=(4, 50))  # 4 "filters", 50 "positions"
assert np.allclose(nt.covariance_matrix(data), np.cov(data))
assert np.allclose(nt.correlation_matrix(data), np.corrcoef(data))
print("covariance and correlation match np.cov and np.corrcoef")

# %% [markdown]
# ## All three for real feature maps
#
# `relu1_1` of the Starry Night style image (first 32 of its 64 filters):

# %%
model = nt.load_vgg19(last_layer="relu3_1")
style = nt.load_image("starry_night", SIZE)
with torch.no_grad():
    feats = nt.extract_features(model, nt.preprocess(style, model.convention), ["relu1_1", "relu3_1"])
F1 = feats["relu1_1"]
print("F has shape", tuple(F1.shape), "→ flattened", tuple(F1[0].reshape(F1.shape[1], -1).shape))  # (N_l, M_l)
viz.matrix_heatmaps(F1, channels=32)

# %% [markdown]
# ## The Gram matrix ignores position
#
# $G_{ij} = \sum_k F_{ik}F_{jk}$ is a sum over positions $k$: permuting the columns of $F$ (shuffling
# the positions) changes nothing. So $G$ records *which features occur together*, not *where* —
# texture and colour, not layout. Let's check it.

# %%
F3 = feats["relu3_1"]  # (1, N, H, W)
N, H, W = F3.shape[1:]
perm = torch.randperm(H * W, generator=torch.Generator().manual_seed(0))
shuffled = F3.reshape(1, N, H * W)[:, :, perm].reshape(1, N, H, W)  # same values, positions shuffled

G, G_shuffled = nt.gram_matrix(F3[0]), nt.gram_matrix(shuffled[0])
assert torch.allclose(G, G_shuffled, rtol=1e-4)
assert torch.allclose(nt.correlation_matrix(F3[0]), nt.correlation_matrix(shuffled[0]), atol=1e-4, equal_nan=True)
print("Gram and correlation unchanged by shuffling positions; max |ΔG| / max G =", ((G - G_shuffled).abs().max() / G.max()).item())
viz.feature_grid({"original": F3, "shuffled": shuffled}, channels=6, title="Same Gram matrix, different maps")

# %% [markdown]
# Careful: shuffling the *image pixels* is different — the convolutions then see other
# neighbourhoods, the features themselves change, and so does the Gram matrix:

# %%
pix = torch.randperm(style.shape[2] * style.shape[3], generator=torch.Generator().manual_seed(1))
scrambled = style.reshape(1, 3, -1)[:, :, pix].reshape(style.shape)
with torch.no_grad():
    G_scrambled = nt.gram_matrix(nt.extract_features(model, nt.preprocess(scrambled, model.convention), ["relu3_1"])["relu3_1"][0])
print("relative change of the relu3_1 Gram matrix:", round(((G_scrambled - G).norm() / G.norm()).item(), 2))

# %% [markdown]
# ## Your turn: exercise 03 (`ex03_gram.py`)
#
# Write `gram_matrix` for features $[N, M]$ and $[C, H, W]$.
#
# Create your exercise folder once with `nst-teach exercises init exercises` (in a terminal, in
# this folder), edit `exercises/ex03_gram.py`, then uncomment the next cell and run it.
# It grades your file exactly like `nst-teach grade` does.

# %%
from nst_teach.grading import check

# check("ex03")  # uncomment after `nst-teach exercises init exercises`

# %% [markdown]
# ## Recap
# - $G = FF^\top$ ($N_l \times N_l$); the lecture's $F$ gives $\begin{pmatrix}761&331\\331&145\end{pmatrix}$.
# - Covariance = Gram of the mean-centred features / $(M-1)$; correlation = covariance with unit diagonal.
# - All three sum over positions, so they are unchanged when positions are permuted: a description of style.
