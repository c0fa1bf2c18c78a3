import torch_helpers_from_my_laptop  # a module that exists only on the student's machine


def extract_features(model, x, layers):
    return torch_helpers_from_my_laptop.features(model, x, layers)
