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
from nst_teach.grading import check, student_function

nt.lesson_setup()  # figures inline; prints which nst_teach, torch and device this notebook runs on

# %% [markdown]
# ## The lecture's worked example
#
# $$G_{ij} = \sum_k F_{ik} F_{jk}, \qquad G = F F^\top .$$
#
# With $F = \begin{pmatrix} 19 & 20 \\ 9 & 8 \end{pmatrix}$:
# $G_{11} = 19^2 + 20^2 = 761$, $G_{12} = 19\cdot 9 + 20 \cdot 8 = 331$, $G_{22} = 9^2 + 8^2 = 145$.
#
# **Predict, then run.** (1) Is $G$ symmetric for every $F$? (2) If you shuffle the *columns* of $F$
# (the positions), does $G$ change? (3) Which gets the larger diagonal entry, a filter that fires
# weakly everywhere or one that fires strongly in one spot? Your own function answers them below.

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
# ## Your turn: exercise 03 (`ex03_gram.py`)
#
# Write `gram_matrix`, `covariance_matrix` and `correlation_matrix` in numpy (open
# `exercises/ex03_gram.py`; `start_exercises()` creates the folder if you have none yet), then:

# %%
check("ex03")

# %% [markdown]
# From here on the lesson computes with *your* three functions as soon as exercise 03 passes.
# They are numpy functions: a feature map $[1, N, H, W]$ is flattened to $F \in \mathbb{R}^{N\times M}$ first.

# %%
import numpy as np

gram_matrix = student_function("ex03", "gram_matrix")
covariance_matrix = student_function("ex03", "covariance_matrix")
correlation_matrix = student_function("ex03", "correlation_matrix")
F = np.array([[19.0, 20.0], [9.0, 8.0]])
print("G =", gram_matrix(F).tolist(), "(the lecture: [[761, 331], [331, 145]])")
data = np.random.default_rng(0).normal(size=(4, 50))  # 4 "filters", 50 "positions"
print("matches np.cov:", np.allclose(covariance_matrix(data), np.cov(data)),
      "| matches np.corrcoef:", np.allclose(correlation_matrix(data), np.corrcoef(data)))
weak, strong = np.full(9, 1.0), np.eye(1, 9, 4)[0] * 3  # Σ weak² = 9 = Σ strong²
print("diagonal of G for a weak-everywhere and a strong-in-one-spot filter:", np.diag(gram_matrix(np.stack([weak, strong]))).tolist())

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
F1_flat = F1[0].reshape(F1.shape[1], -1).double().numpy()[:32]  # (N_l, M_l), the first 32 filters
print("F has shape", tuple(F1.shape), "→ flattened", tuple(F1[0].reshape(F1.shape[1], -1).shape))
# Drawn by your three functions, with the same colour scales as the reference's figure below:
viz.matrix_heatmaps(F1_flat, functions=(gram_matrix, covariance_matrix, correlation_matrix),
                    title=f"relu1_1 of Starry Night, first 32 filters: {gram_matrix.source}")

# %%
viz.matrix_heatmaps(F1, channels=32, title="… and nst_teach's (the reference): the two should look the same")

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

flat = lambda F: F[0].reshape(F.shape[1], -1).double().numpy()  # (N, M)
G, G_shuffled = gram_matrix(flat(F3)), gram_matrix(flat(shuffled))
print("symmetric:", np.allclose(G, G.T), "| unchanged by shuffling the positions:", np.allclose(G, G_shuffled, rtol=1e-6),
      "| correlation too:", np.allclose(correlation_matrix(flat(F3)), correlation_matrix(flat(shuffled)), equal_nan=True))
viz.feature_grid({"original": F3, "shuffled": shuffled}, channels=6, title="Same Gram matrix, different maps")

# %% [markdown]
# Careful: shuffling the *image pixels* is different — the convolutions then see other
# neighbourhoods, the features themselves change, and so does the Gram matrix:

# %%
pix = torch.randperm(style.shape[2] * style.shape[3], generator=torch.Generator().manual_seed(1))
scrambled = style.reshape(1, 3, -1)[:, :, pix].reshape(style.shape)
with torch.no_grad():
    G_scrambled = gram_matrix(flat(nt.extract_features(model, nt.preprocess(scrambled, model.convention), ["relu3_1"])["relu3_1"]))
print("relative change of the relu3_1 Gram matrix:", round(float(np.linalg.norm(G_scrambled - G) / np.linalg.norm(G)), 2))

# %% [markdown]
# **Answers.** (1) Yes: $G_{ij} = \sum_k F_{ik}F_{jk} = G_{ji}$. (2) No: the sum over $k$ does not care
# about the order of the positions (checked above). (3) Neither: both have $\sum_k F_{ik}^2 = 9$.
# The Gram matrix cannot tell "weak everywhere" from "strong in one spot" — the covariance can
# (the second filter varies, the first does not), which is why lesson 8's AdaIN uses means and variances.
#
# ## What you should remember
# - $G = FF^\top$ ($N_l \times N_l$); the lecture's $F$ gives $\begin{pmatrix}761&331\\331&145\end{pmatrix}$.
# - Covariance = Gram of the mean-centred features / $(M-1)$; correlation = covariance with unit diagonal.
# - All three sum over positions, so they are unchanged when positions are permuted: a description of style.
