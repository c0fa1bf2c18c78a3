from nst_teach.vgg import canonical_layer_name


def extract_features(model, x, layers):
    wanted = {}
    for name in layers:
        wanted.setdefault(canonical_layer_name(name), []).append(name)
    out = {}
    for name, layer in model.layers.named_children():
        x = layer(x)
        for given in wanted.pop(name, []):
            out[given] = x
        if not wanted:
            break
    return out
