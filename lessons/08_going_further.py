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
# # Lesson 8 — Going further
#
# **Learning goals**
# - keep the content photo's colours (luminance-only transfer, colour histogram matching);
# - speed up and improve large results by working coarse-to-fine;
# - know where the field went next: feed-forward networks and arbitrary style transfer.

# %% tags=["parameters"]
SIZE = 160  # final size in pixels
STEPS = 50  # L-BFGS steps per run (coarse to fine: at the coarsest scale, half as many at each finer one)

# %%
import nst_teach as nt
from nst_teach import viz

nt.lesson_setup()  # figures inline; prints which nst_teach, torch and device this notebook runs on

# %% [markdown]
# ## The lecture's other examples
#
# Lecture 003 ends with results in the style of Roy Lichtenstein (*Bicentennial Print*: Ben-Day dots)
# and Paul Signac (*Cassis, Cap Lombard*: pointillism); our `ben_day` and `pointillism` are procedural
# imitations of those styles. **Predict:** which of the two will keep the astronaut's face more
# recognisable — the large, regular dots or the small, dense dabs of colour?

# %%
model = nt.load_vgg19(last_layer="relu5_1")
content = nt.load_image("astronaut", SIZE)
gallery = {name: nt.style_transfer(content, name, steps=STEPS, size=SIZE, model=model) for name in ("ben_day", "pointillism")}
viz.image_grid([content] + [nt.load_image(n, SIZE) for n in gallery] + [r.image for r in gallery.values()],
               ["photo", *gallery, *(f"result: {n}" for n in gallery)], ncols=3)

# %% [markdown]
# **Answer.** Look at the bottom row: the dense dabs of `pointillism` are small enough for the
# `relu4_2` layout to survive between them, while `ben_day`'s regular dots and flat colour fields are
# larger patterns that cover more of the face. In both, the dots are placed where the photo's
# features allow them — that is the content term at work.
#
# The rest of this lesson uses the astronaut with Starry Night:

# %%
style = nt.load_image("starry_night", SIZE)
result = nt.style_transfer(content, style, steps=STEPS, size=SIZE, model=model)
viz.panel(content, style, result.image)

# %% [markdown]
# ## Preserving colour
#
# The transfer copies the painting's palette. Gatys, Bethge, Hertzmann & Shechtman (*Preserving Color
# in Neural Artistic Style Transfer*, arXiv 2016) give two fixes — see also Gatys, Ecker, Bethge,
# Hertzmann & Shechtman, *Controlling Perceptual Factors in Neural Style Transfer* (CVPR 2017, §5).
# Both are in `nst_teach.colour`:
#
# **Luminance-only transfer.** In YIQ space ($Y = 0.299R + 0.587G + 0.114B$ is brightness, $I, Q$ colour)
# the paper runs the style transfer on luminance images alone (the style's $Y$ first matched to the
# mean and variance of the photo's) and then adds the photo's $I, Q$. `preserve_colours` is a
# simplified variant: after an ordinary full-colour run it keeps $Y$ from the stylised result and
# $I, Q$ from the photo.
#
# **Colour histogram matching.** Before the transfer, recolour the style image so that its pixels
# have the mean $\mu_c$ and covariance $\Sigma_c$ of the photo's:
# $x' = \Sigma_c^{1/2}\Sigma_s^{-1/2}(x - \mu_s) + \mu_c$.
#
# **Predict:** after colour histogram matching, will the style image still look like Starry Night?

# %%
from nst_teach.colour import match_colour_histogram, preserve_colours

luminance_only = preserve_colours(result.image, content)
matched_style = match_colour_histogram(style, content)
# The recoloured style has far less contrast, so its Gram matrices (and L_style) are much
# smaller: 100 × the default β keeps style and content in balance.
beta = 100 * nt.TransferConfig().style_weight
from_matched = nt.style_transfer(content, matched_style, steps=STEPS, size=SIZE, model=model, style_weight=beta)
viz.image_grid([result.image, luminance_only, matched_style, from_matched.image],
               ["plain", "luminance only (simplified)", "style, colour-matched", f"transfer from it (β = {beta:g})"], ncols=4)

# %% [markdown]
# ## Coarse to fine
#
# Large images are slow, and at full size the deep layers' receptive fields cover a smaller share
# of the picture, so big style structures are lost. Solve at a small size first, upsample the result
# and use it as the starting point at the next size: the optimiser only has to add detail. (Gatys et
# al., CVPR 2017, do this for high-resolution images in their section on spatial scale control.)

# %%
# Asked for: a quarter, a half and the full size; `stages` holds the image at the end of each scale
# that ran. STEPS iterations at the coarsest scale, half as many at each finer one (a finer step
# costs 4×). A scale whose image would be too small for VGG-19's poolings is skipped, so at a small
# SIZE fewer scales run: the line below says how many.
SCALES = (0.25, 0.5, 1.0)
multi = nt.style_transfer(content, style, scales=SCALES, steps=STEPS, size=SIZE, model=model)
sizes = [max(stage.shape[-2:]) for stage in multi.stages]
print(f"asked for {len(SCALES)} scales {SCALES} of {SIZE} px; ran {len(sizes)}: {sizes} px, "
      f"steps per scale {multi.config.steps_per_scale(len(sizes))}")
viz.image_grid(multi.stages, [f"{px} px" for px in sizes], ncols=3, title=f"Coarse to fine: {len(sizes)} scales")

# %% [markdown]
# On the command line: `nst-teach transfer … --scales 0.25,0.5,1`. Is it *faster*? Measure, don't assume:
# `benchmarks/time_to_quality.py` judges every run by the paper's loss on the saved image at full
# size. There, at 512 px, coarse-to-fine painted bigger swirls but reached a given total loss no
# sooner than one scale: the upsampled image lacks the photo's fine detail, and the full-size
# iterations spent rebuilding it cancel the cheap coarse ones. What did make it ~4× faster is the
# arithmetic: VGG-19 in bfloat16 with a channels-last memory layout, the losses kept in fp32
# (`nst_teach.speed.precision`), on CPUs that do bf16 in hardware. On CPUs that only have fp32, the 3×3
# convolutions by Winograd's algorithm (about 5× fewer multiplications, `nst_teach.speed.winograd`; VGG's
# filters never change, so their transforms are computed once) make each evaluation markedly cheaper
# (the README's measured numbers). Which one wins is measured on your machine at its first run
# (`nst_teach.speed.calibration`): that is the default, and the README has the numbers for three CPUs.
#
# Coarse to fine *is* the default above 512 px, for the look rather than the speed: VGG-19's receptive
# fields are fixed in pixels, so at one scale a 1024 px result gets strokes a quarter as large,
# relative to the picture, as a 256 px one — by the numbers just as stylised, to the eye almost the
# photo under a fine grain. `--scales auto` starts at 256–512 px (README, "The defaults on photos …").
#
# **Answer** (colour matching): the strokes and swirls are still there — only the palette is the
# photo's now. Colour and texture are separate statistics: that is what the two fixes exploit.

# %% [markdown]
# ## Where the field went next
#
# **Speed: feed-forward networks.** Optimising the pixels takes seconds to minutes per image.
# Johnson, Alahi & Fei-Fei (2016, *Perceptual losses for real-time style transfer*) and Ulyanov et
# al. (2016, *Texture networks*) train a separate network once per style, with *our* loss as its
# training objective; stylising is then a single forward pass, about 1000× faster. Ulyanov et al.
# later found that *instance normalisation* makes these networks much better.
#
# **Many styles in one network: conditional instance normalisation.** Dumoulin, Shlens & Kudlur
# (2016, *A learned representation for artistic style*, in lecture 003's references) showed that one
# feed-forward network can paint *many* styles: all styles share the convolution weights, and each
# style only has its own scale $\gamma_s$ and shift $\beta_s$ after every instance normalisation,
# $\gamma_s \frac{x - \mu(x)}{\sigma(x)} + \beta_s$ (another β, unrelated to the style weight). A style
# is then a few thousand numbers, and mixing two styles' $(\gamma, \beta)$ blends the paintings.
#
# **Any style: AdaIN.** Huang & Belongie (2017) observed that a feature map's per-channel mean and
# standard deviation already carry much of the style (compare the Gram and covariance matrices of
# lesson 3). *Adaptive instance normalisation* replaces the content features' statistics with the
# style's, $\mathrm{AdaIN}(x, y) = \sigma(y)\frac{x - \mu(x)}{\sigma(x)} + \mu(y)$, and a trained decoder
# turns the result into an image — arbitrary styles in real time, with no retraining.
#
# **Since then:** whitening and colouring transforms (Li et al. 2017), attention-based and
# transformer models, and diffusion models that take a style image as a condition. The losses you
# wrote — content features and Gram statistics — are still used to train and evaluate many of them.

# %% [markdown]
# ## What you should remember
# - Keep the photo's colours with luminance-only transfer or by matching the style's colour statistics.
# - Coarse-to-fine: small first, then upsample and refine; measure whether it is really faster.
# - Feed-forward (Johnson, Ulyanov), many styles per network (Dumoulin et al.) and AdaIN (Huang &
#   Belongie) trade some quality for huge speed-ups;
#   the content and Gram losses you wrote in exercises 4 and 5 still train and judge them.
