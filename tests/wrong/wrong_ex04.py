"""Exercise 4 (content loss) done wrong."""

import torch

WRONG = {
    "content_mean": {"content_loss": lambda F, P: torch.mean((F - P) ** 2)},
    "content_half_mean": {"content_loss": lambda F, P: 0.5 * F.sub(P).pow(2).mean()},
    "content_no_half": {"content_loss": lambda F, P: torch.sum((F - P) ** 2)},
    "content_norm": {"content_loss": lambda F, P: torch.norm(F - P)},
    "content_abs": {"content_loss": lambda F, P: 0.5 * torch.sum(torch.abs(F - P))},
    "content_diff_of_squares": {"content_loss": lambda F, P: 0.5 * (F.pow(2) - P.pow(2)).sum()},
    "content_square_of_sum": {"content_loss": lambda F, P: 0.5 * torch.sum(F - P) ** 2},
    "content_style_normalisation": {"content_loss": lambda F, P: torch.sum((F - P) ** 2) / (4 * F[0].numel())},
    "content_not_squared": {"content_loss": lambda F, P: 0.5 * torch.sum(F - P)},
}
