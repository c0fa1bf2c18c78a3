"""What the benchmarks share: the process settings, the arithmetic `auto` picks, the bare network as
a baseline, and a description of the machine to print with every number."""

import os
import sys

import torch

from nst_teach import speed
from nst_teach.config import TransferConfig
from nst_teach.preprocess import preprocess
from nst_teach.speed import process
from nst_teach.speed.calibration import cpu_model
from nst_teach.speed.precision import bf16_is_fast
from nst_teach.transfer import StyleTransferLoss

__all__ = ["with_process_settings", "calibrated", "bare_pass", "load_average", "has_amx", "cpu_model", "bf16_is_fast"]


def with_process_settings():
    """Start this benchmark again with the `nst-teach` command's process settings, unless they are in
    effect (call it first in ``if __name__ == "__main__"``, never on import)."""
    process.restart_with_settings([sys.executable, *sys.argv], sys.argv[1:])


def calibrated(model, device, size, config=None):
    """The `Speed` ``style_transfer`` picks at ``size`` px with ``config`` (default: TransferConfig's),
    measured now if this machine has no cached times, so that no clock includes the calibration."""
    config = config or TransferConfig()
    return speed.choose("auto", device, size=size, model=model,
                        loss=lambda arithmetic, content, style: StyleTransferLoss(model, content, style, config, arithmetic))


def bare_pass(model, img, arithmetic):
    """The baseline: a function that runs VGG-19 alone on ``img``, forward to the model's last layer
    and backward to the image, in the given arithmetic (a `Speed`): an evaluation without the losses."""
    arithmetic.prepare(model)
    x = arithmetic.input(preprocess(img, model.convention)).requires_grad_(True)

    def forward_backward():
        x.grad = None
        with arithmetic.network(model):
            y = model(x)
        y.float().sum().backward()

    return forward_backward


def load_average():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "unknown"


def has_amx():
    try:
        return any(line.startswith("flags") and " amx_tile" in line for line in open("/proc/cpuinfo"))
    except OSError:
        return False


def machine():
    """One line: the CPU, its vector instructions, threads and process settings, torch's version."""
    settings = ", ".join(f"{k}={v}" for k, v in process.in_effect().items() if v is not None) or "no process settings"
    return (f"{cpu_model()} (AMX: {'yes' if has_amx() else 'no'}, torch uses {torch.backends.cpu.get_cpu_capability()}), "
            f"{os.cpu_count()} cores, {torch.get_num_threads()} torch threads, {settings}, torch {torch.__version__}")
