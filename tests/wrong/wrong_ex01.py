"""Exercise 1 (preprocess / deprocess, Caffe) done wrong, one mistake at a time."""

import torch

MEAN_BGR = torch.tensor([103.939, 116.779, 123.68]).view(3, 1, 1)
MEAN_RGB = torch.tensor([123.68, 116.779, 103.939]).view(3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
MEAN01 = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)

WRONG = {
    "pre_no_bgr": {"preprocess": lambda img: img * 255 - MEAN_BGR},
    "pre_mean_rgb_order": {"preprocess": lambda img: img[..., [2, 1, 0], :, :] * 255 - MEAN_RGB},
    "pre_no_255": {"preprocess": lambda img: img.flip(-3) - MEAN_BGR},
    "pre_no_mean": {"preprocess": lambda img: 255 * img.flip(-3)},
    "pre_torchvision": {"preprocess": lambda img: (img - MEAN01) / STD},
    "pre_flip_last_axis": {"preprocess": lambda img: torch.flip(img, dims=[-1]) * 255 - MEAN_BGR},
    "pre_flip_axis1": {"preprocess": lambda img: torch.flip(img, dims=[1]) * 255 - MEAN_BGR},
    "pre_div_255": {"preprocess": lambda img: img.flip(-3) / 255 - MEAN_BGR},
    "pre_mean_before_255": {"preprocess": lambda img: 255 * (img.flip(-3) - MEAN_BGR)},
    "pre_grey_mean": {"preprocess": lambda img: 255 * img.flip(-3) - MEAN_BGR.mean()},
    "de_divide_before_mean": {"deprocess": lambda x: (x / 255 + MEAN_BGR).flip(-3)},
    "de_no_flip": {"deprocess": lambda x: (x + MEAN_BGR) / 255},
    "de_mean_sign": {"deprocess": lambda x: ((x - MEAN_BGR) / 255).flip(-3)},
    "de_no_255": {"deprocess": lambda x: (x + MEAN_BGR).flip(-3)},
    "de_mean_rgb_order": {"deprocess": lambda x: (x.flip(-3) + MEAN_BGR) / 255},
    "de_clamped": {"deprocess": lambda x: torch.clamp(((x + MEAN_BGR) / 255).flip(-3), 0, 1)},  # "to be safe"
}
