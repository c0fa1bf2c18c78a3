import torch

MEAN_BGR = (103.939, 116.779, 123.68)


def _mean(x):
    return torch.tensor(MEAN_BGR, dtype=x.dtype, device=x.device).view(3, 1, 1)  # broadcasts over H, W


def preprocess(img):
    return img.flip(-3) * 255.0 - _mean(img)


def deprocess(x):
    return (x + _mean(x)).flip(-3) / 255.0
