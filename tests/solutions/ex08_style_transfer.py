import torch
from ex01_preprocess import preprocess
from ex02_features import extract_features
from ex04_content_loss import content_loss
from ex05_style_loss import style_loss
from ex06_gradient_descent import AdamState, adam_step

from nst_teach.gram import gram_matrix


def style_transfer_by_hand(model, content, style, *, steps=100, lr=0.02, content_weight=1.0, style_weight=10.0,
                           content_layer="relu4_2", style_layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")):
    with torch.no_grad():
        P = extract_features(model, preprocess(content), [content_layer])[content_layer]
        A = {l: gram_matrix(F[0]) for l, F in extract_features(model, preprocess(style), list(style_layers)).items()}
    x, state, losses = content.clone(), AdamState.zeros_like(content), []
    for _ in range(steps):
        x.requires_grad_(True)
        F = extract_features(model, preprocess(x), [content_layer, *style_layers])
        L = content_weight * content_loss(F[content_layer], P) + style_weight * style_loss({l: F[l] for l in style_layers}, A)
        losses.append(L.item())
        (grad,) = torch.autograd.grad(L, x)
        x, state = adam_step(x.detach(), grad, state, lr)
        x = x.clamp(0, 1)
    return x, losses
