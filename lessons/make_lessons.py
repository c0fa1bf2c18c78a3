"""Build the lesson notebooks (lessons/0N_*.ipynb) from the Python source below.

The notebooks are generated, so a change to a lesson is a readable diff of this file; they are
written without outputs (run them in JupyterLab, or headless in CI by tests/test_notebooks.py).

    python lessons/make_lessons.py          # rewrite every notebook next to this file

Each lesson is a list of cells: ``md(...)`` for Markdown (LaTeX math between $…$), ``code(...)``
for code, and ``params(...)`` for the single cell tagged "parameters" at the top (image size and
step counts: small in CI, class size here). Notebooks only *call* nst_teach; nothing is copied.
"""

import sys
from pathlib import Path
from textwrap import dedent

import nbformat

HERE = Path(__file__).resolve().parent


def md(text):
    return nbformat.v4.new_markdown_cell(dedent(text).strip())


def code(text):
    return nbformat.v4.new_code_cell(dedent(text).strip())


def params(text):
    cell = code(text)
    cell.metadata["tags"] = ["parameters"]
    return cell


def setup():
    """The import cell every lesson starts with (a new cell each time: `build` sets each cell's id)."""
    return code("""
        %matplotlib inline
        import torch
        import nst_teach as nt
        from nst_teach import viz
    """)


def your_turn(number, name, what):
    """The "your turn" pair of cells: the instruction, then the (commented) grader call."""
    return [
        md(f"""
        ## Your turn: exercise {number:02d} (`ex{number:02d}_{name}.py`)

        {what}

        Create your exercise folder once with `nst-teach exercises init exercises` (in a terminal, in
        this folder), edit `exercises/ex{number:02d}_{name}.py`, then uncomment the next cell and run it.
        It grades your file exactly like `nst-teach grade` does.
        """),
        code(f"""
        from nst_teach.grading import check

        # check("ex{number:02d}")  # uncomment after `nst-teach exercises init exercises`
        """),
    ]


# ============================================================================= lesson 1
LESSON_1 = [
    md("""
    # Lesson 1 — Images and preprocessing for VGG-19

    **Learning goals**
    - know how an image is stored in `nst_teach`: a tensor $[1, 3, H, W]$, RGB, values in $[0, 1]$;
    - understand *why* a pretrained network needs exactly the preprocessing it was trained with;
    - apply the two conventions — Caffe (used by Gatys et al. and Keras) and torchvision — and undo them;
    - look at each channel of the network's input.
    """),
    params("""
    SIZE = 256  # longest side of the images, in pixels
    """),
    setup(),
    md("""
    ## An image is a tensor

    `nt.load_image` takes a file path or a sample name (`nst-teach samples` lists them) and returns a
    float tensor with a batch axis of 1: shape $[1, 3, H, W]$ (channels first, as PyTorch wants).
    """),
    code("""
    img = nt.load_image("cat", SIZE)
    print("shape", tuple(img.shape), "dtype", img.dtype, "range", round(img.min().item(), 3), "…", round(img.max().item(), 3))
    viz.channel_views(img, title="The cat and its three channels (R, G, B)")
    """),
    md(r"""
    ## Why preprocessing matters

    VGG-19 learnt its filters on ImageNet photos that were prepared in one exact way. Its first
    layer computes $\sum w \cdot x + b$ with weights tuned to *those* numbers: feed it values on another
    scale, or with red and blue swapped, and every later layer sees inputs it has never seen.

    **Caffe** (the original Oxford weights; what the paper and Keras use; our default weights):

    $$x = \mathrm{BGR}(255 \cdot \text{img}) - (103.939,\ 116.779,\ 123.68)$$

    i.e. scale to 0–255, reverse the channel order (channel 0 is **blue**), subtract the mean
    ImageNet pixel of each channel. **torchvision** (PyTorch's re-trained weights):

    $$x = (\text{img} - (0.485, 0.456, 0.406)) \;/\; (0.229, 0.224, 0.225)$$

    RGB order, divided by the standard deviation. `model.convention` tells you which one a model needs.
    """),
    code("""
    x_caffe = nt.preprocess(img, "caffe")
    x_tv = nt.preprocess(img, "torchvision")
    for name, x in [("caffe", x_caffe), ("torchvision", x_tv)]:
        print(f"{name:12s} range {x.min().item():8.2f} … {x.max().item():7.2f}   channel means {[round(v, 2) for v in x.mean(dim=(0, 2, 3)).tolist()]}")
    viz.channel_views(x_caffe, names=["0: B − 103.939", "1: G − 116.779", "2: R − 123.68"],
                      title="What VGG-19 (Caffe weights) receives: BGR, 0–255, mean subtracted")
    """),
    md("""
    ## The round trip

    After optimising we must turn the network's input back into a picture: `deprocess` is the exact
    inverse (add the mean, flip BGR → RGB, divide by 255). Using the *wrong* inverse is a classic bug:
    the colours come out swapped or washed out.
    """),
    code("""
    assert torch.allclose(nt.deprocess(x_caffe, "caffe"), img, atol=1e-5)
    assert torch.allclose(nt.deprocess(x_tv, "torchvision"), img, atol=1e-5)
    print("round trip OK for both conventions")

    wrong_order = img.flip(1)  # BGR shown as if it were RGB
    wrong_inverse = nt.deprocess(x_caffe, "torchvision").clamp(0, 1)  # Caffe input, torchvision inverse
    viz.image_grid([img, wrong_order, wrong_inverse], ["correct", "BGR read as RGB", "wrong inverse"], ncols=3)
    """),
    md("""
    ## Does the network notice?

    Compare VGG-19's deep features (`relu4_2`) of the correctly preprocessed cat with those of the
    same photo fed with the channels swapped. The *cosine similarity* is 1 for identical responses.
    """),
    code("""
    model = nt.load_vgg19(last_layer="relu4_2")
    print("weights:", model.weights_name, "| convention:", model.convention)
    with torch.no_grad():
        good = nt.extract_features(model, nt.preprocess(img, model.convention), ["relu4_2"])["relu4_2"]
        swapped = nt.extract_features(model, nt.preprocess(img.flip(1), model.convention), ["relu4_2"])["relu4_2"]
        unscaled = nt.extract_features(model, img.flip(1), ["relu4_2"])["relu4_2"]  # 0–1 values, no mean
    cos = torch.nn.functional.cosine_similarity
    print("cosine(correct, channels swapped) =", round(cos(good.flatten(), swapped.flatten(), dim=0).item(), 3))
    print("cosine(correct, no scaling/mean)  =", round(cos(good.flatten(), unscaled.flatten(), dim=0).item(), 3))
    """),
    *your_turn(1, "preprocess", "Write `preprocess` and `deprocess` for the Caffe convention yourself."),
    md("""
    ## Recap
    - Images are $[1, 3, H, W]$ RGB tensors in $[0, 1]$; the network input is *not*.
    - Caffe: BGR, ×255, minus (103.939, 116.779, 123.68). torchvision: RGB, minus mean, divided by std.
    - `deprocess(preprocess(img)) == img`; always use the inverse of the convention you applied.
    - Get it wrong and the features change: the losses of the next lessons would compare the wrong things.
    """),
]

# ============================================================================= lesson 2
LESSON_2 = [
    md("""
    # Lesson 2 — VGG-19 and its feature maps

    **Learning goals**
    - read VGG-19's architecture: 16 convolutions in 5 blocks, with pooling in between;
    - compute output shapes, parameter counts and receptive fields layer by layer;
    - extract and look at the feature maps $F^l$ of a photo at several depths;
    - explain what early and late layers respond to.
    """),
    params("""
    SIZE = 224  # VGG-19 was trained on 224×224 crops
    """),
    setup(),
    md(r"""
    ## The architecture as a table

    Every convolution is $3\times3$ with padding 1 (the size is kept) followed by a ReLU; every block
    ends with a $2\times2$ max-pool (the size halves). Layer $l$ has $N_l$ filters, so its response is
    $N_l$ feature maps of $M_l = H_l \cdot W_l$ positions.

    The **receptive field** $r$ of a unit is the input patch it depends on. With kernel size $k$,
    stride $s$ and *jump* $j$ (the input distance between neighbouring units):

    $$r_\text{out} = r_\text{in} + (k-1)\, j_\text{in}, \qquad j_\text{out} = j_\text{in} \cdot s, \qquad r_0 = j_0 = 1.$$
    """),
    code("""
    from nst_teach.anatomy import architecture, format_table, receptive_field

    table = architecture(SIZE)
    print(format_table(table, kinds=("relu", "pool")))
    assert receptive_field("relu1_1") == 3 and receptive_field("pool1") == 6 and receptive_field("conv5_4") == 252
    """),
    code("""
    viz.receptive_field_chart(table)
    """),
    md("""
    A unit of `relu1_1` sees 3×3 pixels: it can only detect colours and tiny edges. A unit of
    `relu5_1` sees 156×156 pixels — most of the image — so it can respond to whole eyes or faces.
    (The *effective* receptive field, where the unit is really sensitive, is smaller and roughly
    Gaussian: pixels near the centre matter most.)

    ## Feature maps of a photo

    `extract_features` runs the image through the network once and keeps the layers we ask for.
    """),
    code("""
    LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
    model = nt.load_vgg19(last_layer="relu5_1")
    img = nt.load_image("cat", SIZE)
    with torch.no_grad():
        feats = nt.extract_features(model, nt.preprocess(img, model.convention), LAYERS)
    for name, F in feats.items():
        _, N, H, W = F.shape
        zeros = (F == 0).float().mean().item()
        print(f"{name}: N_l = {N:3d} filters, M_l = {H}×{W} = {H * W:5d} positions, {zeros:.0%} of the values are 0 (ReLU)")
    """),
    code("""
    viz.feature_grid(feats, channels=8, title="The 8 most active feature maps per layer")
    """),
    md("""
    ## The most active channels of one layer

    "Most active" = largest mean activation $\\frac{1}{M_l}\\sum_k F_{ik}$ over the image. Look for
    channels of `relu3_1` that may respond to the cat's fur stripes, whiskers or eye contours (and
    for others whose pattern has no simple name):
    """),
    code("""
    viz.feature_grid(feats["relu3_1"], channels=16, title="relu3_1: the 16 most active of 256 channels")
    """),
    md("""
    ## Early vs late layers

    - **Early** (`relu1_1`, `relu2_1`): full resolution, small receptive fields; they look like
      edge and colour filters — the image is still recognisable in them.
    - **Late** (`relu4_1`, `relu5_1`): coarse grids, sparse; each unit fires for a large, specific
      pattern (an eye, an ear), wherever it is. This is why *content* is taken from a late layer and
      *style* from many layers.

    Explore on your own: pick an image, a layer and a channel (needs `ipywidgets`; without it you get
    a static grid).
    """),
    code("""
    viz.interactive_viewer(images=("cat", "astronaut", "starry_night"), layers=LAYERS, size=min(SIZE, 160), model=model)
    """),
    *your_turn(2, "features", "Write the loop that runs an image through the layers and keeps the requested feature maps."),
    md("""
    ## Recap
    - VGG-19: 16 conv (3×3) + ReLU, 5 max-pools; $N_l$ = 64, 128, 256, 512, 512; 20 M parameters.
    - Receptive field: $r \\leftarrow r + (k-1)j$, $j \\leftarrow js$; 3 px at relu1_1, 252 px at conv5_4.
    - A layer's response is $F^l \\in \\mathbb{R}^{N_l \\times M_l}$: early layers = local colour/edges, late = objects.
    """),
]

# ============================================================================= lesson 3
LESSON_3 = [
    md(r"""
    # Lesson 3 — Gram matrix, covariance and correlation

    **Learning goals**
    - flatten a layer's feature maps to $F \in \mathbb{R}^{N_l \times M_l}$;
    - compute the Gram matrix $G = FF^\top$ by hand (the lecture's example) and with `nt.gram_matrix`;
    - relate it to the covariance and correlation matrices;
    - see — and check — that all three ignore *where* features occur: that is why they capture style.
    """),
    params("""
    SIZE = 224
    """),
    setup(),
    md(r"""
    ## The lecture's worked example

    $$G_{ij} = \sum_k F_{ik} F_{jk}, \qquad G = F F^\top .$$

    With $F = \begin{pmatrix} 19 & 20 \\ 9 & 8 \end{pmatrix}$:
    $G_{11} = 19^2 + 20^2 = 761$, $G_{12} = 19\cdot 9 + 20 \cdot 8 = 331$, $G_{22} = 9^2 + 8^2 = 145$.
    """),
    code("""
    F = torch.tensor([[19.0, 20.0], [9.0, 8.0]])
    G = nt.gram_matrix(F)
    print(G)
    assert torch.equal(G, torch.tensor([[761.0, 331.0], [331.0, 145.0]]))
    """),
    md(r"""
    ## Covariance and correlation

    Subtract each filter's mean over positions, $\bar F_i = \frac{1}{M}\sum_k F_{ik}$, then

    $$C_{ij} = \frac{1}{M-1}\sum_k (F_{ik} - \bar F_i)(F_{jk} - \bar F_j), \qquad R_{ij} = \frac{C_{ij}}{\sqrt{C_{ii}\,C_{jj}}}.$$

    The Gram matrix mixes "how strongly" (the means) with "how together" (the covariance); the
    correlation keeps only "how together", on a scale from −1 to 1. The lecture's 3×3 example
    (from the rounded covariances shown, $R_{12} = 4.13/\sqrt{3.16 \cdot 11.79} = 0.6766 \approx 0.68$;
    the lecture's .67 comes from its unrounded covariances or from truncating, so we check to ±0.01):
    """),
    code("""
    C = torch.tensor([[3.16, 4.13, 2.79], [4.13, 11.79, 4.32], [2.79, 4.32, 9.31]])
    std = C.diagonal().sqrt()  # √C_ii
    R = C / (std[:, None] * std[None, :])  # (3, 1) * (1, 3) → (3, 3)
    print(R.round(decimals=2))
    assert torch.allclose(R, torch.tensor([[1, 0.67, 0.51], [0.67, 1, 0.41], [0.51, 0.41, 1]]), atol=0.01)
    """),
    md("The library's functions agree with NumPy on any data (rows = variables):"),
    code("""
    import numpy as np

    data = np.random.default_rng(0).normal(size=(4, 50))  # 4 "filters", 50 "positions"
    assert np.allclose(nt.covariance_matrix(data), np.cov(data))
    assert np.allclose(nt.correlation_matrix(data), np.corrcoef(data))
    print("covariance and correlation match np.cov and np.corrcoef")
    """),
    md("""
    ## All three for real feature maps

    `relu1_1` of the Starry Night style image (first 32 of its 64 filters):
    """),
    code("""
    model = nt.load_vgg19(last_layer="relu3_1")
    style = nt.load_image("starry_night", SIZE)
    with torch.no_grad():
        feats = nt.extract_features(model, nt.preprocess(style, model.convention), ["relu1_1", "relu3_1"])
    F1 = feats["relu1_1"]
    print("F has shape", tuple(F1.shape), "→ flattened", tuple(F1[0].reshape(F1.shape[1], -1).shape))  # (N_l, M_l)
    viz.matrix_heatmaps(F1, channels=32)
    """),
    md(r"""
    ## The Gram matrix ignores position

    $G_{ij} = \sum_k F_{ik}F_{jk}$ is a sum over positions $k$: permuting the columns of $F$ (shuffling
    the positions) changes nothing. So $G$ records *which features occur together*, not *where* —
    texture and colour, not layout. Let's check it.
    """),
    code("""
    F3 = feats["relu3_1"]  # (1, N, H, W)
    N, H, W = F3.shape[1:]
    perm = torch.randperm(H * W, generator=torch.Generator().manual_seed(0))
    shuffled = F3.reshape(1, N, H * W)[:, :, perm].reshape(1, N, H, W)  # same values, positions shuffled

    G, G_shuffled = nt.gram_matrix(F3[0]), nt.gram_matrix(shuffled[0])
    assert torch.allclose(G, G_shuffled, rtol=1e-4)
    assert torch.allclose(nt.correlation_matrix(F3[0]), nt.correlation_matrix(shuffled[0]), atol=1e-4, equal_nan=True)
    print("Gram and correlation unchanged by shuffling positions; max |ΔG| / max G =", ((G - G_shuffled).abs().max() / G.max()).item())
    viz.feature_grid({"original": F3, "shuffled": shuffled}, channels=6, title="Same Gram matrix, different maps")
    """),
    md("""
    Careful: shuffling the *image pixels* is different — the convolutions then see other
    neighbourhoods, the features themselves change, and so does the Gram matrix:
    """),
    code("""
    pix = torch.randperm(style.shape[2] * style.shape[3], generator=torch.Generator().manual_seed(1))
    scrambled = style.reshape(1, 3, -1)[:, :, pix].reshape(style.shape)
    with torch.no_grad():
        G_scrambled = nt.gram_matrix(nt.extract_features(model, nt.preprocess(scrambled, model.convention), ["relu3_1"])["relu3_1"][0])
    print("relative change of the relu3_1 Gram matrix:", round(((G_scrambled - G).norm() / G.norm()).item(), 2))
    """),
    *your_turn(3, "gram", "Write `gram_matrix` for features $[N, M]$ and $[C, H, W]$."),
    md("""
    ## Recap
    - $G = FF^\\top$ ($N_l \\times N_l$); the lecture's $F$ gives $\\begin{pmatrix}761&331\\\\331&145\\end{pmatrix}$.
    - Covariance = Gram of the mean-centred features / $(M-1)$; correlation = covariance with unit diagonal.
    - All three sum over positions, so they are unchanged when positions are permuted: a description of style.
    """),
]

# ============================================================================= lesson 4
LESSON_4 = [
    md(r"""
    # Lesson 4 — The content representation

    **Learning goals**
    - write the content loss $\mathcal{L}_\text{content} = \frac12\sum_{ij}(F^l_{ij} - P^l_{ij})^2$;
    - reconstruct a photo from white noise using the features of *one* layer only;
    - see which information each depth keeps (Gatys et al. 2016, Fig. 1, bottom row).
    """),
    params("""
    SIZE = 160  # pixels
    STEPS = 60  # L-BFGS-B steps per reconstruction
    """),
    setup(),
    md(r"""
    ## The content loss

    Let $p$ be the photo and $x$ the image we generate; $P^l$ and $F^l$ their features at layer $l$
    ($N_l \times M_l$). The content loss and its gradient with respect to the features are

    $$\mathcal{L}_\text{content}(p, x, l) = \frac12 \sum_{i,j} \left(F^l_{ij} - P^l_{ij}\right)^2, \qquad
    \frac{\partial \mathcal{L}_\text{content}}{\partial F^l_{ij}} = F^l_{ij} - P^l_{ij}.$$

    Our $F^l$ is taken *after* the ReLU, so this holds everywhere. The paper's extra condition "if
    $F^l_{ij} > 0$" (else 0) appears one step further back: the ReLU passes the gradient on to its input,
    the pre-activation, only where its output is positive. Back-propagation carries the gradient down
    to the pixels of $x$. We start from white noise and let L-BFGS-B minimise the content loss alone
    ($\beta = 0$): whatever the result shares with the photo is what layer $l$ "knows".

    > **Notation.** The paper's `conv4_2` is the output of Caffe's in-place ReLU, i.e. our `relu4_2`;
    > so the paper's conv1_2 … conv5_2 are our relu1_2 … relu5_2. Lecture 004 writes the content loss
    > without the $\frac12$, lecture 001 as a mean $\frac1n\sum(F-P)^2$, lecture 003 with $\alpha$ inside
    > the square: these differ from the paper's only by constant factors, which $\alpha$ and $\beta$ absorb.
    > *Pooling:* for its figures the paper replaced max-pooling by average pooling; we default to max —
    > try `nt.load_vgg19(last_layer="relu5_2", pool="avg")` below to compare.
    """),
    code("""
    from nst_teach.reconstruct import CONTENT_LAYERS, reconstruct_content

    model = nt.load_vgg19(last_layer="relu5_2")
    photo = nt.load_image("cat", SIZE)
    runs = {layer: reconstruct_content(photo, layer, steps=STEPS, model=model) for layer in CONTENT_LAYERS}
    for layer, r in runs.items():
        print(f"{layer}: content loss {r.history[0]['content']:.3g} → {r.history[-1]['content']:.3g} in {r.seconds:.1f} s")
    """),
    code("""
    viz.image_grid([photo] + [r.image for r in runs.values()], ["photo", *runs], ncols=3,
                   title="Reconstructions from one layer each")
    """),
    md("""
    Shallow layers give back the picture closest to the photo, and the error grows with depth (see the
    numbers below; white noise itself is further still). From `relu4_2` and `relu5_2` the cat is still
    there — eyes, nose, the layout — but the exact pixels, colours and fine texture are gone: the
    deep layers keep *what* is where, not *how* it looks. That is exactly what we want from content.
    """),
    code("""
    from nst_teach.transfer import initial_image

    start = initial_image(photo, photo, "noise", seed=0)  # the white noise every reconstruction starts from
    errors = {layer: (r.image - photo).abs().mean().item() for layer, r in runs.items()}
    errors["noise (start)"] = (start - photo).abs().mean().item()
    for layer, e in errors.items():
        print(f"{layer}: mean absolute pixel error {e:.3f}")
    viz.loss_curves({layer: r for layer, r in runs.items()}, keys=["content"], title="Content loss per step")
    """),
    *your_turn(4, "content_loss", "Write the content loss $\\frac12\\sum(F-P)^2$."),
    md("""
    ## Recap
    - $\\mathcal{L}_\\text{content} = \\frac12\\sum(F^l - P^l)^2$ compares features position by position.
    - Reconstructions from deep layers keep the objects and layout, lose the pixels: that is "content".
    - Style transfer takes the content from `relu4_2` (the paper's conv4_2).
    """),
]

# ============================================================================= lesson 5
LESSON_5 = [
    md(r"""
    # Lesson 5 — The style representation

    **Learning goals**
    - write the style loss $E_l$ of one layer and the total $\mathcal{L}_\text{style}=\sum_l w_l E_l$;
    - synthesise a texture from white noise using Gram matrices only;
    - see larger structures appear as deeper layers are added (Gatys et al. 2016, Fig. 1, top row).
    """),
    params("""
    SIZE = 160  # pixels
    STEPS = 60  # L-BFGS-B steps per texture
    """),
    setup(),
    md(r"""
    ## The style loss

    $a$ is the style image, $x$ the generated one; $A^l$ and $G^l$ their Gram matrices at layer $l$:

    $$E_l = \frac{1}{4 N_l^2 M_l^2} \sum_{i,j} \left(G^l_{ij} - A^l_{ij}\right)^2, \qquad
    \mathcal{L}_\text{style}(a, x) = \sum_{l} w_l E_l, \quad w_l = \frac{1}{|S|}\ \text{for } l \in S.$$

    The factor $\frac{1}{4N_l^2M_l^2}$ removes the dependence on $N_l$ and $M_l$: $E_l$ hardly changes
    when the image gets bigger. It does *not* remove the layers' different activation scales: from
    noise, $E_l$ is about $10^5$–$10^6$ at `relu1_1` but about $10^{11}$ at `relu4_1` (see the table at
    the end of this lesson), so with $w_l = 1/5$ `relu4_1` dominates $\mathcal{L}_\text{style}$. Because
    $G$ ignores position (lesson 3), minimising $\mathcal{L}_\text{style}$ from noise produces a
    *texture*: the statistics of the painting, rearranged.

    > **Notation.** Lecture 004 says $A$ is the Gram matrix of "the target image P"; it is the Gram
    > matrix of the *style* image $a$ ($P$ is the photo's features, lesson 4). The lecture's style layers
    > `block1_conv1` … `block5_conv1` are our `relu1_1` … `relu5_1` (a Keras conv layer includes its
    > ReLU). Lecture 003 writes $\beta$ inside the square: a constant factor, absorbed into $\beta$.
    > *Pooling:* the paper's textures use average pooling; we default to max — try
    > `nt.load_vgg19(last_layer="relu5_1", pool="avg")` below to compare.
    """),
    code("""
    from nst_teach.reconstruct import STYLE_LAYER_SETS, synthesize_texture

    model = nt.load_vgg19(last_layer="relu5_1")
    style = nt.load_image("starry_night", SIZE)
    textures = [synthesize_texture(style, layers, steps=STEPS, model=model) for layers in STYLE_LAYER_SETS]
    labels = ["relu1_1"] + ["+ " + layers[-1] for layers in STYLE_LAYER_SETS[1:]]
    for label, t in zip(labels, textures):
        print(f"{label:10s} style loss {t.history[0]['style']:.3g} → {t.history[-1]['style']:.3g} in {t.seconds:.1f} s")
    """),
    code("""
    viz.image_grid([style] + [t.image for t in textures], ["style image", *labels], ncols=3,
                   title="Textures from growing sets of style layers")
    """),
    md("""
    With `relu1_1` alone we get the colours and a fine grain, but no strokes. Each added layer has a
    larger receptive field (lesson 2), so its Gram matrix describes larger patterns: swirls and brush
    strokes appear from `relu3_1` on. That is why style is taken from all five layers.

    ## Did the statistics match?

    Compare $E_l$ of the final texture (all five layers) with $E_l$ of the noise we started from:
    """),
    code("""
    from nst_teach.transfer import initial_image

    layers = STYLE_LAYER_SETS[-1]
    noise = initial_image(style, style, "noise", seed=0)  # the white noise every texture starts from
    with torch.no_grad():
        A = {l: nt.gram_matrix(F[0]) for l, F in nt.extract_features(model, nt.preprocess(style, model.convention), layers).items()}
        for name, x in [("noise", noise), ("texture", textures[-1].image)]:
            F = nt.extract_features(model, nt.preprocess(x, model.convention), layers)
            print(f"{name:8s}", "  ".join(f"{l}: {nt.style_layer_loss(F[l], A[l]).item():.2e}" for l in layers))
    """),
    *your_turn(5, "style_loss", "Write $E_l$ and $\\mathcal{L}_\\text{style}$."),
    md("""
    ## Recap
    - $E_l = \\frac{1}{4N_l^2M_l^2}\\sum(G^l - A^l)^2$, $\\mathcal{L}_\\text{style} = \\sum_l w_l E_l$.
    - Matching Gram matrices from noise gives a texture: same statistics, new arrangement.
    - Deeper layers add larger structures; the paper uses relu1_1 … relu5_1 with $w_l = 1/5$.
    """),
]

# ============================================================================= lesson 6
LESSON_6 = [
    md(r"""
    # Lesson 6 — Losses and gradient descent by hand

    **Learning goals**
    - picture a loss surface and the path an optimiser takes on it;
    - see what a learning rate that is too small or too large does;
    - write one step of gradient descent, momentum and Adam, and compare them with L-BFGS;
    - compare the optimisers on style transfer itself: loss per step and time per step.
    """),
    params("""
    SIZE = 128  # pixels, for the style-transfer comparison
    STEPS = 40  # steps per optimiser
    SCALES = (1,)  # one scale, the classic algorithm (lesson 8: coarse to fine, the tool's default)
    TOY_STEPS = 40  # steps on the 2-parameter toy problem
    """),
    setup(),
    md(r"""
    ## A two-parameter toy

    Style transfer optimises ~100 000 pixels; to *see* an optimiser we use two parameters
    $x = (x_1, x_2)$ and an elongated bowl, minimum at $(0.7, 0.3)$:

    $$f(x) = \tfrac12\left(1\cdot(x_1 - 0.7)^2 + 20\,(x_2 - 0.3)^2\right).$$

    The updates (learning rate $\eta$, gradient $g = \nabla f(x)$):

    | method | update |
    |---|---|
    | gradient descent | $x \leftarrow x - \eta g$ |
    | momentum | $v \leftarrow \mu v + g,\quad x \leftarrow x - \eta v$ |
    | Adam | $m \leftarrow \beta_1 m + (1-\beta_1) g,\ s \leftarrow \beta_2 s + (1-\beta_2) g^2,\ x \leftarrow x - \eta\, \hat m / (\sqrt{\hat s} + \epsilon)$ |
    """),
    code("""
    from nst_teach.optim import AdamState

    TARGET = torch.tensor([0.7, 0.3], dtype=torch.float64)
    CURVATURE = torch.tensor([1.0, 20.0], dtype=torch.float64)


    def f(x):
        return 0.5 * (CURVATURE * (x - TARGET) ** 2).sum()


    def descend(update, steps=TOY_STEPS, start=(0.05, 0.95)):
        \"\"\"Apply update(x, g, state) → (x, state) `steps` times from `start`; return the path [T, 2].\"\"\"
        x, state, path = torch.tensor(start, dtype=torch.float64), None, []
        path.append(x)
        for _ in range(steps):
            x = x.clone().requires_grad_(True)
            (g,) = torch.autograd.grad(f(x), x)
            x, state = update(x.detach(), g, state)
            path.append(x)
        return torch.stack(path)
    """),
    md("""
    ## The learning rate

    Along $x_2$ the curvature is 20, so gradient descent is stable only for $\\eta < 2/20 = 0.1$;
    along $x_1$ (curvature 1) a small $\\eta$ crawls.
    """),
    code("""
    gd_paths = {f"η = {lr}": descend(lambda x, g, s, lr=lr: (nt.gradient_descent_step(x, g, lr), s)) for lr in (0.01, 0.09, 0.104)}
    for label, path in gd_paths.items():
        print(f"gradient descent {label}: f = {f(path[-1]).item():.2e} after {TOY_STEPS} steps")
    viz.optimisation_paths(f, gd_paths, title="Gradient descent: too small, about right, too large")
    """),
    md("## Momentum, Adam and L-BFGS"),
    code("""
    from nst_teach.optim import lbfgsb


    def momentum(x, g, v, lr=0.01):
        return nt.momentum_step(x, g, torch.zeros_like(x) if v is None else v, lr, momentum=0.9)


    def adam(x, g, state, lr=0.05):
        return nt.adam_step(x, g, state or AdamState.zeros_like(x), lr)


    def lbfgs_path(steps=TOY_STEPS, start=(0.05, 0.95)):
        x0, path = torch.tensor(start, dtype=torch.float64), [torch.tensor(start, dtype=torch.float64)]

        def f_and_grad(x):
            x = x.double().requires_grad_(True)
            value = f(x)
            (g,) = torch.autograd.grad(value, x)
            return value.item(), g

        lbfgsb(f_and_grad, x0, steps, lambda x: path.append(x.double()) or False)  # bounds [0, 1] are harmless here
        return torch.stack(path)


    paths = {"gradient descent η=0.09": gd_paths["η = 0.09"], "momentum": descend(momentum), "Adam": descend(adam), "L-BFGS-B": lbfgs_path()}
    for label, path in paths.items():
        print(f"{label:24s} f = {f(path[-1]).item():.2e} after {len(path) - 1} steps")
    viz.optimisation_paths(f, paths, title="Four optimisers on the same bowl")
    """),
    md("""
    Momentum builds up speed along the shallow direction; Adam divides each coordinate by its own
    gradient scale, so both directions move at a similar pace; L-BFGS estimates the curvature from
    past gradients and lands on the minimum of a quadratic in a few steps.

    ## On style transfer itself

    The same four methods on the real problem. The gradient of the style loss with respect to the
    pixels is huge (the Caffe input is on a 0–255 scale and the losses are sums), so plain gradient
    descent needs a learning rate matched to that scale; Adam does not (it normalises by $\\sqrt{\\hat s}$).
    """),
    code("""
    from nst_teach.transfer import StyleTransferLoss, TransferConfig

    model = nt.load_vgg19(last_layer="relu5_1")
    content, style = nt.load_image("cat", SIZE), nt.load_image("starry_night", SIZE)

    x = content.clone().requires_grad_(True)
    total, parts = StyleTransferLoss(model, content, style, TransferConfig())(x)
    total.backward()
    scale = x.grad.abs().mean().item()
    print(f"mean |∂L/∂x| at the start: {scale:.2e}  → gradient descent needs η ≈ 0.01 / {scale:.1e}")

    # nst_teach's default η: for gd and momentum it is set from the first gradient so that the first
    # step moves a pixel by ~0.01 (0.001); Adam has a fixed η; L-BFGS needs none (None).
    lrs = {name: TransferConfig(optimizer=name).learning_rate(x.grad) for name in ("gd", "momentum", "adam", "lbfgs")}
    print("η:", ", ".join(f"{name} {'none (line search)' if lr is None else f'{lr:.2e}'}" for name, lr in lrs.items()))
    results = {name: nt.style_transfer(content, style, optimizer=name, lr=lr, steps=STEPS, scales=SCALES, model=model) for name, lr in lrs.items()}
    for name, r in results.items():
        print(f"{name:9s} final total loss {r.history[-1]['total']:.3e}   {1000 * r.seconds / len(r.history):6.0f} ms per step")
    viz.loss_curves(results, keys=["total"], title="Style transfer: total loss per step")
    """),
    code("""
    viz.image_grid([r.image for r in results.values()], list(results), ncols=4, title=f"After {STEPS} steps")
    """),
    md("""
    L-BFGS's steps cost a bit more (its line search sometimes evaluates the loss twice) but it gets
    much further per step — which is why Gatys et al. and `nst_teach.style_transfer` use it by default.
    """),
    *your_turn(7, "gradient_descent", "Write the plain gradient-descent loop $x \\leftarrow x - \\eta\\nabla f(x)$."),
    md("""
    ## Recap
    - An optimiser walks downhill on the loss surface; the learning rate sets the step length.
    - Too small: slow; too large (above $2/\\text{curvature}$): it diverges.
    - Momentum and Adam cope with elongated valleys; L-BFGS uses curvature and needs no learning rate.
    - In style transfer the variables are the pixels; the network stays fixed.
    """),
]

# ============================================================================= lesson 7
LESSON_7 = [
    md(r"""
    # Lesson 7 — Style transfer and its hyperparameters

    **Learning goals**
    - run the full algorithm: $\mathcal{L}_\text{total} = \alpha\,\mathcal{L}_\text{content} + \beta\,\mathcal{L}_\text{style}$;
    - read the effect of the style weight from a table of losses and a grid of images;
    - see the effect of the content layer, the starting image and total variation;
    - recognise a failure case and explain it.
    """),
    params("""
    SIZE = 128  # pixels (eight runs: about 2–3 minutes on a 2-core CPU)
    STEPS = 60  # L-BFGS steps per run
    SCALES = (1,)  # one scale, the classic algorithm (lesson 8: coarse to fine, the tool's default)
    """),
    setup(),
    md(r"""
    ## The whole loop

    $$\mathcal{L}_\text{total}(p, a, x) = \alpha\,\mathcal{L}_\text{content}(p, x) + \beta\,\mathcal{L}_\text{style}(a, x)
    \;(+\,\lambda_\text{tv}\,\mathcal{L}_\text{tv}(x))$$

    with the content from `relu4_2` and the style from `relu1_1 … relu5_1` ($w_l = 1/5$). We start from
    the photo and let L-BFGS move the pixels; it measures the loss of the clipped image
    $\mathrm{clip}(x, 0, 1)$, the one that will be saved.
    """),
    code("""
    model = nt.load_vgg19(last_layer="relu5_1")
    content, style = nt.load_image("cat", SIZE), nt.load_image("starry_night", SIZE)

    frames, record = viz.animation_frames(every=max(1, STEPS // 12))
    result = nt.style_transfer(content, style, steps=STEPS, scales=SCALES, model=model, callback=record)
    print(f"α = {result.config.content_weight:g}, β = {result.config.style_weight:g}: "
          f"{len(result.history)} steps in {result.seconds:.1f} s, status {result.status}")
    viz.panel(content, style, result.image)
    """),
    code("""
    viz.loss_curves(result)
    """),
    code("""
    viz.show_animation(frames)
    """),
    md(r"""
    ## The style weight

    Only the ratio $\alpha/\beta$ matters; we keep $\alpha = 1$ and change $\beta$ by factors of 10, as
    in the lecture's table. (The lecture used 1, 0.1, 0.01, 0.001 with another normalisation of the
    losses — the numbers differ, the picture is the same.) Read the table: as $\beta$ grows the style
    loss falls and the content loss rises.
    """),
    code("""
    BETAS = [1e-1, 1e0, 1e1, 1e2]
    # β = 10 is the default: that run is `result` above, so it is reused rather than computed again.
    sweep = {beta: result if beta == result.config.style_weight else
             nt.style_transfer(content, style, style_weight=beta, steps=STEPS, scales=SCALES, model=model) for beta in BETAS}
    print(f"{'style_weight':>12} {'steps':>6} {'total_loss':>12} {'style_loss':>12} {'content_loss':>12}")
    for beta, r in sweep.items():
        h = r.history[-1]
        print(f"{beta:>12g} {h['step']:>6d} {h['total']:>12.4e} {h['style']:>12.4e} {h['content']:>12.4e}")
    viz.sweep_grid([r.image for r in sweep.values()], [f"β = {b:g}" for b in sweep], title="More β: more style, less cat")
    """),
    md("""
    ## The content layer and the starting image

    Content from a shallow layer (`relu2_2`) keeps more of the photo's fine detail and colour edges;
    from `relu4_2` only the layout is fixed and the style may repaint the rest. Starting from noise
    instead of the photo minimises the same loss function but reaches a different (often noisier)
    result: the loss is not convex, and where the optimiser ends depends on where it starts. Compare the
    final losses of the two runs printed below.
    """),
    code("""
    shallow = nt.style_transfer(content, style, content_layers=("relu2_2",), steps=STEPS, scales=SCALES, model=model)
    from_noise = nt.style_transfer(content, style, init="noise", steps=STEPS, scales=SCALES, model=model)
    for label, r in [("from photo", result), ("from noise", from_noise)]:
        h = r.history[-1]
        print(f"content relu4_2, {label}: content {h['content']:.3e}  style {h['style']:.3e}  total {h['total']:.3e}")
    viz.image_grid([result.image, shallow.image, from_noise.image],
                   ["content relu4_2, from photo", "content relu2_2", "content relu4_2, from noise"], ncols=3)
    """),
    md(r"""
    ## Total variation

    $\mathcal{L}_\text{tv} = \sum (x_{i+1,j} - x_{i,j})^2 + (x_{i,j+1} - x_{i,j})^2$ penalises differences
    between neighbouring pixels and removes high-frequency speckle. We set $\lambda_\text{tv}$ so that
    the penalty is about 1% of the style term at the start (try 10%: the result turns to blur).
    """),
    code("""
    start_tv = nt.tv_loss(content).item()
    tv_weight = 0.01 * result.config.style_weight * result.history[0]["style"] / start_tv
    smooth = nt.style_transfer(content, style, tv_weight=tv_weight, steps=STEPS, scales=SCALES, model=model)
    print(f"λ_tv = {tv_weight:.2e}: tv loss of the result {nt.tv_loss(result.image).item():.1f} → {nt.tv_loss(smooth.image).item():.1f}")
    viz.image_grid([result.image, smooth.image], ["λ_tv = 0", f"λ_tv = {tv_weight:.1e}"], ncols=2)
    """),
    md("""
    ## A failure case

    In the lecture, Oski + *Pillars of Creation* did not work — yet the same Pillars style worked well
    on a ball with a shadow. So the lecture put the blame on the content (VGG is not good at separating
    the subject from the background) or on a style that is not easy to pick up. Our version: a
    portrait with the Hubble deep field as the style.
    """),
    code("""
    portrait, deep_field = nt.load_image("grace_hopper", SIZE), nt.load_image("hubble_deep_field", SIZE)
    failure = nt.style_transfer(portrait, deep_field, steps=STEPS, scales=SCALES, model=model)
    viz.panel(portrait, deep_field, failure.image, titles=("content", "style: Hubble deep field", "result"))
    """),
    md("""
    **Why?** Here the main culprit is the *style*, not the content as in the lecture. The deep field is
    mostly black with a few small, sparse galaxies. Its Gram matrices say "dark, with rare bright dots"
    — there are no strokes or repeated textures to transfer, so the style loss is best met by
    darkening the portrait and sprinkling specks on it. (VGG does not separate the subject from the
    background here either: the whole picture gets the same treatment.) To tell the two causes apart,
    do what the lecture did: try the same style on a simple content image. Style transfer works best
    with styles that have a rich, *repeated* texture at many scales.
    """),
    *your_turn(8, "style_transfer", "Put the pieces together: the style-transfer loop with your own loss functions and Adam."),
    md("""
    Exercise 06 (`ex06_tv_loss.py`) asks for the total-variation loss of this lesson:
    """),
    code("""
    # check("ex06")  # uncomment after `nst-teach exercises init exercises`
    """),
    md("""
    ## Recap
    - $\\beta/\\alpha$ trades content for style; look at both the losses and the pictures.
    - Content from deeper layers = more freedom for the style; the start image matters.
    - Total variation removes speckle; styles without repeated texture (a deep-field photo) fail.
    """),
]

# ============================================================================= lesson 8
LESSON_8 = [
    md("""
    # Lesson 8 — Going further

    **Learning goals**
    - keep the content photo's colours (luminance-only transfer, colour histogram matching);
    - speed up and improve large results by working coarse-to-fine;
    - know where the field went next: feed-forward networks and arbitrary style transfer.
    """),
    params("""
    SIZE = 192  # final size in pixels
    STEPS = 50  # L-BFGS steps per scale
    """),
    setup(),
    code("""
    model = nt.load_vgg19(last_layer="relu5_1")
    content, style = nt.load_image("astronaut", SIZE), nt.load_image("starry_night", SIZE)
    result = nt.style_transfer(content, style, steps=STEPS, model=model)
    viz.panel(content, style, result.image)
    """),
    md(r"""
    ## Preserving colour

    The transfer copies the painting's palette. Gatys, Bethge, Hertzmann & Shechtman (*Preserving Color
    in Neural Artistic Style Transfer*, arXiv 2016) give two fixes — see also Gatys, Ecker, Bethge,
    Hertzmann & Shechtman, *Controlling Perceptual Factors in Neural Style Transfer* (CVPR 2017, §5).
    Both are in `nst_teach.colour`:

    **Luminance-only transfer.** In YIQ space ($Y = 0.299R + 0.587G + 0.114B$ is brightness, $I, Q$ colour)
    the paper runs the style transfer on luminance images alone (the style's $Y$ first matched to the
    mean and variance of the photo's) and then adds the photo's $I, Q$. `preserve_colours` is a
    simplified variant: after an ordinary full-colour run it keeps $Y$ from the stylised result and
    $I, Q$ from the photo.

    **Colour histogram matching.** Before the transfer, recolour the style image so that its pixels
    have the mean $\mu_c$ and covariance $\Sigma_c$ of the photo's:
    $x' = \Sigma_c^{1/2}\Sigma_s^{-1/2}(x - \mu_s) + \mu_c$.
    """),
    code("""
    from nst_teach.colour import match_colour_histogram, preserve_colours

    luminance_only = preserve_colours(result.image, content)
    matched_style = match_colour_histogram(style, content)
    # The recoloured style has far less contrast, so its Gram matrices (and L_style) are much
    # smaller: β = 1000 instead of 10 keeps style and content in balance.
    from_matched = nt.style_transfer(content, matched_style, steps=STEPS, model=model, style_weight=1e3)
    viz.image_grid([result.image, luminance_only, matched_style, from_matched.image],
                   ["plain", "luminance only (simplified)", "style, colour-matched", "transfer from it (β = 1000)"], ncols=4)
    """),
    md(r"""
    ## Coarse to fine

    Large images are slow, and at full size the deep layers' receptive fields cover a smaller share
    of the picture, so big style structures are lost. Solve at a small size first, upsample the result
    and use it as the starting point at the next size: the optimiser only has to add detail. (Gatys et
    al., CVPR 2017, do this for high-resolution images in their section on spatial scale control.)
    """),
    code("""
    from nst_teach.multiscale import coarse_to_fine

    sizes = sorted({max(48, SIZE // 4), max(48, SIZE // 2), SIZE})  # ≥ 48 px: the short side must stay ≥ 32
    stages = coarse_to_fine("astronaut", "starry_night", sizes=sizes, steps=STEPS, model=model)
    viz.image_grid(stages, [f"{s} px" for s in sizes], ncols=3, title="Coarse to fine")
    """),
    md(r"""
    `style_transfer` can do this itself: `nt.style_transfer(content, style, scales=(0.5, 1))` (or
    `nst-teach transfer --scales 0.5,1`). Is it *faster*? Measure, don't assume:
    `benchmarks/time_to_quality.py` judges every run by the paper's loss on the saved image at full
    size. There, at 512 px, coarse-to-fine painted bigger swirls but reached a given total loss no
    sooner than one scale: the upsampled image lacks the photo's fine detail, and the full-size
    iterations spent rebuilding it cancel the cheap coarse ones. What did make it ~4× faster is the
    arithmetic: VGG-19 in bfloat16 with a channels-last memory layout, the losses kept in fp32
    (`nst_teach.precision`). That is the default, and the README has the numbers.
    """),
    md("""
    ## Where the field went next

    **Speed: feed-forward networks.** Optimising the pixels takes seconds to minutes per image.
    Johnson, Alahi & Fei-Fei (2016, *Perceptual losses for real-time style transfer*) and Ulyanov et
    al. (2016, *Texture networks*) train a separate network once per style, with *our* loss as its
    training objective; stylising is then a single forward pass, about 1000× faster. Ulyanov et al.
    later found that *instance normalisation* makes these networks much better.

    **Any style: AdaIN.** Huang & Belongie (2017) observed that a feature map's per-channel mean and
    standard deviation already carry much of the style (compare the Gram and covariance matrices of
    lesson 3). *Adaptive instance normalisation* replaces the content features' statistics with the
    style's, $\\mathrm{AdaIN}(x, y) = \\sigma(y)\\frac{x - \\mu(x)}{\\sigma(x)} + \\mu(y)$, and a trained decoder
    turns the result into an image — arbitrary styles in real time, with no retraining.

    **Since then:** whitening and colouring transforms (Li et al. 2017), attention-based and
    transformer models, and diffusion models that take a style image as a condition. The losses you
    wrote — content features and Gram statistics — are still used to train and evaluate many of them.
    """),
    *your_turn(8, "style_transfer", "If you have not yet: finish the style-transfer loop, then try it with colour preservation."),
    md("""
    ## Recap
    - Keep the photo's colours with luminance-only transfer or by matching the style's colour statistics.
    - Coarse-to-fine: small first, then upsample and refine.
    - Feed-forward (Johnson, Ulyanov) and AdaIN (Huang & Belongie) trade some quality for huge speed-ups.
    """),
]

LESSONS = {
    "01_images_and_preprocessing": LESSON_1,
    "02_vgg19_and_feature_maps": LESSON_2,
    "03_gram_covariance_correlation": LESSON_3,
    "04_content_representation": LESSON_4,
    "05_style_representation": LESSON_5,
    "06_losses_and_gradient_descent": LESSON_6,
    "07_style_transfer_and_hyperparameters": LESSON_7,
    "08_going_further": LESSON_8,
}


def build(out_dir=HERE):
    """Write every lesson as ``out_dir/<name>.ipynb`` (no outputs); returns the paths."""
    paths = []
    for name, cells in LESSONS.items():
        nb = nbformat.v4.new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.metadata["language_info"] = {"name": "python"}
        # Stable cell ids: regenerating an unchanged lesson gives an identical file (clean diffs).
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"{name[:2]}-{i:02d}"
        nbformat.validate(nb)
        path = Path(out_dir) / f"{name}.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for path in build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(path)
