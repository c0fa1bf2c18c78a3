"""Step 2b: reading the activations ("feature maps") of named VGG-19 layers in one forward pass.

The input goes through the layers in order; whenever it passes a layer we asked for, we keep that
layer's output. We stop at the deepest requested layer: later layers cannot change earlier outputs.
"""

from .errors import NSTError
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
            raise NSTError(f"layer {name} is beyond this model's last layer: load it with last_layer={name!r}")
    features = {}
    for name, layer in model.layers.named_children():
        x = layer(x)
        if name in wanted:
            features[wanted[name]] = x
        if TORCHVISION_INDEX[name] == last:
            break
    return features
