"""Exercise 7 (total variation) done wrong."""

import torch


def _d(x):
    return x[..., 1:, :] - x[..., :-1, :], x[..., :, 1:] - x[..., :, :-1]


def mean(x):
    dh, dw = _d(x)
    return torch.mean(dh**2) + torch.mean(dw**2)


def l1(x):
    dh, dw = _d(x)
    return dh.abs().sum() + dw.abs().sum()


def isotropic(x):
    dh, dw = _d(x)
    return torch.sqrt(dh[..., :, :-1] ** 2 + dw[..., :-1, :] ** 2).sum()


def grey(x):
    g = x.sum(dim=-3)  # (…, H, W)
    dh, dw = _d(g)
    return (dh**2).sum() + (dw**2).sum()


WRONG = {
    "tv_halved": {"tv_loss": lambda x: 0.5 * sum((d**2).sum() for d in _d(x))},
    "tv_norm": {"tv_loss": lambda x: torch.sqrt(sum((d**2).sum() for d in _d(x)))},
    "tv_channels_summed_first": {"tv_loss": grey},
    "tv_mean": {"tv_loss": mean},
    "tv_abs": {"tv_loss": l1},
    "tv_vertical_only": {"tv_loss": lambda x: (_d(x)[0] ** 2).sum()},
    "tv_horizontal_only": {"tv_loss": lambda x: (_d(x)[1] ** 2).sum()},
    "tv_wraparound": {"tv_loss": lambda x: ((torch.roll(x, -1, dims=-2) - x) ** 2).sum() + ((torch.roll(x, -1, dims=-1) - x) ** 2).sum()},
    "tv_isotropic": {"tv_loss": isotropic},
    "tv_channel_axis": {"tv_loss": lambda x: ((x[:, 1:] - x[:, :-1]) ** 2).sum() + ((x[:, :, 1:] - x[:, :, :-1]) ** 2).sum()},
}
