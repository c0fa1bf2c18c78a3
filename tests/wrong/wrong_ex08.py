"""Exercise 8 (style transfer by hand) done wrong: a student's loop with one thing changed."""

import torch

from nst_teach.features import extract_features
from nst_teach.gram import gram_matrix
from nst_teach.losses import content_loss, style_loss
from nst_teach.optim import AdamState, adam_step
from nst_teach.preprocess import preprocess


def loop(clamp=True, swap=False, start="content", use_content=True, use_style=True, plain=False, reset=False,
         target_from_style=False, raw=False):
    def style_transfer_by_hand(model, content, style, *, steps=100, lr=0.02, content_weight=1.0, style_weight=1e3,
                               content_layer="relu4_2", style_layers=("relu1_1",)):
        pre = (lambda img: img) if raw else preprocess
        source = style if target_from_style else content
        P = extract_features(model, pre(source), [content_layer])[content_layer].detach()
        A = {l: gram_matrix(F[0]).detach() for l, F in extract_features(model, pre(style), style_layers).items()}
        x = (content if start == "content" else style).clone()
        state, losses = AdamState.zeros_like(x), []
        for _ in range(steps):
            if reset:
                state = AdamState.zeros_like(x)
            x.requires_grad_(True)
            feats = extract_features(model, pre(x), [content_layer, *style_layers])
            Lc = content_loss(feats[content_layer], P) if use_content else 0
            Ls = style_loss({l: feats[l] for l in style_layers}, A) if use_style else 0
            L = (style_weight * Lc + content_weight * Ls) if swap else (content_weight * Lc + style_weight * Ls)
            grad = torch.autograd.grad(L, x)[0]
            losses.append(L.item())
            with torch.no_grad():
                if plain:
                    x = x - lr * grad
                else:
                    x, state = adam_step(x, grad, state, lr)
                if clamp:
                    x = torch.clamp(x, 0, 1)
        return x.detach(), losses
    return style_transfer_by_hand


WRONG = {
    "nst_no_clamp": {"style_transfer_by_hand": loop(clamp=False)},
    "nst_weights_swapped": {"style_transfer_by_hand": loop(swap=True)},
    "nst_starts_from_style": {"style_transfer_by_hand": loop(start="style")},
    "nst_no_content": {"style_transfer_by_hand": loop(use_content=False)},
    "nst_no_style": {"style_transfer_by_hand": loop(use_style=False)},
    "nst_adam_state_reset": {"style_transfer_by_hand": loop(reset=True)},
    "nst_content_from_style": {"style_transfer_by_hand": loop(target_from_style=True)},
    "nst_not_preprocessed": {"style_transfer_by_hand": loop(raw=True)},
    "nst_plain_gradient_descent": {"style_transfer_by_hand": loop(plain=True)},
}
