"""Exercise 2 (extract_features) done wrong."""

from nst_teach.preprocess import preprocess
from nst_teach.vgg import canonical_layer_name


def before_relu(model, x, layers):
    """Stores each layer's *input* (the previous layer's output) under its name."""
    wanted, out = {canonical_layer_name(n): n for n in layers}, {}
    for name, layer in model.layers.named_children():
        if name in wanted:
            out[wanted[name]] = x
        x = layer(x)
        if len(out) == len(wanted):
            break
    return out


def one_layer_late(model, x, layers):
    wanted, out, previous = {canonical_layer_name(n): n for n in layers}, {}, None
    for name, layer in model.layers.named_children():
        x = layer(x)
        if previous in wanted:
            out[wanted[previous]] = x
        previous = name
        if len(out) == len(wanted):
            break
    return out


def same_tensor(model, x, layers):
    """Runs to the deepest requested layer and returns that one tensor for every name."""
    from nst_teach.vgg import TORCHVISION_INDEX

    last = max(TORCHVISION_INDEX[canonical_layer_name(n)] for n in layers)
    for i, (name, layer) in enumerate(model.layers.named_children()):
        x = layer(x)
        if i == last:
            break
    return {n: x for n in layers}


def preprocessed_again(model, x, layers):
    x = preprocess(x, "caffe")  # "to be safe"
    wanted, out = {canonical_layer_name(n): n for n in layers}, {}
    for name, layer in model.layers.named_children():
        x = layer(x)
        if name in wanted:
            out[wanted[name]] = x
        if len(out) == len(wanted):
            break
    return out


def canonical_keys(model, x, layers):
    wanted, out = [canonical_layer_name(n) for n in layers], {}
    for name, layer in model.layers.named_children():
        x = layer(x)
        if name in wanted:
            out[name] = x
        if len(out) == len(wanted):
            break
    return out


def keras_not_translated(model, x, layers):
    """Compares the layer names as given, so 'block2_conv1' is never found."""
    out = {}
    for name, layer in model.layers.named_children():
        x = layer(x)
        if name in layers:
            out[name] = x
        if len(out) == len(layers):
            break
    return out


def stops_at_first(model, x, layers):
    wanted = {canonical_layer_name(n): n for n in layers}
    for name, layer in model.layers.named_children():
        x = layer(x)
        if name in wanted:
            return {wanted[name]: x}  # returns at the first hit


def batch_dropped(model, x, layers):
    wanted, out = {canonical_layer_name(n): n for n in layers}, {}
    for name, layer in model.layers.named_children():
        x = layer(x)
        if name in wanted:
            out[wanted[name]] = x[0]  # "one image"
        if len(out) == len(wanted):
            break
    return out


def as_list(model, x, layers):
    wanted, out = [canonical_layer_name(n) for n in layers], {}
    for name, layer in model.layers.named_children():
        x = layer(x)
        if name in wanted:
            out[name] = x
        if len(out) == len(wanted):
            break
    return [out[n] for n in wanted]


WRONG = {
    "feat_stops_at_first": {"extract_features": stops_at_first},
    "feat_batch_dropped": {"extract_features": batch_dropped},
    "feat_list": {"extract_features": as_list},
    "feat_before_relu": {"extract_features": before_relu},
    "feat_one_layer_late": {"extract_features": one_layer_late},
    "feat_same_tensor": {"extract_features": same_tensor},
    "feat_preprocessed_again": {"extract_features": preprocessed_again},
    "feat_canonical_keys": {"extract_features": canonical_keys},
    "feat_keras_not_translated": {"extract_features": keras_not_translated},
}
