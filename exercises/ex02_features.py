"""Exercise 2 — reading the feature maps of named VGG-19 layers in one forward pass.

``model.layers`` is an ``nn.Sequential`` whose children are named ``conv1_1``, ``relu1_1``,
``conv1_2``, …, ``pool1``, ``conv2_1``, … (iterate with ``model.layers.named_children()``). Send x
through the layers in order; right after the layer with a requested name, keep its output. Keras
names work too: ``block4_conv2`` is ``relu4_2`` (a Keras conv includes its ReLU) — translate them
with ``nst_teach.vgg.canonical_layer_name``. You may stop after the deepest requested layer.

Reference: `nst_teach.features.extract_features`.

Check your work:  nst-teach grade ex02   (or in a notebook: check("ex02"))
"""

from nst_teach.vgg import canonical_layer_name


def extract_features(model, x, layers):
    """Activations of ``model`` at ``layers`` for the (already preprocessed) input ``x``.

    model: `nst_teach.load_vgg19(...)`. x: [B, 3, H, W], already preprocessed (do not preprocess again).
    layers: names such as ["relu1_1", "relu4_2"] or Keras aliases like "block4_conv2".
    Returns {name as given: tensor [B, N_l, H_l, W_l]}. Keep autograd working (no torch.no_grad(),
    no .detach()): the style-transfer loss is differentiated through these features.
    """
    # TODO: Exercise 2 — implement this.
    raise NotImplementedError("Exercise 2: not attempted yet")
