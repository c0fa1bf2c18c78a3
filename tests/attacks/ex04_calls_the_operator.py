# torch's squared error through the operator, not through F.mse_loss (reduction 2 = sum).
import torch


def content_loss(F, P):
    return 0.5 * torch.ops.aten.mse_loss(F, P, 2)
