"""Tests for `nst_teach.losses`, each against an independent computation (numpy, explicit loops)
and against finite differences (torch.autograd.gradcheck in float64 on tiny inputs)."""

import numpy as np
import pytest
import torch

from nst_teach.errors import NSTError
from nst_teach.gram import gram_matrix
from nst_teach.losses import content_loss, style_layer_loss, style_loss, total_loss, tv_loss


def randn(*shape, seed=0, dtype=torch.float64, requires_grad=False):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype, requires_grad=requires_grad)


def style_layer_loss_by_loops(F, A):
    """E = 1/(4 N² M²) Σ_ij (G_ij − A_ij)², G_ij = Σ_k F_ik F_jk, all with Python loops over numpy."""
    F = np.asarray(F, dtype=np.float64).reshape(F.shape[-3], -1)  # (N, M)
    N, M = F.shape
    E = 0.0
    for i in range(N):
        for j in range(N):
            G_ij = sum(F[i, k] * F[j, k] for k in range(M))
            E += (G_ij - A[i, j]) ** 2
    return E / (4 * N**2 * M**2)


# ----------------------------------------------------------------------------- content


@pytest.mark.ex04
def test_content_loss_by_loops():
    F, P = randn(1, 3, 4, 5, seed=1), randn(1, 3, 4, 5, seed=2)
    f, p = F.numpy(), P.numpy()
    expected = 0.0
    for n in range(3):
        for h in range(4):
            for w in range(5):
                expected += 0.5 * (f[0, n, h, w] - p[0, n, h, w]) ** 2
    assert content_loss(F, P).item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.ex04
def test_content_loss_is_a_sum_not_a_mean():
    # ½ Σ 1² over 2·3·4 = 24 entries = 12 (a mean would give 0.5).
    assert content_loss(torch.ones(1, 2, 3, 4), torch.zeros(1, 2, 3, 4)).item() == pytest.approx(12.0)


@pytest.mark.ex04
def test_content_loss_zero_for_identical_and_symmetric():
    F, P = randn(1, 4, 3, 3, seed=3), randn(1, 4, 3, 3, seed=4)
    assert content_loss(F, F).item() == 0.0
    assert content_loss(F, P).item() == pytest.approx(content_loss(P, F).item())


@pytest.mark.ex04
def test_content_loss_gradient_is_f_minus_p():
    F, P = randn(1, 2, 3, 3, seed=5, requires_grad=True), randn(1, 2, 3, 3, seed=6)
    content_loss(F, P).backward()
    torch.testing.assert_close(F.grad, (F - P).detach())  # ∂L/∂F = F − P (the paper's eq. 2)


@pytest.mark.ex04
def test_content_loss_gradcheck():
    F, P = randn(1, 2, 3, 2, seed=7, requires_grad=True), randn(1, 2, 3, 2, seed=8)
    assert torch.autograd.gradcheck(lambda f: content_loss(f, P), (F,))


@pytest.mark.ex04
def test_content_loss_shape_mismatch_raises():
    with pytest.raises(NSTError, match="same size"):
        content_loss(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 5))


# ----------------------------------------------------------------------------- style


@pytest.mark.ex05
@pytest.mark.parametrize("shape", [(1, 3, 2, 4), (4, 3, 3), (1, 1, 5, 1)])
def test_style_layer_loss_by_loops(shape):
    F = randn(*shape, seed=9)
    N = shape[-3]
    A = gram_matrix(randn(N, 6, seed=10))  # a target Gram from other features
    expected = style_layer_loss_by_loops(F.numpy(), A.numpy())
    assert style_layer_loss(F, A).item() == pytest.approx(expected, rel=1e-10)


@pytest.mark.ex05
def test_style_layer_loss_zero_for_identical_features():
    F = randn(1, 5, 3, 4, seed=11)
    assert style_layer_loss(F, gram_matrix(F[0])).item() == pytest.approx(0.0, abs=1e-12)


@pytest.mark.ex05
@pytest.mark.parametrize("c", [0.5, 2.0, -3.0])
def test_style_layer_loss_for_scaled_features(c):
    """F → cF scales G by c², so E = Σ (c²A − A)² / (4N²M²) = (c² − 1)² Σ A² / (4N²M²)."""
    F = randn(1, 4, 3, 5, seed=12)
    A = gram_matrix(F[0])
    N, M = 4, 15
    expected = (c**2 - 1) ** 2 * (A**2).sum().item() / (4 * N**2 * M**2)
    assert style_layer_loss(c * F, A).item() == pytest.approx(expected, rel=1e-10)


@pytest.mark.ex05
def test_style_layer_loss_independent_of_image_size_for_repeated_texture():
    """Tiling a feature map 2×2 multiplies G by 4 and M by 4: the 1/(4N²M²) keeps E the same."""
    F, other = randn(1, 3, 4, 4, seed=13), randn(1, 3, 4, 4, seed=14)
    A = gram_matrix(other[0])
    tiled = F.repeat(1, 1, 2, 2)  # (1, 3, 8, 8)
    tiled_A = gram_matrix(other.repeat(1, 1, 2, 2)[0])
    assert style_layer_loss(tiled, tiled_A).item() == pytest.approx(style_layer_loss(F, A).item(), rel=1e-10)


@pytest.mark.ex05
def test_style_layer_loss_gradient_formula():
    """The paper's eq. 6: ∂E/∂F = 1/(N²M²) (Fᵀ(G − A))ᵀ = (G − A) F / (N²M²), for F ≥ 0."""
    F = randn(1, 3, 2, 2, seed=15).abs().requires_grad_(True)
    A = gram_matrix(randn(3, 4, seed=16))
    style_layer_loss(F, A).backward()
    Fm = F.detach().reshape(3, 4)  # (N, M)
    expected = (gram_matrix(Fm) - A) @ Fm / (3**2 * 4**2)
    torch.testing.assert_close(F.grad.reshape(3, 4), expected)


@pytest.mark.ex05
def test_style_layer_loss_gradcheck():
    F = randn(1, 2, 2, 3, seed=17, requires_grad=True)
    A = gram_matrix(randn(2, 5, seed=18))
    assert torch.autograd.gradcheck(lambda f: style_layer_loss(f, A), (F,))


@pytest.mark.ex05
def test_style_loss_weighted_sum():
    features = {"a": randn(1, 2, 3, 3, seed=19), "b": randn(1, 4, 2, 2, seed=20)}
    targets = {"a": gram_matrix(randn(2, 5, seed=21)), "b": gram_matrix(randn(4, 3, seed=22))}
    weights = {"a": 0.3, "b": 2.0}
    expected = sum(weights[k] * style_layer_loss_by_loops(features[k].numpy(), targets[k].numpy()) for k in targets)
    assert style_loss(features, targets, weights).item() == pytest.approx(expected, rel=1e-10)


@pytest.mark.ex05
def test_style_loss_default_weights_are_one_over_L():
    features = {k: randn(1, 2, 3, 3, seed=s) for k, s in [("x", 23), ("y", 24), ("z", 25)]}
    targets = {k: gram_matrix(randn(2, 4, seed=s)) for k, s in [("x", 26), ("y", 27), ("z", 28)]}
    expected = sum(style_layer_loss(features[k], targets[k]).item() for k in targets) / 3
    assert style_loss(features, targets).item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.ex05
def test_style_loss_uses_only_the_target_layers():
    features = {"a": randn(1, 2, 3, 3, seed=29), "content": randn(1, 7, 2, 2, seed=30)}
    targets = {"a": gram_matrix(randn(2, 4, seed=31))}
    assert style_loss(features, targets).item() == pytest.approx(style_layer_loss(features["a"], targets["a"]).item())


@pytest.mark.ex05
def test_style_loss_gradcheck():
    F1, F2 = randn(1, 2, 2, 2, seed=32, requires_grad=True), randn(1, 3, 2, 1, seed=33, requires_grad=True)
    targets = {"l1": gram_matrix(randn(2, 3, seed=34)), "l2": gram_matrix(randn(3, 2, seed=35))}
    assert torch.autograd.gradcheck(lambda a, b: style_loss({"l1": a, "l2": b}, targets, {"l1": 0.7, "l2": 0.2}), (F1, F2))


@pytest.mark.ex05
def test_style_layer_loss_errors():
    with pytest.raises(NSTError, match="one image"):
        style_layer_loss(torch.zeros(2, 3, 4, 4), torch.zeros(3, 3))
    with pytest.raises(NSTError, match="shape"):
        style_layer_loss(torch.zeros(1, 3, 4, 4), torch.zeros(4, 4))


# ----------------------------------------------------------------------------- total variation


@pytest.mark.ex07
@pytest.mark.parametrize("shape", [(1, 3, 4, 5), (2, 1, 3, 3), (1, 3, 1, 4)])
def test_tv_loss_by_loops(shape):
    x = randn(*shape, seed=36)
    a = x.numpy()
    B, C, H, W = shape
    expected = 0.0
    for b in range(B):
        for c in range(C):
            for i in range(H):
                for j in range(W):
                    if i + 1 < H:
                        expected += (a[b, c, i + 1, j] - a[b, c, i, j]) ** 2
                    if j + 1 < W:
                        expected += (a[b, c, i, j + 1] - a[b, c, i, j]) ** 2
    assert tv_loss(x).item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.ex07
def test_tv_loss_zero_for_constant_and_known_for_stripes():
    assert tv_loss(torch.full((1, 3, 5, 5), 0.7)).item() == 0.0
    # Vertical stripes 0,1,0,1 on a 4×4 single-channel image: 3 jumps of 1 per row × 4 rows = 12.
    stripes = torch.tensor([0.0, 1.0, 0.0, 1.0]).repeat(4, 1).view(1, 1, 4, 4)
    assert tv_loss(stripes).item() == pytest.approx(12.0)


@pytest.mark.ex07
def test_tv_loss_gradcheck():
    x = randn(1, 2, 3, 3, seed=37, requires_grad=True)
    assert torch.autograd.gradcheck(tv_loss, (x,))


# ----------------------------------------------------------------------------- total


@pytest.mark.ex08
def test_total_loss_is_the_weighted_sum():
    c, s, t = randn(1, seed=38)[0], randn(1, seed=39)[0], randn(1, seed=40)[0]
    expected = 2.0 * c + 1e3 * s + 0.1 * t
    torch.testing.assert_close(total_loss(c, s, t, content_weight=2.0, style_weight=1e3, tv_weight=0.1), expected)
    # Defaults: α = 1, β = 1e3, no tv.
    torch.testing.assert_close(total_loss(c, s), c + 10.0 * s)  # the defaults α = 1, β = 10 of TransferConfig


@pytest.mark.ex08
def test_total_loss_gradcheck():
    F, P = randn(1, 2, 2, 2, seed=41, requires_grad=True), randn(1, 2, 2, 2, seed=42)
    A = gram_matrix(randn(2, 3, seed=43))

    def L(f):
        return total_loss(content_loss(f, P), style_layer_loss(f, A), tv_loss(f), content_weight=0.5, style_weight=10.0, tv_weight=0.2)

    assert torch.autograd.gradcheck(L, (F,))


def test_content_error_map_sums_to_the_content_loss_and_shows_where():
    from nst_teach.losses import content_error_map

    P = torch.rand(1, 5, 4, 6, generator=torch.Generator().manual_seed(0))
    F = P.clone()
    F[0, :, 1, 2] += 3.0  # one position differs
    E = content_error_map(F, P)
    assert E.shape == (4, 6)
    assert E.sum().item() == pytest.approx(content_loss(F, P).item())
    assert E[1, 2] == E.max() and (E > 0).sum() == 1
