def style_layer_loss(F, A):
    if F.dim() == 4:
        F = F[0]
    N, H, W = F.shape
    M = H * W
    F2 = F.reshape(N, M)
    G = F2 @ F2.T
    return ((G - A) ** 2).sum() / (4 * N**2 * M**2)


def style_loss(features, targets, weights=None):
    if weights is None:
        weights = {layer: 1 / len(targets) for layer in targets}
    return sum(weights[layer] * style_layer_loss(features[layer], A) for layer, A in targets.items())
