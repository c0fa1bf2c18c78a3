"""Step 2c: VGG-19 on one page — every layer's output shape, parameter count and receptive field.

The *receptive field* r of a unit is the side of the input patch it can see; the *jump* j is the
distance, in input pixels, between two neighbouring units of the layer. Going through a layer with
kernel size k and stride s (Araujo, Norris & Sim 2019, "Computing receptive fields of CNNs"):

    r_out = r_in + (k − 1) · j_in          j_out = j_in · s          (start: r = 1, j = 1)

In VGG-19 every conv is 3×3 with stride 1 (r grows by 2·j), every ReLU is 1×1 (nothing changes) and
every pool is 2×2 with stride 2 (r grows by j, then j doubles). So relu1_1 sees 3 pixels, relu1_2 5,
pool1 6, relu2_1 10 … and conv5_4 252: deep units see most of a 224-pixel image. That is why deep
layers describe *objects and layout* and shallow ones *edges and colours*. (The *effective* receptive
field — where the gradient is large — is smaller and Gaussian-shaped; Luo et al. 2016.)

A conv layer has N_in · N_out · 3 · 3 weights plus N_out biases; VGG-19's 16 convs hold 20,024,384.
"""

from dataclasses import dataclass

import torch

from .errors import NSTError
from .features import extract_features
from .preprocess import preprocess
from .vgg import BLOCKS, LAYER_NAMES, canonical_layer_name


@dataclass(frozen=True)
class LayerInfo:
    """One row of the architecture table. ``shape`` is (N_l, H_l, W_l); M_l = H_l · W_l."""

    name: str
    kind: str  # "conv" | "relu" | "pool"
    kernel: int
    stride: int
    shape: tuple
    params: int
    receptive_field: int  # r, in input pixels
    jump: int  # j, input pixels between neighbouring units

    @property
    def positions(self):
        """M_l = H_l · W_l, the number of positions of one feature map."""
        return self.shape[1] * self.shape[2]


def _channels(name):
    """N_l of a layer: the filter count of its block (64, 128, 256, 512, 512)."""
    return BLOCKS[int(name[4]) - 1][2]


def architecture(size=224):
    """VGG-19's layers for an input of ``size`` (an int for a square, or (H, W)): a list of `LayerInfo`.

    Output shapes follow the layers: 3×3 convs with padding 1 keep H × W; each 2×2 pool halves it
    (rounding down, as torch's MaxPool2d does).
    """
    H, W = (size, size) if isinstance(size, int) else tuple(size)
    if min(H, W) < 1:
        raise NSTError(f"input size must be positive, got {size!r}: e.g. architecture(224)")
    r, j, n_in = 1, 1, 3
    rows = []
    for name in LAYER_NAMES:
        kind = name[:4]
        if kind == "conv":
            k, s, n_out = 3, 1, _channels(name)
            params = n_in * n_out * k * k + n_out  # weights + biases
        elif kind == "relu":
            k, s, n_out, params = 1, 1, n_in, 0
        else:
            k, s, n_out, params = 2, 2, n_in, 0
            H, W = H // 2, W // 2
        r, j = r + (k - 1) * j, j * s  # the recursion of the module docstring
        rows.append(LayerInfo(name, kind, k, s, (n_out, H, W), params, r, j))
        n_in = n_out
    return rows


def receptive_field(layer):
    """The receptive field r (in input pixels) of a unit of ``layer``: relu1_1 → 3, conv5_4 → 252."""
    name = canonical_layer_name(layer)
    return next(row.receptive_field for row in architecture() if row.name == name)


def format_table(rows=None, kinds=("conv", "relu", "pool")):
    """The table as aligned text, one line per layer (for ``print`` in a notebook or the CLI)."""
    rows = architecture() if rows is None else rows
    header = f"{'layer':<8} {'output N×H×W':>16} {'params':>11} {'recept. field':>13} {'jump':>5}"
    lines = [header, "-" * len(header)]
    for row in rows:
        if row.kind not in kinds:
            continue
        shape = "×".join(str(v) for v in row.shape)
        lines.append(f"{row.name:<8} {shape:>16} {row.params:>11,} {row.receptive_field:>13} {row.jump:>5}")
    lines.append(f"{'total':<8} {'':>16} {sum(r.params for r in rows):>11,}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- measured, not computed


def effective_receptive_field(model, x, layer, channel=None):
    """|∂ y / ∂ x| for one unit y of ``layer`` at the centre of the map, summed over the 3 colours: [H, W].

    model: a VGG19 reaching ``layer``; x: a preprocessed input [1, 3, H, W]. channel: the unit's
    filter (None: the one most active at the centre). The theoretical receptive field (above) says
    which pixels *can* reach the unit; this map, from autograd, says how much each one does: it is
    bright near the centre and fades long before the theoretical edge (Luo et al. 2016).
    Returns (map, channel).
    """
    x = x.detach().clone().requires_grad_(True)
    F = extract_features(model, x, [layer])[layer][0]  # (N_l, H_l, W_l)
    i, j = F.shape[1] // 2, F.shape[2] // 2
    if channel is None:
        channel = int(F[:, i, j].argmax())
    (grad,) = torch.autograd.grad(F[channel, i, j], x)
    return grad[0].abs().sum(dim=0), channel  # (H, W)


def effective_width(gradient_map, fraction=0.9):
    """The side, in pixels, of the smallest square around the map's centre that holds ``fraction``
    of Σ|gradient| (a number to put next to the theoretical receptive field)."""
    H, W = gradient_map.shape
    total, ci, cj = float(gradient_map.sum()), H // 2, W // 2
    if total == 0:
        return 0
    for half in range(max(H, W)):
        window = gradient_map[max(0, ci - half): ci + half + 1, max(0, cj - half): cj + half + 1]
        if float(window.sum()) >= fraction * total:
            return 2 * half + 1
    return max(H, W)


def top_patches(model, images, layer, channel, count=6, patch=None):
    """What one unit responds to (Zeiler & Fergus 2013): the ``count`` input patches that excite
    ``channel`` of ``layer`` most, over all positions of all ``images``.

    model: a VGG19 reaching ``layer``; images: RGB images [1, 3, H, W] in [0, 1] (e.g. the sample
    photos). Each patch is the square around the unit's position, of side ``patch`` (default: the
    layer's theoretical receptive field, at most the image), cut from the image; at most one patch
    per 3×3 neighbourhood of units, so the same spot is not shown twice. Returns a list of
    (activation, patch [1, 3, s, s]), strongest first.
    """
    name = canonical_layer_name(layer)
    info = next(row for row in architecture() if row.name == name)
    candidates = []
    for k, img in enumerate(images):
        with torch.no_grad():
            F = extract_features(model, preprocess(img, model.convention), [layer])[layer][0, channel].cpu()  # (H_l, W_l)
        for flat in torch.argsort(F.flatten(), descending=True)[: 4 * count].tolist():
            candidates.append((float(F.flatten()[flat]), k, flat // F.shape[1], flat % F.shape[1]))
    candidates.sort(key=lambda c: -c[0])
    chosen = []
    for value, k, i, j in candidates:
        if len(chosen) == count:
            break
        if any(k == k2 and abs(i - i2) <= 1 and abs(j - j2) <= 1 for _, k2, i2, j2 in chosen):
            continue
        chosen.append((value, k, i, j))
    result = []
    for value, k, i, j in chosen:
        img = images[k]
        H, W = img.shape[-2:]
        side = min(patch or info.receptive_field, H, W)
        ci, cj = int((i + 0.5) * info.jump), int((j + 0.5) * info.jump)  # the unit's centre in the input
        top, left = min(max(0, ci - side // 2), H - side), min(max(0, cj - side // 2), W - side)
        result.append((value, img[..., top: top + side, left: left + side]))
    return result
