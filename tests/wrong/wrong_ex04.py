"""Exercise 4 (content loss) done wrong."""

import torch

WRONG = {
    "content_mean": {"content_loss": lambda F, P: torch.mean((F - P) ** 2)},
    "content_half_mean": {"content_loss": lambda F, P: 0.5 * F.sub(P).pow(2).mean()},
    "content_no_half": {"content_loss": lambda F, P: torch.sum((F - P) ** 2)},
    "content_norm": {"content_loss": lambda F, P: torch.norm(F - P)},
    "content_abs": {"content_loss": lambda F, P: 0.5 * torch.sum(torch.abs(F - P))},
    "content_not_squared": {"content_loss": lambda F, P: 0.5 * torch.sum(F - P)},
}
