"""Exercise 8, style transfer by hand from the student's own pieces: its checks and its named mistakes.

The student's loop runs for a few Adam steps on small photos and is compared with
`nst_teach.transfer.style_transfer_by_hand`. When it differs, each earlier piece it imports (the
student's ex01, ex02, ex04, ex05, ex06) is swapped for nst_teach's to find out which exercise to fix
first. Only style_transfer_by_hand itself is refused as an answer: the library's other functions
(load_vgg19, gram_matrix, even content_loss) are allowed here.
"""

import torch

from .. import features, gram, losses, optim, transfer
from ..preprocess import preprocess as _preprocess
from .compare import Failed, StudentError, difference, judge, replaced
from .spec import Check, Exercise, mistakes


def _ref_pre(img):
    return _preprocess(img, "caffe")


# ----------------------------------------------------------------------------- named mistakes
def _by_hand(clamp=True, swap=False, init="content", content=True, style=True, optimizer="adam", reset_state=False,
             content_from="content", preprocess=True):
    """`style_transfer_by_hand` with one thing changed (see `nst_teach.transfer` for the right loop)."""
    def run(model, content_img, style_img, *, steps, lr, content_weight, style_weight, content_layer, style_layers):
        def feats(img, layers):
            return features.extract_features(model, _preprocess(img, model.convention) if preprocess else img, layers)

        target_img = style_img if content_from == "style" else content_img  # where P comes from

        alpha, beta = (style_weight, content_weight) if swap else (content_weight, style_weight)
        with torch.no_grad():
            P = feats(target_img, [content_layer])[content_layer]
            A = {l: gram.gram_matrix(F[0]) for l, F in feats(style_img, style_layers).items()}  # (N_l, N_l)
        x = (content_img if init == "content" else style_img).detach().clone()
        state, history = optim.AdamState.zeros_like(x), []
        for _ in range(steps):
            x.requires_grad_(True)
            F = feats(x, [content_layer, *style_layers])
            L = x.new_zeros(())
            if content:
                L = L + alpha * losses.content_loss(F[content_layer], P)
            if style:
                L = L + beta * losses.style_loss({k: F[k] for k in A}, A)
            (grad,) = torch.autograd.grad(L, x)
            history.append(L.item())
            if reset_state:
                state = optim.AdamState.zeros_like(x)
            if optimizer == "adam":
                x, state = optim.adam_step(x.detach(), grad, state, lr)
            else:
                x = optim.gradient_descent_step(x.detach(), grad, lr)
            x = x.clamp(0.0, 1.0) if clamp else x
        return x, history
    return run


MISTAKES = mistakes([
    ("nst_no_clamp", "style_transfer_by_hand", "x is not kept in [0, 1]: after each step clip it, x = x.clamp(0, 1)",
     _by_hand(clamp=False)),
    ("nst_weights_swapped", "style_transfer_by_hand", "α and β swapped: L = content_weight · L_content + style_weight · L_style",
     _by_hand(swap=True)),
    ("nst_starts_from_style", "style_transfer_by_hand", "starts from the style image: x₀ is a copy of the content image",
     _by_hand(init="style")),
    ("nst_no_content", "style_transfer_by_hand", "the content term is missing (or always 0): P comes from the *content image*, "
     "computed once before the loop, and L includes content_weight · content_loss(F, P)",
     _by_hand(content=False)),
    ("nst_no_style", "style_transfer_by_hand", "the style term is missing: L includes style_weight · style_loss(features, A) "
     "with A the Gram matrices of the style image",
     _by_hand(style=False)),
    ("nst_adam_state_reset", "style_transfer_by_hand", "the AdamState is created again inside the loop, so every step "
     "is Adam's first (m and s forgotten): create it once before the loop and pass each step's new state to the next",
     _by_hand(reset_state=True)),
    ("nst_content_from_style", "style_transfer_by_hand", "the content target P comes from the style image: P = the "
     "*content* image's features at content_layer (A comes from the style image)",
     _by_hand(content_from="style")),
    ("nst_not_preprocessed", "style_transfer_by_hand", "features of the raw RGB image: the network needs "
     "extract_features(model, preprocess(img), layers), for the content, the style and x alike",
     _by_hand(preprocess=False)),
    ("nst_plain_gradient_descent", "style_transfer_by_hand", "plain gradient descent instead of Adam: the spec steps with "
     "adam_step(x, grad, state, lr), keeping the AdamState between steps",
     _by_hand(optimizer="gd")),
])


# ----------------------------------------------------------------------------- checks
# The content layer is not a style layer (as relu4_2 is not in real use), so mixing up which features go
# to which loss shows; relu1_2 lies inside the relu2_1 model the checks share.
SMALL_RUN = dict(lr=0.02, content_weight=1.0, style_weight=1e3, content_layer="relu1_2", style_layers=("relu1_1", "relu2_1"))

# The pieces ex08 imports from the student's earlier exercises, and nst_teach's reference for each.
EX08_PIECES = (("ex01", "preprocess", _preprocess), ("ex02", "extract_features", features.extract_features),
               ("ex04", "content_loss", losses.content_loss), ("ex05", "style_loss", losses.style_loss),
               ("ex06", "adam_step", optim.adam_step))


def _ex08_reference(s, inputs):
    content, style = inputs.photo("cat"), inputs.photo("astronaut")

    def compare():
        judge("style_transfer_by_hand(model, cat, astronaut, steps=4, lr=0.02, content_layer='relu1_2', "
              "style_layers=('relu1_1', 'relu2_1')) → (x, losses)",
              lambda f: f(inputs.model(), content.clone(), style.clone(), steps=4, **SMALL_RUN), s.style_transfer_by_hand,
              transfer.style_transfer_by_hand, EXERCISE.mistakes_of("style_transfer_by_hand"), rtol=1e-3, atol=1e-4)

    try:
        compare()
    except (Failed, StudentError) as failure:
        # Is ex08 itself wrong, or one of the student's earlier pieces it uses? Swap each for the reference.
        used = [(e, name, ref) for e, name, ref in EX08_PIECES  # only functions of the student's own ex0N file
                if s.origin(name).startswith(f"{e}_")]
        for exercise, name, ref in used:
            if _passes(compare, s, {name: ref}):
                raise Failed(f"your {exercise} {name} differs from the reference, and ex08 uses it: fix {exercise} "
                             f"first (with nst_teach's {name}, your ex08 passes)", "earlier_exercise") from None
        if len(used) > 1 and _passes(compare, s, {name: ref for _, name, ref in used}):
            raise Failed(f"your {', '.join(e for e, _, _ in used)} pieces differ from the reference, and ex08 uses "
                         "them: fix those exercises first (with nst_teach's, your ex08 passes)", "earlier_exercise") from None
        if used and isinstance(failure, Failed):
            raise Failed(f"{failure.hint} (ex08 uses your {', '.join(e for e, _, _ in used)}: check those pass first)",
                         failure.mistake) from None
        raise


def _passes(compare, module, replacements):
    try:
        with replaced(module, replacements):
            compare()
    except Exception:  # a verdict or a crash: not passing either way
        return False
    return True


def _ex08_descends(s, inputs):
    content, style = inputs.photo("cat"), inputs.photo("astronaut")
    x, history = s.style_transfer_by_hand(inputs.model(), content.clone(), style.clone(), steps=6, **SMALL_RUN)
    problem = difference(x, content, float("inf"), float("inf"))
    if problem:
        raise Failed(f"the image x: {problem[1]}", problem[0])
    if not (x.min() >= 0 and x.max() <= 1):
        raise Failed("x leaves [0, 1]: clip it after every step, x = x.clamp(0, 1)", "nst_no_clamp")
    values = [float(v) for v in history]
    if len(values) != 6 or not values[-1] < values[0]:
        raise Failed(f"the losses should be 6 numbers (one per step, before it) going down; got {values}", "values")


EXERCISE = Exercise("ex08", "ex08_style_transfer.py", "style transfer by hand", ("style_transfer_by_hand",), (
    Check("matches the reference loop", 3, _ex08_reference),
    Check("loss goes down, x stays an image", 1, _ex08_descends)),
    mistakes=MISTAKES, references=(transfer.style_transfer_by_hand,))
