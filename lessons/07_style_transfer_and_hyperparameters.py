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
# # Lesson 7 — Style transfer and its hyperparameters
#
# **Learning goals**
# - run the full algorithm: $\mathcal{L}_\text{total} = \alpha\,\mathcal{L}_\text{content} + \beta\,\mathcal{L}_\text{style}$;
# - read the effect of the style weight from a table of losses and a grid of images;
# - see the effect of the content layer, the starting image and total variation;
# - recognise a failure case and explain it.

# %% tags=["parameters"]
SIZE = 128  # pixels (eight runs: about 2–3 minutes on a 2-core CPU)
STEPS = 60  # L-BFGS steps per run

# %%
import nst_teach as nt
from nst_teach import viz

nt.lesson_setup()  # figures inline; prints which nst_teach, torch and device this notebook runs on

# %% [markdown]
# ## The whole loop
#
# $$\mathcal{L}_\text{total}(p, a, x) = \alpha\,\mathcal{L}_\text{content}(p, x) + \beta\,\mathcal{L}_\text{style}(a, x)
# \;(+\,\lambda_\text{tv}\,\mathcal{L}_\text{tv}(x))$$
#
# with the content from `relu4_2` and the style from `relu1_1 … relu5_1` ($w_l = 1/5$). We start from
# the photo and let L-BFGS move the pixels; it measures the loss of the clipped image
# $\mathrm{clip}(x, 0, 1)$, the one that will be saved.

# %%
model = nt.load_vgg19(last_layer="relu5_1")
content, style = nt.load_image("cat", SIZE), nt.load_image("starry_night", SIZE)

frames, record = viz.animation_frames(every=max(1, STEPS // 12))
result = nt.style_transfer(content, style, steps=STEPS, size=SIZE, model=model, callback=record)
print(f"α = {result.config.content_weight:g}, β = {result.config.style_weight:g}: "
      f"{len(result.history)} steps in {result.seconds:.1f} s, status {result.status}")
viz.panel(content, style, result.image)

# %%
viz.loss_curves(result)

# %%
viz.show_animation(frames)

# %% [markdown]
# ## The style weight
#
# Only the ratio $\alpha/\beta$ matters; we keep $\alpha = 1$ and change $\beta$ by factors of 10, as
# in the lecture's table. (The lecture used 1, 0.1, 0.01, 0.001 with another normalisation of the
# losses — the numbers differ, the picture is the same.) Read the table: as $\beta$ grows the style
# loss falls and the content loss rises.

# %%
BETAS = [1e-1, 1e0, 1e1, 1e2]
# β = 10 is the default: that run is `result` above, so it is reused rather than computed again.
sweep = {beta: result if beta == result.config.style_weight else
         nt.style_transfer(content, style, style_weight=beta, steps=STEPS, size=SIZE, model=model) for beta in BETAS}
print(f"{'style_weight':>12} {'steps':>6} {'total_loss':>12} {'style_loss':>12} {'content_loss':>12}")
for beta, r in sweep.items():
    h = r.history[-1]
    print(f"{beta:>12g} {h['step']:>6d} {h['total']:>12.4e} {h['style']:>12.4e} {h['content']:>12.4e}")
viz.sweep_grid([r.image for r in sweep.values()], [f"β = {b:g}" for b in sweep], title="More β: more style, less cat")

# %% [markdown]
# ## The content layer and the starting image
#
# Content from a shallow layer (`relu2_2`) keeps more of the photo's fine detail and colour edges;
# from `relu4_2` only the layout is fixed and the style may repaint the rest. Starting from noise
# instead of the photo minimises the same loss function but reaches a different (often noisier)
# result: the loss is not convex, and where the optimiser ends depends on where it starts. Compare the
# final losses of the two runs printed below.

# %%
shallow = nt.style_transfer(content, style, content_layers=("relu2_2",), steps=STEPS, size=SIZE, model=model)
from_noise = nt.style_transfer(content, style, init="noise", steps=STEPS, size=SIZE, model=model)
for label, r in [("from photo", result), ("from noise", from_noise)]:
    h = r.history[-1]
    print(f"content relu4_2, {label}: content {h['content']:.3e}  style {h['style']:.3e}  total {h['total']:.3e}")
viz.image_grid([result.image, shallow.image, from_noise.image],
               ["content relu4_2, from photo", "content relu2_2", "content relu4_2, from noise"], ncols=3)

# %% [markdown]
# ## Total variation
#
# $\mathcal{L}_\text{tv} = \sum (x_{i+1,j} - x_{i,j})^2 + (x_{i,j+1} - x_{i,j})^2$ penalises differences
# between neighbouring pixels and removes high-frequency speckle. We set $\lambda_\text{tv}$ so that
# the penalty is about 1% of the style term at the start (try 10%: the result turns to blur).

# %%
start_tv = nt.tv_loss(content).item()
tv_weight = 0.01 * result.config.style_weight * result.history[0]["style"] / start_tv
smooth = nt.style_transfer(content, style, tv_weight=tv_weight, steps=STEPS, size=SIZE, model=model)
print(f"λ_tv = {tv_weight:.2e}: tv loss of the result {nt.tv_loss(result.image).item():.1f} → {nt.tv_loss(smooth.image).item():.1f}")
viz.image_grid([result.image, smooth.image], ["λ_tv = 0", f"λ_tv = {tv_weight:.1e}"], ncols=2)

# %% [markdown]
# ## A failure case
#
# In the lecture, Oski + *Pillars of Creation* did not work — yet the same Pillars style worked well
# on a ball with a shadow. So the lecture put the blame on the content (VGG is not good at separating
# the subject from the background) or on a style that is not easy to pick up. Our version: a
# portrait with the Hubble deep field as the style.

# %%
portrait, deep_field = nt.load_image("grace_hopper", SIZE), nt.load_image("hubble_deep_field", SIZE)
failure = nt.style_transfer(portrait, deep_field, steps=STEPS, size=SIZE, model=model)
viz.panel(portrait, deep_field, failure.image, titles=("content", "style: Hubble deep field", "result"))

# %% [markdown]
# **Why?** Here the main culprit is the *style*, not the content as in the lecture. The deep field is
# mostly black with a few small, sparse galaxies. Its Gram matrices say "dark, with rare bright dots"
# — there are no strokes or repeated textures to transfer, so the style loss is best met by
# darkening the portrait and sprinkling specks on it. (VGG does not separate the subject from the
# background here either: the whole picture gets the same treatment.) To tell the two causes apart,
# do what the lecture did: try the same style on a simple content image. Style transfer works best
# with styles that have a rich, *repeated* texture at many scales.

# %% [markdown]
# ## Your turn: exercises 07 and 08
#
# - Exercise 07 (`ex07_tv_loss.py`): write the total-variation loss $\mathcal{L}_\text{tv}$ of this lesson.
# - Exercise 08 (`ex08_style_transfer.py`): put the pieces together — the style-transfer loop with
#   your own preprocessing, features and losses (exercises 01, 02, 04, 05) and your Adam step
#   (exercise 06).
#
# Create your exercise folder once with `nst-teach exercises init exercises` (in a terminal, in
# this folder), edit `exercises/ex07_tv_loss.py` and `exercises/ex08_style_transfer.py`, then
# uncomment a line of the next cell and run it. It grades each file exactly like `nst-teach grade` does.

# %%
from nst_teach.grading import check

# check("ex07")  # uncomment after `nst-teach exercises init exercises`
# check("ex08")

# %% [markdown]
# ## Recap
# - $\beta/\alpha$ trades content for style; look at both the losses and the pictures.
# - Content from deeper layers = more freedom for the style; the start image matters.
# - Total variation removes speckle; styles without repeated texture (a deep-field photo) fail.
