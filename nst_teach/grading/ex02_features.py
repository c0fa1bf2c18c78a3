"""Exercise 2, VGG-19 feature maps at named layers: its checks and its named mistakes.

extract_features(model, x, layers) → {name as given: activation right after the layer of that name}.
Checked on a photo (canonical and Keras names, any order), a batch of another size, autograd, and the
input left unchanged. The mistakes are taken one layer early or late, the same tensor for every layer,
preprocessing twice, and Keras names mishandled. Reference: `nst_teach.features.extract_features`.
"""

from .. import features
from ..preprocess import preprocess as _preprocess
from ..vgg import LAYER_NAMES, TORCHVISION_INDEX, canonical_layer_name
from .compare import gradient, judge, judge_cases, unchanged
from .inputs import rand
from .spec import Check, Exercise, mistakes


def _ref_pre(img):
    return _preprocess(img, "caffe")


# ----------------------------------------------------------------------------- named mistakes
def _features_at(model, x, names):
    """{name: output of the layer called name} for canonical layer names, one pass."""
    out, last = {}, max(TORCHVISION_INDEX[n] for n in names)
    for name, layer in model.layers.named_children():
        x = layer(x)
        if name in names:
            out[name] = x
        if TORCHVISION_INDEX[name] == last:
            break
    return out


def _shifted(model, x, layers, shift):
    """Each requested layer's output replaced by that of the layer ``shift`` positions later/earlier."""
    moved = {name: LAYER_NAMES[TORCHVISION_INDEX[canonical_layer_name(name)] + shift] for name in layers}
    found = _features_at(model, x, set(moved.values()))
    return {name: found[moved[name]] for name in layers}


def _same_tensor(model, x, layers):
    ref = features.extract_features(model, x, layers)
    deepest = max(layers, key=lambda n: TORCHVISION_INDEX[canonical_layer_name(n)])
    return {name: ref[deepest] for name in layers}


def _keras_names_missing(model, x, layers):
    """Only the canonical names (relu2_1) are found; a Keras alias (block2_conv1) is left out."""
    found = [name for name in layers if canonical_layer_name(name) == name]
    return features.extract_features(model, x, found) if found else {}


def _stops_at_first(model, x, layers):
    """Returns as soon as the shallowest requested layer is found (a `return` inside the loop)."""
    first = min(layers, key=lambda n: TORCHVISION_INDEX[canonical_layer_name(n)])
    return features.extract_features(model, x, [first])


MISTAKES = mistakes([
    ("feat_before_relu", "extract_features", "you kept the convolution's output before its ReLU: relu1_1 (Keras block1_conv1) "
     "is the output *after* the ReLU; take the output of the layer with exactly the requested name",
     lambda model, x, layers: _shifted(model, x, layers, -1)),
    ("feat_one_layer_late", "extract_features", "off by one: each feature is taken one layer too late (after the next layer "
     "has run); store x right after the layer with the requested name",
     lambda model, x, layers: _shifted(model, x, layers, +1)),
    ("feat_same_tensor", "extract_features", "every layer got the same tensor (the deepest one): store each requested layer's "
     "output as you pass it, not the final x at the end",
     _same_tensor),
    ("feat_preprocessed_again", "extract_features", "x is already preprocessed: do not call preprocess inside extract_features",
     lambda model, x, layers: features.extract_features(model, _preprocess(x, model.convention), layers)),
    ("feat_stops_at_first", "extract_features", "only the first layer reached is returned (a `return` inside the loop?): "
     "keep going until every requested layer is stored, then return the dict after the loop",
     _stops_at_first),
    ("feat_batch_dropped", "extract_features", "the batch axis is gone ([N_l, H_l, W_l] instead of [B, N_l, H_l, W_l]): "
     "store the layer's output as it is, without x[0] or squeeze",
     lambda model, x, layers: {k: v[0] for k, v in features.extract_features(model, x, layers).items()}),
    ("feat_list", "extract_features", "returns a list: return a dict {name as given: tensor}, so that callers can "
     "ask for features['relu2_1']",
     lambda model, x, layers: [features.extract_features(model, x, layers)[n] for n in layers]),
    ("feat_canonical_keys", "extract_features", "the dict keys must be the names as given (asked for 'block2_conv1', return "
     "the key 'block2_conv1', not 'relu2_1')",
     lambda model, x, layers: {canonical_layer_name(k): v for k, v in features.extract_features(model, x, layers).items()}),
    ("feat_keras_not_translated", "extract_features", "Keras names such as 'block2_conv1' are not found: translate each "
     "requested name with canonical_layer_name(name) ('block2_conv1' → 'relu2_1') to find its layer, and keep the name "
     "as given for the key",
     _keras_names_missing),
])


# ----------------------------------------------------------------------------- checks
FEATURE_MODEL = "pool2"  # ex02 reads layers up to relu2_1; the next layers let "one layer late" show


def _ex02_photo(s, inputs):
    x, model = _ref_pre(inputs.photo("cat")), inputs.model(FEATURE_MODEL)
    cases = [(f"extract_features(model, x, {layers})", lambda f, layers=layers: f(model, x.clone(), list(layers)))
             for layers in (["relu1_1", "block2_conv1"], ["relu2_1", "relu1_1"], ["conv1_2"])]
    judge_cases(cases, s.extract_features, features.extract_features, EXERCISE.mistakes_of("extract_features"),
                rtol=1e-5, atol=1e-3)


def _ex02_batch(s, inputs):
    x, model = _ref_pre(rand(5, 2, 3, 32, 40)), inputs.model(FEATURE_MODEL)
    layers = ["relu1_2", "pool1", "block1_conv1"]
    judge(f"extract_features for a batch of 2 images 32×40, layers {layers}", lambda f: f(model, x.clone(), list(layers)),
          s.extract_features, features.extract_features, EXERCISE.mistakes_of("extract_features"), rtol=1e-5, atol=1e-3)


def _ex02_autograd(s, inputs):
    x, model = _ref_pre(rand(6, 1, 3, 16, 16)), inputs.model(FEATURE_MODEL)
    unchanged("extract_features", lambda: s.extract_features(model, x, ["relu1_1"]), x)
    gradient("extract_features(model, x, ['relu1_1', 'relu2_1'])", lambda x: s.extract_features(model, x, ["relu1_1", "relu2_1"]),
             lambda x: features.extract_features(model, x, ["relu1_1", "relu2_1"]), lambda: [x.clone()], 0)


EXERCISE = Exercise("ex02", "ex02_features.py", "VGG-19 feature maps", ("extract_features",), (
    Check("VGG-19 layers of a photo", 2, _ex02_photo),
    Check("a batch of other sizes", 1, _ex02_batch),
    Check("autograd works, input unchanged", 1, _ex02_autograd)),
    mistakes=MISTAKES, references=(features.extract_features,))
