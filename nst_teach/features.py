"""Step 2b: reading the activations ("feature maps") of named VGG-19 layers in one forward pass.

The input goes through the layers in order; whenever it passes a layer we asked for, we keep that
layer's output. We stop at the deepest requested layer: later layers cannot change earlier outputs.
"""

from .vgg import TORCHVISION_INDEX, canonical_layer_name


def extract_features(model, x, layers):
    """Activations of ``model`` at ``layers`` for the (already preprocessed) input ``x``.

    model: a `nst_teach.vgg.VGG19`. x: [B, 3, H, W] in ``model.convention`` (moved to the model's device).
    layers: names such as ["relu1_1", "relu4_2"] (Keras aliases like "block4_conv2" work too).
    Returns {name as given: tensor [B, N_l, H_l, W_l]}, in one pass. Gradients flow through, so the
    result can be used in a loss that is minimised with respect to x.
    """
    wanted = {canonical_layer_name(name): name for name in layers}
    # The model may live on the GPU while images are loaded on the CPU: follow the model (autograd
    # goes through .to(), so a loss on the features still reaches x).
    x = x.to(next(model.parameters()).device)
    available = dict(model.layers.named_children())
    last = max(TORCHVISION_INDEX[name] for name in wanted)
    for name in wanted:
        if name not in available:
            from .errors import NSTError

            raise NSTError(f"layer {name} is beyond this model's last layer: load it with last_layer={name!r}")
    features = {}
    for name, layer in model.layers.named_children():
        x = layer(x)
        if name in wanted:
            features[wanted[name]] = x
        if TORCHVISION_INDEX[name] == last:
            break
    return features


def top_patches(model, images, layer, channel, count=6, patch=None):
    """What one unit responds to (Zeiler & Fergus 2013): the ``count`` input patches that excite
    ``channel`` of ``layer`` most, over all positions of all ``images``.

    model: a VGG19 reaching ``layer``; images: RGB images [1, 3, H, W] in [0, 1] (e.g. the sample
    photos). Each patch is the square around the unit's position, of side ``patch`` (default: the
    layer's theoretical receptive field, at most the image), cut from the image; at most one patch
    per 3×3 neighbourhood of units, so the same spot is not shown twice. Returns a list of
    (activation, patch [1, 3, s, s]), strongest first.
    """
    import torch

    from .anatomy import architecture
    from .preprocess import preprocess

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
